// Package jobs runs Tierlink's scheduled work on robfig/cron. Every
// instance schedules every job; before a tick runs, the instance claims
// (job, tick) in the run ledger with an insert only one instance can win,
// so each tick runs exactly once however many instances there are. Job
// bodies call the partners domain as the system viewer.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/jobrun"
	"github.com/tierlink/tierlink/ent/jobstate"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/schedule"
)

// Missed says what happens to ticks that passed while every instance was
// down.
type Missed string

// Policies for missed ticks.
const (
	CatchUp Missed = "catch_up" // run once at start-up, for the latest missed tick
	Skip    Missed = "skip"     // wait for the next tick
)

// Job is one piece of scheduled work.
type Job struct {
	Name   string
	About  string
	Spec   string
	Missed Missed
	// Run does the work of one tick.
	Run func(ctx context.Context, t Tick) (Result, error)
}

// Tick is the run a job body is asked to do.
type Tick struct {
	// At is the scheduled time; for a manual run, when it was asked for.
	At time.Time
	// Manual says an administrator asked for this run: a job whose work
	// waits on its own schedules (the digest) does it now.
	Manual bool
}

// Result is what a run reports to the ledger.
type Result struct {
	Items int
	// Message tells people what the run found and did, a catalogue
	// message a line; the ledger keeps it to render in each reader's
	// language, and its English as the run's report.
	Message i18n.Lines
}

// Scheduler runs jobs on their cron specs through the run ledger.
type Scheduler struct {
	client   *ent.Client
	cron     *cron.Cron
	log      *slog.Logger
	loc      *time.Location
	instance string
	entries  []*entry
	byName   map[string]*entry
	ctx      context.Context
	cancel   context.CancelFunc
	side     sync.WaitGroup // manual and catch-up runs, which cron does not track
	now      func() time.Time
}

type entry struct {
	job     Job
	sched   cron.Schedule
	ticks   *ticks
	busy    sync.Mutex // held while the job runs on this instance
	running atomic.Bool
}

// New returns a scheduler writing its ledger through client. loc is the
// company time zone specs run in unless they name their own; instance
// names this process in the ledger.
func New(client *ent.Client, log *slog.Logger, loc *time.Location, instance string) *Scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	cl := cronLogger{log}
	return &Scheduler{
		client: client, log: log, loc: loc, instance: instance, byName: map[string]*entry{}, ctx: ctx, cancel: cancel, now: time.Now,
		// The runner skips a tick that finds the job still running and
		// recovers panics innermost, around the job body, so a panic is
		// recorded as a failed run; cron's own Recover is the net for
		// anything outside.
		cron: cron.New(cron.WithLocation(loc), cron.WithLogger(cl), cron.WithChain(cron.Recover(cl))),
	}
}

// Add registers a job.
func (s *Scheduler) Add(j Job) error {
	sched, err := schedule.Parse(j.Spec, s.loc)
	if err != nil {
		return fmt.Errorf("job %s: bad schedule %q: %w", j.Name, j.Spec, err)
	}
	if _, dup := s.byName[j.Name]; dup {
		return fmt.Errorf("job %s registered twice", j.Name)
	}
	if j.Missed == "" {
		j.Missed = Skip
	}
	e := &entry{job: j, sched: sched, ticks: &ticks{inner: sched}}
	s.cron.Schedule(e.ticks, cron.FuncJob(func() {
		tick, ok := e.ticks.due(time.Now())
		if !ok {
			return
		}
		_, _ = s.run(e, tick, jobrun.TriggerSchedule, "", nil)
	}))
	s.entries = append(s.entries, e)
	s.byName[j.Name] = e
	return nil
}

// Start begins running jobs, first catching up the ticks missed while
// every instance was down, for the jobs whose policy says so.
func (s *Scheduler) Start() {
	s.cron.Start()
	s.side.Add(1)
	go func() {
		defer s.side.Done()
		s.catchUp()
	}()
}

// Stop stops scheduling and waits for running jobs; once ctx ends it
// cancels their context and still waits for them to return.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		<-s.cron.Stop().Done()
		s.side.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done
		return ctx.Err()
	}
}

func (s *Scheduler) system() context.Context {
	return viewer.NewContext(s.ctx, viewer.System("jobs"))
}

// catchUp runs, once, the latest missed tick of each catch-up job. A job
// that never ran has missed nothing. If another instance is running, its
// last tick is recent and there is nothing to catch up — or it claims the
// same tick and one of the two inserts loses.
func (s *Scheduler) catchUp() {
	ctx := s.system()
	for _, e := range s.entries {
		if e.job.Missed != CatchUp {
			continue
		}
		last, err := s.client.JobRun.Query().Where(jobrun.Job(e.job.Name), jobrun.TriggerNEQ(jobrun.TriggerManual)).
			Order(ent.Desc(jobrun.FieldTick)).First(ctx)
		if ent.IsNotFound(err) {
			continue
		} else if err != nil {
			s.log.Error("job catch-up: reading the ledger failed", "job", e.job.Name, "err", err)
			continue
		}
		tick, ok := schedule.Latest(e.sched, last.Tick, s.now(), 31*24*time.Hour)
		if !ok {
			continue
		}
		s.log.Info("job missed a tick while every instance was down; running it once", "job", e.job.Name, "tick", tick)
		_, _ = s.run(e, tick, jobrun.TriggerCatchUp, "", nil)
	}
}

