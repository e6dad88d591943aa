package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/acknowledgement"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/ent/orderrevision"
	"github.com/tierlink/tierlink/ent/schematype"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Service manages orders.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// New returns an orders service.
func New(client *ent.Client) *Service { return &Service{client: client, now: time.Now} }

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Create adds a draft order; nothing is visible to the partner until it
// is published.
func (s *Service) Create(ctx context.Context, in OrderInput) (Order, error) {
	if err := partners.Validate(in); err != nil {
		return Order{}, err
	}
	dates := make([]time.Time, len(in.Lines))
	for i, l := range in.Lines {
		d, err := partners.ParseDate(fmt.Sprintf("lines[%d].required_date", i), l.RequiredDate)
		if err != nil {
			return Order{}, err
		}
		dates[i] = *d // required by validation, so never nil
	}
	v, _ := viewer.FromContext(ctx)
	var id int
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		p, err := c.Partner.Get(ctx, in.PartnerID)
		if err != nil {
			return partners.Ref("partner_id", "no such partner", err)
		}
		// The partner's kind decides the direction; a direction the
		// caller sends must agree with it.
		dir, ferr := directionOf(p.Kind, in.Direction)
		if ferr != nil {
			return partners.InvalidBecause(ferr.Field, ferr.Msg)
		}
		if err := s.checkBlocked(ctx, c, p); err != nil {
			return err
		}
		if n, err := c.Order.Query().Where(order.PartnerID(in.PartnerID), order.Number(in.Number)).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			return &partners.Error{Code: partners.EConflict, Message: "this partner already has an order with this number",
				Fields: []partners.FieldError{{Field: "number", Reason: "is already used for this partner"}}}
		}
		o, err := c.Order.Create().SetPartnerID(in.PartnerID).SetDirection(dir).SetNumber(in.Number).
			SetCurrency(strings.ToUpper(in.Currency)).SetBuyerID(v.UserID).SetNotes(in.Notes).Save(ctx)
		if err != nil {
			return err
		}
		id = o.ID
		lines := make([]*ent.OrderLineCreate, len(in.Lines))
		for i, l := range in.Lines {
			lines[i] = c.OrderLine.Create().SetOrderID(o.ID).SetPartnerID(o.PartnerID).SetLineNo(i + 1).SetItemCode(l.ItemCode).
				SetDescription(l.Description).SetQuantity(int64(l.Quantity)).SetUnit(or(l.Unit, "pcs")).
				SetUnitPrice(int64(l.UnitPrice)).SetRequiredDate(dates[i])
		}
		if err := c.OrderLine.CreateBulk(lines...).Exec(ctx); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "order.create", EntityType: "order", EntityID: o.ID,
			PartnerID: &o.PartnerID, After: map[string]any{"number": o.Number, "lines": len(in.Lines)}})
	})
	if err != nil {
		return Order{}, err
	}
	return s.Order(ctx, id)
}

// Blocked returns why new orders to a partner are refused, or "" when
// they are not: the partner is set to block while a mandatory
// certificate has lapsed, and one has.
func (s *Service) Blocked(ctx context.Context, partnerID int) (string, error) {
	p, err := s.client.Partner.Get(ctx, partnerID)
	if err != nil {
		return "", err
	}
	return s.blockReason(ctx, s.client, p)
}

func (s *Service) checkBlocked(ctx context.Context, c *ent.Client, p *ent.Partner) error {
	why, err := s.blockReason(ctx, c, p)
	if err != nil || why == "" {
		return err
	}
	return &partners.Error{Code: partners.EConflict, Message: why,
		Fields: []partners.FieldError{{Field: "partner_id", Reason: why}}}
}

