package scorecards

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent/scorecardsnapshot"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
)

// Point is one period of a trend.
type Point struct {
	Period   string   `json:"period"`
	Start    string   `json:"start"`
	Score    *float64 `json:"score"`
	OTIF     *float64 `json:"otif"`
	Standing string   `json:"standing,omitempty"`
}

// Card is one partner's scorecard: the period's metrics, its score and
// standing, and the trend over the twelve periods ending with it.
type Card struct {
	PartnerID   int          `json:"partner_id"`
	PartnerName string       `json:"partner_name"`
	Kind        partner.Kind `json:"kind"`
	Tier        *int         `json:"tier"`
	Period      string       `json:"period"`
	// PeriodKind is the kind of Period: week, month or quarter.
	PeriodKind scorecardsnapshot.PeriodKind `json:"period_kind"`
	// Active says the partner had any business in the period; a
	// partner without it shows "no data" throughout.
	Active   bool     `json:"active"`
	Metrics  Metrics  `json:"metrics"`
	Score    *float64 `json:"score"`
	Standing string   `json:"standing"`
	Trend    []Point  `json:"trend,omitempty"`
	// Contacts are the partner's people, what each did in the period.
	Contacts []ContactFigures `json:"contacts,omitempty"`
}

// HasData says whether any figure has something behind it: an order,
// a line, a shipment or a message of the period.
func (m Metrics) HasData() bool {
	for _, r := range []Ratio{m.AckWithinSLA, m.ChangeRate, m.OTIF, m.OnTime, m.InFull, m.NoticeAhead, m.Freshness, m.Replies} {
		if r.Den > 0 {
			return true
		}
	}
	for _, v := range []*float64{m.AckMedianHours, m.OldestOpenHours, m.NoticeLeadHours, m.FirstReplyHours} {
		if v != nil {
			return true
		}
	}
	return m.OpenOrders > 0 || len(m.PromiseDays) > 0
}

// CardQuery picks the period of a scorecard.
type CardQuery struct {
	Period scorecardsnapshot.PeriodKind `query:"period" validate:"omitempty,oneof=week month quarter"`
}

// metricsFor returns p's metrics for every partner: the stored snapshot
// of a closed period (history does not shift), or a live computation of
// the current one.
func (s *Service) metricsFor(ctx context.Context, p Period, now time.Time) (map[int]*Metrics, error) {
	if !p.End.After(now) {
		rows, err := s.storedAll(ctx, p)
		if err != nil || len(rows) > 0 {
			return rows, err
		}
	}
	asOf := now
	if p.End.Before(now) {
		asOf = p.End
	}
	return s.Compute(partners.AsSystem(ctx, "scorecards"), p, asOf)
}

// Card returns a partner's scorecard. A partner user reads its own and
// no other: others do not exist for it.
func (s *Service) Card(ctx context.Context, partnerID int, q CardQuery, now time.Time) (Card, error) {
	if err := partners.Validate(q); err != nil {
		return Card{}, err
	}
	v, _ := viewer.FromContext(ctx)
	if v.IsPartner() && v.PartnerID != partnerID {
		return Card{}, partners.NotFound("partner")
	}
	pa, err := s.client.Partner.Get(ctx, partnerID)
	if err != nil {
		return Card{}, err
	}
	kind := q.Period
	if kind == "" {
		kind = Month
	}
	ps, err := Last(kind, now, s.loc, 12)
	if err != nil {
		return Card{}, err
	}
	c := Card{PartnerID: pa.ID, PartnerName: pa.Name, Kind: pa.Kind, Tier: pa.Tier, Period: ps[len(ps)-1].Label(), PeriodKind: kind}
	for i, p := range ps {
		all, err := s.metricsFor(ctx, p, now)
		if err != nil {
			return Card{}, err
		}
		m := all[partnerID]
		if m == nil {
			m = &Metrics{PartnerID: partnerID}
		}
		score := Score(*m, s.Weights)
		c.Trend = append(c.Trend, Point{Period: p.Label(), Start: p.Start.Format("2006-01-02"), Score: score, OTIF: m.OTIF.Value, Standing: Standing(score)})
		if i == len(ps)-1 {
			c.Metrics, c.Score, c.Standing, c.Active = *m, score, Standing(score), m.HasData()
		}
	}
	cur := ps[len(ps)-1]
	asOf := now
	if cur.End.Before(now) {
		asOf = cur.End
	}
	if c.Contacts, err = s.contacts(ctx, partnerID, cur, asOf); err != nil {
		return Card{}, err
	}
	return c, nil
}

