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
	sys := system(ctx)
	at := ev.CreatedAt
	actor := ev.Actor
	num := func() (string, string) { return subjectNumber(sys, c, ev) }
	p := newPost{kind: post.KindSystem, event: ev}
	switch ev.Kind {
	case "order.published":
		n, dir := num()
		if dir == "downstream" {
			p.body, p.bodyZh = fmt.Sprintf("Delivery order %s was published.", n), fmt.Sprintf("交货订单 %s 已发布。", n)
			break
		}
		p.kind, p.cardKind, p.subjectType, p.subjectID = post.KindCard, CardOrderAck, "order", ev.SubjectID
		p.body, p.bodyZh = fmt.Sprintf("Order %s was published and awaits acknowledgement.", n), fmt.Sprintf("订单 %s 已发布，等待供应商确认。", n)
	case "order.acknowledged":
		n, _ := num()
		if err := s.closeCards(sys, c, "order", ev.SubjectID, "answered", actor, at); err != nil {
			return err
		}
		lines, changes := toInt(ev.Payload["lines"]), toInt(ev.Payload["changes"])
		p.body = fmt.Sprintf("%s answered order %s: %d line(s), %d with changes.", actor, n, lines, changes)
		p.bodyZh = fmt.Sprintf("%s 已答复订单 %s：%d 行，其中 %d 行要求变更。", actor, n, lines, changes)
	case "change.requested":
		n, _ := num()
		cr := toInt(ev.Payload["change_request_id"])
		p.kind, p.cardKind, p.subjectType, p.subjectID = post.KindCard, CardChangeRequest, "change_request", cr
		p.body = fmt.Sprintf("Change requested on order %s (%d line(s)): approve or reject.", n, toInt(ev.Payload["lines"]))
		p.bodyZh = fmt.Sprintf("订单 %s 申请变更（%d 行）：请批准或拒绝。", n, toInt(ev.Payload["lines"]))
	case "change.approved", "change.rejected":
		n, _ := num()
		cr := toInt(ev.Payload["change_request_id"])
		outcome := "approved"
		if ev.Kind == "change.rejected" {
			outcome = "rejected"
		}
		if err := s.closeCards(sys, c, "change_request", cr, outcome, actor, at); err != nil {
			return err
		}
		if outcome == "approved" {
			p.body = fmt.Sprintf("%s approved the change on order %s; it is now revision %d.", actor, n, toInt(ev.Payload["revision"]))
			p.bodyZh = fmt.Sprintf("%s 已批准订单 %s 的变更，当前为第 %d 版。", actor, n, toInt(ev.Payload["revision"]))
			break
		}
		// The lines go back to the supplier, who must answer again.
		p.kind, p.cardKind, p.subjectType, p.subjectID = post.KindCard, CardOrderAck, "order", ev.SubjectID
		p.body = fmt.Sprintf("%s rejected the change on order %s; the lines await a new answer.", actor, n)
		p.bodyZh = fmt.Sprintf("%s 已拒绝订单 %s 的变更，相关行等待重新答复。", actor, n)
	case "shipment.created":
		n, _ := num()
		p.body = fmt.Sprintf("Shipment %s announced (%d line(s)).", n, toInt(ev.Payload["lines"]))
		p.bodyZh = fmt.Sprintf("发货通知 %s（%d 行）。", n, toInt(ev.Payload["lines"]))
		if eta, _ := ev.Payload["eta"].(string); eta != "" {
			p.body = fmt.Sprintf("Shipment %s announced (%d line(s)), ETA %s.", n, toInt(ev.Payload["lines"]), eta)
			p.bodyZh = fmt.Sprintf("发货通知 %s（%d 行），预计到达 %s。", n, toInt(ev.Payload["lines"]), eta)
		}
	case "shipment.shipped":
		n, _ := num()
		p.body, p.bodyZh = fmt.Sprintf("Shipment %s has shipped.", n), fmt.Sprintf("货件 %s 已发运。", n)
	case "shipment.in_transit":
		n, _ := num()
		p.body, p.bodyZh = fmt.Sprintf("Shipment %s is in transit.", n), fmt.Sprintf("货件 %s 运输中。", n)
	case "shipment.delayed":
		n, _ := num()
		reason, eta := fmt.Sprint(ev.Payload["reason"]), fmt.Sprint(ev.Payload["new_eta"])
		p.body = fmt.Sprintf("Shipment %s is delayed: %s. New ETA %s.", n, reason, eta)
		p.bodyZh = fmt.Sprintf("货件 %s 延误：%s。新的预计到达 %s。", n, reason, eta)
	case "shipment.delivered":
		n, dir := num()
		p.kind, p.cardKind, p.subjectType, p.subjectID = post.KindCard, CardReceipt, "shipment", ev.SubjectID
		if dir == "downstream" {
			p.cardKind = CardDeliveryRcpt
		}
		p.body, p.bodyZh = fmt.Sprintf("Shipment %s was delivered: please confirm receipt.", n), fmt.Sprintf("货件 %s 已送达：请确认收货。", n)
	case "shipment.received", "shipment.cancelled":
		n, _ := num()
		outcome := "received"
		p.body, p.bodyZh = fmt.Sprintf("%s confirmed receipt of shipment %s.", actor, n), fmt.Sprintf("%s 已确认收到货件 %s。", actor, n)
		if ev.Kind == "shipment.cancelled" {
			outcome = "cancelled"
			p.body, p.bodyZh = fmt.Sprintf("Shipment %s was cancelled.", n), fmt.Sprintf("货件 %s 已取消。", n)
		}
		if err := s.closeCards(sys, c, "shipment", ev.SubjectID, outcome, actor, at); err != nil {
			return err
		}
	default:
		return nil
	}
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
func subjectNumber(ctx context.Context, c *ent.Client, ev *ent.DomainEvent) (string, string) {
	switch ev.SubjectType {
	case "order":
		if o, err := c.Order.Query().Where(order.ID(ev.SubjectID)).Only(ctx); err == nil {
			return o.Number, string(o.Direction)
		}
	case "shipment":
		if sh, err := c.Shipment.Query().Where(shipment.ID(ev.SubjectID)).Only(ctx); err == nil {
			n := sh.Number
			if n == "" {
				n = fmt.Sprintf("#%d", sh.ID)
			}
			return n, string(sh.Direction)
		}
	}
	return fmt.Sprintf("#%d", ev.SubjectID), ""
}
