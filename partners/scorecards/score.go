package scorecards

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
