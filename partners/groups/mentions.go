package groups

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseMentions finds the members named in text with @name. Names may
// hold spaces ("@Brian Bravo") and no space is needed after a Chinese
// name ("@刘洋请确认"), so at each @ the longest member name that
// follows wins, compared without regard to case; an @ that names nobody
// is plain text. Each member is listed once, in order of first mention.
func ParseMentions(text string, members []Mention) []Mention {
	if !strings.Contains(text, "@") || len(members) == 0 {
		return nil
	}
	byLen := make([]Mention, 0, len(members))
	for _, m := range members {
		if strings.TrimSpace(m.Name) != "" {
			byLen = append(byLen, m)
		}
	}
	sort.SliceStable(byLen, func(i, j int) bool { return len(byLen[i].Name) > len(byLen[j].Name) })
	var out []Mention
	seen := map[Mention]bool{}
	for i := 0; i < len(text); {
		at := strings.IndexByte(text[i:], '@')
		if at < 0 {
			break
		}
		i += at + 1
		// An @ inside a word (an e-mail address) mentions nobody.
		if j := i - 1; j > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:j]); unicode.IsLetter(r) || unicode.IsDigit(r) {
				continue
			}
		}
		for _, m := range byLen {
			n := len(m.Name)
			if len(text)-i < n || !strings.EqualFold(text[i:i+n], m.Name) {
				continue
			}
			// A Latin name must end at a word boundary: "@Bo" is not
			// "@Bob"; a CJK name needs no boundary.
			if rest := text[i+n:]; rest != "" {
				r, _ := utf8.DecodeRuneInString(rest)
				last, _ := utf8.DecodeLastRuneInString(m.Name)
				if (unicode.IsLetter(r) || unicode.IsDigit(r)) && !unicode.Is(unicode.Han, last) {
					continue
				}
			}
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
			i += n
			break
		}
	}
	return out
}
