package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/notificationpref"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
)

// kindKeys are the catalogue keys of each kind's mail and name.
var kindKeys = map[Kind]struct{ subject, title, name string }{
	notificationpref.KindOrderAck:          {"notify.subject_order_ack", "notify.title_order_ack", "notify.kind_order_ack"},
	notificationpref.KindChangeRequest:     {"notify.subject_change_request", "notify.title_change_request", "notify.kind_change_request"},
	notificationpref.KindReceipt:           {"notify.subject_receipt", "notify.title_receipt", "notify.kind_receipt"},
	notificationpref.KindShipmentUpdate:    {"notify.subject_shipment_update", "notify.title_shipment_update", "notify.kind_shipment_update"},
	notificationpref.KindCertificateExpiry: {"notify.subject_certificate_expiry", "notify.title_certificate_expiry", "notify.kind_certificate_expiry"},
	notificationpref.KindMention:           {"notify.subject_mention", "notify.title_mention", "notify.kind_mention"},
}

// actionButtons label each one-click action.
var actionButtons = map[string]string{"acknowledge": "notify.button_acknowledge", "approve": "notify.button_approve",
	"reject": "notify.button_reject", "confirm_receipt": "notify.button_confirm_receipt"}

// changeFields name the fields a change request changes.
var changeFields = map[string]string{"promised_date": "notify.field_promised_date", "quantity": "notify.field_quantity",
	"unit_price": "notify.field_unit_price"}

// maxMentionRunes is how much of a message a mention mail quotes.
const maxMentionRunes = 2000

// subject is what a notice is about: its reference for the subject line
// (an order or shipment number, a group's name), its mail thread and the
// page that shows it.
type subject struct {
	Ref, Thread, Path string
}

// subjectOf reads a notice's subject through c.
func subjectOf(ctx context.Context, c *ent.Client, n notice) (subject, error) {
	groupSubject := subject{Ref: n.group.Name, Thread: "group:" + strconv.Itoa(n.group.ID),
		Path: fmt.Sprintf("/groups/%d#post-%d", n.group.ID, n.p.ID)}
	if n.p.SubjectID == nil {
		return groupSubject, nil
	}
	id := *n.p.SubjectID
	switch n.kind {
	case notificationpref.KindOrderAck, notificationpref.KindChangeRequest:
		orderID := id
		if n.kind == notificationpref.KindChangeRequest {
			cr, err := c.ChangeRequest.Get(ctx, id)
			if err != nil {
				return subject{}, err
			}
			orderID = cr.OrderID
		}
		o, err := c.Order.Get(ctx, orderID)
		if err != nil {
			return subject{}, err
		}
		return subject{Ref: o.Number, Thread: "order:" + strconv.Itoa(o.ID), Path: "/orders/" + strconv.Itoa(o.ID)}, nil
	case notificationpref.KindReceipt, notificationpref.KindShipmentUpdate:
		sh, err := c.Shipment.Get(ctx, id)
		if err != nil {
			return subject{}, err
		}
		ref := sh.Number
		if ref == "" {
			ref = "#" + strconv.Itoa(sh.ID)
		}
		return subject{Ref: ref, Thread: "shipment:" + strconv.Itoa(sh.ID), Path: "/shipments/" + strconv.Itoa(sh.ID)}, nil
	}
	return groupSubject, nil
}

