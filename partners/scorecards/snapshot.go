package scorecards

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/scorecardsnapshot"
	"github.com/tierlink/tierlink/partners"
)

// Kinds are the period kinds snapshotted.
var Kinds = []scorecardsnapshot.PeriodKind{Week, Month, Quarter}

// Snapshot computes period p for every partner and stores the result,
// replacing any earlier snapshot of p, in one transaction. It returns
// how many partners it stored.
func (s *Service) Snapshot(ctx context.Context, p Period) (int, error) {
	sys := partners.AsSystem(ctx, "scorecards")
	ms, err := s.Compute(sys, p, p.End)
	if err != nil {
		return 0, err
	}
	// Every partner gets a row, with "no data" where it had no business:
	// the snapshot says the period was looked at.
	ids, err := s.client.Partner.Query().IDs(sys)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if ms[id] == nil {
			ms[id] = &Metrics{PartnerID: id}
		}
	}
	start, end := p.Start.UTC(), p.End.UTC()
	err = partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		if _, err := c.ScorecardSnapshot.Delete().Where(scorecardsnapshot.PeriodKindEQ(p.Kind),
			scorecardsnapshot.PeriodStart(start)).Exec(sys); err != nil {
			return err
		}
		rows := make([]*ent.ScorecardSnapshotCreate, 0, len(ms))
		now := time.Now()
		for _, m := range ms {
			var raw map[string]any
			b, _ := json.Marshal(m)
			if err := json.Unmarshal(b, &raw); err != nil {
				return err
			}
			score := Score(*m, s.Weights)
			rows = append(rows, c.ScorecardSnapshot.Create().SetPartnerID(m.PartnerID).SetPeriodKind(p.Kind).
				SetPeriodStart(start).SetPeriodEnd(end).SetMetrics(raw).SetNillableScore(score).SetStanding(Standing(score)).SetComputedAt(now))
		}
		for lo := 0; lo < len(rows); lo += 500 {
			if err := c.ScorecardSnapshot.CreateBulk(rows[lo:min(lo+500, len(rows))]...).Exec(sys); err != nil {
				return err
			}
		}
		return nil
	})
	return len(ms), err
}

// SnapshotClosed stores, for each kind, the closed periods among the last
// twelve that have no snapshot yet — the scheduled job. Closed periods
// already stored are left as they were: history does not shift.
func (s *Service) SnapshotClosed(ctx context.Context, now time.Time) (int, error) {
	sys := partners.AsSystem(ctx, "scorecards")
	done := 0
	for _, kind := range Kinds {
		cur, err := PeriodOf(kind, now, s.loc)
		if err != nil {
			return done, err
		}
		ps, _ := Last(kind, cur.Prev().Start, s.loc, 12)
		for _, p := range ps {
			n, err := s.client.ScorecardSnapshot.Query().Where(scorecardsnapshot.PeriodKindEQ(kind),
				scorecardsnapshot.PeriodStart(p.Start.UTC())).Count(sys)
			if err != nil {
				return done, err
			}
			if n > 0 {
				continue
			}
			if _, err := s.Snapshot(sys, p); err != nil {
				return done, err
			}
			done++
		}
	}
	return done, nil
}

// Stored returns a partner's snapshot of p, or nil when p was never
// snapshotted or the partner had no data in it.
func (s *Service) Stored(ctx context.Context, partnerID int, p Period) (*Metrics, error) {
	row, err := s.client.ScorecardSnapshot.Query().Where(scorecardsnapshot.PartnerID(partnerID),
		scorecardsnapshot.PeriodKindEQ(p.Kind), scorecardsnapshot.PeriodStart(p.Start.UTC())).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(row.Metrics)
	var m Metrics
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// storedAll returns every partner's snapshot of p.
func (s *Service) storedAll(ctx context.Context, p Period) (map[int]*Metrics, error) {
	rows, err := s.client.ScorecardSnapshot.Query().Where(scorecardsnapshot.PeriodKindEQ(p.Kind),
		scorecardsnapshot.PeriodStart(p.Start.UTC())).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*Metrics, len(rows))
	for _, r := range rows {
		b, _ := json.Marshal(r.Metrics)
		var m Metrics
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		out[r.PartnerID] = &m
	}
	return out, nil
}
