package partners

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/unicode/norm"
)

var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal
	a.Fallback = func(r rune, _ pinyin.Args) []string { return []string{string(r)} }
	return a
}()

// SortKey returns the key names are ordered by: Chinese characters spelled
// in pinyin, everything else lowercased, so 华星 sorts among the H's next to
// "Hansen" instead of after every Latin name, as byte order would put it.
func SortKey(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(strings.TrimSpace(name)) {
		if unicode.Is(unicode.Han, r) {
			if py := pinyin.SinglePinyin(r, pinyinArgs); len(py) > 0 && py[0] != string(r) {
				b.WriteString(py[0])
				b.WriteByte(' ')
				continue
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return foldMarks(strings.TrimSpace(b.String()))
}

// foldMarks removes diacritics (Ä → A, é → e), so accented Latin names
// sort among their base letters and are found without typing accents.
func foldMarks(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// SearchText returns what a name is searched by: the lowercased name, its
// pinyin with and without spaces, and its pinyin initials, so 华星精密 is
// found by "华星", "huaxing", "hua xing" and "hxjm".
func SearchText(parts ...string) string {
	var fields []string
	for _, p := range parts {
		p = strings.ToLower(norm.NFKC.String(strings.TrimSpace(p)))
		if p == "" {
			continue
		}
		fields = append(fields, p)
		if f := foldMarks(p); f != p {
			fields = append(fields, f)
		}
		var full, initials strings.Builder
		hasHan := false
		for _, r := range p {
			if unicode.Is(unicode.Han, r) {
				if py := pinyin.SinglePinyin(r, pinyinArgs); len(py) > 0 && py[0] != string(r) {
					hasHan = true
					full.WriteString(py[0])
					initials.WriteByte(py[0][0])
					continue
				}
			}
			if !unicode.IsSpace(r) {
				full.WriteRune(r)
				initials.WriteRune(r)
			}
		}
		if hasHan {
			fields = append(fields, full.String(), initials.String())
		}
	}
	return strings.Join(fields, " | ")
}

// SearchTerm normalises a user's query the same way SearchText does;
// accents are folded, so "muller" and "müller" both find Müller.
func SearchTerm(q string) string {
	return foldMarks(strings.ToLower(norm.NFKC.String(strings.TrimSpace(q))))
}
