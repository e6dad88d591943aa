package partnerstest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/orders"
)

// ForEachDialect runs fn as a subtest per database dialect dbtest offers,
// each on a fresh fixture.
func ForEachDialect(t *testing.T, fn func(t *testing.T, f *Fixture)) {
	t.Helper()
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) { fn(t, New(t, d)) })
	}
}

// WantCode fails the test unless err carries the domain code.
func WantCode(tb testing.TB, err error, code partners.Code) {
	tb.Helper()
	if got := partners.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// WantField fails the test unless err carries code and names field, so a
// negative check cannot pass on a failure of another kind.
func WantField(tb testing.TB, err error, code partners.Code, field string) {
	tb.Helper()
	WantCode(tb, err, code)
	for _, f := range partners.ErrorFields(err) {
		if f.Field == field {
			return
		}
	}
	tb.Fatalf("error %v names fields %v, want %q", err, partners.ErrorFields(err), field)
}

// Refusal returns the problems of a refused import as "line N: column:
// reason", failing the test unless err is one: invalid input whose every
// field names a line.
func Refusal(tb testing.TB, err error) []string {
	tb.Helper()
	fs := partners.ErrorFields(err)
	if partners.ErrorCode(err) != partners.EInvalid || len(fs) == 0 {
		tb.Fatalf("err = %v, want a refused import", err)
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		if !strings.HasPrefix(f.Field, "line ") || !strings.Contains(f.Field, ": ") {
			tb.Errorf("problem without line and column: %+v", f)
		}
		out[i] = f.Field + ": " + f.Reason
	}
	return out
}

// Atoi parses a decimal id or fails the test.
func Atoi(tb testing.TB, s string) int {
	tb.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// Snapshot is every table's row count and a hash of its rows, read with
// plain SQL so that no privacy rule hides a row; tables named in skip
// (sessions, say, which every signed-in request touches) are left out.
// Compare two with DiffSnapshots to prove a refused call stored nothing.
func (f *Fixture) Snapshot(tb testing.TB, skip ...string) map[string]string {
	tb.Helper()
	db := f.DB.Reader
	tables := f.Tables(tb)
	if len(tables) < 10 {
		tb.Fatalf("snapshot found only tables %v", tables)
	}
	out := map[string]string{}
	for _, table := range tables {
		if slices.Contains(skip, table) {
			continue
		}
		rs, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			tb.Fatal(err)
		}
		cols, _ := rs.Columns()
		var lines []string
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		if err := errors.Join(rs.Err(), rs.Close()); err != nil {
			tb.Fatal(err)
		}
		sort.Strings(lines)
		h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		out[table] = fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(h[:8]))
	}
	return out
}

// DiffSnapshots lists the tables whose rows differ between two snapshots.
func DiffSnapshots(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if before[k] != v {
			out = append(out, fmt.Sprintf("%s: %s → %s", k, before[k], v))
		}
	}
	sort.Strings(out)
	return out
}

// Unchanged fails the test if any table changed since before was taken
// (with the same skip list).
func (f *Fixture) Unchanged(tb testing.TB, before map[string]string, skip ...string) {
	tb.Helper()
	if d := DiffSnapshots(before, f.Snapshot(tb, skip...)); len(d) > 0 {
		tb.Fatalf("stored state changed: %v", d)
	}
}

// Refuses runs call, which must fail with code (naming field, when one is
// given) and leave every table as it was.
func (f *Fixture) Refuses(tb testing.TB, code partners.Code, field string, call func() error) {
	tb.Helper()
	before := f.Snapshot(tb)
	err := call()
	if field != "" {
		WantField(tb, err, code, field)
	} else {
		WantCode(tb, err, code)
	}
	f.Unchanged(tb, before)
}

// Step is one step of a scenario, named for what it proves.
type Step struct {
	Name string
	Run  func(t *testing.T)
}

// RunSteps runs a scenario's steps in order as subtests, stopping at the
// first that fails: each stands on the state the ones before it left.
func RunSteps(t *testing.T, steps []Step) {
	t.Helper()
	for _, s := range steps {
		if !t.Run(s.Name, s.Run) {
			return
		}
	}
}

// Qty reads a quantity literal of a test, like "12.5"; it panics on one
// that is not, as regexp.MustCompile does, since that is a typo in the test.
func Qty(s string) orders.Qty {
	q, err := orders.ParseQty(s)
	if err != nil {
		panic(fmt.Sprintf("partnerstest.Qty(%q): %v", s, err))
	}
	return q
}

// Tables names every table of the fixture's database, read with plain SQL.
func (f *Fixture) Tables(tb testing.TB) []string {
	tb.Helper()
	list := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if f.DB.Dialect == "postgres" {
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := f.DB.Reader.Query(list)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		tb.Fatal(err)
	}
	return tables
}

// TablesHolding names the tables where s appears in any value of any row,
// read with plain SQL so no privacy rule hides a row: proof that a secret
// (a token, a link) was never stored.
func (f *Fixture) TablesHolding(tb testing.TB, s string) []string {
	tb.Helper()
	var found []string
	for _, table := range f.Tables(tb) {
		rs, err := f.DB.Reader.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			tb.Fatal(err)
		}
		cols, err := rs.Columns()
		if err != nil {
			tb.Fatal(err)
		}
		hit := false
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok && strings.Contains(string(b), s) || strings.Contains(fmt.Sprint(v), s) {
					hit = true
				}
			}
		}
		if err := errors.Join(rs.Err(), rs.Close()); err != nil {
			tb.Fatal(err)
		}
		if hit {
			found = append(found, table)
		}
	}
	return found
}
