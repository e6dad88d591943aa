package orders

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/schematype"
)

func TestStoredChangesRoundTrip(t *testing.T) {
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	q, p := Qty(12500), Price(31400)
	in := []Change{{LineNo: 1, PromisedDate: &day, Reason: "later"}, {LineNo: 2, Quantity: &q, UnitPrice: &p}}
	if got := parseChanges(changesJSON(in)); !reflect.DeepEqual(got, in) {
		t.Errorf("got %+v, want %+v", got, in)
	}
}

// Rows written before the stored change was typed keep their meaning.
func TestStoredChangesReadOlderRows(t *testing.T) {
	var rs []schematype.LineChange
	old := `[{"line_no":3,"reason":"short","promised_date":"2026-12-04","quantity_milli":12500,"unit_price_e4":31400}]`
	if err := json.Unmarshal([]byte(old), &rs); err != nil {
		t.Fatal(err)
	}
	cs := parseChanges(rs)
	if len(cs) != 1 || cs[0].LineNo != 3 || cs[0].Reason != "short" || cs[0].PromisedDate == nil ||
		!cs[0].PromisedDate.Equal(time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)) ||
		cs[0].Quantity == nil || *cs[0].Quantity != 12500 || cs[0].UnitPrice == nil || *cs[0].UnitPrice != 31400 {
		t.Errorf("got %+v", cs)
	}
	back, err := json.Marshal(changesJSON(cs))
	if err != nil || string(back) != old {
		t.Errorf("stored as %s, want %s (%v)", back, old, err)
	}
}
