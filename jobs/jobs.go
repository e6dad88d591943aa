// Package jobs runs Tierlink's scheduled work on robfig/cron: each job is
// a named function that calls the partners domain as the system viewer.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
)

// Job is one piece of scheduled work.
type Job struct {
	Name string
	Spec string
	Run  func(ctx context.Context) (items int, err error)
}

// Scheduler runs jobs on their cron specs.
type Scheduler struct {
	cron *cron.Cron
	log  *slog.Logger
	jobs []Job
	ctx  context.Context
	stop context.CancelFunc
}

// Parser accepts 5-field specs with an optional leading seconds field,
// descriptors like @hourly, and CRON_TZ=/TZ= prefixes.
var Parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// New returns a scheduler; loc is the company time zone specs run in
// unless they name their own.
func New(log *slog.Logger, loc *time.Location) *Scheduler {
	ctx, stop := context.WithCancel(context.Background())
	cl := cronLogger{log}
	return &Scheduler{
		cron: cron.New(cron.WithParser(Parser), cron.WithLocation(loc), cron.WithLogger(cl),
			// Skip-if-running outside, Recover innermost: a panicking run
			// is logged and its slot freed.
			cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl))),
		log: log, ctx: ctx, stop: stop,
	}
}

// ParseSpec parses a schedule as the scheduler will run it. robfig/cron
// v3.0.1 panics on a TZ= or CRON_TZ= prefix with nothing after it, so that
// shape is refused first, and any other panic in the parser becomes an
// error instead of taking the process down.
func ParseSpec(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("unreadable schedule %q", spec)
		}
	}()
	if len(spec) > 200 {
		return nil, errors.New("schedule is longer than 200 characters")
	}
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(spec, " ") {
		return nil, errors.New("a time zone prefix must be followed by a space and a schedule")
	}
	return Parser.Parse(spec)
}

// Add registers a job.
func (s *Scheduler) Add(j Job) error {
	sched, err := ParseSpec(j.Spec)
	if err != nil {
		return fmt.Errorf("job %s: bad schedule %q: %w", j.Name, j.Spec, err)
	}
	s.cron.Schedule(sched, cron.FuncJob(func() {
		ctx := viewer.NewContext(s.ctx, viewer.System("job:"+j.Name))
		start := time.Now()
		n, err := j.Run(ctx)
		if err != nil {
			s.log.Error("job failed", "job", j.Name, "err", err, "duration_ms", time.Since(start).Milliseconds())
			return
		}
		s.log.Info("job done", "job", j.Name, "items", n, "duration_ms", time.Since(start).Milliseconds())
	}))
	s.jobs = append(s.jobs, j)
	return nil
}

// Start begins running jobs.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling, cancels running jobs' context once ctx ends, and
// waits for them to return.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	select {
	case <-done.Done():
		s.stop()
		return nil
	case <-ctx.Done():
		s.stop()
		<-done.Done()
		return ctx.Err()
	}
}

// Standard returns the standing jobs: scheduled contact transfers, the
// purge of expired sessions, and the sweep of orphan document objects.
func Standard(client *ent.Client, dir *directory.Service, acc *accounts.Service, docs *documents.Service) []Job {
	return []Job{
		{Name: "contact-transfers", Spec: "@every 1m", Run: func(ctx context.Context) (int, error) {
			done, failed, err := dir.RunDueTransfers(ctx)
			return done + failed, err
		}},
		{Name: "session-purge", Spec: "@hourly", Run: func(ctx context.Context) (int, error) {
			return acc.PurgeSessions(ctx)
		}},
		{Name: "idempotency-purge", Spec: "@hourly", Run: func(ctx context.Context) (int, error) {
			return partners.PurgeIdempotencyKeys(ctx, client, time.Now())
		}},
		{Name: "storage-sweep", Spec: "17 3 * * *", Run: func(ctx context.Context) (int, error) {
			return docs.Sweep(ctx, 6*time.Hour)
		}},
	}
}

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