// content is what a notice says to u (nil for a contact without a
// login), and its thread.
func (s *Service) content(ctx context.Context, c *ent.Client, n notice, u *ent.User, unsub string) (mail.Content, string, error) {
	sub, err := subjectOf(ctx, c, n)
	if err != nil {
		return mail.Content{}, "", err
	}
	keys := kindKeys[n.kind]
	ct := mail.Content{Subject: i18n.M(keys.subject).With("Ref", sub.Ref).With("Author", authorName(ctx, c, n.p)),
		Title: i18n.M(keys.title)}
	paras, err := s.paras(ctx, c, n)
	if err != nil {
		return mail.Content{}, "", err
	}
	ct.Paras = paras
	if u != nil {
		for _, a := range actionsFor(n.p, u) {
			tok := s.signAction(u, n.p, a)
			ct.Buttons = append(ct.Buttons, mail.Button{Label: i18n.M(actionButtons[a]), URL: s.link("/mail/act/" + tok)})
		}
		ct.Buttons = append(ct.Buttons, mail.Button{Label: i18n.M("notify.button_open"), URL: s.link(sub.Path)})
		ct.Footer = []i18n.Message{i18n.M("notify.footer_user").With("URL", s.link("/settings/notifications"))}
	} else {
		ct.Footer = []i18n.Message{i18n.M("notify.footer_contact")}
	}
	ct.Footer = append(ct.Footer, i18n.M("notify.footer_unsubscribe").With("URL", unsub))
	return ct, sub.Thread, nil
}

// paras are a notice's body: a card's or status post's own lines, what a
// change request asks line by line, or the message that mentions.
func (s *Service) paras(ctx context.Context, c *ent.Client, n notice) ([]i18n.Message, error) {
	if n.kind == notificationpref.KindMention {
		body := []rune(n.p.Body)
		if len(body) > maxMentionRunes {
			body = append(body[:maxMentionRunes], '…')
		}
		return []i18n.Message{i18n.M("notify.mention_by").With("Author", authorName(ctx, c, n.p)).With("Group", n.group.Name),
			i18n.M("notify.text").With("Text", string(body))}, nil
	}
	ls, err := i18n.DecodeLines(n.p.Message)
	if err != nil {
		return nil, err
	}
	out := []i18n.Message(ls)
	if n.kind == notificationpref.KindChangeRequest && n.p.SubjectID != nil {
		chs, err := groups.CardChanges(ctx, c, *n.p.SubjectID)
		if err != nil {
			return nil, err
		}
		for _, ch := range chs {
			m := i18n.M("notify.change_line").With("Line", ch.LineNo).With("Item", ch.ItemCode).
				With("Field", i18n.M(changeFields[ch.Field])).With("Old", ch.Old).With("New", ch.New)
			out = append(out, m)
			if ch.Reason != "" {
				out = append(out, i18n.M("notify.change_reason").With("Reason", ch.Reason))
			}
		}
	}
	return out, nil
}

// actionsFor are the one-click actions of a card u may take: partner
// users answer an order or confirm a delivery, staff editors decide.
func actionsFor(p *ent.Post, u *ent.User) []string {
	switch p.CardKind {
	case groups.CardOrderAck, groups.CardDeliveryRcpt:
		if u.Role != user.RolePartner {
			return nil
		}
	case groups.CardChangeRequest, groups.CardReceipt:
		if u.PartnerID != nil || (u.Role != user.RoleAdmin && u.Role != user.RoleBuyer) {
			return nil
		}
	default:
		return nil
	}
	return groups.CardActionNames(p.CardKind)
}

// signAction is the token of one action link: bound to the user (and
// their role), the card, the action and the card's version, single use
// by its nonce, and expiring after ActionLifetime.
func (s *Service) signAction(u *ent.User, p *ent.Post, action string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	exp := s.now().Add(ActionLifetime).Unix()
	return s.out.Keys().Sign("act", strconv.Itoa(u.ID), strconv.Itoa(p.ID), action, strconv.FormatInt(p.Seq, 10),
		string(u.Role), strconv.FormatInt(exp, 10), hex.EncodeToString(b[:]))
}

// authorName is the name of who wrote a post.
func authorName(ctx context.Context, c *ent.Client, p *ent.Post) string {
	if p.AuthorID != nil {
		if u, err := c.User.Get(ctx, *p.AuthorID); err == nil {
			return u.Name
		}
	}
	return p.Author
}
