package csvfile

import (
	"strings"
	"testing"

	"github.com/tierlink/tierlink/partners"
)

// FuzzRead feeds arbitrary bytes to the reader behind every import: it
// must answer with rows or an invalid-input error naming at least one
// problem by line, never panic.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"code,name,kind\nA,B,supplier\n",
		"\ufeffcode,name,kind\n\"x\ny\",B,supplier\n",
		"code,name,kind\n\"unterminated\n",
		"code,code\n",
		"",
		"code,name,kind\nA,B\n",
		"code,name,kind\n\xff,B,supplier\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tb, err := Read(strings.NewReader(s), []string{"code", "name", "kind", "tier"}, []string{"code", "name", "kind"})
		if err != nil {
			fs := partners.ErrorFields(err)
			if partners.ErrorCode(err) != partners.EInvalid || len(fs) == 0 || !strings.HasPrefix(fs[0].Field, "line ") {
				t.Fatalf("not a refused import naming its rows: %v", err)
			}
			return
		}
		if len(tb.Rows) != len(tb.Lines) {
			t.Fatal("rows and lines differ")
		}
	})
}
