package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/jobrun"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Every report message with a count has a singular and a plural in
// English, and none falls back to "(s)".
func TestJobReportMessagesHavePlurals(t *testing.T) {
	en := i18n.For(i18n.English)
	n := 0
	for _, k := range i18n.Keys(i18n.English) {
		if !strings.HasPrefix(k, "job_report.") {
			continue
		}
		one, two := en.N(k, 1, nil), en.N(k, 2, nil)
		if strings.Contains(one+two, "(s)") {
			t.Errorf("%s: %q / %q", k, one, two)
		}
		if strings.Contains(one, "{{") || one == k {
			t.Errorf("%s does not render: %q", k, one)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d job_report keys", n)
	}
	for _, c := range []struct{ key, one, many string }{
		{"job_report.transfers", "1 transfer done, 0 failed", "2 transfers done, 0 failed"},
		{"job_report.orphans_removed", "1 orphan object removed", "2 orphan objects removed"},
		{"job_report.periods_snapshotted", "1 period snapshotted", "2 periods snapshotted"},
		{"job_report.sessions_purged", "1 expired session deleted", "2 expired sessions deleted"},
	} {
		one := en.Render(i18n.N(c.key, 1).With("Failed", 0))
		many := en.Render(i18n.N(c.key, 2).With("Failed", 0))
		if one != c.one || many != c.many {
			t.Errorf("%s: %q / %q, want %q / %q", c.key, one, many, c.one, c.many)
		}
	}
}

// The ledger purge reports what it marked and deleted in words of both
// languages, and the scheduler stores the message with its English.
func TestLedgerPurgeReport(t *testing.T) {
	db := dbtest.Open(t, "sqlite3")
	c := db.Client
	now := time.Now()
	c.JobRun.Create().SetJob("x").SetTick(now.Add(-7 * time.Hour).UTC()).SetTrigger(jobrun.TriggerSchedule).SetStartedAt(now.Add(-7 * time.Hour)).ExecX(sysCtx())
	for i := range 2 {
		at := now.Add(-time.Duration(100+i) * 24 * time.Hour)
		c.JobRun.Create().SetJob("x").SetTick(at.UTC()).SetTrigger(jobrun.TriggerSchedule).SetStartedAt(at).SetOutcome(jobrun.OutcomeOk).ExecX(sysCtx())
	}
	res, err := purgeLedger(sysCtx(), c, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := i18n.For(i18n.English).RenderLines(res.Message); got != "1 run marked abandoned, 2 old runs and 0 old notice records deleted" {
		t.Errorf("English: %q", got)
	}
	if got := i18n.For(i18n.Chinese).RenderLines(res.Message); got != "1 次运行标记为已放弃，删除了 2 条旧运行记录和 0 条旧通知记录" {
		t.Errorf("Chinese: %q", got)
	}
}
