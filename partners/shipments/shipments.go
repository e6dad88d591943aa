// Package shipments is advance ship notices and their status events:
// what has shipped against which order lines, where it is, what arrived.
// Line status is computed from these records, never typed in.
package shipments

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/ent/shipmentline"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/orders"
)

// LineInput is how much of one order line a shipment carries.
type LineInput struct {
	OrderID  int        `json:"order_id" validate:"required,min=1"`
	LineNo   int        `json:"line_no" validate:"required,min=1"`
	Quantity orders.Qty `json:"quantity" validate:"gt=0"`
}

// Input posts a shipment.
type Input struct {
	PartnerID      int        `json:"partner_id" validate:"required,min=1"`
	Number         string     `json:"number" validate:"max=64"`
	Carrier        string     `json:"carrier" validate:"max=100"`
	TrackingNumber string     `json:"tracking_number" validate:"max=100"`
	ShipDate       string     `json:"ship_date" validate:"omitempty,datetime=2006-01-02"`
	ETA            string     `json:"eta" validate:"omitempty,datetime=2006-01-02"`
	Packages       int        `json:"packages" validate:"min=0,max=100000"`
	WeightKg       orders.Qty `json:"weight_kg" validate:"gte=0"`
	// CarrierPartnerID names the logistics partner carrying the goods; its
	// users may then follow the shipment and post its movements.
	CarrierPartnerID int         `json:"carrier_partner_id" validate:"omitempty,min=1"`
	Lines            []LineInput `json:"lines" validate:"required,min=1,max=500,dive"`
}

// Received is what arrived of one shipment line.
type Received struct {
	LineID   int        `json:"line_id" validate:"required,min=1"`
	Quantity orders.Qty `json:"quantity" validate:"gte=0"`
}

// EventInput is a status update.
type EventInput struct {
	Kind     shipmentevent.Kind `json:"kind" validate:"required,oneof=shipped in_transit delayed delivered received cancelled"`
	Reason   string             `json:"reason" validate:"max=500"`
	NewETA   string             `json:"new_eta" validate:"omitempty,datetime=2006-01-02"`
	Location string             `json:"location" validate:"max=200"`
	Received []Received         `json:"received" validate:"max=500,dive"`
}

// Line is a shipment line as shown.
type Line struct {
	ID       int    `json:"id"`
	OrderID  int    `json:"order_id"`
	LineNo   int    `json:"line_no"`
	ItemCode string `json:"item_code"`
	// OrderNumber names the line's order, so a page can link to it.
	OrderNumber string     `json:"order_number"`
	Quantity    orders.Qty `json:"quantity"`
	Received    orders.Qty `json:"received"`
}

// Event is a status update as shown.
type Event struct {
	Kind     shipmentevent.Kind `json:"kind"`
	Reason   string             `json:"reason,omitempty"`
	NewETA   *time.Time         `json:"new_eta,omitempty"`
	Location string             `json:"location,omitempty"`
	Actor    string             `json:"actor"`
	At       time.Time          `json:"at"`
}

// Shipment is a shipment as shown.
type Shipment struct {
	ID               int                `json:"id"`
	PartnerID        int                `json:"partner_id"`
	Direction        shipment.Direction `json:"direction"`
	Number           string             `json:"number"`
	Carrier          string             `json:"carrier"`
	TrackingNumber   string             `json:"tracking_number"`
	ShipDate         *time.Time         `json:"ship_date"`
	ETA              *time.Time         `json:"eta"`
	Packages         int                `json:"packages"`
	WeightKg         orders.Qty         `json:"weight_kg"`
	Status           shipment.Status    `json:"status"`
	CarrierPartnerID *int               `json:"carrier_partner_id"`
	Lines            []Line             `json:"lines"`
	Events           []Event            `json:"events"`
	CreatedAt        time.Time          `json:"created_at"`
}

// Orders is one line per order the shipment carries, in order of first
// appearance, for links back to the orders.
func (sh Shipment) Orders() []Line {
	var out []Line
	seen := map[int]bool{}
	for _, l := range sh.Lines {
		if !seen[l.OrderID] {
			seen[l.OrderID] = true
			out = append(out, l)
		}
	}
	return out
}

