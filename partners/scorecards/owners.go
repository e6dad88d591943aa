package scorecards

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/scorecardsnapshot"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/wecom"
)

// Owner is one staff owner's portfolio as supervisors see it: the
// contacts and active partners they own, and their partners' figures
// pooled (numerators and denominators summed, not rates averaged).
type Owner struct {
	UserID          int      `json:"user_id"`
	Name            string   `json:"name"`
	Contacts        int      `json:"contacts"`
	ActivePartners  int      `json:"active_partners"`
	AckWithinSLA    Ratio    `json:"ack_within_sla"`
	OTIF            Ratio    `json:"otif"`
	Replies         Ratio    `json:"replies_same_day"`
	FirstReplyHours *float64 `json:"first_reply_hours"`
	// WeComUserID is the owner's WeCom member, empty when not linked;
	// WeCom is WeCom's own figures of them for the period, null when not
	// linked or WeCom reported no day of it (wecom.go).
	WeComUserID string         `json:"wecom_userid,omitempty"`
	WeCom       *wecom.Figures `json:"wecom"`
}

// OwnerFilter picks the period of the owners' view and pages it.
type OwnerFilter struct {
	Period scorecardsnapshot.PeriodKind `query:"period" validate:"omitempty,oneof=week month quarter"`
	Cursor string                       `query:"cursor" validate:"max=200"`
	Limit  int                          `query:"limit" validate:"omitempty,min=1,max=200"`
}

// OwnerList is one page of the supervisors' view for one period.
type OwnerList struct {
	Period     string  `json:"period"`
	Items      []Owner `json:"items"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// Owners returns the staff owners' portfolios for the current period of
// kind, in name order, a page at a time; staff only.
func (s *Service) Owners(ctx context.Context, q OwnerFilter, now time.Time) (OwnerList, error) {
	if err := partners.Validate(q); err != nil {
		return OwnerList{}, err
	}
	if v, _ := viewer.FromContext(ctx); !v.IsStaff() && !v.IsSystem() {
		return OwnerList{}, partners.Errorf(partners.EForbidden, "only staff see the owners' view")
	}
	kind := q.Period
	if kind == "" {
		kind = Month
	}
	p, err := PeriodOf(kind, now, s.loc)
	if err != nil {
		return OwnerList{}, err
	}
	all, err := s.metricsFor(ctx, p, now)
	if err != nil {
		return OwnerList{}, err
	}
	cs, err := s.client.Contact.Query().WithPartner().All(ctx)
	if err != nil {
		return OwnerList{}, err
	}
	us, err := s.client.User.Query().Where(user.RoleIn(user.RoleAdmin, user.RoleBuyer, user.RoleViewer)).All(ctx)
	if err != nil {
		return OwnerList{}, err
	}
	type acc struct {
		o        Owner
		partners map[int]bool
		replyH   float64 // hours × replies, to pool the mean
		replyN   float64
	}
	by := map[int]*acc{}
	for _, u := range us {
		by[u.ID] = &acc{o: Owner{UserID: u.ID, Name: u.Name}, partners: map[int]bool{}}
	}
	for _, c := range cs {
		a := by[c.OwnerID]
		if a == nil {
			continue
		}
		a.o.Contacts++
		if c.Edges.Partner != nil && c.Edges.Partner.Status == partner.StatusActive {
			a.partners[c.PartnerID] = true
		}
	}
	out := OwnerList{Period: p.Label(), Items: []Owner{}}
	for _, a := range by {
		if a.o.Contacts == 0 {
			continue
		}
		a.o.ActivePartners = len(a.partners)
		var ack, otif, rep Ratio
		for pid := range a.partners {
			m := all[pid]
			if m == nil {
				continue
			}
			ack.Num, ack.Den = ack.Num+m.AckWithinSLA.Num, ack.Den+m.AckWithinSLA.Den
			otif.Num, otif.Den = otif.Num+m.OTIF.Num, otif.Den+m.OTIF.Den
			rep.Num, rep.Den = rep.Num+m.Replies.Num, rep.Den+m.Replies.Den
			if m.FirstReplyHours != nil {
				a.replyH += *m.FirstReplyHours * m.Replies.Den
				a.replyN += m.Replies.Den
			}
		}
		a.o.AckWithinSLA, a.o.OTIF, a.o.Replies = ratio(ack.Num, ack.Den), ratio(otif.Num, otif.Den), ratio(rep.Num, rep.Den)
		if a.replyN > 0 {
			h := a.replyH / a.replyN
			a.o.FirstReplyHours = &h
		}
		out.Items = append(out.Items, a.o)
	}
	if err := s.withWeCom(ctx, p, out.Items, us); err != nil {
		return OwnerList{}, err
	}
	slices.SortFunc(out.Items, func(x, y Owner) int {
		if r := strings.Compare(partners.SortKey(x.Name), partners.SortKey(y.Name)); r != 0 {
			return r
		}
		return x.UserID - y.UserID
	})
	out.Items, out.NextCursor, err = partners.PageAt(out.Items, q.Cursor, partners.Limit(q.Limit, 50))
	return out, err
}
