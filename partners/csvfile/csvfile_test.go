package csvfile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/partners"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"=1+2", "'=1+2"}, {"+86 512", "'+86 512"}, {"-x", "'-x"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"'=x", "''=x"}, {"'x", "'x"}, {"'", "'"}, {"", ""}, {"华星", "华星"}, {"a=b", "a=b"},
	} {
		if got := Escape(c.in); got != c.out {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.out)
		}
		if got := Unescape(c.out); got != c.in {
			t.Errorf("Unescape(%q) = %q, want %q", c.out, got, c.in)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"=x", "''-", "'", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if Unescape(e) != s {
			t.Fatalf("Unescape(Escape(%q)) = %q", s, Unescape(e))
		}
		if e != "" && formula(e[0]) {
			t.Fatalf("Escape(%q) = %q begins with a formula character", s, e)
		}
	})
}

func TestWriterEncodings(t *testing.T) {
	for _, enc := range []Encoding{UTF8, GB18030} {
		var buf bytes.Buffer
		w := NewWriter(&buf, enc)
		_ = w.Write([]string{"name"})
		_ = w.Write([]string{"=泰山实业"})
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(buf.Bytes(), utf8BOM) != (enc == UTF8) {
			t.Errorf("%s: BOM wrong: %q", enc, buf.String())
		}
		tb, err := Read(Named(bytes.NewReader(buf.Bytes()), enc), []string{"name"}, nil)
		if err != nil || tb.Rows[0][0] != "=泰山实业" {
			t.Fatalf("%s: read back %+v, %v", enc, tb, err)
		}
	}
	// A length error names line and column too.
	_, err := Read(strings.NewReader("a,b\n1\n"), []string{"a", "b"}, nil)
	if fs := partners.ErrorFields(err); partners.ErrorCode(err) != partners.EInvalid || len(fs) != 1 || fs[0].Field != "line 2: b" ||
		!strings.HasPrefix(fs[0].Reason, "is missing") {
		t.Fatalf("err = %v", err)
	}
}
