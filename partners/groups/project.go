package groups

import (
	"context"
	"fmt"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/domainevent"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/shipment"
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
	actor := newPeople(sys, c).label(ev.Actor)
	n, dir := subjectNumber(sys, c, ev)
	msg, ok := eventMessage(pl, actor, dir)
	if !ok {
		return nil
	}
	p := newPost{kind: post.KindSystem, event: ev}
	card := func(kind, subjectType string, subjectID int) {
		p.kind, p.cardKind, p.subjectType, p.subjectID = post.KindCard, kind, subjectType, subjectID
	}
	// What the event settles (cards it closes) and asks (cards it opens).
	switch pl := pl.(type) {
	case partners.OrderPublished:
		if dir != order.DirectionDownstream {
			card(CardOrderAck, "order", ev.SubjectID)
		}
	case partners.OrderAcknowledged:
		err = s.closeCards(sys, c, "order", ev.SubjectID, "answered", actor, at)
	case partners.OrderCancelled:
		err = s.closeCards(sys, c, "order", ev.SubjectID, "cancelled", actor, at)
	case partners.ChangeRequested:
		card(CardChangeRequest, "change_request", pl.ChangeRequestID)
	case partners.ChangeApproved:
		err = s.closeCards(sys, c, "change_request", pl.ChangeRequestID, "approved", actor, at)
	case partners.ChangeRejected:
		err = s.closeCards(sys, c, "change_request", pl.ChangeRequestID, "rejected", actor, at)
		// The lines go back to the supplier, who must answer again.
		card(CardOrderAck, "order", ev.SubjectID)
	case partners.ShipmentDelivered:
		card(CardReceipt, "shipment", ev.SubjectID)
		if dir == order.DirectionDownstream {
			p.cardKind = CardDeliveryRcpt
		}
	case partners.ShipmentReceived:
		err = s.closeCards(sys, c, "shipment", ev.SubjectID, "received", actor, at)
	case partners.ShipmentCancelled:
		err = s.closeCards(sys, c, "shipment", ev.SubjectID, "cancelled", actor, at)
	}
	if err != nil {
		return err
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

// eventMessage is what the feed says about an event (without its
// subject's number), actor the name of who acted; false for an event the
// feed does not show. Posts are written with it, and posts written
// before texts were stored by key are read back with it.
func eventMessage(pl any, actor string, dir order.Direction) (i18n.Message, bool) {
	switch pl := pl.(type) {
	case partners.OrderPublished:
		if dir == order.DirectionDownstream {
			return i18n.M("feed.delivery_order_published"), true
		}
		return i18n.M("feed.order_published"), true
	case partners.OrderAcknowledged:
		return i18n.N("feed.order_acknowledged", pl.Lines).With("Actor", actor).With("Changes", pl.Changes), true
	case partners.OrderCancelled:
		return i18n.M("feed.order_cancelled").With("Reason", pl.Reason), true
	case partners.ChangeRequested:
		return i18n.N("feed.change_requested", pl.Lines), true
	case partners.ChangeApproved:
		return i18n.M("feed.change_approved").With("Actor", actor).With("Revision", pl.Revision), true
	case partners.ChangeRejected:
		return i18n.M("feed.change_rejected").With("Actor", actor), true
	case partners.ShipmentCreated:
		if pl.ETA != "" {
			return i18n.N("feed.shipment_created_eta", pl.Lines).With("ETA", pl.ETA), true
		}
		return i18n.N("feed.shipment_created", pl.Lines), true
	case partners.ShipmentShipped:
		return i18n.M("feed.shipment_shipped"), true
	case partners.ShipmentInTransit:
		return i18n.M("feed.shipment_in_transit"), true
	case partners.ShipmentDelayed:
		return i18n.M("feed.shipment_delayed").With("Reason", pl.Reason).With("ETA", pl.NewETA), true
	case partners.ShipmentDelivered:
		return i18n.M("feed.shipment_delivered"), true
	case partners.ShipmentReceived:
		return i18n.M("feed.shipment_received").With("Actor", actor), true
	case partners.ShipmentCancelled:
		return i18n.M("feed.shipment_cancelled"), true
	}
	return i18n.Message{}, false
}

// eventText is an event post's message read back from its event, for
// posts that stored only their text (with the actor's address in it).
func eventText(ctx context.Context, c *ent.Client, pp *people, eventID int) (i18n.Message, bool) {
	ev, err := c.DomainEvent.Query().Where(domainevent.ID(eventID)).Only(ctx)
	if err != nil {
		return i18n.Message{}, false
	}
	pl, err := partners.Decode(ev.Kind, ev.Payload)
	if err != nil {
		return i18n.Message{}, false
	}
	n, dir := subjectNumber(ctx, c, ev)
	m, ok := eventMessage(pl, pp.label(ev.Actor), dir)
	return m.With("Number", n), ok
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
