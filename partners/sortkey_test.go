package partners

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSearchFoldsSpecialLetters(t *testing.T) {
	for _, tc := range []struct{ name, query string }{
		{"Weiß Antriebstechnik", "weiss"},
		{"WEISS & CO", "weiß"},
		{"GROẞHANDEL", "grosshandel"},
		{"Straße", "strasse"},
		{"Ørsted", "orsted"},
		{"Łódź", "lodz"},
		{"Dvořák", "dvorak"},
		{"Đorđević", "dordevic"},
		{"Æbeltoft", "aebeltoft"},
		{"Œuvre", "oeuvre"},
		{"Þórsson", "thorsson"},
		{"Müller", "muller"},
		{"Müller", "müller"},
		{"华星精密", "hxjm"},
	} {
		if st, q := SearchText(tc.name), SearchTerm(tc.query); !strings.Contains(st, q) {
			t.Errorf("%q (%q) not found in %q", tc.query, q, st)
		}
	}
	for _, tc := range []struct{ a, b string }{{"Weiß", "Weissach"}, {"Orsted", "Ørsted"}, {"Łódź", "Lodzer"}} {
		if ka, kb := SortKey(tc.a), SortKey(tc.b); ka > kb {
			t.Errorf("SortKey(%q)=%q should sort before SortKey(%q)=%q", tc.a, ka, tc.b, kb)
		}
	}
}

// A name within its limit of 200 characters never spells a sort key over
// the column's 800 bytes: pinyin of 双 is "shuang ", seven bytes.
func TestSortKeyFitsItsColumn(t *testing.T) {
	for _, name := range []string{strings.Repeat("双", 200), strings.Repeat("😀", 201), "a" + strings.Repeat("😀", 200), strings.Repeat("\ufdfa", 200)} {
		k := SortKey(name)
		if len(k) > sortKeyMax || !utf8.ValidString(k) {
			t.Errorf("SortKey of %d runes: %d bytes, valid %v", utf8.RuneCountInString(name), len(k), utf8.ValidString(k))
		}
		if len(k) < sortKeyMax-3 {
			t.Errorf("SortKey of %d runes cut to %d bytes, more than needed", utf8.RuneCountInString(name), len(k))
		}
	}
	if k := SortKey(strings.Repeat("双", 200)); !strings.HasPrefix(k, "shuang shuang") {
		t.Errorf("SortKey = %q…", k[:20])
	}
}
