package directory

import (
	"errors"
	"strings"
	"testing"
)

// FuzzReadTable feeds arbitrary bytes to the CSV reader behind both
// imports: it must answer with rows or an ImportError, never panic.
func FuzzReadTable(f *testing.F) {
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
		tb, err := readTable(strings.NewReader(s), PartnerColumns, []string{"code", "name", "kind"})
		var ie *ImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error is not an ImportError: %v", err)
		}
		if err == nil && len(tb.rows) != len(tb.lines) {
			t.Fatal("rows and lines differ")
		}
		if ie != nil && len(ie.Rows) == 0 {
			t.Fatal("ImportError without rows")
		}
	})
}