func (s *Service) blockReason(ctx context.Context, c *ent.Client, p *ent.Partner) (string, error) {
	if !p.BlockOnLapsedCertificate {
		return "", nil
	}
	y, m, d := s.now().UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	// Read as the system: the rule holds whoever is ordering.
	lapsed, err := c.Document.Query().Where(document.PartnerID(p.ID), document.KindEQ(document.KindCertificate), document.Mandatory(true),
		document.ExpiresOnLT(today)).Order(ent.Asc(document.FieldExpiresOn)).First(partners.AsSystem(ctx, "orders"))
	if ent.IsNotFound(err) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return fmt.Sprintf("new orders to %s are blocked: the mandatory certificate %q (document %d) expired on %s; upload a valid one first",
		p.Name, lapsed.Title, lapsed.ID, lapsed.ExpiresOn.Format("2006-01-02")), nil
}

// Publish makes a draft visible to the partner and starts the
// acknowledgement clock.
func (s *Service) Publish(ctx context.Context, id int) (Order, error) {
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		o, err := c.Order.Query().Where(order.ID(id)).WithLines().Only(ctx)
		if err != nil {
			return err
		}
		if o.Status != order.StatusDraft {
			return partners.Fail(partners.EConflict, i18n.M("problem.publish_not_draft").With("Status", o.Status))
		}
		p, err := c.Partner.Get(ctx, o.PartnerID)
		if err != nil {
			return err
		}
		if err := s.checkBlocked(ctx, c, p); err != nil {
			return err
		}
		now := s.now()
		o, err = c.Order.UpdateOne(o).SetStatus(order.StatusPublished).SetPublishedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if err := s.snapshot(ctx, c, id, reasonText(RevPublished, 0)); err != nil {
			return err
		}
		return partners.Emit(ctx, c, o.PartnerID, id, partners.OrderPublished{Number: o.Number, Direction: o.Direction})
	})
	if err != nil {
		return Order{}, err
	}
	return s.Order(ctx, id)
}

// Acknowledge records a partner's answer to pending lines. Accepted and
// rejected lines are settled; lines accepted with changes become one
// change request for the buyer. The time is stored per line and, once no
// line is pending, on the order.
func (s *Service) Acknowledge(ctx context.Context, id int, in AckInput) (Order, error) {
	if err := partners.Validate(in); err != nil {
		return Order{}, err
	}
	v, _ := viewer.FromContext(ctx)
	if !v.IsPartner() && !v.CanEdit() {
		return Order{}, partners.Errorf(partners.EForbidden, "your role may not acknowledge orders")
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		o, err := c.Order.Query().Where(order.ID(id)).WithLines().Only(ctx)
		if err != nil {
			return err
		}
		if o.Status != order.StatusPublished {
			return partners.Fail(partners.EConflict, i18n.M("problem.ack_not_published").With("Status", o.Status))
		}
		byNo := map[int]*ent.OrderLine{}
		for _, l := range o.Edges.Lines {
			byNo[l.LineNo] = l
		}
		now := s.now()
		seen := map[int]bool{}
		var changes []Change
		var record []map[string]any
		for i, a := range in.Lines {
			f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
			l, ok := byNo[a.LineNo]
			if !ok {
				return partners.InvalidBecause(f("line_no"), partners.R("order_has_no_line", "Line", a.LineNo))
			}
			if seen[a.LineNo] {
				return partners.Invalid(f("line_no"), "answers the same line twice")
			}
			seen[a.LineNo] = true
			if l.AckState != orderline.AckStatePending {
				return partners.InvalidBecause(f("line_no"), partners.R("line_already_answered", "Line", a.LineNo, "State", l.AckState))
			}
			u := c.OrderLine.UpdateOne(l).SetAckAt(now)
			switch a.Action {
			case AckAccept:
				if a.PromisedDate != "" || a.Quantity != nil || a.UnitPrice != nil {
					return partners.Invalid(f("action"), "an accepted line carries no changes; use action change")
				}
				u.SetAckState(orderline.AckStateAccepted)
			case AckReject:
				if strings.TrimSpace(a.Reason) == "" {
					return partners.Invalid(f("reason"), "is required when rejecting a line")
				}
				u.SetAckState(orderline.AckStateRejected).SetRejectReason(a.Reason)
			case AckChange:
				ch := Change{LineNo: a.LineNo, Reason: a.Reason, Quantity: a.Quantity, UnitPrice: a.UnitPrice}
				if a.PromisedDate != "" {
					d, err := partners.ParseDate(f("promised_date"), a.PromisedDate)
					if err != nil {
						return err
					}
					ch.PromisedDate = d
				}
				if ch.PromisedDate == nil && ch.Quantity == nil && ch.UnitPrice == nil {
					return partners.Invalid(f("action"), "a change needs a promised_date, quantity or unit_price")
				}
				if ch.Quantity != nil && *ch.Quantity <= 0 {
					return partners.Invalid(f("quantity"), "must be more than 0")
				}
				if ch.UnitPrice != nil && *ch.UnitPrice < 0 {
					return partners.Invalid(f("unit_price"), "must not be negative")
				}
				changes = append(changes, ch)
				u.SetAckState(orderline.AckStateChangesRequested)
			}
			if err := u.Exec(ctx); err != nil {
				return err
			}
			record = append(record, map[string]any{"line_no": a.LineNo, "action": a.Action, "promised_date": a.PromisedDate,
				"quantity": a.Quantity, "unit_price": a.UnitPrice, "reason": a.Reason})
		}
		ack := c.Acknowledgement.Create().SetOrderID(id).SetPartnerID(o.PartnerID).SetRevision(o.Revision).
			SetUser(v.Label).SetLines(record).SetCreatedAt(now)
		if v.UserID != 0 {
			ack.SetUserID(v.UserID)
		}
		a, err := ack.Save(ctx)
		if err != nil {
			return err
		}
		if len(changes) > 0 {
			cr, err := c.ChangeRequest.Create().SetOrderID(id).SetPartnerID(o.PartnerID).SetAcknowledgementID(a.ID).
				SetRevision(o.Revision).SetChanges(changesJSON(changes)).SetCreatedAt(now).Save(ctx)
			if err != nil {
				return err
			}
			if err := partners.Emit(ctx, c, o.PartnerID, id, partners.ChangeRequested{ChangeRequestID: cr.ID, Lines: len(changes)}); err != nil {
				return err
			}
		}
		if err := partners.Emit(ctx, c, o.PartnerID, id,
			partners.OrderAcknowledged{AcknowledgementID: a.ID, Lines: len(in.Lines), Changes: len(changes)}); err != nil {
			return err
		}
		return s.settle(ctx, c, id, now)
	})
	if err != nil {
		return Order{}, err
	}
	return s.Order(ctx, id)
}

