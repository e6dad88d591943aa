package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/viewer"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSchedulerRunsAsSystemAndStopsWaiting(t *testing.T) {
	s := New(quiet(), time.UTC)
	var runs atomic.Int32
	var sawSystem atomic.Bool
	release := make(chan struct{})
	if err := s.Add(Job{Name: "tick", Spec: "* * * * * *", Run: func(ctx context.Context) (int, error) {
		v, _ := viewer.FromContext(ctx)
		sawSystem.Store(v.IsSystem())
		runs.Add(1)
		<-release
		return 1, nil
	}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if runs.Load() == 0 || !sawSystem.Load() {
		t.Fatalf("runs %d, system %v", runs.Load(), sawSystem.Load())
	}
	// Stop waits for the running job.
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(context.Background()) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a job was running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 1 {
		t.Fatalf("overlapping runs were not skipped: %d", runs.Load())
	}
}

func TestSchedulerRecoversPanics(t *testing.T) {
	s := New(quiet(), time.UTC)
	var runs atomic.Int32
	s.Add(Job{Name: "boom", Spec: "* * * * * *", Run: func(context.Context) (int, error) {
		if runs.Add(1) == 1 {
			panic("boom")
		}
		return 0, errors.New("failed politely")
	}})
	s.Start()
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop(context.Background())
	if runs.Load() < 2 {
		t.Fatal("scheduler died with the panicking job")
	}
}

func TestBadSpecRefused(t *testing.T) {
	s := New(quiet(), time.UTC)
	// "TZ=" alone panics robfig/cron v3.0.1's parser (found by FuzzParseSpec).
	for _, spec := range []string{"", "61 * * * *", "CRON_TZ=Mars/Base * * * * *", "every day", "TZ=", "CRON_TZ=Asia/Shanghai"} {
		if err := s.Add(Job{Name: "x", Spec: spec, Run: func(context.Context) (int, error) { return 0, nil }}); err == nil {
			t.Errorf("spec %q accepted", spec)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"30 8 * * 1-5", "CRON_TZ=Asia/Shanghai 30 8 * * 1-5", "@every 1m", "*/5 * * * * *", "TZ=America/Los_Angeles 0 2 * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := ParseSpec(spec)
		if err == nil {
			sched.Next(time.Date(2026, 3, 8, 1, 59, 0, 0, time.UTC))
		}
	})
}
