package groups

import (
	"context"
	"errors"
	"fmt"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/shipments"
)

// cardLink says where a card's subject is shown.
func (s *Service) cardLink(ctx context.Context, r *ent.Post) string {
	id := 0
	if r.SubjectID != nil {
		id = *r.SubjectID
	}
	switch r.CardKind {
	case CardOrderAck:
		return fmt.Sprintf("/orders/%d", id)
	case CardChangeRequest:
		if cr, err := s.client.ChangeRequest.Query().Where(changerequest.ID(id)).Only(ctx); err == nil {
			return fmt.Sprintf("/orders/%d", cr.OrderID)
		}
		return "/change-requests"
	case CardReceipt, CardDeliveryRcpt:
		return fmt.Sprintf("/shipments/%d", id)
	}
	return ""
}

// subjectLink says where a system post's subject is shown.
func subjectLink(r *ent.Post) string {
	if r.SubjectID == nil {
		return ""
	}
	switch r.SubjectType {
	case "order":
		return fmt.Sprintf("/orders/%d", *r.SubjectID)
	case "shipment":
		return fmt.Sprintf("/shipments/%d", *r.SubjectID)
	case "document":
		return fmt.Sprintf("/documents/%d", *r.SubjectID)
	case "partner":
		return fmt.Sprintf("/board?partner_id=%d", *r.SubjectID)
	}
	return ""
}

// cardActions are the buttons a kind of card carries, and which side may
// press each.
func cardActions(kind string) []CardAction {
	switch kind {
	case CardOrderAck:
		return []CardAction{{Name: "acknowledge", Side: "partner"}}
	case CardChangeRequest:
		return []CardAction{{Name: "approve", Side: "staff"}, {Name: "reject", Side: "staff"}}
	case CardReceipt:
		return []CardAction{{Name: "confirm_receipt", Side: "staff"}}
	case CardDeliveryRcpt:
		return []CardAction{{Name: "confirm_receipt", Side: "partner"}}
	}
	return []CardAction{}
}

// Act presses a card's button. The action goes through the domain
// service as the caller, so it is permitted exactly when the same change
// made elsewhere would be; the service's own guard makes it happen once,
// and the event it records closes the card, in every group, in the same
// transaction. Whoever comes second — a double click, a second approver —
// gets a conflict that names who acted and when.
func (s *Service) Act(ctx context.Context, cardID int, in ActionInput) (ActionResult, error) {
	if err := partners.Validate(in); err != nil {
		return ActionResult{}, err
	}
	card, err := s.client.Post.Query().Where(post.ID(cardID), post.KindEQ(post.KindCard)).Only(ctx)
	if err != nil {
		return ActionResult{}, err
	}
	acts := cardActions(card.CardKind)
	v, _ := viewer.FromContext(ctx)
	var allowed *CardAction
	for i, a := range acts {
		if a.Name == in.Action {
			allowed = &acts[i]
		}
	}
	if allowed == nil {
		return ActionResult{}, partners.InvalidBecause("action", partners.R("card_no_action", "Kind", card.CardKind, "Action", in.Action))
	}
	if (allowed.Side == "staff" && !v.CanEdit()) || (allowed.Side == "partner" && !v.IsPartner()) {
		return ActionResult{}, partners.Errorf(partners.EForbidden, "only the %s side may %s here", allowed.Side, in.Action)
	}
	if card.CardState != nil && *card.CardState == post.CardStateDone {
		return ActionResult{}, s.alreadyDone(ctx, card.ID)
	}
	subject := 0
	if card.SubjectID != nil {
		subject = *card.SubjectID
	}
	switch in.Action {
	case "approve", "reject":
		_, err = s.orders.Decide(ctx, subject, orders.Decision{Decision: orders.Verdict(in.Action), Reason: in.Reason})
	case "acknowledge":
		err = s.acknowledgeAll(ctx, subject)
	case "confirm_receipt":
		err = s.receiveAll(ctx, subject)
	}
	if err != nil {
		var pe *partners.Error
		if errors.As(err, &pe) && pe.Code == partners.EConflict {
			if done := s.alreadyDone(ctx, card.ID); done != nil {
				return ActionResult{}, done
			}
		}
		return ActionResult{}, err
	}
	row, err := s.client.Post.Get(system(ctx), card.ID)
	if err != nil {
		return ActionResult{}, err
	}
	out, err := s.toPost(system(ctx), row)
	return ActionResult{Card: out}, err
}

// alreadyDone is the conflict for a card someone already settled, or
// nil if it is still open.
func (s *Service) alreadyDone(ctx context.Context, id int) error {
	card, err := s.client.Post.Get(system(ctx), id)
	if err != nil {
		return err
	}
	if card.CardState == nil || *card.CardState != post.CardStateDone {
		return nil
	}
	var m i18n.Message
	switch card.CardOutcome {
	case "answered":
		m = i18n.M("problem.card_done_answered")
	case "approved":
		m = i18n.M("problem.card_done_approved")
	case "rejected":
		m = i18n.M("problem.card_done_rejected")
	case "received":
		m = i18n.M("problem.card_done_received")
	default:
		m = i18n.M("problem.card_done_cancelled")
	}
	when := ""
	if card.ActedAt != nil {
		when = card.ActedAt.UTC().Format("2006-01-02 15:04 MST")
	}
	by := newPeople(system(ctx), s.client).label(card.ActedBy)
	return partners.Fail(partners.EConflict, m.With("Actor", by).With("Time", when))
}

// acknowledgeAll accepts every line still awaiting an answer.
func (s *Service) acknowledgeAll(ctx context.Context, orderID int) error {
	o, err := s.orders.Order(ctx, orderID)
	if err != nil {
		return err
	}
	var in orders.AckInput
	for _, l := range o.Lines {
		if l.AckState == orderline.AckStatePending {
			in.Lines = append(in.Lines, orders.AckLine{LineNo: l.LineNo, Action: orders.AckAccept})
		}
	}
	if len(in.Lines) == 0 {
		return partners.Errorf(partners.EConflict, "no line of order %s awaits an answer", o.Number)
	}
	_, err = s.orders.Acknowledge(ctx, orderID, in)
	return err
}

// receiveAll confirms receipt of everything the shipment carries.
func (s *Service) receiveAll(ctx context.Context, shipmentID int) error {
	sh, err := s.shipments.Shipment(ctx, shipmentID)
	if err != nil {
		return err
	}
	in := shipments.EventInput{Kind: shipmentevent.KindReceived}
	for _, l := range sh.Lines {
		in.Received = append(in.Received, shipments.Received{LineID: l.ID, Quantity: l.Quantity})
	}
	_, err = s.shipments.AddEvent(ctx, shipmentID, in)
	return err
}

// CardExists reports a card the viewer can see, for 404s before a body
// is judged.
func (s *Service) CardExists(ctx context.Context, id int) (bool, error) {
	if _, err := s.client.Post.Query().Where(post.ID(id), post.KindEQ(post.KindCard)).Only(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// cardChanges reads what a change request asks, old value beside new,
// for its card.
func (s *Service) cardChanges(ctx context.Context, crID int) ([]CardChange, error) {
	return CardChanges(ctx, s.client, crID)
}
