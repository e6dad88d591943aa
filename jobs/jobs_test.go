package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/jobrun"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sysCtx() context.Context { return viewer.NewContext(context.Background(), viewer.System("test")) }

func adminCtx() context.Context {
	return viewer.NewContext(context.Background(), viewer.Viewer{UserID: 1, Role: viewer.RoleAdmin, Label: "ada@co.test"})
}

func runs(t *testing.T, c *ent.Client, job string) []*ent.JobRun {
	t.Helper()
	rs, err := c.JobRun.Query().Where(jobrun.Job(job)).Order(ent.Asc(jobrun.FieldTick)).All(sysCtx())
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSchedulerRunsAsSystemAndStopsWaiting(t *testing.T) {
	db := dbtest.Open(t, "sqlite3")
	s := New(db.Client, quiet(), time.UTC, "a")
	var n atomic.Int32
	var sawSystem atomic.Bool
	release := make(chan struct{})
	if err := s.Add(Job{Name: "tick", Spec: "* * * * * *", Run: func(ctx context.Context, _ Tick) (Result, error) {
		v, _ := viewer.FromContext(ctx)
		sawSystem.Store(v.IsSystem())
		n.Add(1)
		<-release
		return Result{Items: 1}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	waitFor(t, "a run", func() bool { return n.Load() > 0 })
	if !sawSystem.Load() {
		t.Fatal("job did not run as the system")
	}
	// Stop waits for the running job.
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(context.Background()) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a job was running")
	case <-time.After(1500 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	// The ticks that found the job running were skipped, not queued.
	if n.Load() != 1 {
		t.Fatalf("overlapping runs were not skipped: %d", n.Load())
	}
	rs := runs(t, db.Client, "tick")
	if len(rs) != 1 || rs[0].Outcome != jobrun.OutcomeOk || rs[0].Items != 1 || rs[0].Instance != "a" || rs[0].EndedAt == nil ||
		rs[0].Tick.Nanosecond() != 0 || rs[0].Trigger != jobrun.TriggerSchedule {
		t.Fatalf("ledger %+v", rs)
	}
}

func TestPanicIsRecordedAndTheSchedulerCarriesOn(t *testing.T) {
	db := dbtest.Open(t, "sqlite3")
	s := New(db.Client, quiet(), time.UTC, "a")
	var n atomic.Int32
	s.Add(Job{Name: "boom", Spec: "* * * * * *", Run: func(context.Context, Tick) (Result, error) {
		if n.Add(1) == 1 {
			panic("boom")
		}
		return Result{}, errors.New("failed politely")
	}})
	s.Start()
	waitFor(t, "two runs", func() bool { return n.Load() >= 2 })
	s.Stop(context.Background())
	rs := runs(t, db.Client, "boom")
	if len(rs) < 2 || rs[0].Outcome != jobrun.OutcomeFailed || !strings.HasPrefix(rs[0].Error, "panic: boom") ||
		rs[1].Outcome != jobrun.OutcomeFailed || rs[1].Error != "failed politely" {
		t.Fatalf("ledger %+v", rs)
	}
}

// Two schedulers on one database: every tick runs once, on one of them.
func TestEachTickRunsOnceAcrossInstances(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			db := dbtest.Open(t, d)
			var mu sync.Mutex
			seen := map[time.Time]int{}
			job := Job{Name: "beat", Spec: "* * * * * *", Run: func(_ context.Context, tick Tick) (Result, error) {
				mu.Lock()
				seen[tick.At.UTC()]++
				mu.Unlock()
				return Result{}, nil
			}}
			a, b := New(db.Client, quiet(), time.UTC, "a"), New(db.Client, quiet(), time.UTC, "b")
			a.Add(job)
			b.Add(job)
			a.Start()
			b.Start()
			time.Sleep(4500 * time.Millisecond)
			a.Stop(context.Background())
			b.Stop(context.Background())
			rs := runs(t, db.Client, "beat")
			if len(rs) < 3 {
				t.Fatalf("only %d runs in 4.5 s", len(rs))
			}
			for i, r := range rs {
				if seen[r.Tick.UTC()] != 1 {
					t.Errorf("tick %v ran %d times", r.Tick, seen[r.Tick.UTC()])
				}
				if i > 0 && !r.Tick.Equal(rs[i-1].Tick.Add(time.Second)) {
					t.Errorf("gap between ticks %v and %v", rs[i-1].Tick, r.Tick)
				}
			}
			if len(seen) != len(rs) {
				t.Errorf("%d ticks ran, ledger has %d", len(seen), len(rs))
			}
		})
	}
}

func TestMissedTicksFollowThePolicy(t *testing.T) {
	db := dbtest.Open(t, "sqlite3")
	ctx := sysCtx()
	now := time.Now().UTC()
	// Both jobs last ran three hours ago; every instance was down since.
	for _, name := range []string{"catch", "skip"} {
		db.Client.JobRun.Create().SetJob(name).SetTick(now.Add(-3 * time.Hour).Truncate(time.Hour)).SetTrigger(jobrun.TriggerSchedule).
			SetOutcome(jobrun.OutcomeOk).ExecX(ctx)
	}
	var catches, skips atomic.Int32
	var caught atomic.Value
	mk := func(inst string) *Scheduler {
		s := New(db.Client, quiet(), time.UTC, inst)
		s.Add(Job{Name: "catch", Spec: "0 * * * *", Missed: CatchUp, Run: func(_ context.Context, tick Tick) (Result, error) {
			catches.Add(1)
			caught.Store(tick.At)
			return Result{}, nil
		}})
		s.Add(Job{Name: "skip", Spec: "0 * * * *", Missed: Skip, Run: func(context.Context, Tick) (Result, error) {
			skips.Add(1)
			return Result{}, nil
		}})
		s.Add(Job{Name: "never-ran", Spec: "0 * * * *", Missed: CatchUp, Run: func(context.Context, Tick) (Result, error) {
			t.Error("a job with no history has missed nothing")
			return Result{}, nil
		}})
		return s
	}
	// Two instances start together: the catch-up runs once.
	a, b := mk("a"), mk("b")
	a.Start()
	b.Start()
	a.Stop(context.Background())
	b.Stop(context.Background())
	if catches.Load() != 1 || skips.Load() != 0 {
		t.Fatalf("catch-up ran %d times, skip-policy job %d times", catches.Load(), skips.Load())
	}
	want := now.Truncate(time.Hour)
	if got := caught.Load().(time.Time); !got.Equal(want) {
		t.Fatalf("caught up tick %v, want the latest missed %v", got, want)
	}
	rs := runs(t, db.Client, "catch")
	if len(rs) != 2 || rs[1].Trigger != jobrun.TriggerCatchUp {
		t.Fatalf("ledger %+v", rs)
	}
	l, err := a.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l.Items[0].Missed != "catch_up" || l.Items[1].Missed != "skip" || l.Items[0].Next == nil || l.Items[0].Last == nil {
		t.Fatalf("list %+v", l.Items)
	}
}

func TestPauseRunNowAndResume(t *testing.T) {
	db := dbtest.Open(t, "sqlite3")
	s := New(db.Client, quiet(), time.UTC, "a")
	var n atomic.Int32
	gate := make(chan struct{}, 10)
	s.Add(Job{Name: "beat", Spec: "* * * * * *", Run: func(context.Context, Tick) (Result, error) {
		n.Add(1)
		<-gate
		return Result{Items: 2, Message: i18n.Lines{i18n.N("job_report.orphans_removed", 2)}}, nil
	}})
	viewerCtx := viewer.NewContext(context.Background(), viewer.Viewer{UserID: 3, Role: viewer.RoleViewer, Label: "vi"})
	if _, err := s.SetPaused(viewerCtx, "beat", true); partners.ErrorCode(err) != partners.EForbidden {
		t.Fatalf("a viewer paused a job: %v", err)
	}
	if _, err := s.SetPaused(adminCtx(), "nope", true); partners.ErrorCode(err) != partners.ENotFound {
		t.Fatalf("unknown job: %v", err)
	}
	if d, err := s.Job(sysCtx(), "beat", RunFilter{}); err != nil || d.Paused {
		t.Fatalf("after the refused pauses: %+v %v", d.Info, err)
	}
	info, err := s.SetPaused(adminCtx(), "beat", true)
	if err != nil || !info.Paused {
		t.Fatalf("pause: %+v %v", info, err)
	}
	s.Start()
	defer s.Stop(context.Background())
	time.Sleep(2200 * time.Millisecond)
	if n.Load() != 0 {
		t.Fatalf("a paused job ran %d times", n.Load())
	}
	// Run now works while paused, and a second press while it runs is a
	// conflict.
	r, err := s.RunNow(adminCtx(), "beat", false)
	if err != nil || r.Trigger != "manual" || r.RequestedBy != "ada@co.test" || r.Outcome != "running" {
		t.Fatalf("run now: %+v %v", r, err)
	}
	if _, err := s.RunNow(adminCtx(), "beat", false); partners.ErrorCode(err) != partners.EConflict {
		t.Fatalf("second run now while running: %v", err)
	}
	gate <- struct{}{}
	waitFor(t, "the manual run to end", func() bool {
		d, err := s.Job(sysCtx(), "beat", RunFilter{})
		return err == nil && len(d.Runs.Items) == 1 && d.Runs.Items[0].Outcome == "ok"
	})
	d, _ := s.Job(sysCtx(), "beat", RunFilter{})
	if r := d.Runs.Items[0]; r.Items != 2 || r.Report != "2 orphan objects removed" || len(r.Message) != 1 || r.Message[0].Key != "job_report.orphans_removed" || !d.Paused {
		t.Fatalf("detail %+v", d)
	}
	if _, err := s.SetPaused(adminCtx(), "beat", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a scheduled run after resume", func() bool { return n.Load() >= 2 })
	close(gate)
}

func TestLedgerPurge(t *testing.T) {
	db := dbtest.Open(t, "sqlite3")
	ctx := sysCtx()
	now := time.Now()
	c := db.Client
	c.JobRun.Create().SetJob("x").SetTick(now.Add(-100 * 24 * time.Hour).UTC()).SetTrigger(jobrun.TriggerSchedule).SetStartedAt(now.Add(-100 * 24 * time.Hour)).ExecX(ctx)
	stuck := c.JobRun.Create().SetJob("x").SetTick(now.Add(-7 * time.Hour).UTC()).SetTrigger(jobrun.TriggerSchedule).SetStartedAt(now.Add(-7 * time.Hour)).SaveX(ctx)
	live := c.JobRun.Create().SetJob("x").SetTick(now.UTC()).SetTrigger(jobrun.TriggerSchedule).SetStartedAt(now).SaveX(ctx)
	c.Notice.Create().SetKey("old").SetKind("k").SetCreatedAt(now.Add(-500 * 24 * time.Hour)).ExecX(ctx)
	c.Notice.Create().SetKey("new").SetKind("k").ExecX(ctx)
	res, err := purgeLedger(ctx, c, now)
	if err != nil || res.Items != 4 { // two abandoned (one of them also old), one old run, one old notice
		t.Fatalf("%+v %v", res, err)
	}
	rs := runs(t, c, "x")
	if len(rs) != 2 || rs[0].ID != stuck.ID || rs[0].Outcome != jobrun.OutcomeAbandoned || rs[1].ID != live.ID || rs[1].Outcome != jobrun.OutcomeRunning {
		t.Fatalf("ledger %+v", rs)
	}
	if n := c.Notice.Query().CountX(ctx); n != 1 {
		t.Fatalf("%d notices left", n)
	}
}

func TestSchedules(t *testing.T) {
	m, err := ParseSchedules(" group-digests = * * * * * * ; ack-reminders=CRON_TZ=Asia/Tokyo */2 * * * *", time.UTC)
	if err != nil || m["group-digests"] != "* * * * * *" || m["ack-reminders"] != "CRON_TZ=Asia/Tokyo */2 * * * *" {
		t.Fatalf("%v %v", m, err)
	}
	// Each refusal names what is wrong, so it cannot pass on another failure.
	for _, bad := range []struct{ in, want string }{
		{"group-digests", `"group-digests" is not name=schedule`},
		{"=* * * * *", `"=* * * * *" is not name=schedule`},
		{"x=61 * * * *", "job x: "},
		{"x=TZ=", "job x: "},
	} {
		if _, err := ParseSchedules(bad.in, time.UTC); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.in, err, bad.want)
		}
	}
	if _, err := Standard(Services{}, map[string]string{"no-such-job": "@hourly"}); err == nil || !strings.Contains(err.Error(), "no-such-job") {
		t.Fatalf("an override for an unknown job: %v", err)
	}
	js, err := Standard(Services{}, map[string]string{"group-digests": "@every 1s"})
	if err != nil {
		t.Fatal(err)
	}
	s := New(nil, quiet(), time.UTC, "a")
	for _, j := range js {
		if err := s.Add(j); err != nil {
			t.Fatal(err)
		}
		if j.About == "" || j.Missed == "" {
			t.Errorf("job %s lacks a description or a missed-tick policy", j.Name)
		}
	}
}

// The job list pages by offset over the registration order, and a job's
// runs by id, newest first: two at a time, each once.
func TestJobListAndRunsPage(t *testing.T) {
	db := dbtest.Open(t, "sqlite3")
	s := New(db.Client, quiet(), time.UTC, "a")
	var names []string
	for _, n := range []string{"e", "a", "d", "b", "c"} {
		names = append(names, n)
		if err := s.Add(Job{Name: n, Spec: "@every 1h", Run: func(context.Context, Tick) (Result, error) { return Result{}, nil }}); err != nil {
			t.Fatal(err)
		}
	}
	var listed []string
	cursor := ""
	for pages := 0; ; pages++ {
		l, err := s.ListPage(sysCtx(), JobFilter{Limit: 2, Cursor: cursor})
		if err != nil || len(l.Items) > 2 || pages > 5 {
			t.Fatalf("page %d: %+v, %v", pages, l, err)
		}
		for _, j := range l.Items {
			listed = append(listed, j.Name)
		}
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(listed, ",") != strings.Join(names, ",") {
		t.Fatalf("listed %v, want %v", listed, names)
	}
	var want []int
	for i := 0; i < 5; i++ {
		r, err := s.RunNow(adminCtx(), "a", true)
		if err != nil {
			t.Fatal(err)
		}
		want = append([]int{r.ID}, want...)
		time.Sleep(2 * time.Millisecond) // each manual run claims its own tick
	}
	var got []int
	cursor = ""
	for pages := 0; ; pages++ {
		d, err := s.Job(sysCtx(), "a", RunFilter{Limit: 2, Cursor: cursor})
		if err != nil || len(d.Runs.Items) > 2 || pages > 5 {
			t.Fatalf("runs page %d: %+v, %v", pages, d.Runs, err)
		}
		for _, r := range d.Runs.Items {
			got = append(got, r.ID)
		}
		if cursor = d.Runs.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("runs paged %v, want %v", got, want)
	}
	for _, bad := range []string{"@@", partners.EncodeCursor(map[string]int{"o": -1})} {
		_, err := s.ListPage(sysCtx(), JobFilter{Cursor: bad})
		partnerstest.WantField(t, err, partners.EInvalid, "cursor")
	}
	_, err := s.ListPage(sysCtx(), JobFilter{Limit: 201})
	partnerstest.WantField(t, err, partners.EInvalid, "limit")
}
