package partners

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/unicode/norm"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/partner"
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
	return cutBytes(foldMarks(strings.TrimSpace(b.String())), sortKeyMax)
}

// sortKeyMax is the limit of sort_key in ent/schema, in bytes because the
// column is indexed. Pinyin spells one character in up to six letters, so
// a name within its limit of 200 characters can spell a longer key; it is
// cut, which changes nothing but the order of names alike in their first
// hundred characters or so.
const sortKeyMax = 800

// cutBytes shortens s to at most n bytes without splitting a character.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// foldMarks removes diacritics (Ä → A, é → e) and spells the special
// letters that have none to remove in the base letters people type for
// them (ß → ss, ø → o, ł → l, æ → ae), so such names sort among their base
// letters and are found without typing either: "weiss" finds Weiß,
// "orsted" Ørsted and "lodz" Łódź, as "muller" finds Müller.
func foldMarks(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case specialLetters[r] != "":
			b.WriteString(specialLetters[r])
		default:
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// specialLetters are the Latin letters without a decomposition in Unicode
// (so NFD leaves them whole) and how people spell them in plain letters.
// Keys are lowercased before they are folded; the capitals are here so
// foldMarks is right on its own.
var specialLetters = map[rune]string{
	'ß': "ss", 'ẞ': "SS",
	'æ': "ae", 'Æ': "AE",
	'œ': "oe", 'Œ': "OE",
	'ø': "o", 'Ø': "O",
	'ł': "l", 'Ł': "L",
	'đ': "d", 'Đ': "D",
	'ð': "d", 'Ð': "D",
	'þ': "th", 'Þ': "TH",
	'ħ': "h", 'Ħ': "H",
	'ŧ': "t", 'Ŧ': "T",
	'ŋ': "ng", 'Ŋ': "NG",
	'ı': "i",
	'ĸ': "k",
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

// RefreshNameKeys recomputes the stored sort and search keys of every
// partner and contact, and writes those that differ from what SortKey and
// SearchText now return; it returns how many rows it changed. Run it at
// start-up after the migrations (ctx carrying the system viewer): the keys
// are computed in Go (pinyin, folding), so no SQL migration can rebuild
// them, and a change to the folding leaves older rows unfound by the new
// spellings until this runs. It is idempotent: a second run finds nothing
// to change, so it costs one read of the two tables. updated_at is kept,
// since nothing a caller sees has changed.
func RefreshNameKeys(ctx context.Context, c *ent.Client) (int, error) {
	const page = 500
	changed := 0
	for after := 0; ; {
		ps, err := c.Partner.Query().Where(partner.IDGT(after)).Order(partner.ByID()).Limit(page).All(ctx)
		if err != nil {
			return changed, err
		}
		for _, p := range ps {
			after = p.ID
			sk, st := SortKey(p.Name), SearchText(p.Name, p.Code)
			if sk == p.SortKey && st == p.SearchText {
				continue
			}
			if err := c.Partner.UpdateOne(p).SetSortKey(sk).SetSearchText(st).SetUpdatedAt(p.UpdatedAt).Exec(ctx); err != nil {
				return changed, err
			}
			changed++
		}
		if len(ps) < page {
			break
		}
	}
	for after := 0; ; {
		cs, err := c.Contact.Query().Where(contact.IDGT(after)).Order(contact.ByID()).Limit(page).All(ctx)
		if err != nil {
			return changed, err
		}
		for _, ct := range cs {
			after = ct.ID
			// As directory's contactSearch: name, title, e-mail, phone.
			sk, st := SortKey(ct.Name), SearchText(ct.Name, ct.Title, ct.Email, ct.Phone)
			if sk == ct.SortKey && st == ct.SearchText {
				continue
			}
			if err := c.Contact.UpdateOne(ct).SetSortKey(sk).SetSearchText(st).SetUpdatedAt(ct.UpdatedAt).Exec(ctx); err != nil {
				return changed, err
			}
			changed++
		}
		if len(cs) < page {
			break
		}
	}
	return changed, nil
}
