package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/jobrun"
	"github.com/tierlink/tierlink/ent/notice"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/notify"
	"github.com/tierlink/tierlink/partners/schedule"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/status"
	"github.com/tierlink/tierlink/partners/wecom"
)

// Services are what the standard jobs call.
type Services struct {
	Client    *ent.Client
	Directory *directory.Service
	Accounts  *accounts.Service
	Documents *documents.Service
	Status    *status.Service
	// Scorecards snapshot closed periods.
	Scorecards *scorecards.Service
	// WeCom syncs external contacts; nil when WeCom is not configured.
	WeCom *wecom.Service
	// WeComTransfers carries hand-overs out in WeCom; nil likewise.
	WeComTransfers *wecom.Transfers
	// WeComBehaviour reads WeCom's daily figures; nil likewise.
	WeComBehaviour *wecom.Behaviour
	// Notify sends the daily notification digests.
	Notify *notify.Service
}

// Ledger retention.
const (
	keepRuns      = 90 * 24 * time.Hour
	keepNotices   = 400 * 24 * time.Hour
	abandonedFrom = 6 * time.Hour
)

// Standard returns Tierlink's jobs with their default schedules; specs
// overrides a schedule by job name.
func Standard(svc Services, specs map[string]string) ([]Job, error) {
	fromStatus := func(fn func(context.Context, time.Time) (status.Result, error)) func(context.Context, Tick) (Result, error) {
		return func(ctx context.Context, _ Tick) (Result, error) {
			r, err := fn(ctx, time.Now())
			return Result{Items: r.Posted, Message: r.Message}, err
		}
	}
	js := []Job{
		{Name: "group-digests", Spec: "@every 1m", Missed: CatchUp,
			About: "Posts each group's status digest on the group's own schedule (default weekdays 08:30)",
			Run: func(ctx context.Context, t Tick) (Result, error) {
				// Run by hand, every group gets its digest now.
				fn := svc.Status.Digests
				if t.Manual {
					fn = svc.Status.DigestsNow
				}
				return fromStatus(fn)(ctx, t)
			}},
		{Name: "ack-reminders", Spec: "*/5 * * * *", Missed: CatchUp,
			About: "Reminds partners of orders unacknowledged past their SLA; escalates to owners at twice the SLA",
			Run:   fromStatus(svc.Status.AckReminders)},
		{Name: "stale-shipments", Spec: "7 * * * *", Missed: CatchUp,
			About: "Asks for an update on shipments in transit with none for 48 hours",
			Run:   fromStatus(svc.Status.StaleShipments)},
		{Name: "certificate-expiry", Spec: "0 7 * * *", Missed: CatchUp,
			About: "Warns partners' groups 30, 7 and 0 days before a certificate expires",
			Run:   fromStatus(svc.Status.CertificateExpiry)},
		{Name: "contact-transfers", Spec: "@every 1m", Missed: CatchUp,
			About: "Carries out scheduled contact ownership transfers whose time has come",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				done, failed, err := svc.Directory.RunDueTransfers(ctx)
				return Result{Items: done + failed, Message: i18n.Lines{i18n.N("job_report.transfers", done).With("Failed", failed)}}, err
			}},
		{Name: "wecom-sync", Spec: "23 * * * *", Missed: CatchUp,
			About: "Reads WeCom's external contacts into the directory: partners matched, owners picked, removals marked; resumes a sync cut short",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				if svc.WeCom == nil {
					return Result{Message: i18n.Lines{i18n.M("job_report.wecom_off")}}, nil
				}
				r, err := svc.WeCom.Sync(ctx)
				return Result{Items: r.Created + r.Changed + r.Removed, Message: r.Message()}, err
			}},
		{Name: "wecom-transfers", Spec: "*/10 * * * *", Missed: CatchUp,
			About: "Carries contact hand-overs out in WeCom (at most 100 a call), checks waiting ones and moves leavers' customer groups; a batch cut short is settled from WeCom's records, never sent twice",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				if svc.WeComTransfers == nil {
					return Result{Message: i18n.Lines{i18n.M("job_report.wecom_off")}}, nil
				}
				r, err := svc.WeComTransfers.Run(ctx)
				return Result{Items: r.Sent + r.Settled + r.Groups, Message: r.Message()}, err
			}},
		{Name: "wecom-reconcile", Spec: "40 2 * * *", Missed: CatchUp,
			About: "Nightly: compares WeCom's external contacts with what the callbacks applied (a full, idempotent sync) and reports the drift and the callback events still pending or given up on",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				if svc.WeCom == nil {
					return Result{Message: i18n.Lines{i18n.M("job_report.wecom_off")}}, nil
				}
				r, err := svc.WeCom.Reconcile(ctx)
				return Result{Items: r.Drift(), Message: r.Message()}, err
			}},
		{Name: "wecom-behaviour", Spec: "50 2 * * *", Missed: CatchUp,
			About: "Daily: reads WeCom's figures of each staff member linked to WeCom for the days since the last complete one (contact statistics and customer-group statistics), and reports the hand-overs WeCom refused in the last 24 hours",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				if svc.WeComBehaviour == nil {
					return Result{Message: i18n.Lines{i18n.M("job_report.wecom_off")}}, nil
				}
				r, err := svc.WeComBehaviour.Run(ctx)
				return Result{Items: r.Days + len(r.Failures), Message: r.Message()}, err
			}},
		{Name: "storage-sweep", Spec: "17 3 * * *", Missed: CatchUp,
			About: "Removes stored objects no document version refers to (left by crashed uploads)",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				n, err := svc.Documents.Sweep(ctx, 6*time.Hour)
				return Result{Items: n, Message: i18n.Lines{i18n.N("job_report.orphans_removed", n)}}, err
			}},
		{Name: "dead-letter-report", Spec: "0 8 * * *", Missed: CatchUp,
			About: "Reports the bridge messages given up on in the last 24 hours",
			Run:   fromStatus(svc.Status.DeadLetters)},
		{Name: "scorecard-snapshots", Spec: "20 0 * * *", Missed: CatchUp,
			About: "Snapshots each closed week, month and quarter's scorecards, so history does not shift",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				n, err := svc.Scorecards.SnapshotClosed(ctx, time.Now())
				return Result{Items: n, Message: i18n.Lines{i18n.N("job_report.periods_snapshotted", n)}}, err
			}},
		{Name: "mail-digest", Spec: "2 * * * *", Missed: Skip,
			About: "Hourly: queues the daily notification digest of each user whose local time is 08:00, at most one a day",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				if svc.Notify == nil {
					return Result{}, nil
				}
				r, err := svc.Notify.Digests(ctx, time.Now())
				return Result{Items: r.Sent, Message: r.Message()}, err
			}},
		{Name: "session-purge", Spec: "@hourly", Missed: Skip,
			About: "Deletes expired sessions",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				n, err := svc.Accounts.PurgeSessions(ctx)
				return Result{Items: n, Message: i18n.Lines{i18n.N("job_report.sessions_purged", n)}}, err
			}},
		{Name: "idempotency-purge", Spec: "@hourly", Missed: Skip,
			About: "Forgets Idempotency-Key answers past their 24 hours; a key naming the record its work created is kept, without the answer, while that record exists",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				n, err := partners.PurgeIdempotencyKeys(ctx, svc.Client, time.Now())
				return Result{Items: n, Message: i18n.Lines{i18n.N("job_report.idempotency_purged", n)}}, err
			}},
		{Name: "ledger-purge", Spec: "41 * * * *", Missed: Skip,
			About: "Marks runs whose instance died as abandoned; deletes runs after 90 days and sent-notice records after 400",
			Run: func(ctx context.Context, _ Tick) (Result, error) {
				return purgeLedger(ctx, svc.Client, time.Now())
			}},
	}
	for name, spec := range specs {
		found := false
		for i := range js {
			if js[i].Name == name {
				js[i].Spec, found = spec, true
			}
		}
		if !found {
			return nil, fmt.Errorf("no job is named %q", name)
		}
	}
	return js, nil
}