// settle sets the order's status from its lines: changes requested while
// a change request is open; acknowledged (or rejected, if every line was)
// once no line is pending; otherwise still published.
func (s *Service) settle(ctx context.Context, c *ent.Client, id int, now time.Time) error {
	o, err := c.Order.Query().Where(order.ID(id)).WithLines().Only(ctx)
	if err != nil {
		return err
	}
	pending, changing, rejected := 0, 0, 0
	for _, l := range o.Edges.Lines {
		switch l.AckState {
		case orderline.AckStatePending:
			pending++
		case orderline.AckStateChangesRequested:
			changing++
		case orderline.AckStateRejected:
			rejected++
		}
	}
	u := c.Order.UpdateOne(o)
	switch {
	case changing > 0:
		u.SetStatus(order.StatusChangesRequested)
	case pending > 0:
		u.SetStatus(order.StatusPublished)
	case rejected == len(o.Edges.Lines):
		u.SetStatus(order.StatusRejected)
	default:
		u.SetStatus(order.StatusAcknowledged)
	}
	if pending == 0 && o.AcknowledgedAt == nil {
		u.SetAcknowledgedAt(now)
	}
	return u.Exec(ctx)
}

// Decide approves or rejects an open change request. Approving applies
// the changes to the lines, accepts them, and makes a new revision;
// rejecting sends those lines back to the partner for a new answer.
// Deciding twice is refused, so two buyers at once get one outcome.
func (s *Service) Decide(ctx context.Context, crID int, d Decision) (Order, error) {
	if err := partners.Validate(d); err != nil {
		return Order{}, err
	}
	v, _ := viewer.FromContext(ctx)
	var orderID int
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		cr, err := c.ChangeRequest.Get(ctx, crID)
		if err != nil {
			return err
		}
		orderID = cr.OrderID
		now := s.now()
		state := changerequest.StateApproved
		if d.Decision == VerdictReject {
			state = changerequest.StateRejected
		}
		// The state guard in the UPDATE makes the decision once, even
		// when two buyers press at the same moment.
		n, err := c.ChangeRequest.Update().Where(changerequest.ID(crID), changerequest.StateEQ(changerequest.StateOpen)).
			SetState(state).SetDecidedAt(now).SetDecidedBy(v.Label).SetNillableDecidedByID(partners.IDOrNil(v.UserID)).
			SetDecisionReason(d.Reason).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return partners.Errorf(partners.EConflict, "the change request was already %s by %s", cr.State, or(cr.DecidedBy, "someone"))
		}
		changes := parseChanges(cr.Changes)
		for _, ch := range changes {
			l, err := c.OrderLine.Query().Where(orderline.OrderID(cr.OrderID), orderline.LineNo(ch.LineNo)).Only(ctx)
			if err != nil {
				return err
			}
			u := c.OrderLine.UpdateOne(l)
			if state == changerequest.StateApproved {
				u.SetAckState(orderline.AckStateAccepted)
				if ch.PromisedDate != nil {
					u.SetPromisedDate(*ch.PromisedDate)
				}
				if ch.Quantity != nil {
					u.SetQuantity(int64(*ch.Quantity))
				}
				if ch.UnitPrice != nil {
					u.SetUnitPrice(int64(*ch.UnitPrice))
				}
			} else {
				u.SetAckState(orderline.AckStatePending).ClearAckAt()
			}
			if err := u.Exec(ctx); err != nil {
				return err
			}
		}
		o, err := c.Order.Get(ctx, cr.OrderID)
		if err != nil {
			return err
		}
		if state == changerequest.StateApproved {
			if o, err = c.Order.UpdateOne(o).AddRevision(1).Save(ctx); err != nil {
				return err
			}
			if err := s.snapshot(ctx, c, o.ID, reasonText(RevChangeApproved, crID)); err != nil {
				return err
			}
		}
		if err := partners.Emit(ctx, c, o.PartnerID, o.ID, partners.ChangeDecided(state == changerequest.StateApproved,
			partners.ChangeDecision{ChangeRequestID: crID, Revision: o.Revision, Reason: d.Reason})); err != nil {
			return err
		}
		return s.settle(ctx, c, o.ID, now)
	})
	if err != nil {
		return Order{}, err
	}
	return s.Order(ctx, orderID)
}

