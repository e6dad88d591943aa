package partners

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSortKeyOrdersMixedScripts(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"Alpen", "安和"}, {"安和", "北京"}, {"北京", "Bravo"}, {"华星", "zeta"}, {"Ärger", "Bär"},
	} {
		if ka, kb := SortKey(tc.a), SortKey(tc.b); ka >= kb {
			t.Errorf("SortKey(%q)=%q should sort before SortKey(%q)=%q", tc.a, ka, tc.b, kb)
		}
	}
}

func TestSearchText(t *testing.T) {
	st := SearchText("华星精密 Co.", "SUP-1")
	for _, q := range []string{"华星", "huaxing", "hxjm", "co.", "sup-1"} {
		if !strings.Contains(st, SearchTerm(q)) {
			t.Errorf("%q not found in %q", q, st)
		}
	}
	if got := SearchTerm("  ＨＵＡ "); got != "hua" {
		t.Errorf("SearchTerm full-width = %q", got)
	}
}

func TestValidateNamesFields(t *testing.T) {
	type in struct {
		Code  string   `json:"code" validate:"required,partnercode"`
		Email string   `json:"email" validate:"omitempty,email"`
		Tags  []string `json:"tags" validate:"max=2,dive,max=3"`
	}
	err := Validate(in{Code: "-bad", Email: "nope", Tags: []string{"abcd"}})
	got := map[string]string{}
	for _, f := range ErrorFields(err) {
		got[f.Field] = f.Reason
	}
	if got["code"] == "" || got["email"] != "must be an e-mail address" || got["tags[0]"] != "must be at most 3 characters" {
		t.Fatalf("fields = %v", got)
	}
	if ErrorCode(err) != EInvalid {
		t.Fatalf("code = %v", ErrorCode(err))
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(map[string]any{"k": "hua", "i": 3}))
	f.Add("")
	f.Add("!!!")
	f.Add("eyJrIjoxfQ")
	f.Fuzz(func(t *testing.T, s string) {
		var v struct {
			K string `json:"k"`
			I int    `json:"i"`
		}
		if err := DecodeCursor(s, &v); err != nil && ErrorCode(err) != EInvalid {
			t.Fatalf("cursor error of code %v", ErrorCode(err))
		}
	})
}

func FuzzSearchText(f *testing.F) {
	for _, s := range []string{"华星精密", "Alpen GmbH", "", "\xff\xfe", "𠀀𪚥", "İstanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, k := SearchText(s), SortKey(s)
		if utf8.ValidString(s) && (!utf8.ValidString(st) || !utf8.ValidString(k)) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		if q := SearchTerm(s); q != "" && utf8.ValidString(s) && !strings.Contains(st, q) {
			t.Fatalf("%q does not find itself in %q", q, st)
		}
	})
}

func TestNewestFirstPaging(t *testing.T) {
	rows := []int{9, 8, 7, 6, 5}
	page, next := Trim(rows, 2, func(i int) int { return i })
	if len(page) != 2 || next == "" {
		t.Fatalf("page %v next %q", page, next)
	}
	before, err := BeforeID(next)
	if err != nil || before != 8 {
		t.Fatalf("before = %d, %v", before, err)
	}
	if _, next := Trim(rows[:2], 2, func(i int) int { return i }); next != "" {
		t.Fatal("a last page has a next cursor")
	}
	if b, err := BeforeID(""); b != 0 || err != nil {
		t.Fatal("empty cursor")
	}
	if _, err := BeforeID("###"); ErrorCode(err) != EInvalid {
		t.Fatalf("bad cursor: %v", err)
	}
	if Limit(0, 50) != 50 || Limit(7, 50) != 7 {
		t.Fatal("Limit")
	}
}
