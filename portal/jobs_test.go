package portal

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners/groups"
)

func TestJobsOverTheAPI(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	resp, b := e.call(wViewer, "GET", "/api/v1/jobs", "")
	l := decode[jobs.JobList](t, b)
	if resp.StatusCode != 200 || len(l.Items) < 9 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	names := map[string]jobs.Info{}
	for _, j := range l.Items {
		names[j.Name] = j
	}
	for _, want := range []string{"group-digests", "ack-reminders", "stale-shipments", "certificate-expiry", "contact-transfers", "storage-sweep", "dead-letter-report"} {
		if j, ok := names[want]; !ok || j.Next == nil || j.About == "" {
			t.Errorf("job %s missing or incomplete: %+v", want, j)
		}
	}
	if names["group-digests"].Missed != "catch_up" || names["session-purge"].Missed != "skip" {
		t.Errorf("missed-tick policies not shown: %+v", names)
	}
	// Pause, run by hand (allowed while paused), see the run end, resume.
	resp, b = e.call(wAdmin, "POST", "/api/v1/jobs/dead-letter-report/pause", "")
	if resp.StatusCode != 200 || !decode[jobs.Info](t, b).Paused {
		t.Fatalf("pause %d %s", resp.StatusCode, b)
	}
	resp, b = e.call(wAdmin, "POST", "/api/v1/jobs/dead-letter-report/run", "")
	run := decode[jobs.Run](t, b)
	if resp.StatusCode != 202 || run.Trigger != "manual" || run.RequestedBy != "admin@co.test" {
		t.Fatalf("run %d %s", resp.StatusCode, b)
	}
	var d jobs.Detail
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, b = e.call(wBuyer, "GET", "/api/v1/jobs/dead-letter-report?limit=5", "")
		d = decode[jobs.Detail](t, b)
		if len(d.Runs.Items) == 1 && d.Runs.Items[0].Outcome != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not end: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := d.Runs.Items[0]; r.ID != run.ID || r.Outcome != "ok" || !strings.HasPrefix(r.Report, "no undelivered") || !d.Paused {
		t.Fatalf("detail %+v", d)
	}
	resp, b = e.call(wAdmin, "POST", "/api/v1/jobs/dead-letter-report/resume", "")
	if resp.StatusCode != 200 || decode[jobs.Info](t, b).Paused {
		t.Fatalf("resume %d %s", resp.StatusCode, b)
	}
	// Pausing is audited.
	_, b = e.call(wAdmin, "GET", "/api/v1/audit?entity_type=job", "")
	if !strings.Contains(string(b), "dead-letter-report") {
		t.Errorf("pause not in the audit trail: %.300s", b)
	}
	// The HTML page lists the jobs and the run.
	resp, b = e.call(wAdmin, "GET", "/admin/jobs/dead-letter-report", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), fmt.Sprintf(`id="run-%d"`, run.ID)) {
		t.Fatalf("job page %d", resp.StatusCode)
	}
}

func TestDigestSettingsOnTheGroupPage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	v := e.orderVars()
	resp, b := e.call(wBuyer, "GET", "/groups/"+v["GRP"], "")
	// The schedule reads in words; its cron string is for the job
	// settings, not for the people in the group.
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="digest-form"`) || !strings.Contains(string(b), `<span class="schedule">weekdays at 08:30</span>`) {
		t.Fatalf("group page %d lacks the digest form or its schedule in words", resp.StatusCode)
	}
	if strings.Contains(string(b), groups.DefaultDigestSchedule) {
		t.Fatalf("group page shows the cron string %q", groups.DefaultDigestSchedule)
	}
	before := e.f.Snapshot(t, "sessions")
	resp, b = e.call(wBuyer, "POST", "/groups/"+v["GRP"]+"/digest", "digest_enabled=true&digest_quiet=true&digest_schedule=61+*+*+*+*")
	if resp.StatusCode != 422 || !strings.Contains(string(b), "digest_schedule") {
		t.Fatalf("bad schedule: %d %.300s", resp.StatusCode, b)
	}
	e.f.Unchanged(t, before, "sessions")
	resp, _ = e.call(wBuyer, "POST", "/groups/"+v["GRP"]+"/digest", "digest_enabled=true&digest_quiet=true&digest_schedule=CRON_TZ%3DEurope%2FBerlin+0+9+*+*+1")
	if resp.StatusCode != 303 {
		t.Fatalf("save %d", resp.StatusCode)
	}
	_, b = e.call(wPartner, "GET", "/api/v1/groups/"+v["GRP"], "")
	g := decode[groups.Group](t, b)
	if g.Digest.Schedule != "CRON_TZ=Europe/Berlin 0 9 * * 1" || !g.Digest.Quiet || !g.Digest.Enabled || g.Digest.Next == nil {
		t.Fatalf("digest %+v", g.Digest)
	}
	// A partner member sees the group but not the settings form.
	_, b = e.call(wPartner, "GET", "/groups/"+v["GRP"], "")
	if strings.Contains(string(b), `id="digest-form"`) {
		t.Fatal("partner user sees the digest settings")
	}
}

// Run by hand, the digest job posts every group's digest now, whatever
// the groups' schedules say.
func TestRunDigestsByHand(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	v := e.orderVars()
	resp, b := e.call(wAdmin, "POST", "/api/v1/jobs/group-digests/run", "")
	if resp.StatusCode != 202 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, b = e.call(wPartner, "GET", "/api/v1/groups/"+v["GRP"]+"/posts?limit=100", "")
		if strings.Contains(string(b), `"event_kind":"digest"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no digest in the feed: %.500s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(string(b), "PO-M1") {
		t.Errorf("the digest does not name the open order: %.800s", b)
	}
}

// The partner page sets the ordering rules, including the block on a
// lapsed mandatory certificate; bad values name their field.
func TestOrderingRulesForm(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	a := fmt.Sprint(e.f.PartnerA.ID)
	resp, b := e.call(wBuyer, "GET", "/partners/"+a, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="ordering-form"`) {
		t.Fatalf("partner page %d lacks the ordering form", resp.StatusCode)
	}
	before := e.f.Snapshot(t, "sessions")
	resp, b = e.call(wBuyer, "POST", "/partners/"+a+"/ordering", "ack_sla_hours=0&over_delivery_pct=5")
	if resp.StatusCode != 422 || !strings.Contains(string(b), "ack_sla_hours") {
		t.Fatalf("bad SLA: %d %.300s", resp.StatusCode, b)
	}
	e.f.Unchanged(t, before, "sessions")
	resp, _ = e.call(wBuyer, "POST", "/partners/"+a+"/ordering", "ack_sla_hours=48&over_delivery_pct=5&block_on_lapsed_certificate=1")
	if resp.StatusCode != 303 {
		t.Fatalf("save %d", resp.StatusCode)
	}
	p, err := e.f.Dir.Partner(e.f.Ctx(e.f.Buyer), e.f.PartnerA.ID)
	if err != nil || p.AckSLAHours != 48 || p.OverDeliveryPct != 5 || !p.BlockOnLapsedCertificate {
		t.Fatalf("partner %+v %v", p, err)
	}
	if _, b := e.call(wPartner, "GET", "/partners/"+a, ""); strings.Contains(string(b), `id="ordering-form"`) {
		t.Fatal("a partner user sees the ordering form")
	}
}
