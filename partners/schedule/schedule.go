// Package schedule reads cron specs the way Tierlink runs them: five
// fields with optional seconds, descriptors, a time zone per spec, and
// wall-clock semantics across daylight-saving changes, so that a daily
// run set inside the hour that spring-forward skips happens once, late,
// instead of not at all.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Parser accepts 5-field specs with an optional leading seconds field,
// descriptors like @hourly, and CRON_TZ=/TZ= prefixes.
var Parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// MaxLen is the longest spec accepted.
const MaxLen = 200

// Parse reads spec; a spec without its own time zone runs in loc.
// robfig/cron v3.0.1 panics on a TZ= or CRON_TZ= prefix with nothing
// after it, so that shape is refused first, and any other panic in the
// parser becomes an error instead of taking the process down.
func Parse(spec string, loc *time.Location) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("unreadable schedule %q", spec)
		}
	}()
	if len(spec) > MaxLen {
		return nil, fmt.Errorf("schedule is longer than %d characters", MaxLen)
	}
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(spec, " ") {
		return nil, errors.New("a time zone prefix must be followed by a space and a schedule")
	}
	s, err := Parser.Parse(spec)
	if err != nil {
		return nil, err
	}
	return wrap(s, loc), nil
}

// wrap gives a parsed schedule the semantics Tierlink wants.
func wrap(s cron.Schedule, loc *time.Location) cron.Schedule {
	switch s := s.(type) {
	case *cron.SpecSchedule:
		zone := s.Location
		if zone == time.Local || zone == nil {
			zone = loc
		}
		utc := *s
		utc.Location = time.UTC
		return wall{spec: &utc, loc: zone}
	case cron.ConstantDelaySchedule:
		return aligned{every: s.Delay}
	}
	return s
}

// wall evaluates a spec on the wall clock of loc: the spec runs on a
// zone-free calendar and each wall time it yields is then placed in loc.
// A wall time that does not exist (the spring-forward gap) lands an hour
// later; a wall time that happens twice
// (fall-back) runs at its first occurrence only, as Vixie cron does.
// robfig/cron on its own skips the gap's runs entirely, which would
// silently drop a day's digest.
type wall struct {
	spec *cron.SpecSchedule
	loc  *time.Location
}

// Next returns the first run strictly after t.
func (w wall) Next(t time.Time) time.Time {
	clock := wallClock(t.In(w.loc))
	for range 8 {
		n := w.spec.Next(clock)
		if n.IsZero() {
			return n
		}
		r := time.Date(n.Year(), n.Month(), n.Day(), n.Hour(), n.Minute(), n.Second(), 0, w.loc)
		// In the spring-forward gap Go names a time on the old offset's
		// side; move it by however far its wall clock is off, which
		// puts it the same distance past the jump.
		if off := n.Sub(wallClock(r)); off > 0 {
			r = r.Add(off)
		}
		if r.After(t) {
			return r
		}
		// The repeated hour of fall-back: this wall time already ran.
		clock = n
	}
	return time.Time{}
}

func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// aligned runs every d on multiples of d since the zero time, so that
// every instance computes the same ticks whenever it started — the tick
// is how instances agree who runs it. (robfig's @every counts from each
// process's own start.)
type aligned struct{ every time.Duration }

// Next returns the first multiple of the interval after t.
func (a aligned) Next(t time.Time) time.Time {
	every := max(a.every, time.Second)
	return t.Truncate(every).Add(every)
}

// Latest returns the last run of s in (after, now], if there is one. It
// looks back at most lookback from now, so a schedule that fires every
// second and a long-stale after do not loop for long.
func Latest(s cron.Schedule, after, now time.Time, lookback time.Duration) (time.Time, bool) {
	if from := now.Add(-lookback); after.Before(from) {
		after = from
	}
	var last time.Time
	for t := s.Next(after); !t.IsZero() && !t.After(now); t = s.Next(t) {
		last = t
	}
	return last, !last.IsZero()
}
