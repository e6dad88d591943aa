package orders

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/shipmentline"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
)

// DraftInput is what a draft may still change before it is published:
// its currency, notes and every line (items, dates, quantities, prices).
// The partner (and so the direction) and the number are fixed: they name
// the order, and an order for another partner is another order, so
// cancel the draft and create that one.
type DraftInput struct {
	Currency string      `json:"currency" validate:"required,len=3,alpha"`
	Notes    string      `json:"notes" validate:"max=2000"`
	Lines    []LineInput `json:"lines" validate:"required,min=1,max=500,dive"`
}

// CancelInput cancels an order, saying why.
type CancelInput struct {
	Reason string `json:"reason" validate:"required,max=1000"`
}

// Cancellable says whether an order in status may be cancelled: a draft,
// or a published order not yet closed, rejected or cancelled. Whether
// goods are already on their way is checked by Cancel against the
// order's shipments.
func Cancellable(status order.Status) bool {
	switch status {
	case order.StatusDraft, order.StatusPublished, order.StatusChangesRequested, order.StatusAcknowledged:
		return true
	}
	return false
}

// UpdateDraft replaces a draft's currency, notes and lines; only a
// draft accepts it (anything past draft is a conflict: its partner has
// seen it, and changes go through change requests).
func (s *Service) UpdateDraft(ctx context.Context, id int, in DraftInput) (Order, error) {
	if err := partners.Validate(in); err != nil {
		return Order{}, err
	}
	dates := make([]time.Time, len(in.Lines))
	for i, l := range in.Lines {
		d, err := partners.ParseDate(fmt.Sprintf("lines[%d].required_date", i), l.RequiredDate)
		if err != nil {
			return Order{}, err
		}
		dates[i] = *d
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		o, err := c.Order.Query().Where(order.ID(id)).WithLines().Only(ctx)
		if err != nil {
			return err
		}
		if o.Status != order.StatusDraft {
			return partners.Errorf(partners.EConflict, "only a draft can be edited; this order is %s", o.Status)
		}
		before := map[string]any{"currency": o.Currency, "lines": len(o.Edges.Lines)}
		if err := c.Order.UpdateOne(o).SetCurrency(strings.ToUpper(in.Currency)).SetNotes(in.Notes).Exec(ctx); err != nil {
			return err
		}
		// A draft's lines were never answered or shipped: replace them.
		if _, err := c.OrderLine.Delete().Where(orderline.OrderID(id)).Exec(ctx); err != nil {
			return err
		}
		lines := make([]*ent.OrderLineCreate, len(in.Lines))
		for i, l := range in.Lines {
			lines[i] = c.OrderLine.Create().SetOrderID(id).SetPartnerID(o.PartnerID).SetLineNo(i + 1).SetItemCode(l.ItemCode).
				SetDescription(l.Description).SetQuantity(int64(l.Quantity)).SetUnit(or(l.Unit, "pcs")).
				SetUnitPrice(int64(l.UnitPrice)).SetRequiredDate(dates[i])
		}
		if err := c.OrderLine.CreateBulk(lines...).Exec(ctx); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "order.update", EntityType: "order", EntityID: id,
			PartnerID: &o.PartnerID, Before: before,
			After: map[string]any{"currency": strings.ToUpper(in.Currency), "lines": len(in.Lines)}})
	})
	if err != nil {
		return Order{}, err
	}
	return s.Order(ctx, id)
}

// Cancel cancels an order that Cancellable allows and that no live
// shipment carries. Open change requests on it are closed as rejected
// with the same reason. A published order's partner is told by an
// order.cancelled event; a draft's never saw it, and still does not.
func (s *Service) Cancel(ctx context.Context, id int, in CancelInput) (Order, error) {
	if err := partners.Validate(in); err != nil {
		return Order{}, err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return Order{}, partners.Invalid("reason", "is required")
	}
	v, _ := viewer.FromContext(ctx)
	if !v.CanEdit() {
		return Order{}, partners.Errorf(partners.EForbidden, "your role may not cancel orders")
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		o, err := c.Order.Get(ctx, id)
		if err != nil {
			return err
		}
		if !Cancellable(o.Status) {
			return partners.Errorf(partners.EConflict, "the order is %s; it can no longer be cancelled", o.Status)
		}
		live, err := c.ShipmentLine.Query().Where(shipmentline.OrderID(id),
			shipmentline.HasShipmentWith(shipment.StatusNEQ(shipment.StatusCancelled))).Count(ctx)
		if err != nil {
			return err
		}
		if live > 0 {
			return partners.Errorf(partners.EConflict, "goods have been shipped against this order; cancel its shipments first")
		}
		was := o.Status
		if err := c.Order.UpdateOne(o).SetStatus(order.StatusCancelled).Exec(ctx); err != nil {
			return err
		}
		now := s.now()
		if err := c.ChangeRequest.Update().Where(changerequest.OrderID(id), changerequest.StateEQ(changerequest.StateOpen)).
			SetState(changerequest.StateRejected).SetDecidedAt(now).SetDecidedBy(v.Label).
			SetNillableDecidedByID(partners.IDOrNil(v.UserID)).SetDecisionReason(in.Reason).Exec(ctx); err != nil {
			return err
		}
		if err := partners.Audit(ctx, c, partners.AuditRecord{Action: "order.cancel", EntityType: "order", EntityID: id,
			PartnerID: &o.PartnerID, Before: map[string]any{"status": string(was)},
			After: map[string]any{"status": string(order.StatusCancelled), "reason": in.Reason}}); err != nil {
			return err
		}
		if was == order.StatusDraft {
			return nil
		}
		return partners.Emit(ctx, c, o.PartnerID, id, partners.OrderCancelled{Number: o.Number, Reason: in.Reason})
	})
	if err != nil {
		return Order{}, err
	}
	return s.Order(ctx, id)
}