// Filter narrows a shipment listing.
type Filter struct {
	PartnerID int                `query:"partner_id" validate:"omitempty,min=1"`
	Direction shipment.Direction `query:"direction" validate:"omitempty,oneof=upstream downstream"`
	Status    shipment.Status    `query:"status" validate:"omitempty,oneof=created shipped in_transit delayed delivered received cancelled"`
	// OrderID lists the shipments carrying lines of one order.
	OrderID int `query:"order_id" validate:"omitempty,min=1"`
	// Q lists the shipments carrying lines of orders whose number
	// contains it.
	Q      string `query:"q" validate:"max=64"`
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// Page is one page of shipments, newest first.
type Page struct {
	Items      []Shipment `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Service manages shipments.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// New returns a shipments service.
func New(client *ent.Client) *Service { return &Service{client: client, now: time.Now} }

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// next lists the statuses a shipment may move to from each status.
var next = map[shipment.Status][]shipment.Status{
	shipment.StatusCreated:   {shipment.StatusShipped, shipment.StatusCancelled},
	shipment.StatusShipped:   {shipment.StatusInTransit, shipment.StatusDelayed, shipment.StatusDelivered, shipment.StatusCancelled},
	shipment.StatusInTransit: {shipment.StatusInTransit, shipment.StatusDelayed, shipment.StatusDelivered},
	shipment.StatusDelayed:   {shipment.StatusInTransit, shipment.StatusDelayed, shipment.StatusDelivered},
	shipment.StatusDelivered: {shipment.StatusReceived},
}

// whyNot explains a refused transition in words a user can act on.
func whyNot(from, to shipment.Status) string {
	switch {
	case from == shipment.StatusReceived || from == shipment.StatusCancelled:
		return fmt.Sprintf("the shipment is already %s; nothing follows that", from)
	case to == shipment.StatusDelivered || to == shipment.StatusInTransit || to == shipment.StatusDelayed:
		return fmt.Sprintf("a shipment cannot be %s before it has shipped; it is %s", to, from)
	case to == shipment.StatusReceived:
		return fmt.Sprintf("a shipment is received after it is delivered; it is %s", from)
	case to == shipment.StatusCancelled:
		return fmt.Sprintf("a shipment that is %s can no longer be cancelled", from)
	case to == shipment.StatusShipped:
		return fmt.Sprintf("the shipment already shipped; it is %s", from)
	}
	return fmt.Sprintf("a shipment cannot go from %s to %s", from, to)
}

// Create posts a shipment against lines of one partner's open orders.
// The quantity shipped on a line, with this shipment, may not pass what
// was ordered (plus the partner's over-delivery tolerance).
func (s *Service) Create(ctx context.Context, in Input) (Shipment, error) {
	if err := partners.Validate(in); err != nil {
		return Shipment{}, err
	}
	shipDate, err := partners.ParseDate("ship_date", in.ShipDate)
	if err != nil {
		return Shipment{}, err
	}
	eta, err := partners.ParseDate("eta", in.ETA)
	if err != nil {
		return Shipment{}, err
	}
	v, _ := viewer.FromContext(ctx)
	var id int
	err = partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		p, err := c.Partner.Get(ctx, in.PartnerID)
		if err != nil {
			return partners.Ref("partner_id", "no such partner", err)
		}
		direction := shipment.DirectionUpstream
		if p.Kind != partner.KindSupplier {
			direction = shipment.DirectionDownstream
		}
		if direction == shipment.DirectionDownstream && !v.CanEdit() {
			return partners.Errorf(partners.EForbidden, "deliveries to dealers and customers are posted by the company")
		}
		if in.CarrierPartnerID != 0 {
			if !v.CanEdit() {
				return partners.Errorf(partners.EForbidden, "the company names the carrier of a shipment")
			}
			const why = "must be a logistics partner"
			cp, err := c.Partner.Get(ctx, in.CarrierPartnerID)
			if err != nil {
				return partners.Ref("carrier_partner_id", why, err)
			}
			if cp.Kind != partner.KindLogistics {
				return partners.Invalid("carrier_partner_id", why)
			}
		}
		type key struct{ order, line int }
		seen := map[key]bool{}
		lines := make([]*ent.ShipmentLineCreate, 0, len(in.Lines))
		for i, l := range in.Lines {
			f := func(n string) string { return fmt.Sprintf("lines[%d].%s", i, n) }
			if seen[key{l.OrderID, l.LineNo}] {
				return partners.Invalid(f("line_no"), "lists the same order line twice")
			}
			seen[key{l.OrderID, l.LineNo}] = true
			o, err := c.Order.Get(ctx, l.OrderID)
			if err != nil {
				return partners.RefBecause(f("order_id"), partners.R("order_not_found", "ID", l.OrderID), err)
			}
			if o.PartnerID != in.PartnerID {
				return partners.Invalid(f("order_id"), "belongs to another partner; one shipment carries one partner's orders")
			}
			switch o.Status {
			case order.StatusDraft, order.StatusCancelled, order.StatusClosed, order.StatusRejected:
				return partners.InvalidBecause(f("order_id"), partners.R("order_not_shippable", "Number", o.Number, "Status", o.Status))
			}
			ol, err := c.OrderLine.Query().Where(orderline.OrderID(o.ID), orderline.LineNo(l.LineNo)).Only(ctx)
			if ent.IsNotFound(err) {
				return partners.InvalidBecause(f("line_no"), partners.R("order_no_line", "Number", o.Number, "Line", l.LineNo))
			} else if err != nil {
				return err
			}
			if ol.AckState == orderline.AckStateRejected {
				return partners.Invalid(f("line_no"), "this line was rejected; nothing can ship against it")
			}
			shipped, err := shippedOn(ctx, c, ol.ID)
			if err != nil {
				return err
			}
			limit := ol.Quantity + ol.Quantity*int64(p.OverDeliveryPct)/100
			if open := limit - shipped; int64(l.Quantity) > open {
				return partners.InvalidBecause(f("quantity"), partners.R("more_than_open", "Ordered", orders.Qty(ol.Quantity),
					"Shipped", orders.Qty(shipped), "Open", orders.Qty(max(open, 0))))
			}
			lines = append(lines, c.ShipmentLine.Create().SetPartnerID(in.PartnerID).SetOrderID(o.ID).SetOrderLineID(ol.ID).SetQuantity(int64(l.Quantity)))
		}
		now := s.now()
		sh, err := c.Shipment.Create().SetCreatedAt(now).SetUpdatedAt(now).SetPartnerID(in.PartnerID).SetDirection(direction).SetNumber(in.Number).SetCarrier(in.Carrier).
			SetTrackingNumber(in.TrackingNumber).SetNillableShipDate(shipDate).SetNillableEta(eta).SetPackages(in.Packages).
			SetWeightGrams(int64(in.WeightKg)).SetCreatedBy(v.Label).SetLastEventAt(now).
			SetNillableCarrierPartnerID(partners.IDOrNil(in.CarrierPartnerID)).Save(ctx)
		if err != nil {
			return err
		}
		id = sh.ID
		if sh.Number == "" {
			if err := c.Shipment.UpdateOne(sh).SetNumber(fmt.Sprintf("ASN-%06d", sh.ID)).Exec(ctx); err != nil {
				return err
			}
		}
		for _, l := range lines {
			l.SetShipmentID(sh.ID)
		}
		if err := c.ShipmentLine.CreateBulk(lines...).Exec(ctx); err != nil {
			return err
		}
		if err := c.ShipmentEvent.Create().SetShipmentID(sh.ID).SetPartnerID(sh.PartnerID).SetKind(shipmentevent.KindCreated).
			SetActor(v.Label).SetCreatedAt(now).Exec(ctx); err != nil {
			return err
		}
		return partners.Emit(ctx, c, sh.PartnerID, sh.ID, partners.ShipmentCreated{Lines: len(in.Lines), ETA: in.ETA})
	})
	if err != nil {
		return Shipment{}, err
	}
	return s.Shipment(ctx, id)
}

// shippedOn sums what live shipments carry of an order line.
func shippedOn(ctx context.Context, c *ent.Client, lineID int) (int64, error) {
	var rows []struct {
		Sum sql.NullInt64 `json:"sum"` // NULL when nothing shipped yet
	}
	err := c.ShipmentLine.Query().Where(shipmentline.OrderLineID(lineID),
		shipmentline.HasShipmentWith(shipment.StatusNEQ(shipment.StatusCancelled))).
		Aggregate(ent.Sum(shipmentline.FieldQuantity)).Scan(ctx, &rows)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return rows[0].Sum.Int64, nil
}

// EventResult answers a status update: the event recorded and where the
// shipment now stands (GET the shipment for the rest).
type EventResult struct {
	ShipmentID int             `json:"shipment_id"`
	Status     shipment.Status `json:"status"`
	ETA        *time.Time      `json:"eta"`
	Event      Event           `json:"event"`
}

// AddEvent records a status update after checking it may follow the
// current status. A delay needs its reason and new ETA; a receipt, the
// quantity received per line, entered by the receiving side.
func (s *Service) AddEvent(ctx context.Context, id int, in EventInput) (EventResult, error) {
	if err := partners.Validate(in); err != nil {
		return EventResult{}, err
	}
	newETA, err := partners.ParseDate("new_eta", in.NewETA)
	if err != nil {
		return EventResult{}, err
	}
	v, _ := viewer.FromContext(ctx)
	res := EventResult{ShipmentID: id, Status: shipment.Status(in.Kind), Event: Event{Kind: in.Kind, Reason: in.Reason, NewETA: newETA, Location: in.Location, Actor: v.Label}}
	err = partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		q := c.Shipment.Query().Where(shipment.ID(id))
		if in.Kind == shipmentevent.KindReceived {
			q.WithLines()
		}
		sh, err := q.Only(ctx)
		if err != nil {
			return err
		}
		to := shipment.Status(in.Kind) // an event's kind names the status it moves to
		res.ETA = sh.Eta
		if newETA != nil {
			res.ETA = newETA
		}
		allowed := false
		for _, st := range next[sh.Status] {
			allowed = allowed || st == to
		}
		if !allowed {
			return &partners.Error{Code: partners.EConflict, Message: whyNot(sh.Status, to),
				Fields: []partners.FieldError{{Field: "kind", Reason: whyNot(sh.Status, to)}}}
		}
		// A plain UPDATE: UpdateOne would read the row back, which this
		// hot path does not need.
		u := c.Shipment.Update().Where(shipment.ID(sh.ID)).SetStatus(to).SetLastEventAt(s.now())
		switch to {
		case shipment.StatusDelayed:
			if strings.TrimSpace(in.Reason) == "" {
				return partners.Invalid("reason", "is required for a delay")
			}
			if newETA == nil {
				return partners.Invalid("new_eta", "is required for a delay")
			}
			u.SetEta(*newETA)
		case shipment.StatusShipped:
			if sh.ShipDate == nil {
				d := s.now().UTC().Truncate(24 * time.Hour)
				u.SetShipDate(d)
			}
		case shipment.StatusReceived:
			// The receiving side enters receipts: the company for
			// supplies, the dealer for deliveries.
			// (A carrier is a partner user too, but not the receiver.)
			receiver := v.CanEdit()
			if sh.Direction == shipment.DirectionDownstream {
				receiver = receiver || (v.IsPartner() && v.PartnerID == sh.PartnerID)
			}
			if !receiver {
				return partners.Errorf(partners.EForbidden, "receipts are entered by the receiving side")
			}
			if len(in.Received) == 0 {
				return partners.Invalid("received", "list what arrived of each shipment line")
			}
			byID := map[int]*ent.ShipmentLine{}
			for _, l := range sh.Edges.Lines {
				byID[l.ID] = l
			}
			for i, r := range in.Received {
				l, ok := byID[r.LineID]
				if !ok {
					return partners.Invalid(fmt.Sprintf("received[%d].line_id", i), "is not a line of this shipment")
				}
				if err := c.ShipmentLine.UpdateOne(l).SetReceived(int64(r.Quantity)).Exec(ctx); err != nil {
					return err
				}
			}
		}
		if in.Kind != shipmentevent.KindReceived && len(in.Received) > 0 {
			return partners.Invalid("received", "only a receipt carries received quantities")
		}
		if _, err := u.Save(ctx); err != nil {
			return err
		}
		res.Event.At = s.now()
		ev := c.ShipmentEvent.Create().SetShipmentID(id).SetPartnerID(sh.PartnerID).SetKind(in.Kind).
			SetReason(in.Reason).SetNillableNewEta(newETA).SetLocation(in.Location).SetActor(v.Label).SetCreatedAt(res.Event.At)
		if err := ev.Exec(ctx); err != nil {
			return err
		}
		step, err := partners.ShipmentStep(string(in.Kind), partners.ShipmentProgress{Reason: in.Reason, NewETA: in.NewETA})
		if err != nil {
			return err
		}
		return partners.Emit(ctx, c, sh.PartnerID, id, step)
	})
	if err != nil {
		return EventResult{}, err
	}
	return res, nil
}

// Exists reports whether a shipment is visible to the caller (not found
// otherwise), with one indexed read.
func (s *Service) Exists(ctx context.Context, id int) (bool, error) {
	if _, err := s.client.Shipment.Query().Where(shipment.ID(id)).OnlyID(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// recentEvents is how many of its latest events a shipment is shown
// with; a busy shipment's full history is paged through Events.
const recentEvents = 20

// Shipment returns a shipment with its lines and latest events.
func (s *Service) Shipment(ctx context.Context, id int) (Shipment, error) {
	sh, err := s.client.Shipment.Query().Where(shipment.ID(id)).WithLines().Only(ctx)
	if err != nil {
		return Shipment{}, err
	}
	evs, err := s.client.ShipmentEvent.Query().Where(shipmentevent.ShipmentID(id)).
		Order(ent.Desc(shipmentevent.FieldID)).Limit(recentEvents).All(ctx)
	if err != nil {
		return Shipment{}, err
	}
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	sh.Edges.Events = evs
	return s.toShipment(ctx, sh)
}

// EventFilter pages a shipment's history, oldest first.
type EventFilter struct {
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=500"`
}

// EventPage is one page of a shipment's history.
type EventPage struct {
	Items      []Event `json:"items"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// Events pages through a shipment's whole status history.
func (s *Service) Events(ctx context.Context, id int, f EventFilter) (EventPage, error) {
	if err := partners.Validate(f); err != nil {
		return EventPage{}, err
	}
	if _, err := s.client.Shipment.Get(ctx, id); err != nil {
		return EventPage{}, err
	}
	var cur struct{ I int }
	if f.Cursor != "" {
		if err := partners.DecodeCursor(f.Cursor, &cur); err != nil {
			return EventPage{}, err
		}
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	evs, err := s.client.ShipmentEvent.Query().Where(shipmentevent.ShipmentID(id), shipmentevent.IDGT(cur.I)).
		Order(ent.Asc(shipmentevent.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return EventPage{}, err
	}
	var p EventPage
	if len(evs) > limit {
		evs = evs[:limit]
		p.NextCursor = partners.EncodeCursor(struct{ I int }{evs[len(evs)-1].ID})
	}
	p.Items = make([]Event, 0, len(evs))
	for _, e := range evs {
		p.Items = append(p.Items, Event{Kind: e.Kind, Reason: e.Reason, NewETA: e.NewEta, Location: e.Location, Actor: e.Actor, At: e.CreatedAt})
	}
	return p, nil
}

// List returns shipments, newest first.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if err := partners.Validate(f); err != nil {
		return Page{}, err
	}
	q := s.client.Shipment.Query()
	if f.PartnerID != 0 {
		q.Where(shipment.PartnerID(f.PartnerID))
	}
	if f.Direction != "" {
		q.Where(shipment.DirectionEQ(f.Direction))
	}
	if f.Status != "" {
		q.Where(shipment.StatusEQ(f.Status))
	}
	if f.OrderID != 0 {
		q.Where(shipment.HasLinesWith(shipmentline.OrderID(f.OrderID)))
	}
	if t := strings.TrimSpace(f.Q); t != "" {
		// The orders the caller may see whose number matches, then the
		// shipments carrying their lines.
		ids, err := s.client.Order.Query().Where(order.NumberContainsFold(t)).IDs(ctx)
		if err != nil {
			return Page{}, err
		}
		q.Where(shipment.HasLinesWith(shipmentline.OrderIDIn(ids...)))
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	if before != 0 {
		q.Where(shipment.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	// Listed shipments carry no events: a list of busy shipments would
	// otherwise carry all their histories.
	rows, err := q.Order(ent.Desc(shipment.FieldID)).Limit(limit + 1).WithLines().All(ctx)
	if err != nil {
		return Page{}, err
	}
	var p Page
	rows, p.NextCursor = partners.Trim(rows, limit, func(sh *ent.Shipment) int { return sh.ID })
	p.Items = make([]Shipment, 0, len(rows))
	for _, sh := range rows {
		out, err := s.toShipment(ctx, sh)
		if err != nil {
			return Page{}, err
		}
		p.Items = append(p.Items, out)
	}
	return p, nil
}

func (s *Service) toShipment(ctx context.Context, sh *ent.Shipment) (Shipment, error) {
	out := Shipment{ID: sh.ID, PartnerID: sh.PartnerID, Direction: sh.Direction, Number: sh.Number, Carrier: sh.Carrier,
		TrackingNumber: sh.TrackingNumber, ShipDate: sh.ShipDate, ETA: sh.Eta, Packages: sh.Packages, WeightKg: orders.Qty(sh.WeightGrams),
		Status: sh.Status, CarrierPartnerID: sh.CarrierPartnerID, CreatedAt: sh.CreatedAt, Lines: []Line{}, Events: []Event{}}
	var ids []int
	for _, l := range sh.Edges.Lines {
		ids = append(ids, l.OrderLineID)
	}
	ols, err := s.client.OrderLine.Query().Where(orderline.IDIn(ids...)).All(ctx)
	if err != nil {
		return Shipment{}, err
	}
	byID := map[int]*ent.OrderLine{}
	orderIDs := []int{}
	for _, ol := range ols {
		byID[ol.ID] = ol
		orderIDs = append(orderIDs, ol.OrderID)
	}
	os, err := s.client.Order.Query().Where(order.IDIn(orderIDs...)).Select(order.FieldID, order.FieldNumber).All(ctx)
	if err != nil {
		return Shipment{}, err
	}
	numbers := make(map[int]string, len(os))
	for _, o := range os {
		numbers[o.ID] = o.Number
	}
	for _, l := range sh.Edges.Lines {
		line := Line{ID: l.ID, OrderID: l.OrderID, OrderNumber: numbers[l.OrderID], Quantity: orders.Qty(l.Quantity), Received: orders.Qty(l.Received)}
		if ol := byID[l.OrderLineID]; ol != nil {
			line.LineNo, line.ItemCode = ol.LineNo, ol.ItemCode
		}
		out.Lines = append(out.Lines, line)
	}
	for _, e := range sh.Edges.Events {
		out.Events = append(out.Events, Event{Kind: e.Kind, Reason: e.Reason, NewETA: e.NewEta, Location: e.Location, Actor: e.Actor, At: e.CreatedAt})
	}
	return out, nil
}

// NextStates lists the updates a shipment in status may receive, for
// forms to offer (receipts are entered on their own form).
func NextStates(status shipment.Status) []shipmentevent.Kind {
	var out []shipmentevent.Kind
	for _, st := range next[status] {
		if st != shipment.StatusReceived {
			out = append(out, shipmentevent.Kind(st))
		}
	}
	return out
}
