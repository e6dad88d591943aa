package rule

import (
	"context"

	"entgo.io/ent"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/entql"
	gen "github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/predicate"
	"github.com/tierlink/tierlink/ent/privacy"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/ent/viewer"
)

// DenyIfNoViewer refuses any operation whose context names nobody.
func DenyIfNoViewer() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if _, ok := viewer.FromContext(ctx); !ok {
			return privacy.Denyf("viewer is missing from the context")
		}
		return privacy.Skip
	})
}

// AllowIfSystem lets jobs and start-up code through.
func AllowIfSystem() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if v, _ := viewer.FromContext(ctx); v.IsSystem() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// AllowStaffQuery lets every staff role read.
func AllowStaffQuery() privacy.QueryRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if v, _ := viewer.FromContext(ctx); v.IsStaff() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// AllowEditorMutation lets admins and buyers change company records.
func AllowEditorMutation() privacy.MutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if v, _ := viewer.FromContext(ctx); v.CanEdit() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// AllowAdminMutation lets admins change accounts.
func AllowAdminMutation() privacy.MutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if v, _ := viewer.FromContext(ctx); v.IsAdmin() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// DenyPartner refuses partner users outright, for records that are the
// company's internal business (ownership ledger, audit, invitations).
func DenyPartner() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if v, _ := viewer.FromContext(ctx); v.IsPartner() {
			return privacy.Denyf("partner users have no access")
		}
		return privacy.Skip
	})
}

// FilterPartnerField narrows a partner user's operations to rows whose
// partner_id is the viewer's own partner; rows of other partners simply do
// not exist for them, so reads of them come back as not found.
func FilterPartnerField() privacy.QueryMutationRule {
	type partnerFilter interface {
		WherePartnerID(entql.IntP)
	}
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		pf, ok := f.(partnerFilter)
		if !ok {
			return privacy.Denyf("unexpected filter type %T", f)
		}
		pf.WherePartnerID(entql.IntEQ(v.PartnerID))
		return privacy.Skip
	})
}

// FilterOwnPartner narrows a partner user's reads of partners to its own.
func FilterOwnPartner() privacy.QueryMutationRule {
	type idFilter interface {
		WhereID(entql.IntP)
	}
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		pf, ok := f.(idFilter)
		if !ok {
			return privacy.Denyf("unexpected filter type %T", f)
		}
		pf.WhereID(entql.IntEQ(v.PartnerID))
		return privacy.Skip
	})
}

// AllowPartnerQuery allows a partner user's (already filtered) read.
func AllowPartnerQuery() privacy.QueryRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if v, _ := viewer.FromContext(ctx); v.IsPartner() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// FilterUserRows lets a partner user read staff accounts (its account
// managers) and its own account, never the users of other partners.
func FilterUserRows() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		f.Where(entql.Or(entql.FieldNil("partner_id"), entql.FieldEQ("id", v.UserID)))
		return privacy.Skip
	})
}

// FilterOwnUserID narrows non-admin viewers to rows they own (API tokens).
func FilterOwnUserID() privacy.QueryMutationRule {
	type userFilter interface {
		WhereUserID(entql.IntP)
	}
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if v.IsAdmin() {
			return privacy.Allow
		}
		uf, ok := f.(userFilter)
		if !ok {
			return privacy.Denyf("unexpected filter type %T", f)
		}
		uf.WhereUserID(entql.IntEQ(v.UserID))
		return privacy.Allow
	})
}

// AllowAuthenticated allows any named person (after earlier filters ran).
func AllowAuthenticated() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if v, ok := viewer.FromContext(ctx); ok && v.UserID != 0 {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// OwnUserOnCreate refuses creating a row for another user (filters do
// not constrain INSERTs, so creates are checked on the mutation itself).
func OwnUserOnCreate() privacy.MutationRule {
	type userIDer interface {
		UserID() (int, bool)
	}
	return privacy.OnMutationOperation(privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v, _ := viewer.FromContext(ctx)
		if v.IsAdmin() {
			return privacy.Skip
		}
		um, ok := m.(userIDer)
		if !ok {
			return privacy.Denyf("unexpected mutation type %T", m)
		}
		if id, set := um.UserID(); !set || id != v.UserID {
			return privacy.Denyf("a token may only be created for yourself")
		}
		return privacy.Skip
	}), ent.OpCreate)
}

// PartnerOwnRows lets a partner user create rows for its own partner and
// update rows of its own partner; deletes stay with staff.
func PartnerOwnRows() privacy.MutationRule {
	ownRows := privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		pf, ok := f.(interface{ WherePartnerID(entql.IntP) })
		if !ok {
			return privacy.Denyf("unexpected filter type %T", f)
		}
		pf.WherePartnerID(entql.IntEQ(v.PartnerID))
		return privacy.Allow
	})
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		switch {
		case m.Op().Is(ent.OpCreate):
			pm, ok := m.(interface{ PartnerID() (int, bool) })
			if !ok {
				return privacy.Denyf("unexpected mutation type %T", m)
			}
			if id, set := pm.PartnerID(); set && id == v.PartnerID {
				return privacy.Allow
			}
			return privacy.Denyf("partner users may only add records of their own partner")
		case m.Op().Is(ent.OpUpdate | ent.OpUpdateOne):
			return ownRows.EvalMutation(ctx, m)
		}
		return privacy.Denyf("partner users may not delete records")
	})
}