// RankFilter narrows and orders the ranking.
type RankFilter struct {
	Period   scorecardsnapshot.PeriodKind `query:"period" validate:"omitempty,oneof=week month quarter"`
	Kind     partner.Kind                 `query:"kind" validate:"omitempty,oneof=supplier customer logistics service"`
	Tier     int                          `query:"tier" validate:"omitempty,min=1,max=3"`
	Category string                       `query:"category" validate:"max=80"`
	OwnerID  int                          `query:"owner_id" validate:"omitempty,min=1"`
	Sort     string                       `query:"sort" validate:"omitempty,oneof=score -score otif -otif ack -ack replies -replies name -name"`
	Cursor   string                       `query:"cursor" validate:"max=200"`
	Limit    int                          `query:"limit" validate:"omitempty,min=1,max=200"`
}

// Ranking is one page of the partners' scorecards for one period.
type Ranking struct {
	// Period names the period (2026-W49, 2026-12, 2026-Q4) and
	// PeriodKind its kind, as resolved (month when none was asked for):
	// the one source of what a page, a filter and an export call it.
	Period     string                       `json:"period"`
	PeriodKind scorecardsnapshot.PeriodKind `json:"period_kind"`
	Items      []Card                       `json:"items"`
	NextCursor string                       `json:"next_cursor,omitempty"`
}

// Rank returns the partners' scorecards for the current period, a page
// at a time, best first unless asked otherwise; partners without any
// business in the period (Active false) sort after the rest, and those
// with no value for the sort key sort last, whatever the direction. A
// partner user gets its own row only.
func (s *Service) Rank(ctx context.Context, f RankFilter, now time.Time) (Ranking, error) {
	if err := partners.Validate(f); err != nil {
		return Ranking{}, err
	}
	kind := f.Period
	if kind == "" {
		kind = Month
	}
	p, err := PeriodOf(kind, now, s.loc)
	if err != nil {
		return Ranking{}, err
	}
	q := s.client.Partner.Query() // the privacy policy leaves a partner user its own
	if f.Kind != "" {
		q.Where(partner.KindEQ(f.Kind))
	}
	if f.Tier != 0 {
		q.Where(partner.Tier(f.Tier))
	}
	if f.OwnerID != 0 {
		q.Where(partner.HasContactsWith(contact.OwnerID(f.OwnerID)))
	}
	ps, err := q.Order(ent.Asc(partner.FieldID)).All(ctx)
	if err != nil {
		return Ranking{}, err
	}
	all, err := s.metricsFor(ctx, p, now)
	if err != nil {
		return Ranking{}, err
	}
	out := Ranking{Period: p.Label(), PeriodKind: p.Kind, Items: []Card{}}
	for _, pa := range ps {
		if f.Category != "" && !slices.ContainsFunc(pa.Categories, func(c string) bool { return strings.EqualFold(c, f.Category) }) {
			continue
		}
		m := all[pa.ID]
		if m == nil {
			m = &Metrics{PartnerID: pa.ID}
		}
		score := Score(*m, s.Weights)
		out.Items = append(out.Items, Card{PartnerID: pa.ID, PartnerName: pa.Name, Kind: pa.Kind, Tier: pa.Tier, Period: p.Label(),
			PeriodKind: p.Kind, Active: m.HasData(), Metrics: *m, Score: score, Standing: Standing(score)})
	}
	sortCards(out.Items, f.Sort)
	out.Items, out.NextCursor, err = partners.PageAt(out.Items, f.Cursor, partners.Limit(f.Limit, 50))
	return out, err
}

