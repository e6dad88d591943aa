// Package scorecards measures how fast and how reliably each partner
// answers: acknowledgement times, change requests, on-time-in-full,
// replies in groups, folded into a composite score. Every metric is an
// SQL aggregate over one period, and every metric has a defined "no
// data" result that is never shown as 0% or 100%.
//
// Work in progress: periods, the aggregate queries and their tests.
// Snapshots, pages, the API and the benchmark follow.
package scorecards

import (
	"fmt"
	"time"

	"github.com/tierlink/tierlink/ent/scorecardsnapshot"
)

// Kinds of period, as snapshots store them.
const (
	Week    = scorecardsnapshot.PeriodKindWeek
	Month   = scorecardsnapshot.PeriodKindMonth
	Quarter = scorecardsnapshot.PeriodKindQuarter
)

// Period is a closed-open span of company calendar time.
type Period struct {
	Kind  scorecardsnapshot.PeriodKind `json:"kind"`
	Start time.Time                    `json:"start"`
	End   time.Time                    `json:"end"`
}

// Label names the period: 2026-W47, 2026-11, 2026-Q4.
func (p Period) Label() string {
	switch p.Kind {
	case Week:
		y, w := p.Start.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Quarter:
		return fmt.Sprintf("%d-Q%d", p.Start.Year(), (int(p.Start.Month())+2)/3)
	}
	return p.Start.Format("2006-01")
}

// PeriodOf returns the period of kind that contains t, in loc.
func PeriodOf(kind scorecardsnapshot.PeriodKind, t time.Time, loc *time.Location) (Period, error) {
	t = t.In(loc)
	y, m, d := t.Date()
	var start, end time.Time
	switch kind {
	case Week:
		wd := (int(t.Weekday()) + 6) % 7 // Monday is 0
		start = time.Date(y, m, d-wd, 0, 0, 0, 0, loc)
		end = start.AddDate(0, 0, 7)
	case Month:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		end = start.AddDate(0, 1, 0)
	case Quarter:
		start = time.Date(y, time.Month((int(m)-1)/3*3+1), 1, 0, 0, 0, 0, loc)
		end = start.AddDate(0, 3, 0)
	default:
		return Period{}, fmt.Errorf("period must be week, month or quarter, not %q", kind)
	}
	return Period{Kind: kind, Start: start, End: end}, nil
}

// Prev returns the period before p.
func (p Period) Prev() Period {
	q, _ := PeriodOf(p.Kind, p.Start.Add(-time.Nanosecond), p.Start.Location())
	return q
}

// Last returns the n periods of kind ending with the one containing t,
// oldest first.
func Last(kind scorecardsnapshot.PeriodKind, t time.Time, loc *time.Location, n int) ([]Period, error) {
	p, err := PeriodOf(kind, t, loc)
	if err != nil {
		return nil, err
	}
	out := make([]Period, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = p
		p = p.Prev()
	}
	return out, nil
}
