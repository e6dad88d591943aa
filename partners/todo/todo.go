// Package todo is each person's home: what waits for their answer.
//
// A supplier's user sees the orders awaiting its acknowledgement (oldest
// first, with the SLA), its shipments due an update, the buyer's
// decisions on its change requests and its certificates running out. A
// buyer sees the change requests to decide, receipts to confirm, orders
// unanswered past their SLA and late lines. Procurement (viewers, and
// admins as a section of their home) sees the week's scorecard movers.
//
// Every list is read as the caller through the ent privacy rules, so a
// partner user never sees another partner's items; the rules of what is
// "due" live here, once, for the home page and GET /api/v1/me/todo.
package todo

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/shipmentline"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/scorecards"
)

// The rules of what is due. They are package values, not settings, so
// that the page, the API and the tests agree on one definition.
const (
	// StaleAfter is how long a shipment on its way may go without an
	// update before it is due one (the scorecard's freshness metric
	// counts 48 hours; the home asks a day later, before the score
	// suffers twice).
	StaleAfter = 72 * time.Hour
	// CertificateWindow is how far ahead an expiring certificate shows.
	CertificateWindow = 30 * 24 * time.Hour
	// DecisionsFor is how long a decided change request stays on the
	// supplier's home, so it learns the outcome.
	DecisionsFor = 14 * 24 * time.Hour
	// MaxItems caps each list; Count still tells the whole number.
	MaxItems = 50
	// MaxMovers caps each direction of the scorecard movers.
	MaxMovers = 5
	// MinMove is the least change of score, in points, that makes a
	// partner a mover.
	MinMove = 1.0
)

// Service builds the to-do lists.
type Service struct {
	client *ent.Client
	cards  *scorecards.Service
	now    func() time.Time
}

