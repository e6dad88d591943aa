package groups

import (
	"context"
	"fmt"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Card kinds.
const (
	CardOrderAck      = "order_ack"      // the supplier acknowledges a published order
	CardChangeRequest = "change_request" // the buyer approves or rejects a change
	CardReceipt       = "receipt"        // the company confirms an upstream delivery
	CardDeliveryRcpt  = "delivery_receipt"
)

// projectHook turns each domain event, as it is recorded, into system
// posts and cards in the groups that follow the event's partner, and
// closes the cards the event settles — in the same transaction as the
// change, so the feed never shows a change that did not happen, or
// misses one that did.
func (s *Service) projectHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil || !m.Op().Is(ent.OpCreate) {
			return v, err
		}
		ev, ok := v.(*ent.DomainEvent)
		dm, ok2 := m.(*ent.DomainEventMutation)
		if !ok || !ok2 {
			return v, err
		}
		if err := s.project(ctx, dm.Client(), ev); err != nil {
			return nil, fmt.Errorf("group feed: %w", err)
		}
		return v, nil
	})
}

// statusGroups are the groups that may receive automatic status about a
// partner: those that follow it and have no contact of another partner.
func statusGroups(ctx context.Context, c *ent.Client, partnerID int) ([]*ent.Group, error) {
	return c.Group.Query().Where(group.PartnerID(partnerID), group.Archived(false),
		group.Not(group.HasMembersWith(groupmember.PartnerIDNEQ(partnerID)))).Order(ent.Asc(group.FieldID)).All(ctx)
}

func (s *Service) project(ctx context.Context, c *ent.Client, ev *ent.DomainEvent) error {
	pl, err := partners.Decode(ev.Kind, ev.Payload)
	if err != nil {
		return err
	}
	sys := system(ctx)
	at := ev.CreatedAt
	actor := actorName(sys, c, ev.Actor)
	n, dir := subjectNumber(sys, c, ev)
	p := newPost{kind: post.KindSystem, event: ev}
	card := func(kind, subjectType string, subjectID int) {
		p.kind, p.cardKind, p.subjectType, p.subjectID = post.KindCard, kind, subjectType, subjectID
	}
	var msg i18n.Message
	switch pl := pl.(type) {
	case partners.OrderPublished:
		if dir == order.DirectionDownstream {
			msg = i18n.M("feed.delivery_order_published")
			break
		}
		card(CardOrderAck, "order", ev.SubjectID)
		msg = i18n.M("feed.order_published")
	case partners.OrderAcknowledged:
		if err := s.closeCards(sys, c, "order", ev.SubjectID, "answered", actor, at); err != nil {
			return err
		}
		msg = i18n.N("feed.order_acknowledged", pl.Lines).With("Actor", actor).With("Changes", pl.Changes)
	case partners.OrderCancelled:
		if err := s.closeCards(sys, c, "order", ev.SubjectID, "cancelled", actor, at); err != nil {
			return err
		}
		msg = i18n.M("feed.order_cancelled").With("Reason", pl.Reason)
	case partners.ChangeRequested:
		card(CardChangeRequest, "change_request", pl.ChangeRequestID)
		msg = i18n.N("feed.change_requested", pl.Lines)
	case partners.ChangeApproved:
		if err := s.closeCards(sys, c, "change_request", pl.ChangeRequestID, "approved", actor, at); err != nil {
			return err
		}
		msg = i18n.M("feed.change_approved").With("Actor", actor).With("Revision", pl.Revision)
	case partners.ChangeRejected:
		if err := s.closeCards(sys, c, "change_request", pl.ChangeRequestID, "rejected", actor, at); err != nil {
			return err
		}
		// The lines go back to the supplier, who must answer again.
		card(CardOrderAck, "order", ev.SubjectID)
		msg = i18n.M("feed.change_rejected").With("Actor", actor)
	case partners.ShipmentCreated:
		msg = i18n.N("feed.shipment_created", pl.Lines)
		if pl.ETA != "" {
			msg = i18n.N("feed.shipment_created_eta", pl.Lines).With("ETA", pl.ETA)
		}
	case partners.ShipmentShipped:
		msg = i18n.M("feed.shipment_shipped")
	case partners.ShipmentInTransit:
		msg = i18n.M("feed.shipment_in_transit")
	case partners.ShipmentDelayed:
		msg = i18n.M("feed.shipment_delayed").With("Reason", pl.Reason).With("ETA", pl.NewETA)
	case partners.ShipmentDelivered:
		card(CardReceipt, "shipment", ev.SubjectID)
		if dir == order.DirectionDownstream {
			p.cardKind = CardDeliveryRcpt
		}
		msg = i18n.M("feed.shipment_delivered")
	case partners.ShipmentReceived:
		if err := s.closeCards(sys, c, "shipment", ev.SubjectID, "received", actor, at); err != nil {
			return err
		}
		msg = i18n.M("feed.shipment_received").With("Actor", actor)
	case partners.ShipmentCancelled:
		if err := s.closeCards(sys, c, "shipment", ev.SubjectID, "cancelled", actor, at); err != nil {
			return err
		}
		msg = i18n.M("feed.shipment_cancelled")
	default:
		return nil
	}
	p.message = i18n.Lines{msg.With("Number", n)}
	gs, err := statusGroups(sys, c, ev.PartnerID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if _, err := s.appendPost(sys, c, g, p); err != nil {
			return err
		}
	}
	return nil
}

// subjectNumber names an event's order or shipment by its number, with
// its direction.
func subjectNumber(ctx context.Context, c *ent.Client, ev *ent.DomainEvent) (string, order.Direction) {
	switch ev.SubjectType {
	case "order":
		if o, err := c.Order.Query().Where(order.ID(ev.SubjectID)).Only(ctx); err == nil {
			return o.Number, o.Direction
		}
	case "shipment":
		if sh, err := c.Shipment.Query().Where(shipment.ID(ev.SubjectID)).Only(ctx); err == nil {
			n := sh.Number
			if n == "" {
				n = fmt.Sprintf("#%d", sh.ID)
			}
			return n, order.Direction(sh.Direction)
		}
	}
	return fmt.Sprintf("#%d", ev.SubjectID), ""
}

// actorName is how the feed names who acted: the user's name, never the
// e-mail address events record as their actor label. A label that names
// no user (a job, the demo) is shown as it is.
func actorName(ctx context.Context, c *ent.Client, label string) string {
	if u, err := c.User.Query().Where(user.Email(label)).First(ctx); err == nil && u.Name != "" {
		return u.Name
	}
	return label
}