// snapshot keeps the order as it stands now as its current revision.
func (s *Service) snapshot(ctx context.Context, c *ent.Client, id int, reason string) error {
	o, err := c.Order.Query().Where(order.ID(id)).WithLines(func(q *ent.OrderLineQuery) { q.Order(ent.Asc(orderline.FieldLineNo)) }).Only(ctx)
	if err != nil {
		return err
	}
	out := toOrder(o)
	v, _ := viewer.FromContext(ctx)
	snap := map[string]any{"currency": out.Currency, "lines": linesJSON(out.Lines)}
	return c.OrderRevision.Create().SetOrderID(id).SetPartnerID(o.PartnerID).SetRevision(o.Revision).SetReason(reason).
		SetSnapshot(snap).SetCreatedBy(v.Label).SetCreatedAt(s.now()).Exec(ctx)
}

// Order returns an order with its lines, change requests and revisions.
func (s *Service) Order(ctx context.Context, id int) (Order, error) {
	o, err := s.client.Order.Query().Where(order.ID(id)).
		WithLines(func(q *ent.OrderLineQuery) { q.Order(ent.Asc(orderline.FieldLineNo)) }).Only(ctx)
	if err != nil {
		return Order{}, err
	}
	out := toOrder(o)
	crs, err := s.client.ChangeRequest.Query().Where(changerequest.OrderID(id)).Order(ent.Desc(changerequest.FieldID)).All(ctx)
	if err != nil {
		return Order{}, err
	}
	for _, cr := range crs {
		out.ChangeRequests = append(out.ChangeRequests, toChangeRequest(cr))
	}
	revs, err := s.client.OrderRevision.Query().Where(orderrevision.OrderID(id)).Order(ent.Desc(orderrevision.FieldRevision)).All(ctx)
	if err != nil {
		return Order{}, err
	}
	for _, r := range revs {
		code, crID := parseReason(r.Reason)
		out.Revisions = append(out.Revisions, Revision{Revision: r.Revision, Reason: r.Reason, Code: code, ChangeRequestID: crID,
			Snapshot: r.Snapshot, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt})
	}
	if len(revs) > 0 {
		labels := make([]string, len(revs))
		for i, r := range revs {
			labels[i] = r.CreatedBy
		}
		people, err := partners.PeopleNames(ctx, s.client, labels)
		if err != nil {
			return Order{}, err
		}
		for i := range out.Revisions {
			out.Revisions[i].CreatedByName = people[out.Revisions[i].CreatedBy]
		}
	}
	names, err := partners.PartnerNames(ctx, s.client, []int{out.PartnerID})
	if err != nil {
		return Order{}, err
	}
	out.PartnerName = names[out.PartnerID]
	one := []Order{out}
	withActions(ctx, one)
	return one[0], nil
}