// New returns the service; cards computes the scorecard movers (nil
// leaves them out).
func New(client *ent.Client, cards *scorecards.Service) *Service {
	return &Service{client: client, cards: cards, now: time.Now}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Role names which home a to-do list is.
type Role string

// Homes.
const (
	RolePartner     Role = "partner"
	RoleBuyer       Role = "buyer"
	RoleProcurement Role = "procurement"
)

// ToDo is one person's home: the lists that concern their role, each
// with its whole count (the items are capped at MaxItems).
type ToDo struct {
	// AsOf is the time the lists were read; SLAs are measured from it.
	AsOf time.Time `json:"as_of"`
	// Roles are the homes shown, in order: partner; or buyer and, for
	// admins, procurement; or procurement for viewers.
	Roles []Role `json:"roles"`

	// Partner's lists.
	AwaitingAnswer OrderList       `json:"awaiting_answer"`
	ShipmentsDue   ShipmentList    `json:"shipments_due"`
	Decisions      ChangeList      `json:"change_requests"`
	Certificates   CertificateList `json:"certificates"`

	// Buyer's lists.
	ToDecide ChangeList   `json:"to_decide"`
	Receipts ShipmentList `json:"receipts"`
	PastSLA  OrderList    `json:"past_sla"`
	Late     LineList     `json:"late_lines"`

	// Procurement's.
	Movers *Movers `json:"movers,omitempty"`
}

// Empty reports whether nothing waits: every list is empty and there
// are no movers.
func (t ToDo) Empty() bool {
	n := t.AwaitingAnswer.Count + t.ShipmentsDue.Count + t.Decisions.Count + t.Certificates.Count +
		t.ToDecide.Count + t.Receipts.Count + t.PastSLA.Count + t.Late.Count
	return n == 0 && (t.Movers == nil || len(t.Movers.Up)+len(t.Movers.Down) == 0)
}

// Has reports whether the home includes role's lists.
func (t ToDo) Has(r Role) bool { return slices.Contains(t.Roles, r) }

// OrderItem is an order awaiting the partner's answer.
type OrderItem struct {
	OrderID      int       `json:"order_id"`
	Number       string    `json:"number"`
	PartnerID    int       `json:"partner_id"`
	PartnerName  string    `json:"partner_name"`
	PublishedAt  time.Time `json:"published_at"`
	PendingLines int       `json:"pending_lines"`
	// DueAt is publication plus the partner's acknowledgement SLA.
	DueAt time.Time `json:"due_at"`
	// Overdue: DueAt has passed.
	Overdue bool `json:"overdue"`
	// Mine: the caller bought it or owns a contact at the partner.
	Mine bool `json:"mine"`
}

// OrderList is a capped list of orders.
type OrderList struct {
	Count int         `json:"count"`
	Items []OrderItem `json:"items"`
}

// Why a shipment is due an update.
const (
	DueETAPassed = "eta_passed"
	DueNoUpdate  = "no_update"
)

// ShipmentItem is a shipment due an update or a receipt.
type ShipmentItem struct {
	ShipmentID  int                `json:"shipment_id"`
	Number      string             `json:"number"`
	PartnerID   int                `json:"partner_id"`
	PartnerName string             `json:"partner_name"`
	Status      shipment.Status    `json:"status"`
	ETA         *time.Time         `json:"eta"`
	LastEventAt *time.Time         `json:"last_event_at"`
	Reason      string             `json:"reason,omitempty"`
	Mine        bool               `json:"mine"`
	Direction   shipment.Direction `json:"direction"`
}

// ShipmentList is a capped list of shipments.
type ShipmentList struct {
	Count int            `json:"count"`
	Items []ShipmentItem `json:"items"`
}

// ChangeItem is a change request: open, or recently decided.
type ChangeItem struct {
	ChangeRequestID int                 `json:"change_request_id"`
	OrderID         int                 `json:"order_id"`
	OrderNumber     string              `json:"order_number"`
	PartnerID       int                 `json:"partner_id"`
	PartnerName     string              `json:"partner_name"`
	State           changerequest.State `json:"state"`
	Lines           int                 `json:"lines"`
	CreatedAt       time.Time           `json:"created_at"`
	DecidedAt       *time.Time          `json:"decided_at"`
	DecisionReason  string              `json:"decision_reason,omitempty"`
	Mine            bool                `json:"mine"`
}

// ChangeList is a capped list of change requests.
type ChangeList struct {
	Count int          `json:"count"`
	Items []ChangeItem `json:"items"`
}

// CertificateItem is a certificate expired or expiring soon.
type CertificateItem struct {
	DocumentID int       `json:"document_id"`
	Title      string    `json:"title"`
	ExpiresOn  time.Time `json:"expires_on"`
	Expired    bool      `json:"expired"`
	Mandatory  bool      `json:"mandatory"`
}

// CertificateList is a capped list of certificates.
type CertificateList struct {
	Count int               `json:"count"`
	Items []CertificateItem `json:"items"`
}

// LineItem is an order line past its due date and not fully received.
type LineItem struct {
	OrderID     int    `json:"order_id"`
	OrderNumber string `json:"order_number"`
	PartnerID   int    `json:"partner_id"`
	PartnerName string `json:"partner_name"`
	LineNo      int    `json:"line_no"`
	ItemCode    string `json:"item_code"`
	// DueOn is the promised date when one was accepted, else the
	// required date.
	DueOn time.Time `json:"due_on"`
	// Open is the quantity ordered and not yet received, in thousandths.
	Open int64  `json:"open"`
	Unit string `json:"unit"`
	Mine bool   `json:"mine"`
}

// LineList is a capped list of lines.
type LineList struct {
	Count int        `json:"count"`
	Items []LineItem `json:"items"`
}

// Mover is a partner whose scorecard moved between last week and this.
type Mover struct {
	PartnerID   int      `json:"partner_id"`
	PartnerName string   `json:"partner_name"`
	Score       float64  `json:"score"`
	PrevScore   float64  `json:"prev_score"`
	Delta       float64  `json:"delta"`
	OTIF        *float64 `json:"otif"`
	PrevOTIF    *float64 `json:"prev_otif"`
	AckHours    *float64 `json:"ack_median_hours"`
	PrevAck     *float64 `json:"prev_ack_median_hours"`
}

// Movers are the week's biggest scorecard changes, up and down.
type Movers struct {
	Period     string  `json:"period"`
	PrevPeriod string  `json:"prev_period"`
	Up         []Mover `json:"up"`
	Down       []Mover `json:"down"`
}

// For returns the caller's home. Partner users get their partner's
// lists; buyers (and admins) the buyer's, with the contacts and orders
// they own first; viewers and admins the scorecard movers.
func (s *Service) For(ctx context.Context) (ToDo, error) {
	v, _ := viewer.FromContext(ctx)
	now := s.now()
	out := ToDo{AsOf: now, Roles: []Role{},
		AwaitingAnswer: OrderList{Items: []OrderItem{}}, ShipmentsDue: ShipmentList{Items: []ShipmentItem{}},
		Decisions: ChangeList{Items: []ChangeItem{}}, Certificates: CertificateList{Items: []CertificateItem{}},
		ToDecide: ChangeList{Items: []ChangeItem{}}, Receipts: ShipmentList{Items: []ShipmentItem{}},
		PastSLA: OrderList{Items: []OrderItem{}}, Late: LineList{Items: []LineItem{}}}
	var err error
	switch {
	case v.IsPartner():
		out.Roles = []Role{RolePartner}
		err = s.partner(ctx, v, now, &out)
	case v.IsStaff():
		if v.CanEdit() {
			out.Roles = append(out.Roles, RoleBuyer)
			if err = s.buyer(ctx, v, now, &out); err != nil {
				return ToDo{}, err
			}
		}
		if v.Role == viewer.RoleViewer || v.Role == viewer.RoleAdmin {
			out.Roles = append(out.Roles, RoleProcurement)
			out.Movers, err = s.movers(ctx, now)
		}
	default:
		return ToDo{}, partners.Errorf(partners.EForbidden, "only people have a to-do list")
	}
	if err != nil {
		return ToDo{}, err
	}
	return out, nil
}

func (s *Service) partner(ctx context.Context, v viewer.Viewer, now time.Time, out *ToDo) error {
	var err error
	if out.AwaitingAnswer, err = s.awaiting(ctx, now, nil, false); err != nil {
		return err
	}
	if out.ShipmentsDue, err = s.shipmentsDue(ctx, v, now); err != nil {
		return err
	}
	if out.Decisions, err = s.changes(ctx, now, nil, true); err != nil {
		return err
	}
	out.Certificates, err = s.certificates(ctx, now)
	return err
}

// mine says whether a record of partnerID (bought by buyerID, 0 when
// not an order) belongs to the caller's own work.
type mine func(partnerID, buyerID int) bool

func (s *Service) buyer(ctx context.Context, v viewer.Viewer, now time.Time, out *ToDo) error {
	owned, err := s.client.Contact.Query().Where(contact.OwnerID(v.UserID)).Select(contact.FieldPartnerID).Ints(ctx)
	if err != nil {
		return err
	}
	mp := map[int]bool{}
	for _, id := range owned {
		mp[id] = true
	}
	isMine := mine(func(partnerID, buyerID int) bool { return mp[partnerID] || (buyerID != 0 && buyerID == v.UserID) })
	if out.ToDecide, err = s.changes(ctx, now, isMine, false); err != nil {
		return err
	}
	if out.Receipts, err = s.receipts(ctx, isMine); err != nil {
		return err
	}
	if out.PastSLA, err = s.awaiting(ctx, now, isMine, true); err != nil {
		return err
	}
	out.Late, err = s.lateLines(ctx, now, isMine)
	return err
}

// firstMine sorts items the caller owns first, keeping the order within.
func firstMine[T any](items []T, isMine func(T) bool) {
	slices.SortStableFunc(items, func(a, b T) int {
		ma, mb := isMine(a), isMine(b)
		switch {
		case ma && !mb:
			return -1
		case mb && !ma:
			return 1
		}
		return 0
	})
}

func capped[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	if len(items) > MaxItems {
		return items[:MaxItems]
	}
	return items
}

// awaiting lists published orders with lines still awaiting the
// partner's answer, oldest first, with the SLA each runs against; only
// those past it when pastOnly.
func (s *Service) awaiting(ctx context.Context, now time.Time, isMine mine, pastOnly bool) (OrderList, error) {
	os, err := s.client.Order.Query().Where(order.StatusEQ(order.StatusPublished), order.PublishedAtNotNil(),
		order.HasLinesWith(orderline.AckStateEQ(orderline.AckStatePending))).
		WithLines(func(q *ent.OrderLineQuery) {
			q.Where(orderline.AckStateEQ(orderline.AckStatePending)).Select(orderline.FieldOrderID)
		}).
		Order(ent.Asc(order.FieldPublishedAt), ent.Asc(order.FieldID)).All(ctx)
	if err != nil {
		return OrderList{}, err
	}
	ps, err := s.partnersOf(ctx, os, func(o *ent.Order) int { return o.PartnerID })
	if err != nil {
		return OrderList{}, err
	}
	var items []OrderItem
	for _, o := range os {
		p := ps[o.PartnerID]
		sla := 24
		name := ""
		if p != nil {
			sla, name = p.AckSLAHours, p.Name
		}
		due := o.PublishedAt.Add(time.Duration(sla) * time.Hour)
		it := OrderItem{OrderID: o.ID, Number: o.Number, PartnerID: o.PartnerID, PartnerName: name, PublishedAt: *o.PublishedAt,
			PendingLines: len(o.Edges.Lines), DueAt: due, Overdue: !due.After(now)}
		if isMine != nil {
			it.Mine = isMine(o.PartnerID, o.BuyerID)
		}
		if pastOnly && !it.Overdue {
			continue
		}
		items = append(items, it)
	}
	if isMine != nil {
		firstMine(items, func(i OrderItem) bool { return i.Mine })
	}
	return OrderList{Count: len(items), Items: capped(items)}, nil
}

func (s *Service) partnersOf(ctx context.Context, os []*ent.Order, id func(*ent.Order) int) (map[int]*ent.Partner, error) {
	ids := make([]int, 0, len(os))
	for _, o := range os {
		ids = append(ids, id(o))
	}
	return s.partnerMap(ctx, ids)
}

func (s *Service) partnerMap(ctx context.Context, ids []int) (map[int]*ent.Partner, error) {
	out := map[int]*ent.Partner{}
	if len(ids) == 0 {
		return out, nil
	}
	slices.Sort(ids)
	ps, err := s.client.Partner.Query().Where(partner.IDIn(slices.Compact(ids)...)).
		Select(partner.FieldID, partner.FieldName, partner.FieldAckSLAHours).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, nil
}

// onTheWay are the statuses of a shipment not yet arrived.
var onTheWay = []shipment.Status{shipment.StatusCreated, shipment.StatusShipped, shipment.StatusInTransit, shipment.StatusDelayed}

// startOfDay is the UTC midnight of t's UTC date: dates (ETA, required
// and expiry dates) are stored at UTC midnight.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// shipmentsDue lists the partner's shipments on their way that owe an
// update: the ETA day is over (eta_passed), or nothing was posted for
// StaleAfter (no_update). Those it sends (upstream) and those it carries
// count; the company posts its own downstream shipments.
func (s *Service) shipmentsDue(ctx context.Context, v viewer.Viewer, now time.Time) (ShipmentList, error) {
	today, stale := startOfDay(now), now.Add(-StaleAfter)
	ss, err := s.client.Shipment.Query().Where(shipment.StatusIn(onTheWay...),
		shipment.Or(shipment.And(shipment.PartnerID(v.PartnerID), shipment.DirectionEQ(shipment.DirectionUpstream)),
			shipment.CarrierPartnerID(v.PartnerID)),
		shipment.Or(shipment.EtaLT(today),
			shipment.And(shipment.LastEventAtIsNil(), shipment.CreatedAtLT(stale)),
			shipment.LastEventAtLT(stale))).
		Order(ent.Asc(shipment.FieldEta), ent.Asc(shipment.FieldID)).All(ctx)
	if err != nil {
		return ShipmentList{}, err
	}
	items, err := s.shipmentItems(ctx, ss, nil)
	if err != nil {
		return ShipmentList{}, err
	}
	for i, sh := range ss {
		items[i].Reason = DueNoUpdate
		if sh.Eta != nil && sh.Eta.Before(today) {
			items[i].Reason = DueETAPassed
		}
	}
	return ShipmentList{Count: len(items), Items: capped(items)}, nil
}

func (s *Service) shipmentItems(ctx context.Context, ss []*ent.Shipment, isMine mine) ([]ShipmentItem, error) {
	ids := make([]int, 0, len(ss))
	for _, sh := range ss {
		ids = append(ids, sh.PartnerID)
	}
	ps, err := s.partnerMap(ctx, ids)
	if err != nil {
		return nil, err
	}
	items := make([]ShipmentItem, 0, len(ss))
	for _, sh := range ss {
		it := ShipmentItem{ShipmentID: sh.ID, Number: sh.Number, PartnerID: sh.PartnerID, Status: sh.Status, ETA: sh.Eta,
			LastEventAt: sh.LastEventAt, Direction: sh.Direction}
		if p := ps[sh.PartnerID]; p != nil {
			it.PartnerName = p.Name
		}
		if isMine != nil {
			it.Mine = isMine(sh.PartnerID, 0)
		}
		items = append(items, it)
	}
	return items, nil
}

// receipts lists the suppliers' shipments delivered and not yet
// received, oldest first: goods at the door whose receipt the buyer
// confirms.
func (s *Service) receipts(ctx context.Context, isMine mine) (ShipmentList, error) {
	ss, err := s.client.Shipment.Query().Where(shipment.StatusEQ(shipment.StatusDelivered), shipment.DirectionEQ(shipment.DirectionUpstream)).
		Order(ent.Asc(shipment.FieldLastEventAt), ent.Asc(shipment.FieldID)).All(ctx)
	if err != nil {
		return ShipmentList{}, err
	}
	items, err := s.shipmentItems(ctx, ss, isMine)
	if err != nil {
		return ShipmentList{}, err
	}
	firstMine(items, func(i ShipmentItem) bool { return i.Mine })
	return ShipmentList{Count: len(items), Items: capped(items)}, nil
}

// changes lists change requests: for the partner (decided) the open ones
// awaiting the buyer and those decided within DecisionsFor, newest
// first; for the buyer the open ones, oldest first.
func (s *Service) changes(ctx context.Context, now time.Time, isMine mine, decided bool) (ChangeList, error) {
	q := s.client.ChangeRequest.Query()
	if decided {
		q.Where(changerequest.Or(changerequest.StateEQ(changerequest.StateOpen), changerequest.DecidedAtGTE(now.Add(-DecisionsFor)))).
			Order(ent.Desc(changerequest.FieldCreatedAt), ent.Desc(changerequest.FieldID))
	} else {
		q.Where(changerequest.StateEQ(changerequest.StateOpen)).Order(ent.Asc(changerequest.FieldCreatedAt), ent.Asc(changerequest.FieldID))
	}
	crs, err := q.All(ctx)
	if err != nil {
		return ChangeList{}, err
	}
	oids, pids := make([]int, 0, len(crs)), make([]int, 0, len(crs))
	for _, cr := range crs {
		oids = append(oids, cr.OrderID)
		pids = append(pids, cr.PartnerID)
	}
	os, err := s.client.Order.Query().Where(order.IDIn(oids...)).Select(order.FieldID, order.FieldNumber, order.FieldBuyerID).All(ctx)
	if err != nil {
		return ChangeList{}, err
	}
	byID := map[int]*ent.Order{}
	for _, o := range os {
		byID[o.ID] = o
	}
	ps, err := s.partnerMap(ctx, pids)
	if err != nil {
		return ChangeList{}, err
	}
	items := make([]ChangeItem, 0, len(crs))
	for _, cr := range crs {
		it := ChangeItem{ChangeRequestID: cr.ID, OrderID: cr.OrderID, PartnerID: cr.PartnerID, State: cr.State, Lines: len(cr.Changes),
			CreatedAt: cr.CreatedAt, DecidedAt: cr.DecidedAt, DecisionReason: cr.DecisionReason}
		buyer := 0
		if o := byID[cr.OrderID]; o != nil {
			it.OrderNumber, buyer = o.Number, o.BuyerID
		}
		if p := ps[cr.PartnerID]; p != nil {
			it.PartnerName = p.Name
		}
		if isMine != nil {
			it.Mine = isMine(cr.PartnerID, buyer)
		}
		items = append(items, it)
	}
	firstMine(items, func(i ChangeItem) bool { return i.Mine })
	return ChangeList{Count: len(items), Items: capped(items)}, nil
}

// certificates lists the caller's certificates expired or expiring
// within CertificateWindow, soonest (most lapsed) first.
func (s *Service) certificates(ctx context.Context, now time.Time) (CertificateList, error) {
	today := startOfDay(now)
	ds, err := s.client.Document.Query().Where(document.KindEQ(document.KindCertificate), document.ExpiresOnNotNil(),
		document.ExpiresOnLT(today.Add(CertificateWindow))).
		Order(ent.Asc(document.FieldExpiresOn), ent.Asc(document.FieldID)).All(ctx)
	if err != nil {
		return CertificateList{}, err
	}
	items := make([]CertificateItem, 0, len(ds))
	for _, d := range ds {
		items = append(items, CertificateItem{DocumentID: d.ID, Title: d.Title, ExpiresOn: *d.ExpiresOn, Expired: d.ExpiresOn.Before(today), Mandatory: d.Mandatory})
	}
	return CertificateList{Count: len(items), Items: capped(items)}, nil
}

// lateLines lists upstream order lines whose due day (the promised date,
// else the required date) is over and whose quantity is not fully
// received, most overdue first. Rejected lines owe nothing, and orders
// cancelled, closed or rejected are done.
func (s *Service) lateLines(ctx context.Context, now time.Time, isMine mine) (LineList, error) {
	today := startOfDay(now)
	ls, err := s.client.OrderLine.Query().Where(orderline.AckStateNEQ(orderline.AckStateRejected),
		orderline.Or(orderline.RequiredDateLT(today), orderline.PromisedDateLT(today)),
		orderline.HasOrderWith(order.DirectionEQ(order.DirectionUpstream),
			order.StatusIn(order.StatusPublished, order.StatusChangesRequested, order.StatusAcknowledged))).
		WithOrder(func(q *ent.OrderQuery) {
			q.Select(order.FieldID, order.FieldNumber, order.FieldPartnerID, order.FieldBuyerID)
		}).
		All(ctx)
	if err != nil {
		return LineList{}, err
	}
	ids := make([]int, 0, len(ls))
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	received := map[int]int64{}
	if len(ids) > 0 {
		sls, err := s.client.ShipmentLine.Query().Where(shipmentline.OrderLineIDIn(ids...)).
			Select(shipmentline.FieldOrderLineID, shipmentline.FieldReceived).All(ctx)
		if err != nil {
			return LineList{}, err
		}
		for _, sl := range sls {
			received[sl.OrderLineID] += sl.Received
		}
	}
	var items []LineItem
	pids := []int{}
	for _, l := range ls {
		due := l.RequiredDate
		if l.PromisedDate != nil {
			due = *l.PromisedDate
		}
		open := l.Quantity - received[l.ID]
		if !due.Before(today) || open <= 0 {
			continue
		}
		o := l.Edges.Order
		it := LineItem{OrderID: l.OrderID, PartnerID: l.PartnerID, LineNo: l.LineNo, ItemCode: l.ItemCode, DueOn: due, Open: open, Unit: l.Unit}
		buyer := 0
		if o != nil {
			it.OrderNumber, buyer = o.Number, o.BuyerID
		}
		if isMine != nil {
			it.Mine = isMine(l.PartnerID, buyer)
		}
		items = append(items, it)
		pids = append(pids, l.PartnerID)
	}
	ps, err := s.partnerMap(ctx, pids)
	if err != nil {
		return LineList{}, err
	}
	for i := range items {
		if p := ps[items[i].PartnerID]; p != nil {
			items[i].PartnerName = p.Name
		}
	}
	slices.SortStableFunc(items, func(a, b LineItem) int {
		if c := a.DueOn.Compare(b.DueOn); c != 0 {
			return c
		}
		if a.OrderID != b.OrderID {
			return a.OrderID - b.OrderID
		}
		return a.LineNo - b.LineNo
	})
	firstMine(items, func(i LineItem) bool { return i.Mine })
	return LineList{Count: len(items), Items: capped(items)}, nil
}

// movers compares each partner's weekly scorecard with the week before
// and returns those whose score moved most, up and down. This week is
// measured to now and last week to the same moment of its own week (the
// scorecards service computes a period as of a time), so a Monday
// morning is not set against a whole week. Only partners with a score in
// both weeks can move; a change under MinMove points is noise.
func (s *Service) movers(ctx context.Context, now time.Time) (*Movers, error) {
	if s.cards == nil {
		return nil, nil
	}
	cur, err := s.rankAll(ctx, now)
	if err != nil {
		return nil, err
	}
	prev, err := s.rankAll(ctx, now.AddDate(0, 0, -7))
	if err != nil {
		return nil, err
	}
	before := map[int]scorecards.Card{}
	for _, c := range prev.Items {
		before[c.PartnerID] = c
	}
	out := &Movers{Period: cur.Period, PrevPeriod: prev.Period, Up: []Mover{}, Down: []Mover{}}
	for _, c := range cur.Items {
		b, ok := before[c.PartnerID]
		if !ok || c.Score == nil || b.Score == nil {
			continue
		}
		d := *c.Score - *b.Score
		if math.Abs(d) < MinMove {
			continue
		}
		m := Mover{PartnerID: c.PartnerID, PartnerName: c.PartnerName, Score: *c.Score, PrevScore: *b.Score, Delta: d,
			OTIF: c.Metrics.OTIF.Value, PrevOTIF: b.Metrics.OTIF.Value, AckHours: c.Metrics.AckMedianHours, PrevAck: b.Metrics.AckMedianHours}
		if d > 0 {
			out.Up = append(out.Up, m)
		} else {
			out.Down = append(out.Down, m)
		}
	}
	byMove := func(a, b Mover) int {
		if c := -cmpFloat(math.Abs(a.Delta), math.Abs(b.Delta)); c != 0 {
			return c
		}
		return a.PartnerID - b.PartnerID
	}
	slices.SortFunc(out.Up, byMove)
	slices.SortFunc(out.Down, byMove)
	if len(out.Up) > MaxMovers {
		out.Up = out.Up[:MaxMovers]
	}
	if len(out.Down) > MaxMovers {
		out.Down = out.Down[:MaxMovers]
	}
	return out, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rankAll is every partner's weekly card as of at, all pages.
func (s *Service) rankAll(ctx context.Context, at time.Time) (scorecards.Ranking, error) {
	var all scorecards.Ranking
	cursor := ""
	for {
		r, err := s.cards.Rank(ctx, scorecards.RankFilter{Period: scorecards.Week, Limit: 200, Cursor: cursor}, at)
		if err != nil {
			return scorecards.Ranking{}, err
		}
		all.Period = r.Period
		all.Items = append(all.Items, r.Items...)
		if r.NextCursor == "" {
			return all, nil
		}
		cursor = r.NextCursor
	}
}
