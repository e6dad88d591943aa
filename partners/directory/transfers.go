package directory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
)

// scheduleSlack is how far ahead an effective time must be to count as
// scheduled rather than now; it absorbs clock skew between browser and
// server.
const scheduleSlack = time.Minute

// scheduled is the one decision whether a hand-over effective at `at`
// waits for that time or moves the contacts now: a time within
// scheduleSlack of now is now.
func scheduled(at, now time.Time) bool { return at.After(now.Add(scheduleSlack)) }

// Why a scheduled transfer failed, as stored.
const (
	FailOwnerChanged  = "the contact's owner changed after the transfer was scheduled"
	FailOwnerInactive = "the new owner is no longer an active staff user"
)

// FailureKey is the page catalogue's key for why t failed, so the reason
// reads in the reader's language; "" when it did not fail.
func (t Transfer) FailureKey() string {
	switch t.FailureReason {
	case "":
		return ""
	case FailOwnerChanged:
		return "transfer_failed_owner_changed"
	case FailOwnerInactive:
		return "transfer_failed_owner_inactive"
	}
	return "transfer_failed"
}

// Scheduled says whether the transfer waits for its effective time
// instead of having moved the contact; callers read it from the stored
// state, never from their own clock.
func (t Transfer) Scheduled() bool {
	return contacttransfer.State(t.State) == contacttransfer.StatePending
}

// HandedOverFunc is told, in the hand-over's own transaction (c), which
// ledger entries just moved their contacts, now or when a scheduled one
// came due. An error rolls the hand-over back.
type HandedOverFunc func(ctx context.Context, c *ent.Client, transferIDs []int) error

// OnHandedOver sets what runs after each completed hand-over: WeCom's
// hand-over queues its calls there, so they commit with the ledger.
func (s *Service) OnHandedOver(fn HandedOverFunc) { s.handedOver = fn }

// Handover is one hand-over request, resolved to contacts and an heir.
type Handover struct {
	ContactIDs  []int
	ToOwnerID   int
	Reason      contacttransfer.Reason
	Note        string
	EffectiveAt time.Time
	Batch       string
}

