package scorecards

import (
	"fmt"
	"strconv"
	"strings"
)

// Weights say how much each metric counts in the composite score.
type Weights struct {
	AckWithinSLA float64 `json:"ack_within_sla"`
	OTIF         float64 `json:"otif"`
	Freshness    float64 `json:"freshness"`
	NoticeAhead  float64 `json:"notice_ahead"`
	Replies      float64 `json:"replies_same_day"`
	NoChanges    float64 `json:"no_changes"`
}

// DefaultWeights favour delivering (OTIF) and answering orders on time;
// the rest round out the picture.
var DefaultWeights = Weights{AckWithinSLA: 25, OTIF: 30, Freshness: 10, NoticeAhead: 10, Replies: 15, NoChanges: 10}

// Score folds the metrics into 0–100: the weighted mean of the metrics
// that have data, each as a percentage (changes counted as their
// absence). Metrics without data drop out and the rest are re-weighted;
// with none at all the score is nil — "no data", never 0 or 100.
func Score(m Metrics, w Weights) *float64 {
	var sum, weights float64
	add := func(r Ratio, weight float64, invert bool) {
		if r.Value == nil || weight <= 0 {
			return
		}
		v := *r.Value
		if invert {
			v = 1 - v
		}
		sum += weight * 100 * v
		weights += weight
	}
	add(m.AckWithinSLA, w.AckWithinSLA, false)
	add(m.OTIF, w.OTIF, false)
	add(m.Freshness, w.Freshness, false)
	add(m.NoticeAhead, w.NoticeAhead, false)
	add(m.Replies, w.Replies, false)
	add(m.ChangeRate, w.NoChanges, true)
	if weights == 0 {
		return nil
	}
	s := sum / weights
	return &s
}

// Standing names a score's band: very_poor below 30, poor below 50,
// average below 80, excellent from 80; "" for no data.
func Standing(score *float64) string {
	switch {
	case score == nil:
		return ""
	case *score < 30:
		return "very_poor"
	case *score < 50:
		return "poor"
	case *score < 80:
		return "average"
	}
	return "excellent"
}

// ParseWeights reads "otif=30,ack=25,replies=15,freshness=10,notice=10,changes=10";
// names left out keep their default weight, 0 leaves a metric out.
func ParseWeights(v string) (Weights, error) {
	w := DefaultWeights
	if strings.TrimSpace(v) == "" {
		return w, nil
	}
	for part := range strings.SplitSeq(v, ",") {
		name, num, ok := strings.Cut(strings.TrimSpace(part), "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if !ok || err != nil || f < 0 || f > 1000 {
			return w, fmt.Errorf("%q is not name=weight (a number from 0 to 1000)", part)
		}
		switch strings.TrimSpace(name) {
		case "otif":
			w.OTIF = f
		case "ack":
			w.AckWithinSLA = f
		case "replies":
			w.Replies = f
		case "freshness":
			w.Freshness = f
		case "notice":
			w.NoticeAhead = f
		case "changes":
			w.NoChanges = f
		default:
			return w, fmt.Errorf("no metric is named %q (otif, ack, replies, freshness, notice, changes)", name)
		}
	}
	if w.OTIF+w.AckWithinSLA+w.Replies+w.Freshness+w.NoticeAhead+w.NoChanges == 0 {
		return w, fmt.Errorf("at least one weight must be above 0")
	}
	return w, nil
}