// ChangeRequest returns one change request.
func (s *Service) ChangeRequest(ctx context.Context, id int) (ChangeRequest, error) {
	cr, err := s.client.ChangeRequest.Get(ctx, id)
	if err != nil {
		return ChangeRequest{}, err
	}
	return toChangeRequest(cr), nil
}

// ChangeRequests lists change requests newest first, the latest 500 at
// most: an order's (a hidden order is not found), or all the caller may
// see (open ones for the buyer to decide, typically). ListChangeRequests
// pages through them all.
func (s *Service) ChangeRequests(ctx context.Context, orderID int, state changerequest.State) ([]ChangeRequest, error) {
	return s.changeRequests(ctx, orderID, state, 0, 500)
}

// ListChangeRequests pages through change requests newest first, as
// ChangeRequests lists them.
func (s *Service) ListChangeRequests(ctx context.Context, f ChangeRequestFilter) (ChangeRequestPage, error) {
	if err := partners.Validate(f); err != nil {
		return ChangeRequestPage{}, err
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return ChangeRequestPage{}, err
	}
	limit := partners.Limit(f.Limit, 50)
	items, err := s.changeRequests(ctx, f.OrderID, f.State, before, limit+1)
	if err != nil {
		return ChangeRequestPage{}, err
	}
	var p ChangeRequestPage
	p.Items, p.NextCursor = partners.Trim(items, limit, func(cr ChangeRequest) int { return cr.ID })
	return p, nil
}

