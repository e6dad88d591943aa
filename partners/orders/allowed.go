package orders

import (
	"context"

	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
)

// Action is something a viewer may do to an order as it stands.
type Action string

// The actions an order may allow.
const (
	// ActionEdit changes a draft's currency, notes and lines.
	ActionEdit Action = "edit"
	// ActionPublish sends a draft to the partner.
	ActionPublish Action = "publish"
	// ActionAcknowledge answers the order's pending lines.
	ActionAcknowledge Action = "acknowledge"
	// ActionDecide approves or rejects the order's open change requests.
	ActionDecide Action = "decide"
	// ActionShip posts a shipment against the order.
	ActionShip Action = "ship"
	// ActionCancel cancels the order, with a reason (see Cancellable).
	ActionCancel Action = "cancel"
)

// Allowed lists what v may do to o now, in the order of the order's life.
// It is the one place that decides it: the API reports it as an order's
// actions, and the pages show a form or a button only for what it allows.
// The partner boundary is not repeated here: v sees o at all only when
// the privacy rules let it.
func Allowed(o Order, v viewer.Viewer) []Action {
	status := order.Status(o.Status)
	answers := v.IsPartner() || v.CanEdit() // the partner, or a buyer on its behalf
	out := []Action{}
	if status == order.StatusDraft && v.CanEdit() {
		out = append(out, ActionEdit, ActionPublish)
	}
	if status == order.StatusPublished && answers {
		out = append(out, ActionAcknowledge)
	}
	if (status == order.StatusChangesRequested || hasOpenRequest(o)) && status != order.StatusCancelled && v.CanEdit() {
		out = append(out, ActionDecide)
	}
	shippable := status == order.StatusPublished || status == order.StatusAcknowledged || status == order.StatusChangesRequested
	if order.Direction(o.Direction) == order.DirectionUpstream && shippable && answers {
		out = append(out, ActionShip)
	}
	// Whether a shipment already carries the order is Cancel's to check:
	// the button is offered, and a refusal says why.
	if Cancellable(status) && v.CanEdit() {
		out = append(out, ActionCancel)
	}
	return out
}

func hasOpenRequest(o Order) bool {
	for _, cr := range o.ChangeRequests {
		if changerequest.State(cr.State) == changerequest.StateOpen {
			return true
		}
	}
	return false
}

// Allows says whether v may do a to o now.
func Allows(o Order, v viewer.Viewer, a Action) bool {
	for _, x := range Allowed(o, v) {
		if x == a {
			return true
		}
	}
	return false
}

// DirectionFor is the direction of every order to a partner of this kind:
// suppliers receive upstream purchase orders, customers downstream
// delivery orders; other partners receive no orders (false).
func DirectionFor(k partner.Kind) (order.Direction, bool) {
	switch k {
	case partner.KindSupplier:
		return order.DirectionUpstream, true
	case partner.KindCustomer:
		return order.DirectionDownstream, true
	}
	return "", false
}

// directionOf is the direction of an order to a partner of kind k, where
// asked is the direction the caller sent (empty when none): the one rule
// the API, the pages and the CSV import apply, refused against the field
// that is wrong.
func directionOf(k partner.Kind, asked order.Direction) (order.Direction, *partners.FieldError) {
	dir, ok := DirectionFor(k)
	switch {
	case !ok:
		return "", new(partners.Because("partner_id", partners.R("order_partner_kind", "Kind", string(k))))
	case asked != "" && asked != dir && dir == order.DirectionUpstream:
		return "", new(partners.Because("direction", partners.R("downstream_partner_kind", "Kind", string(k))))
	case asked != "" && asked != dir:
		return "", new(partners.Because("direction", partners.R("upstream_partner_kind", "Kind", string(k))))
	}
	return dir, nil
}

// withActions fills each order's actions for the caller.
func withActions(ctx context.Context, os []Order) {
	v, _ := viewer.FromContext(ctx)
	for i := range os {
		os[i].Actions = Allowed(os[i], v)
	}
}
