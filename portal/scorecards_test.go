package portal

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
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
	// A name a spreadsheet would run as a formula is written as text.
	if _, err := e.f.Dir.CreatePartner(e.f.Ctx(e.f.Buyer), directory.PartnerInput{Code: "EVIL", Name: "=HYPERLINK(\"http://x.test\",\"A\")", Kind: "supplier"}); err != nil {
		t.Fatal(err)
	}
	_, b = e.call(wBuyer, "GET", "/scorecards.csv", "")
	if !strings.Contains(string(b), `"'=HYPERLINK(""http://x.test"",""A"")"`) {
		t.Fatalf("formula cell not escaped:\n%s", b)
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

// The pages added with jobs, digests, ordering rules and scorecards answer
// malformed, unknown, oversize and missing input with a clear 4xx page —
// never a 500 — and change nothing.
func TestNewPagesRefuseBadInput(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	v := e.orderVars()
	a := fmt.Sprint(e.f.PartnerA.ID)
	for _, tc := range []struct {
		w            who
		method, path string
		body         string
		want         int
	}{
		{wBuyer, "GET", "/scorecards/abc", "", 404},
		{wBuyer, "GET", "/scorecards/999999", "", 404},
		{wBuyer, "GET", "/scorecards/1e3", "", 404},
		{wBuyer, "GET", "/scorecards?period=fortnight", "", 422},
		{wBuyer, "GET", "/scorecards?frobnicate=1", "", 422},
		{wBuyer, "GET", "/scorecards?sort=price", "", 422},
		{wBuyer, "GET", "/scorecards?tier=9", "", 422},
		{wBuyer, "GET", "/scorecards?category=" + strings.Repeat("c", 81), "", 422},
		{wBuyer, "GET", "/scorecards.csv?period=x", "", 422},
		{wBuyer, "GET", "/scorecards/owners?period=x", "", 422},
		{wBuyer, "GET", "/scorecards/" + a + "?period=day", "", 422},
		{wBuyer, "GET", "/admin/jobs/no-such-job", "", 404},
		{wBuyer, "GET", "/admin/jobs/Session-Purge", "", 404},
		{wBuyer, "GET", "/admin/jobs/session-purge?cursor=!!!", "", 422},
		{wBuyer, "GET", "/admin/jobs/session-purge?limit=501", "", 422},
		{wAdmin, "POST", "/admin/jobs/no-such-job/run", "x=1", 404},
		{wAdmin, "POST", "/admin/jobs/no-such-job/pause", "x=1", 404},
		{wBuyer, "POST", "/groups/" + v["GRP"] + "/digest", "enabled=1&schedule=" + strings.Repeat("*", 201), 422},
		{wBuyer, "POST", "/groups/999999/digest", "enabled=1", 404},
		{wBuyer, "POST", "/partners/" + a + "/ordering", "ack_sla_hours=abc&over_delivery_pct=0", 422},
		{wBuyer, "POST", "/partners/" + a + "/ordering", "ack_sla_hours=24&over_delivery_pct=101", 422},
		{wBuyer, "POST", "/partners/" + a + "/ordering", "", 422},
		{wBuyer, "POST", "/partners/999999/ordering", "ack_sla_hours=24&over_delivery_pct=0", 404},
	} {
		t.Run(tc.method+" "+tc.path[:min(len(tc.path), 60)], func(t *testing.T) {
			resp, b := e.call(tc.w, tc.method, tc.path, tc.body)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.want, b)
			}
		})
	}
	// Nothing was changed by the refusals.
	p, _ := e.f.Dir.Partner(e.f.Ctx(e.f.Buyer), e.f.PartnerA.ID)
	if p.AckSLAHours != 24 || p.OverDeliveryPct != 0 || p.BlockOnLapsedCertificate {
		t.Fatalf("partner changed by refused forms: %+v", p)
	}
	g, _ := e.f.Groups.Group(e.f.Ctx(e.f.Buyer), partnerstest.Atoi(t, v["GRP"]))
	if g.Digest.Schedule != "" {
		t.Fatalf("digest changed by a refused form: %+v", g.Digest)
	}
}