// changeRequests reads up to limit change requests newest first, below
// the id before (0: from the newest).
func (s *Service) changeRequests(ctx context.Context, orderID int, state changerequest.State, before, limit int) ([]ChangeRequest, error) {
	q := s.client.ChangeRequest.Query()
	if orderID != 0 {
		if _, err := s.client.Order.Get(ctx, orderID); err != nil {
			return nil, err
		}
		q.Where(changerequest.OrderID(orderID))
	}
	if state != "" {
		q.Where(changerequest.StateEQ(state))
	}
	if before != 0 {
		q.Where(changerequest.IDLT(before))
	}
	rows, err := q.Order(ent.Desc(changerequest.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, err
	}
	// The order numbers and partner names in two batched reads, not
	// two per row.
	orderIDs := make([]int, 0, len(rows))
	for _, r := range rows {
		orderIDs = append(orderIDs, r.OrderID)
	}
	os, err := s.client.Order.Query().Where(order.IDIn(orderIDs...)).Select(order.FieldID, order.FieldNumber, order.FieldPartnerID, order.FieldCurrency).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int]*ent.Order, len(os))
	partnerIDs := make([]int, 0, len(os))
	for _, o := range os {
		byID[o.ID] = o
		partnerIDs = append(partnerIDs, o.PartnerID)
	}
	names, err := partners.PartnerNames(ctx, s.client, partnerIDs)
	if err != nil {
		return nil, err
	}
	// The lines as they stand, so each change shows what it replaces.
	ls, err := s.client.OrderLine.Query().Where(orderline.OrderIDIn(orderIDs...)).All(ctx)
	if err != nil {
		return nil, err
	}
	type lineKey struct{ order, no int }
	lines := make(map[lineKey]*ent.OrderLine, len(ls))
	for _, l := range ls {
		lines[lineKey{l.OrderID, l.LineNo}] = l
	}
	out := make([]ChangeRequest, 0, len(rows))
	for _, r := range rows {
		cr := toChangeRequest(r)
		if o := byID[r.OrderID]; o != nil {
			cr.OrderNumber, cr.PartnerName, cr.Currency = o.Number, names[o.PartnerID], o.Currency
		}
		for i, ch := range cr.Changes {
			if l := lines[lineKey{r.OrderID, ch.LineNo}]; l != nil {
				w := &LineWas{ItemCode: l.ItemCode, Unit: l.Unit, Date: l.RequiredDate, Quantity: Qty(l.Quantity), UnitPrice: Price(l.UnitPrice)}
				if l.PromisedDate != nil {
					w.Date = *l.PromisedDate
				}
				cr.Changes[i].Was = w
			}
		}
		out = append(out, cr)
	}
	return out, nil
}