// FilterPublishedOrders hides draft orders from partner users: an order
// becomes visible to its partner when it is published.
func FilterPublishedOrders() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		// Published once: a draft cancelled unpublished stays unseen.
		f.Where(entql.And(entql.FieldNEQ("status", "draft"), entql.FieldNotNil("published_at")))
		return privacy.Skip
	})
}

// FilterLinesOfPublishedOrders hides a draft order's lines from partner
// users, whichever way the lines are queried.
func FilterLinesOfPublishedOrders() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		f.Where(entql.HasEdgeWith("order", entql.FieldNEQ("status", "draft"), entql.FieldNotNil("published_at")))
		return privacy.Skip
	})
}

// PartnerOrCarrierRows narrows a partner user to shipments of its partner
// or carried by it, for reads and updates alike.
func PartnerOrCarrierRows() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		f.Where(entql.Or(entql.FieldEQ("partner_id", v.PartnerID), entql.FieldEQ("carrier_partner_id", v.PartnerID)))
		return privacy.Allow
	})
}

// PartnerOrCarrierChildRows does the same for a shipment's lines and
// events, through their shipment.
func PartnerOrCarrierChildRows() privacy.QueryRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		f.Where(entql.Or(entql.FieldEQ("partner_id", v.PartnerID),
			entql.HasEdgeWith("shipment", entql.FieldEQ("carrier_partner_id", v.PartnerID))))
		return privacy.Allow
	})
}

// AllowCarrierEvent lets a logistics partner's user add a movement
// (never a receipt or a cancellation) to a shipment it carries; the
// shipment is looked up as the system, since the event belongs to the
// shipment's partner, not the carrier.
func AllowCarrierEvent() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v, _ := viewer.FromContext(ctx)
		em, ok := m.(*gen.ShipmentEventMutation)
		if !v.IsPartner() || !ok || !m.Op().Is(ent.OpCreate) {
			return privacy.Skip
		}
		kind, _ := em.Kind()
		switch kind {
		case shipmentevent.KindShipped, shipmentevent.KindInTransit, shipmentevent.KindDelayed, shipmentevent.KindDelivered:
		default:
			return privacy.Skip
		}
		sid, ok := em.ShipmentID()
		if !ok {
			return privacy.Skip
		}
		sys := viewer.NewContext(ctx, viewer.System("carrier-check"))
		carried, err := em.Client().Shipment.Query().Where(shipment.ID(sid), predicate.Shipment(sql.FieldEQ("carrier_partner_id", v.PartnerID))).Exist(sys)
		if err != nil {
			return privacy.Denyf("carrier check: %v", err)
		}
		if carried {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// memberOf is the predicate "the viewer's contact is a member of the
// group", reached from a row through path (the edges that lead to the
// group). A partner user with no contact matches no group.
func memberOf(v viewer.Viewer, path ...string) entql.P {
	p := entql.HasEdgeWith("members", entql.FieldEQ("contact_id", v.ContactID))
	if v.ContactID == 0 {
		p = entql.FieldEQ("id", -1)
	}
	for i := len(path) - 1; i >= 0; i-- {
		p = entql.HasEdgeWith(path[i], p)
	}
	return p
}

// FilterGroupMember narrows a partner user to the groups its contact is a
// member of, and to their members and posts (path leads from the row to
// its group: none for a group, "group" for a member or a post).
func FilterGroupMember(path ...string) privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, _ := viewer.FromContext(ctx)
		if !v.IsPartner() {
			return privacy.Skip
		}
		f.Where(memberOf(v, path...))
		return privacy.Allow
	})
}

// AllowMemberMessage lets a partner user write a message, as itself, into
// a group its contact is a member of. Membership is looked up as the
// system because the check must not depend on what the filters let the
// mutation see.
func AllowMemberMessage() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v, _ := viewer.FromContext(ctx)
		pm, ok := m.(*gen.PostMutation)
		if !v.IsPartner() || !ok || !m.Op().Is(ent.OpCreate) {
			return privacy.Skip
		}
		kind, _ := pm.Kind()
		gid, _ := pm.GroupID()
		cid, _ := pm.AuthorContactID()
		if kind != "message" || v.ContactID == 0 || cid != v.ContactID {
			return privacy.Denyf("partner users may only write messages as themselves")
		}
		sys := viewer.NewContext(ctx, viewer.System("privacy"))
		n, err := pm.Client().GroupMember.Query().
			Where(sql.FieldEQ("group_id", gid), sql.FieldEQ("contact_id", v.ContactID)).Count(sys)
		if err != nil {
			return privacy.Denyf("membership: %v", err)
		}
		if n == 0 {
			return privacy.Denyf("not a member of the group")
		}
		return privacy.Allow
	})
}