// Errors of a run that did not start.
var (
	errBusy    = errors.New("still running")
	errClaimed = errors.New("claimed by another instance")
	errPaused  = errors.New("paused")
)

// run claims a tick and, if the claim wins, runs the job. With started
// set, the run goes on in the background once claimed and started gets
// the ledger row; otherwise run returns when the job does.
func (s *Scheduler) run(e *entry, tick time.Time, trigger jobrun.Trigger, by string, started chan<- *ent.JobRun) (*ent.JobRun, error) {
	name := e.job.Name
	if !e.busy.TryLock() {
		s.log.Warn("job run skipped: the previous run is still going", "job", name, "tick", tick, "trigger", trigger)
		return nil, errBusy
	}
	unlock := true
	defer func() {
		if unlock {
			e.busy.Unlock()
		}
	}()
	ctx := viewer.NewContext(s.ctx, viewer.System("job:"+name))
	if trigger != jobrun.TriggerManual {
		st, err := s.client.JobState.Query().Where(jobstate.Job(name)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			s.log.Error("job run skipped: reading its state failed", "job", name, "err", err)
			return nil, err
		}
		if st != nil && st.Paused {
			s.log.Info("job paused; tick skipped", "job", name, "tick", tick)
			return nil, errPaused
		}
	}
	// Ticks are stored in UTC: SQLite compares the text, and two
	// instances must write the same text for the same instant.
	row, err := s.client.JobRun.Create().SetJob(name).SetTick(tick.UTC()).SetTrigger(trigger).SetInstance(s.instance).
		SetStartedAt(s.now()).SetRequestedBy(by).Save(ctx)
	if ent.IsConstraintError(err) {
		s.log.Debug("job tick claimed by another instance", "job", name, "tick", tick)
		return nil, errClaimed
	} else if err != nil {
		s.log.Error("job run skipped: claiming the tick failed", "job", name, "tick", tick, "err", err)
		return nil, err
	}
	if started == nil {
		return s.execute(ctx, e, row), nil
	}
	unlock = false
	s.side.Add(1)
	go func() {
		defer s.side.Done()
		defer e.busy.Unlock()
		s.execute(ctx, e, row)
	}()
	started <- row
	return row, nil
}

// execute runs a claimed tick and records how it ended; the record is
// written even when shutdown cut the run short.
func (s *Scheduler) execute(ctx context.Context, e *entry, row *ent.JobRun) *ent.JobRun {
	e.running.Store(true)
	defer e.running.Store(false)
	start := time.Now()
	res, err := call(ctx, e.job, Tick{At: row.Tick.In(s.loc), Manual: row.Trigger == jobrun.TriggerManual})
	u := s.client.JobRun.UpdateOne(row).SetEndedAt(s.now()).SetItems(res.Items)
	if len(res.Message) > 0 {
		u.SetReport(clip(i18n.For(i18n.English).RenderLines(res.Message), 20000))
		if raw, merr := json.Marshal(res.Message); merr == nil {
			u.SetMessage(raw)
		} else {
			s.log.Error("job report message not recorded", "job", e.job.Name, "err", merr)
		}
	}
	if err != nil {
		u.SetOutcome(jobrun.OutcomeFailed).SetError(clip(err.Error(), 2000))
		s.log.Error("job failed", "job", e.job.Name, "tick", row.Tick, "trigger", row.Trigger, "err", err, "duration_ms", time.Since(start).Milliseconds())
	} else {
		u.SetOutcome(jobrun.OutcomeOk)
		s.log.Info("job done", "job", e.job.Name, "tick", row.Tick, "trigger", row.Trigger, "items", res.Items, "duration_ms", time.Since(start).Milliseconds())
	}
	done, uerr := u.Save(context.WithoutCancel(ctx))
	if uerr != nil {
		s.log.Error("job outcome not recorded", "job", e.job.Name, "run", row.ID, "err", uerr)
		return row
	}
	return done
}

// call runs the job body, turning a panic into an error.
func call(ctx context.Context, j Job, tick Tick) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return j.Run(ctx, tick)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ticks hands cron the schedule and remembers the times it handed out,
// so that a run knows which tick it is for — robfig/cron does not say —
// and the tick, not the moment the timer fired, is what instances claim.
type ticks struct {
	inner  cron.Schedule
	mu     sync.Mutex
	handed []time.Time
}

// Next implements cron.Schedule.
func (t *ticks) Next(now time.Time) time.Time {
	n := t.inner.Next(now)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.handed) >= 16 {
		t.handed = t.handed[1:]
	}
	t.handed = append(t.handed, n)
	return n
}

// due takes the latest handed-out time that has come, dropping older
// ones.
func (t *ticks) due(now time.Time) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var best time.Time
	keep := t.handed[:0]
	for _, h := range t.handed {
		if h.After(now) {
			keep = append(keep, h)
		} else if h.After(best) {
			best = h
		}
	}
	t.handed = keep
	return best, !best.IsZero()
}

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// notFound is the error for a job name nobody registered.
func notFound(name string) error {
	return &partners.Error{Code: partners.ENotFound, Message: fmt.Sprintf("no job is named %q", name)}
}