// Transfer hands contacts to another owner, now or at a scheduled time.
// All the contacts move in one transaction, or none does.
func (s *Service) Transfer(ctx context.Context, in TransferInput) ([]Transfer, error) {
	if err := partners.Validate(in); err != nil {
		return nil, err
	}
	h := Handover{ContactIDs: in.ContactIDs, ToOwnerID: in.ToOwnerID, Note: in.Note,
		Reason: cmp.Or(in.Reason, contacttransfer.ReasonReassignment), EffectiveAt: s.now(), Batch: newBatch()}
	if in.EffectiveAt != nil {
		if in.EffectiveAt.Before(s.now().Add(-24 * time.Hour)) {
			return nil, partners.Invalid("effective_at", "must not be in the past")
		}
		if scheduled(*in.EffectiveAt, s.now()) {
			h.EffectiveAt = *in.EffectiveAt
		}
	}
	var ids []int
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		ids, err = s.HandOver(ctx, tx.Client(), h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.transfersByID(ctx, ids)
}

// HandOver records a hand-over through c, the client of the caller's
// transaction, and applies it at once unless it is scheduled. It returns
// the ledger entries it wrote.
func (s *Service) HandOver(ctx context.Context, c *ent.Client, h Handover) ([]int, error) {
	if _, err := ActiveStaff(ctx, c, h.ToOwnerID, "to_owner_id"); err != nil {
		return nil, err
	}
	ids := slices.Clone(h.ContactIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	cts, err := c.Contact.Query().Where(contact.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	found := map[int]*ent.Contact{}
	for _, ct := range cts {
		found[ct.ID] = ct
	}
	// Refusals name a contact by its (first) place in the request.
	for i, id := range h.ContactIDs {
		if found[id] == nil {
			return nil, partners.InvalidBecause(fmt.Sprintf("contact_ids[%d]", i), partners.R("contact_not_found", "ID", id))
		}
	}
	now := s.now()
	scheduled := scheduled(h.EffectiveAt, now)
	v, _ := viewer.FromContext(ctx)
	var requestedBy *int
	if v.UserID != 0 {
		requestedBy = &v.UserID
	}
	// A transfer to the contact's current owner is refused, scheduled or
	// not: when due it would move nothing, or fail if the owner changed.
	for i, id := range h.ContactIDs {
		if found[id].OwnerID == h.ToOwnerID {
			return nil, partners.InvalidBecause(fmt.Sprintf("contact_ids[%d]", i), partners.R("contact_already_owned", "ID", id))
		}
	}
	builders := make([]*ent.ContactTransferCreate, 0, len(cts))
	for _, ct := range cts {
		b := c.ContactTransfer.Create().SetContactID(ct.ID).SetPartnerID(ct.PartnerID).SetFromOwnerID(ct.OwnerID).
			SetToOwnerID(h.ToOwnerID).SetReason(h.Reason).SetNote(h.Note).SetBatch(h.Batch).
			SetEffectiveAt(h.EffectiveAt).SetNillableRequestedByID(requestedBy).SetCreatedAt(now)
		if !scheduled {
			b.SetState(contacttransfer.StateDone).SetCompletedAt(now)
		}
		builders = append(builders, b)
	}
	var out []int
	for chunk := range slices.Chunk(builders, 500) {
		rows, err := c.ContactTransfer.CreateBulk(chunk...).Save(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, r.ID)
		}
	}
	if scheduled {
		return out, nil
	}
	for chunk := range slices.Chunk(ids, 500) {
		if _, err := c.Contact.Update().Where(contact.IDIn(chunk...)).SetOwnerID(h.ToOwnerID).Save(ctx); err != nil {
			return nil, err
		}
	}
	moved := map[[2]int]bool{}
	for _, ct := range cts {
		if k := [2]int{ct.OwnerID, ct.PartnerID}; !moved[k] {
			moved[k] = true
			if err := MoveGroups(ctx, c, ct.OwnerID, h.ToOwnerID, ct.PartnerID); err != nil {
				return nil, err
			}
		}
		pid := ct.PartnerID
		if err := partners.Audit(ctx, c, partners.AuditRecord{Action: "contact.transfer", EntityType: "contact", EntityID: ct.ID,
			PartnerID: &pid, Before: map[string]any{"owner_id": ct.OwnerID},
			After: map[string]any{"owner_id": h.ToOwnerID, "reason": string(h.Reason), "batch": h.Batch, "note": h.Note}}); err != nil {
			return nil, err
		}
	}
	if s.handedOver != nil {
		if err := s.handedOver(ctx, c, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RunDueTransfers applies scheduled transfers whose time has come. Each is
// applied in its own transaction; one that can no longer apply (the owner
// changed meanwhile, the heir left) is marked failed with the reason.
func (s *Service) RunDueTransfers(ctx context.Context) (done, failed int, err error) {
	due, err := s.client.ContactTransfer.Query().
		Where(contacttransfer.StateEQ(contacttransfer.StatePending), contacttransfer.EffectiveAtLTE(s.now())).
		Order(ent.Asc(contacttransfer.FieldEffectiveAt), ent.Asc(contacttransfer.FieldID)).Limit(5000).All(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, t := range due {
		var reason string
		err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
			c := tx.Client()
			// Re-read under the write lock: another instance may have run it.
			cur, err := c.ContactTransfer.Get(ctx, t.ID)
			if err != nil {
				return err
			}
			if cur.State != contacttransfer.StatePending {
				return nil
			}
			ct, err := c.Contact.Get(ctx, t.ContactID)
			if err != nil {
				return err
			}
			now := s.now()
			switch _, herr := ActiveStaff(ctx, c, t.ToOwnerID, "to_owner_id"); {
			case ct.OwnerID != t.FromOwnerID:
				reason = FailOwnerChanged
			case herr != nil:
				reason = FailOwnerInactive
			}
			if reason != "" {
				return c.ContactTransfer.UpdateOne(cur).SetState(contacttransfer.StateFailed).
					SetFailureReason(reason).SetCompletedAt(now).Exec(ctx)
			}
			if err := c.Contact.UpdateOne(ct).SetOwnerID(t.ToOwnerID).Exec(ctx); err != nil {
				return err
			}
			if err := c.ContactTransfer.UpdateOne(cur).SetState(contacttransfer.StateDone).SetCompletedAt(now).Exec(ctx); err != nil {
				return err
			}
			if err := MoveGroups(ctx, c, ct.OwnerID, t.ToOwnerID, ct.PartnerID); err != nil {
				return err
			}
			pid := ct.PartnerID
			if err := partners.Audit(ctx, c, partners.AuditRecord{Action: "contact.transfer", EntityType: "contact", EntityID: ct.ID,
				PartnerID: &pid, Before: map[string]any{"owner_id": ct.OwnerID},
				After: map[string]any{"owner_id": t.ToOwnerID, "reason": string(t.Reason), "batch": t.Batch, "scheduled": true}}); err != nil {
				return err
			}
			if s.handedOver != nil {
				return s.handedOver(ctx, c, []int{t.ID})
			}
			return nil
		})
		switch {
		case err != nil:
			return done, failed, err
		case reason != "":
			failed++
		default:
			done++
		}
	}
	return done, failed, nil
}

// CancelTransfer withdraws a pending scheduled transfer.
func (s *Service) CancelTransfer(ctx context.Context, id int) (Transfer, error) {
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		t, err := tx.ContactTransfer.Get(ctx, id)
		if err != nil {
			return err
		}
		if t.State != contacttransfer.StatePending {
			return partners.Errorf(partners.EConflict, "only a pending transfer can be cancelled; this one is %s", t.State)
		}
		return tx.ContactTransfer.UpdateOne(t).SetState(contacttransfer.StateCancelled).SetCompletedAt(s.now()).Exec(ctx)
	})
	if err != nil {
		return Transfer{}, err
	}
	ts, err := s.transfersByID(ctx, []int{id})
	if err != nil {
		return Transfer{}, err
	}
	return ts[0], nil
}

// ListTransfers returns ledger entries, newest first.
func (s *Service) ListTransfers(ctx context.Context, f TransferFilter) (TransferPage, error) {
	if err := partners.Validate(f); err != nil {
		return TransferPage{}, err
	}
	q := s.client.ContactTransfer.Query()
	if f.State != "" {
		q.Where(contacttransfer.StateEQ(f.State))
	}
	if f.PartnerID != 0 {
		q.Where(contacttransfer.PartnerID(f.PartnerID))
	}
	if f.ContactID != 0 {
		q.Where(contacttransfer.ContactID(f.ContactID))
	}
	if f.OwnerID != 0 {
		q.Where(contacttransfer.Or(contacttransfer.FromOwnerID(f.OwnerID), contacttransfer.ToOwnerID(f.OwnerID)))
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return TransferPage{}, err
	}
	if before != 0 {
		q.Where(contacttransfer.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Desc(contacttransfer.FieldID)).Limit(limit + 1).WithContact().All(ctx)
	if err != nil {
		return TransferPage{}, err
	}
	var page TransferPage
	rows, page.NextCursor = partners.Trim(rows, limit, func(t *ent.ContactTransfer) int { return t.ID })
	page.Items, err = s.transfersOut(ctx, rows)
	return page, err
}

func (s *Service) transfersByID(ctx context.Context, ids []int) ([]Transfer, error) {
	rows, err := s.client.ContactTransfer.Query().Where(contacttransfer.IDIn(ids...)).
		Order(ent.Asc(contacttransfer.FieldID)).WithContact().All(ctx)
	if err != nil {
		return nil, err
	}
	return s.transfersOut(ctx, rows)
}

func (s *Service) transfersOut(ctx context.Context, rows []*ent.ContactTransfer) ([]Transfer, error) {
	var uids []int
	for _, r := range rows {
		uids = append(uids, r.FromOwnerID, r.ToOwnerID)
	}
	users, err := s.userRefs(ctx, uids)
	if err != nil {
		return nil, err
	}
	out := make([]Transfer, 0, len(rows))
	for _, r := range rows {
		t := Transfer{ID: r.ID, Batch: r.Batch, ContactID: r.ContactID, PartnerID: r.PartnerID, From: users[r.FromOwnerID],
			To: users[r.ToOwnerID], Reason: r.Reason, Note: r.Note, EffectiveAt: r.EffectiveAt, State: r.State,
			FailureReason: r.FailureReason, RequestedByID: r.RequestedByID, CreatedAt: r.CreatedAt, CompletedAt: r.CompletedAt}
		if r.Edges.Contact != nil {
			t.ContactName = r.Edges.Contact.Name
		}
		out = append(out, t)
	}
	return out, nil
}

// MoveGroups hands the groups that from owns about partnerID to to, once
// from owns no contact of that partner any more: a group's ownership
// moves with its owner's contacts. partnerID 0 moves every group from
// owns (a departure). The new owner joins each group it receives.
func MoveGroups(ctx context.Context, c *ent.Client, from, to, partnerID int) error {
	sys := partners.AsSystem(ctx, "ledger")
	q := c.Group.Query().Where(group.OwnerID(from))
	if partnerID != 0 {
		left, err := c.Contact.Query().Where(contact.OwnerID(from), contact.PartnerID(partnerID)).Exist(sys)
		if err != nil || left {
			return err
		}
		q.Where(group.PartnerID(partnerID))
	}
	gs, err := q.All(sys)
	if err != nil || len(gs) == 0 {
		return err
	}
	if partnerID == 0 {
		if _, err := ActiveStaff(ctx, c, to, "heir_id"); err != nil {
			return err
		}
	}
	for _, g := range gs {
		if err := c.Group.UpdateOne(g).SetOwnerID(to).Exec(sys); err != nil {
			return err
		}
		member, err := c.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.UserID(to)).Exist(sys)
		if err != nil {
			return err
		}
		if !member {
			if err := c.GroupMember.Create().SetGroupID(g.ID).SetUserID(to).SetAddedBy("ownership ledger").Exec(sys); err != nil {
				return err
			}
		}
		if err := partners.Audit(ctx, c, partners.AuditRecord{Action: "group.owner", EntityType: "group", EntityID: g.ID, PartnerID: g.PartnerID,
			Before: map[string]any{"owner_id": from}, After: map[string]any{"owner_id": to, "reason": "ownership ledger"}}); err != nil {
			return err
		}
	}
	return nil
}
