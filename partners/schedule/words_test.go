package schedule

import (
	"testing"
	"time"
)

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		spec string
		want Phrase
		ok   bool
	}{
		{"30 8 * * 1-5", Phrase{Cadence: Weekdays, Hour: 8, Minute: 30}, true},
		{"0 7 * * *", Phrase{Cadence: Daily, Hour: 7}, true},
		{"0 9 * * 1", Phrase{Cadence: Weekly, Weekday: time.Monday, Hour: 9}, true},
		{"0 9 * * MON", Phrase{Cadence: Weekly, Weekday: time.Monday, Hour: 9}, true},
		{"0 9 * * 7", Phrase{Cadence: Weekly, Weekday: time.Sunday, Hour: 9}, true},
		{"17 3 * * *", Phrase{Cadence: Daily, Hour: 3, Minute: 17}, true},
		{"20 0 * * *", Phrase{Cadence: Daily, Minute: 20}, true},
		{"7 * * * *", Phrase{Cadence: Hourly, Minute: 7}, true},
		{"41 * * * *", Phrase{Cadence: Hourly, Minute: 41}, true},
		{"*/5 * * * *", Phrase{Cadence: Interval, Every: 5 * time.Minute}, true},
		{"@hourly", Phrase{Cadence: Hourly}, true},
		{"@daily", Phrase{Cadence: Daily}, true},
		{"@every 1m", Phrase{Cadence: Interval, Every: time.Minute}, true},
		{"CRON_TZ=Asia/Shanghai 30 8 * * 1-5", Phrase{}, false},
		{"0 8 1 * *", Phrase{}, false},
		{"0 8,12 * * *", Phrase{}, false},
		{"0 8 * * 1,3", Phrase{}, false},
		{"0 24 * * *", Phrase{}, false},
		{"", Phrase{}, false},
	} {
		got, ok := Describe(c.spec)
		if ok != c.ok || got != c.want {
			t.Errorf("Describe(%q) = %+v, %v; want %+v, %v", c.spec, got, ok, c.want, c.ok)
		}
	}
	if p, _ := Describe("30 8 * * 1-5"); p.Clock() != "08:30" {
		t.Errorf("clock = %s", p.Clock())
	}
}

func TestSpecRoundTrips(t *testing.T) {
	for _, c := range []struct{ days, clock, want string }{
		{"weekdays", "08:30", "30 8 * * 1-5"},
		{"daily", "07:00", "0 7 * * *"},
		{"1", "09:00", "0 9 * * 1"},
		{"0", "23:59", "59 23 * * 0"},
	} {
		got, ok := Spec(c.days, c.clock)
		if !ok || got != c.want {
			t.Errorf("Spec(%s, %s) = %q, %v", c.days, c.clock, got, ok)
		}
		if _, err := Parse(got, time.UTC); err != nil {
			t.Errorf("%q does not parse: %v", got, err)
		}
		if _, ok := Describe(got); !ok {
			t.Errorf("%q cannot be worded", got)
		}
	}
	for _, bad := range [][2]string{{"weekdays", "8:3"}, {"daily", "24:00"}, {"7", "08:00"}, {"sometimes", "08:00"}, {"daily", ""}} {
		if s, ok := Spec(bad[0], bad[1]); ok {
			t.Errorf("Spec(%v) = %q, want refused", bad, s)
		}
	}
}

func FuzzDescribe(f *testing.F) {
	for _, s := range []string{"30 8 * * 1-5", "@every 1m", "*/5 * * * *", "0 9 * * MON"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, ok := Describe(spec)
		if ok && p.Cadence == 0 {
			t.Fatalf("%q worded without a cadence", spec)
		}
	})
}
