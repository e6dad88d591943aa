package shipments

import (
	"context"
	"slices"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/shipmentline"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/orders"
)

// BoardFilter narrows the status board.
type BoardFilter struct {
	Direction order.Direction `query:"direction" validate:"omitempty,oneof=upstream downstream"`
	PartnerID int             `query:"partner_id" validate:"omitempty,min=1"`
	State     LineState       `query:"state" validate:"omitempty,oneof=open shipped in_transit received at_risk late"`
	Cursor    string          `query:"cursor" validate:"max=200"`
	Limit     int             `query:"limit" validate:"omitempty,min=1,max=200"`
}

// LineState is where an open order line stands, computed from its
// shipments; the board filter also takes LineAtRisk and LineLate, which
// are flags beside the state rather than states.
type LineState string

// Line states, and the two flags the board filter takes as states.
const (
	LineOpen      LineState = "open"
	LineShipped   LineState = "shipped"
	LineInTransit LineState = "in_transit"
	LineReceived  LineState = "received"
	LineAtRisk    LineState = "at_risk"
	LineLate      LineState = "late"
)

// BoardLine is one order line's computed status.
type BoardLine struct {
	OrderID     int             `json:"order_id"`
	OrderNumber string          `json:"order_number"`
	PartnerID   int             `json:"partner_id"`
	Direction   order.Direction `json:"direction"`
	LineNo      int             `json:"line_no"`
	ItemCode    string          `json:"item_code"`
	Ordered     orders.Qty      `json:"ordered"`
	Shipped     orders.Qty      `json:"shipped"`
	InTransit   orders.Qty      `json:"in_transit"`
	Received    orders.Qty      `json:"received"`
	Due         time.Time       `json:"due"`
	ETA         *time.Time      `json:"eta"`
	// State is open, shipped, in_transit or received.
	State  LineState `json:"state"`
	AtRisk bool      `json:"at_risk"`
	Late   bool      `json:"late"`
	// PartnerName names the line's partner, so the board needs no read
	// per row.
	PartnerName string `json:"partner_name"`
}

// Board is one page of the status board, due date first.
type Board struct {
	Items      []BoardLine `json:"items"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// boardScan is how many open lines the board computes at most.
const boardScan = 5000

// OpenLines computes the status of the open order lines of the given
// partners (every partner the caller sees when none are given), in one
// direction or both, at most max lines, due date first — in two queries
// however many lines there are.
func (s *Service) OpenLines(ctx context.Context, partnerIDs []int, direction order.Direction, max int) ([]BoardLine, error) {
	q := s.client.OrderLine.Query().Where(orderline.AckStateNEQ(orderline.AckStateRejected),
		orderline.HasOrderWith(order.StatusIn(order.StatusPublished, order.StatusChangesRequested, order.StatusAcknowledged)))
	if len(partnerIDs) > 0 {
		q.Where(orderline.PartnerIDIn(partnerIDs...))
	}
	if direction != "" {
		q.Where(orderline.HasOrderWith(order.DirectionEQ(direction)))
	}
	lines, err := q.WithOrder().Order(ent.Asc(orderline.FieldRequiredDate), ent.Asc(orderline.FieldID)).Limit(max).All(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(lines))
	for i, l := range lines {
		ids[i] = l.ID
	}
	bySL := map[int][]*ent.ShipmentLine{}
	for chunk := range slices.Chunk(ids, 5000) {
		sls, err := s.client.ShipmentLine.Query().Where(shipmentline.OrderLineIDIn(chunk...),
			shipmentline.HasShipmentWith(shipment.StatusNEQ(shipment.StatusCancelled))).WithShipment().All(ctx)
		if err != nil {
			return nil, err
		}
		for _, sl := range sls {
			bySL[sl.OrderLineID] = append(bySL[sl.OrderLineID], sl)
		}
	}
	y, m, d := s.now().UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	out := make([]BoardLine, 0, len(lines))
	for _, l := range lines {
		o := l.Edges.Order
		b := BoardLine{OrderID: o.ID, OrderNumber: o.Number, PartnerID: l.PartnerID, Direction: o.Direction, LineNo: l.LineNo,
			ItemCode: l.ItemCode, Ordered: orders.Qty(l.Quantity), Due: l.RequiredDate}
		if l.PromisedDate != nil {
			b.Due = *l.PromisedDate
		}
		for _, sl := range bySL[l.ID] {
			sh := sl.Edges.Shipment
			b.Shipped += orders.Qty(sl.Quantity)
			b.Received += orders.Qty(sl.Received)
			switch sh.Status {
			case shipment.StatusInTransit, shipment.StatusDelayed, shipment.StatusDelivered:
				b.InTransit += orders.Qty(sl.Quantity)
			}
			if sh.Status != shipment.StatusReceived && sh.Eta != nil && (b.ETA == nil || sh.Eta.After(*b.ETA)) {
				b.ETA = sh.Eta
			}
		}
		switch {
		case b.Received >= b.Ordered:
			b.State = LineReceived
		case b.InTransit > 0:
			b.State = LineInTransit
		case b.Shipped > 0:
			b.State = LineShipped
		default:
			b.State = LineOpen
		}
		if b.State != LineReceived {
			b.AtRisk = b.ETA != nil && b.ETA.After(b.Due)
			b.Late = today.After(b.Due)
		}
		out = append(out, b)
	}
	return out, nil
}

// Board computes the status of open order lines from orders, shipments
// and receipts; nobody types a status in. The due date is the accepted
// promised date, else the required date; a line is at risk when a
// shipment's ETA is after it, and late once it has passed unreceived.
func (s *Service) Board(ctx context.Context, f BoardFilter) (Board, error) {
	if err := partners.Validate(f); err != nil {
		return Board{}, err
	}
	// The board's states are computed, not stored, so a filtered board
	// cannot resume from a line's key in the database: it pages by
	// offset over the open lines in (due date, line id) order.
	skip, err := partners.Offset(f.Cursor)
	if err != nil {
		return Board{}, err
	}
	limit := partners.Limit(f.Limit, 50)
	var ids []int
	if f.PartnerID != 0 {
		ids = []int{f.PartnerID}
	}
	lines, err := s.OpenLines(ctx, ids, f.Direction, boardScan)
	if err != nil {
		return Board{}, err
	}
	out := Board{Items: []BoardLine{}}
	matched := 0
	for _, b := range lines {
		switch f.State {
		case "", b.State:
		case LineAtRisk:
			if !b.AtRisk {
				continue
			}
		case LineLate:
			if !b.Late {
				continue
			}
		default:
			continue
		}
		matched++
		if matched <= skip {
			continue
		}
		if len(out.Items) == limit {
			out.NextCursor = partners.OffsetCursor(skip + limit)
			break
		}
		out.Items = append(out.Items, b)
	}
	pids := make([]int, 0, len(out.Items))
	for _, b := range out.Items {
		pids = append(pids, b.PartnerID)
	}
	names, err := partners.PartnerNames(ctx, s.client, pids)
	if err != nil {
		return Board{}, err
	}
	for i := range out.Items {
		out.Items[i].PartnerName = names[out.Items[i].PartnerID]
	}
	return out, nil
}