// List returns orders, newest first.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if err := partners.Validate(f); err != nil {
		return Page{}, err
	}
	q := s.client.Order.Query()
	if f.PartnerID != 0 {
		q.Where(order.PartnerID(f.PartnerID))
	}
	if f.Direction != "" {
		q.Where(order.DirectionEQ(f.Direction))
	}
	if f.Status != "" {
		q.Where(order.StatusEQ(f.Status))
	}
	if t := strings.TrimSpace(f.Q); t != "" {
		q.Where(order.NumberContainsFold(t))
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	if before != 0 {
		q.Where(order.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Desc(order.FieldID)).Limit(limit + 1).
		WithLines(func(q *ent.OrderLineQuery) { q.Order(ent.Asc(orderline.FieldLineNo)) }).All(ctx)
	if err != nil {
		return Page{}, err
	}
	var p Page
	rows, p.NextCursor = partners.Trim(rows, limit, func(o *ent.Order) int { return o.ID })
	p.Items = make([]Order, 0, len(rows))
	ids := make([]int, 0, len(rows))
	for _, o := range rows {
		p.Items = append(p.Items, toOrder(o))
		ids = append(ids, o.PartnerID)
	}
	names, err := partners.PartnerNames(ctx, s.client, ids)
	if err != nil {
		return Page{}, err
	}
	for i := range p.Items {
		p.Items[i].PartnerName = names[p.Items[i].PartnerID]
	}
	withActions(ctx, p.Items)
	return p, nil
}

// Acknowledgements lists the answers an order received, oldest first, a
// page at a time. The cursor is the last answer shown (the id cursor of
// partners.Trim); the next page goes on above it.
func (s *Service) Acknowledgements(ctx context.Context, orderID int, f AckFilter) (AckPage, error) {
	if err := partners.Validate(f); err != nil {
		return AckPage{}, err
	}
	if _, err := s.client.Order.Get(ctx, orderID); err != nil {
		return AckPage{}, err
	}
	after, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return AckPage{}, err
	}
	q := s.client.Acknowledgement.Query().Where(acknowledgement.OrderID(orderID))
	if after != 0 {
		q.Where(acknowledgement.IDGT(after))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Asc(acknowledgement.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return AckPage{}, err
	}
	var p AckPage
	rows, p.NextCursor = partners.Trim(rows, limit, func(r *ent.Acknowledgement) int { return r.ID })
	p.Items = make([]Acknowledgement, 0, len(rows))
	for _, r := range rows {
		a, err := toAcknowledgement(r)
		if err != nil {
			return AckPage{}, err
		}
		p.Items = append(p.Items, a)
	}
	return p, nil
}

// toAcknowledgement reads a stored answer. Its lines were written as
// JSON objects with the AckRecordLine keys (see Acknowledge), so a round
// trip through JSON types them.
func toAcknowledgement(r *ent.Acknowledgement) (Acknowledgement, error) {
	a := Acknowledgement{ID: r.ID, Revision: r.Revision, User: r.User, At: r.CreatedAt, Lines: []AckRecordLine{}}
	b, err := json.Marshal(r.Lines)
	if err != nil {
		return Acknowledgement{}, err
	}
	if err := json.Unmarshal(b, &a.Lines); err != nil {
		return Acknowledgement{}, fmt.Errorf("acknowledgement %d: stored lines: %w", r.ID, err)
	}
	return a, nil
}

func toOrder(o *ent.Order) Order {
	out := Order{ID: o.ID, PartnerID: o.PartnerID, Direction: o.Direction, Number: o.Number, Currency: o.Currency,
		Status: o.Status, Revision: o.Revision, BuyerID: o.BuyerID, Notes: o.Notes, PublishedAt: o.PublishedAt,
		AcknowledgedAt: o.AcknowledgedAt, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Lines: []Line{}}
	for _, l := range o.Edges.Lines {
		out.Lines = append(out.Lines, Line{LineNo: l.LineNo, ItemCode: l.ItemCode, Description: l.Description, Quantity: Qty(l.Quantity),
			Unit: l.Unit, UnitPrice: Price(l.UnitPrice), RequiredDate: l.RequiredDate, PromisedDate: l.PromisedDate,
			AckState: l.AckState, AckAt: l.AckAt, RejectReason: l.RejectReason})
	}
	return out
}

func toChangeRequest(r *ent.ChangeRequest) ChangeRequest {
	return ChangeRequest{ID: r.ID, OrderID: r.OrderID, Revision: r.Revision, Changes: parseChanges(r.Changes), State: r.State,
		DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt, DecisionReason: r.DecisionReason, CreatedAt: r.CreatedAt}
}

// changesJSON is how a change request stores its changes.
func changesJSON(cs []Change) []schematype.LineChange {
	out := make([]schematype.LineChange, 0, len(cs))
	for _, c := range cs {
		r := schematype.LineChange{LineNo: c.LineNo, Reason: c.Reason}
		if c.PromisedDate != nil {
			r.PromisedDate = c.PromisedDate.Format("2006-01-02")
		}
		if c.Quantity != nil {
			q := int64(*c.Quantity)
			r.QuantityMilli = &q
		}
		if c.UnitPrice != nil {
			p := int64(*c.UnitPrice)
			r.UnitPriceE4 = &p
		}
		out = append(out, r)
	}
	return out
}

// parseChanges reads a change request's stored changes back.
func parseChanges(rs []schematype.LineChange) []Change {
	out := make([]Change, 0, len(rs))
	for _, r := range rs {
		c := Change{LineNo: r.LineNo, Reason: r.Reason}
		if t, err := time.Parse("2006-01-02", r.PromisedDate); err == nil {
			c.PromisedDate = &t
		}
		if r.QuantityMilli != nil {
			q := Qty(*r.QuantityMilli)
			c.Quantity = &q
		}
		if r.UnitPriceE4 != nil {
			p := Price(*r.UnitPriceE4)
			c.UnitPrice = &p
		}
		out = append(out, c)
	}
	return out
}

func linesJSON(ls []Line) []map[string]any {
	out := make([]map[string]any, 0, len(ls))
	for _, l := range ls {
		m := map[string]any{"line_no": l.LineNo, "item_code": l.ItemCode, "quantity": l.Quantity.String(), "unit": l.Unit,
			"unit_price": l.UnitPrice.String(), "required_date": l.RequiredDate.Format("2006-01-02"), "ack_state": l.AckState}
		if l.PromisedDate != nil {
			m["promised_date"] = l.PromisedDate.Format("2006-01-02")
		}
		out = append(out, m)
	}
	return out
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
