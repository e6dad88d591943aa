package scorecards

import (
	"math"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func TestScoreReweightsAroundMissingData(t *testing.T) {
	m := Metrics{AckWithinSLA: ratio(3, 4), OTIF: ratio(1, 2), ChangeRate: ratio(1, 4)}
	// (25*75 + 30*50 + 10*75) / 65
	got := Score(m, DefaultWeights)
	if want := (25*75.0 + 30*50 + 10*75) / 65; got == nil || math.Abs(*got-want) > 1e-9 {
		t.Fatalf("score %v, want %v", got, want)
	}
	if s := Score(Metrics{}, DefaultWeights); s != nil {
		t.Fatalf("no data scored %v", *s)
	}
	for _, tc := range []struct {
		s    *float64
		want string
	}{{nil, ""}, {f(0), "very_poor"}, {f(29.99), "very_poor"}, {f(30), "poor"}, {f(50), "average"}, {f(79.9), "average"}, {f(80), "excellent"}, {f(100), "excellent"}} {
		if got := Standing(tc.s); got != tc.want {
			t.Errorf("standing(%v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestPeriods(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC) // 09:00 Wednesday in Shanghai
	w, _ := PeriodOf(Week, at, sh)
	if w.Label() != "2026-W48" || !w.Start.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, sh)) {
		t.Fatalf("week %+v %s", w, w.Label())
	}
	q, _ := PeriodOf(Quarter, at, sh)
	if q.Label() != "2026-Q4" || !q.End.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, sh)) {
		t.Fatalf("quarter %+v", q)
	}
	ps, _ := Last(Month, at, sh, 12)
	if len(ps) != 12 || ps[0].Label() != "2025-12" || ps[11].Label() != "2026-11" {
		t.Fatalf("last 12 months %s … %s", ps[0].Label(), ps[11].Label())
	}
	for i := 1; i < len(ps); i++ {
		if !ps[i].Start.Equal(ps[i-1].End) {
			t.Fatalf("gap between %s and %s", ps[i-1].Label(), ps[i].Label())
		}
	}
	if _, err := PeriodOf("fortnight", at, sh); err == nil {
		t.Fatal("fortnight accepted")
	}
}

func TestParseWeights(t *testing.T) {
	w, err := ParseWeights(" otif=50, changes=0 ")
	if err != nil || w.OTIF != 50 || w.NoChanges != 0 || w.AckWithinSLA != DefaultWeights.AckWithinSLA {
		t.Fatalf("%+v %v", w, err)
	}
	for _, bad := range []string{"otif", "otif=x", "speed=3", "otif=-1", "otif=0,ack=0,replies=0,freshness=0,notice=0,changes=0"} {
		if _, err := ParseWeights(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
