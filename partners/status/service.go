// Package status pushes upstream and downstream status into the groups
// that follow each partner, without anyone asking: the scheduled digest,
// reminders and escalations for unacknowledged orders, requests for an
// update on silent shipments, certificate expiry warnings, and the daily
// report of bridge messages that could not be delivered. The jobs
// package calls it on a schedule; every notice goes out once, however
// often and on however many instances the jobs run.
package status

import (
	"context"
	"slices"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/notice"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/shipments"
)

// Service composes and posts status.
type Service struct {
	client    *ent.Client
	groups    *groups.Service
	orders    *orders.Service
	shipments *shipments.Service
	loc       *time.Location
	// StaleAfter is how long an in-transit shipment may go without an
	// update before the group is asked for one.
	StaleAfter time.Duration
}

// New returns the status service; loc is the company time zone, in which
// digests name days and times.
func New(client *ent.Client, grps *groups.Service, ords *orders.Service, ships *shipments.Service, loc *time.Location) *Service {
	if loc == nil {
		loc = time.UTC
	}
	return &Service{client: client, groups: grps, orders: ords, shipments: ships, loc: loc, StaleAfter: 48 * time.Hour}
}

// Result is what one pass did, for the run ledger.
type Result struct {
	Posted  int
	Skipped int
	// Message reports the pass to people, a catalogue message a line,
	// rendered in each reader's language (the run ledger keeps the
	// English too, for logs).
	Message i18n.Lines
}

func system(ctx context.Context) context.Context { return partners.AsSystem(ctx, "status") }

// sent returns which of keys already have a notice.
func sent(ctx context.Context, c *ent.Client, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	for chunk := range slices.Chunk(keys, 500) {
		rows, err := c.Notice.Query().Where(notice.KeyIn(chunk...)).Select(notice.FieldKey).Strings(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range rows {
			out[k] = true
		}
	}
	return out, nil
}

// announce posts a into every status group of its partner and records
// the notice keys, in one transaction: if another run recorded one of
// the keys first, the insert fails, the transaction rolls back and
// nothing is posted twice. It returns how many groups got the post; with
// no group to post in nothing is recorded, so the notice goes out once a
// group exists.
func (s *Service) announce(ctx context.Context, a groups.Announcement, kind string, keys ...string) (int, error) {
	posted := 0
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		gs, err := s.groups.StatusGroups(ctx, c, a.PartnerID)
		if err != nil || len(gs) == 0 {
			return err
		}
		for _, k := range keys {
			if err := c.Notice.Create().SetKey(k).SetKind(kind).SetPartnerID(a.PartnerID).Exec(ctx); err != nil {
				return err
			}
		}
		for _, g := range gs {
			if _, err := s.groups.Announce(ctx, c, g, a); err != nil {
				return err
			}
			posted++
		}
		return nil
	})
	if ent.IsConstraintError(err) {
		return 0, nil
	}
	return posted, err
}

// age says how long ago in hours, or days past two days.
func age(d time.Duration) i18n.Message {
	h := int(d.Hours())
	if h < 48 {
		return i18n.N("age.hours", h)
	}
	return i18n.N("age.days", h/24)
}

// day is a calendar date as each language writes it.
func day(t time.Time) i18n.Arg { return i18n.At(t, "layout.day") }

// today is the start of the company's calendar day at now, as the UTC
// midnight dates are stored at.
func (s *Service) today(now time.Time) time.Time {
	y, m, d := now.In(s.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