func sortCards(cs []Card, by string) {
	if by == "" {
		by = "-score"
	}
	desc := strings.HasPrefix(by, "-")
	key := strings.TrimPrefix(by, "-")
	val := func(c Card) *float64 {
		switch key {
		case "otif":
			return c.Metrics.OTIF.Value
		case "ack":
			return c.Metrics.AckWithinSLA.Value
		case "replies":
			return c.Metrics.Replies.Value
		}
		return c.Score
	}
	// Ties fall back to the partner's id, so that the order is the same
	// on every request and an offset cursor pages it exactly.
	slices.SortStableFunc(cs, func(a, b Card) int {
		// Partners with business in the period come first, whatever
		// the order asked for: the idle ones are folded away below them.
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		if key == "name" {
			r := strings.Compare(partners.SortKey(a.PartnerName), partners.SortKey(b.PartnerName))
			if desc {
				r = -r
			}
			if r == 0 {
				r = a.PartnerID - b.PartnerID
			}
			return r
		}
		va, vb := val(a), val(b)
		switch {
		case va == nil && vb == nil:
			if r := strings.Compare(a.PartnerName, b.PartnerName); r != 0 {
				return r
			}
			return a.PartnerID - b.PartnerID
		case va == nil:
			return 1 // no data last, either way
		case vb == nil:
			return -1
		}
		r := 0
		if *va < *vb {
			r = -1
		} else if *va > *vb {
			r = 1
		}
		if desc {
			r = -r
		}
		if r == 0 {
			r = strings.Compare(a.PartnerName, b.PartnerName)
		}
		if r == 0 {
			r = a.PartnerID - b.PartnerID
		}
		return r
	})
}

// RecomputeInput names a closed period to compute again.
type RecomputeInput struct {
	Period scorecardsnapshot.PeriodKind `json:"period" validate:"required,oneof=week month quarter"`
	Day    string                       `json:"day" validate:"required,datetime=2006-01-02"`
}

// RecomputeResult says what was stored.
type RecomputeResult struct {
	Period   string `json:"period"`
	Partners int    `json:"partners"`
}

// Recompute replaces the snapshot of the closed period containing Day,
// for when old data was corrected and the correction should count.
func (s *Service) Recompute(ctx context.Context, in RecomputeInput, now time.Time) (RecomputeResult, error) {
	if err := partners.Validate(in); err != nil {
		return RecomputeResult{}, err
	}
	v, _ := viewer.FromContext(ctx)
	if !v.IsAdmin() {
		return RecomputeResult{}, partners.Errorf(partners.EForbidden, "only administrators recompute scorecards")
	}
	day, err := time.ParseInLocation("2006-01-02", in.Day, s.loc)
	if err != nil {
		return RecomputeResult{}, partners.Invalid("day", "is not a date")
	}
	p, err := PeriodOf(in.Period, day, s.loc)
	if err != nil {
		return RecomputeResult{}, partners.InvalidBecause("period", partners.R("period_kind"))
	}
	if p.End.After(now) {
		return RecomputeResult{}, partners.InvalidBecause("day", partners.R("period_open", "Period", p.Label()))
	}
	n, err := s.Snapshot(ctx, p)
	if err != nil {
		return RecomputeResult{}, err
	}
	return RecomputeResult{Period: p.Label(), Partners: n}, partners.Audit(partners.AsSystem(ctx, "scorecards"), s.client,
		partners.AuditRecord{Action: "scorecards.recompute", EntityType: "job", After: map[string]any{"period": p.Label(), "by": v.Label}})
}
