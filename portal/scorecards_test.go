package portal

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/scorecards"
)

func TestScorecardPages(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	e.orderVars() // partner A has a published order and more
	resp, b := e.call(wBuyer, "GET", "/scorecards?period=quarter", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="ranking"`) || !strings.Contains(string(b), "no data") {
		t.Fatalf("ranking page %d", resp.StatusCode)
	}
	resp, b = e.call(wBuyer, "GET", fmt.Sprintf("/scorecards/%d", e.f.PartnerA.ID), "")
	if resp.StatusCode != 200 || strings.Count(string(b), "<svg") != 2 {
		t.Fatalf("scorecard page %d: %d charts", resp.StatusCode, strings.Count(string(b), "<svg"))
	}
	resp, b = e.call(wBuyer, "GET", "/scorecards.csv", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "\ufeffperiod,partner_id,partner,score") || !strings.Contains(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv %d %q", resp.StatusCode, string(b[:min(len(b), 80)]))
	}
	// The partner's own ranking is its own row.
	_, b = e.call(wPartner, "GET", "/api/v1/scorecards", "")
	r := decode[scorecards.Ranking](t, b)
	if len(r.Items) != 1 || r.Items[0].PartnerID != e.f.PartnerA.ID {
		t.Fatalf("partner ranking %+v", r.Items)
	}
	// Bad input names its field.
	resp, b = e.call(wBuyer, "GET", "/api/v1/scorecards?period=fortnight", "")
	if resp.StatusCode != 422 || !strings.Contains(string(b), `"period"`) {
		t.Fatalf("bad period %d %s", resp.StatusCode, b)
	}
	resp, b = e.call(wAdmin, "POST", "/api/v1/scorecards/recompute", `{"period":"month","day":"2999-01-01"}`)
	if resp.StatusCode != 422 || !strings.Contains(string(b), "not closed") {
		t.Fatalf("recompute of an open period %d %s", resp.StatusCode, b)
	}
}