// ParseSchedules reads "name=spec;name=spec" overrides of job schedules.
func ParseSchedules(s string, loc *time.Location) (map[string]string, error) {
	out := map[string]string{}
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, spec, ok := strings.Cut(part, "=")
		name, spec = strings.TrimSpace(name), strings.TrimSpace(spec)
		if !ok || name == "" || spec == "" {
			return nil, fmt.Errorf("%q is not name=schedule", part)
		}
		if _, err := schedule.Parse(spec, loc); err != nil {
			return nil, fmt.Errorf("job %s: %w", name, err)
		}
		out[name] = spec
	}
	return out, nil
}

func purgeLedger(ctx context.Context, c *ent.Client, now time.Time) (Result, error) {
	abandoned, err := c.JobRun.Update().Where(jobrun.OutcomeEQ(jobrun.OutcomeRunning), jobrun.StartedAtLT(now.Add(-abandonedFrom))).
		SetOutcome(jobrun.OutcomeAbandoned).SetError("the instance running it stopped before it ended").Save(ctx)
	if err != nil {
		return Result{}, err
	}
	runs, err := c.JobRun.Delete().Where(jobrun.StartedAtLT(now.Add(-keepRuns))).Exec(ctx)
	if err != nil {
		return Result{}, err
	}
	notices, err := c.Notice.Delete().Where(notice.CreatedAtLT(now.Add(-keepNotices))).Exec(ctx)
	if err != nil {
		return Result{}, err
	}
	deleted := i18n.M("job_report.ledger_deleted").With("Runs", i18n.N("job_report.old_runs", runs)).
		With("Notices", i18n.N("job_report.old_notices", notices))
	return Result{Items: abandoned + runs + notices,
		Message: i18n.Lines{i18n.N("job_report.ledger_purge", abandoned).With("Deleted", deleted)}}, nil
}
