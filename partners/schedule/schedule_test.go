package schedule

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func runs(t *testing.T, s cron.Schedule, from, to time.Time) []time.Time {
	t.Helper()
	var out []time.Time
	for n := s.Next(from); !n.IsZero() && n.Before(to); n = s.Next(n) {
		out = append(out, n)
		if len(out) > 10000 {
			t.Fatal("runaway schedule")
		}
	}
	return out
}

func TestSpringForwardLosesNoDailyRun(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	from := time.Date(2026, 3, 6, 12, 0, 0, 0, la)
	to := time.Date(2026, 3, 9, 12, 0, 0, 0, la)
	spec := "CRON_TZ=America/Los_Angeles 30 2 * * *"
	raw, err := Parser.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	// The reason this package exists: robfig/cron alone never runs on
	// 8 March, when 02:30 does not exist in Los Angeles.
	t.Logf("robfig/cron alone: %v", runs(t, raw, from, to))
	s, err := Parse(spec, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	got := runs(t, s, from, to)
	want := []time.Time{
		time.Date(2026, 3, 7, 2, 30, 0, 0, la),
		time.Date(2026, 3, 8, 10, 30, 0, 0, time.UTC), // 03:30 PDT, an hour late rather than never
		time.Date(2026, 3, 9, 2, 30, 0, 0, la),
	}
	if len(got) != len(want) {
		t.Fatalf("runs %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("run %d at %v, want %v", i, got[i], want[i])
		}
	}
}

func TestFallBackRunsOnce(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	s, err := Parse("30 1 * * *", la) // the company zone applies
	if err != nil {
		t.Fatal(err)
	}
	got := runs(t, s, time.Date(2026, 10, 31, 12, 0, 0, 0, la), time.Date(2026, 11, 2, 12, 0, 0, 0, la))
	if len(got) != 2 {
		t.Fatalf("01:30 on the fall-back night ran %d times: %v", len(got), got)
	}
	if want := time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC); !got[0].Equal(want) { // 01:30 PDT, the first one
		t.Fatalf("ran at %v, want %v", got[0], want)
	}
	// Hourly: the repeated hour runs once, nothing runs twice.
	h, _ := Parse("0 * * * *", la)
	seen := map[string]bool{}
	for _, r := range runs(t, h, time.Date(2026, 11, 1, 0, 0, 0, 0, la), time.Date(2026, 11, 1, 4, 0, 0, 0, la)) {
		k := r.In(la).Format("15:04")
		if seen[k] {
			t.Fatalf("%s ran twice", k)
		}
		seen[k] = true
	}
}

func TestEveryIsAlignedAcrossInstances(t *testing.T) {
	s, err := Parse("@every 1m", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Next(time.Date(2026, 1, 1, 10, 0, 7, 0, time.UTC))
	b := s.Next(time.Date(2026, 1, 1, 10, 0, 41, 500, time.UTC))
	if !a.Equal(b) || !a.Equal(time.Date(2026, 1, 1, 10, 1, 0, 0, time.UTC)) {
		t.Fatalf("two instances disagree on the tick: %v and %v", a, b)
	}
}

func TestLatest(t *testing.T) {
	s, _ := Parse("30 8 * * 1-5", time.UTC)
	mon := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) // a Monday
	if got, ok := Latest(s, mon, mon.Add(8*time.Hour+29*time.Minute), 8*24*time.Hour); ok {
		t.Fatalf("nothing due before 08:30, got %v", got)
	}
	// Down all week: one digest, the latest.
	got, ok := Latest(s, mon, mon.Add(4*24*time.Hour+9*time.Hour), 8*24*time.Hour)
	if !ok || !got.Equal(time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)) {
		t.Fatalf("latest %v %v", got, ok)
	}
	// A long-stale start is cut to the look-back.
	every, _ := Parse("* * * * * *", time.UTC)
	if got, ok := Latest(every, time.Time{}, mon, time.Minute); !ok || !got.Equal(mon) {
		t.Fatalf("latest %v %v", got, ok)
	}
}

func TestBadSpecRefused(t *testing.T) {
	// "TZ=" alone panics robfig/cron v3.0.1's parser (found by FuzzParseSpec).
	for _, spec := range []string{"", "61 * * * *", "CRON_TZ=Mars/Base * * * * *", "every day", "TZ=", "CRON_TZ=Asia/Shanghai"} {
		if _, err := Parse(spec, time.UTC); err == nil {
			t.Errorf("spec %q accepted", spec)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"30 8 * * 1-5", "CRON_TZ=Asia/Shanghai 30 8 * * 1-5", "@every 1m", "*/5 * * * * *", "TZ=America/Los_Angeles 0 2 * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := Parse(spec, time.UTC)
		if err == nil {
			start := time.Date(2026, 3, 8, 1, 59, 0, 0, time.UTC)
			if n := sched.Next(start); !n.IsZero() && !n.After(start) {
				t.Fatalf("next %v is not after %v", n, start)
			}
		}
	})
}
