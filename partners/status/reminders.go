package status

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/delivery"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
)

// AckReminders reminds partners of published orders they have not
// acknowledged within their SLA, with a card to acknowledge on, and at
// twice the SLA escalates: the post names the owners of the partner's
// contacts and the order's buyer, so the people who own the
// relationship are told. Each level goes out once per order revision; an
// order first seen past twice its SLA gets the escalation only.
func (s *Service) AckReminders(ctx context.Context, now time.Time) (Result, error) {
	sys := system(ctx)
	os, err := s.client.Order.Query().Where(order.DirectionEQ(order.DirectionUpstream), order.StatusEQ(order.StatusPublished),
		order.PublishedAtNotNil()).Order(ent.Asc(order.FieldID)).All(sys)
	if err != nil {
		return Result{}, err
	}
	if len(os) == 0 {
		return Result{Message: ackReport(0, 0)}, nil
	}
	pids := make([]int, 0, len(os))
	var keys []string
	for _, o := range os {
		pids = append(pids, o.PartnerID)
		keys = append(keys, ackKey(o, 1), ackKey(o, 2))
	}
	ps, err := s.client.Partner.Query().Where(partner.IDIn(pids...)).All(sys)
	if err != nil {
		return Result{}, err
	}
	sla := map[int]time.Duration{}
	for _, p := range ps {
		sla[p.ID] = time.Duration(p.AckSLAHours) * time.Hour
	}
	done, err := sent(sys, s.client, keys)
	if err != nil {
		return Result{}, err
	}
	owners, err := s.owners(sys, pids)
	if err != nil {
		return Result{}, err
	}
	res := Result{}
	for _, o := range os {
		limit := sla[o.PartnerID]
		waited := now.Sub(*o.PublishedAt)
		level := 0
		switch {
		case limit == 0:
		case waited >= 2*limit:
			level = 2
		case waited >= limit:
			level = 1
		}
		if level == 0 || done[ackKey(o, level)] {
			continue
		}
		keys := []string{ackKey(o, level)}
		if level == 2 && !done[ackKey(o, 1)] {
			keys = append(keys, ackKey(o, 1))
		}
		h := int(limit.Hours())
		msg := i18n.M("reminder.ack").With("Number", o.Number).With("Age", age(waited)).With("Hours", h)
		a := groups.Announcement{Kind: "ack_reminder", PartnerID: o.PartnerID, SubjectType: "order", SubjectID: o.ID, CardKind: groups.CardOrderAck,
			Message: i18n.Lines{msg}}
		if level == 2 {
			told := owners[o.PartnerID]
			if u, ok := owners[-o.BuyerID]; ok {
				told = append(told, u...)
			}
			told = uniqueMentions(told)
			names := make([]string, len(told))
			for i, m := range told {
				names[i] = "@" + m.Name
			}
			a.Kind, a.Mentions = "ack_escalation", told
			msg.Key = "reminder.ack_escalation"
			a.Message = i18n.Lines{msg.With("Names", strings.Join(names, " "))}
		}
		n, err := s.announce(sys, a, a.Kind, keys...)
		if err != nil {
			return res, fmt.Errorf("reminder for order %d: %w", o.ID, err)
		}
		if n > 0 {
			res.Posted++
		} else {
			res.Skipped++
		}
	}
	res.Message = ackReport(len(os), res.Posted)
	return res, nil
}

// ackReport says how many orders a reminder pass checked and how many
// reminders or escalations it posted.
func ackReport(checked, posted int) i18n.Lines {
	return i18n.Lines{i18n.N("job_report.ack_reminders", checked).With("Posted", i18n.N("job_report.ack_posted", posted))}
}

func ackKey(o *ent.Order, level int) string {
	return fmt.Sprintf("ack:%d:r%d:l%d", o.ID, o.Revision, level)
}

// owners maps each partner to the staff owning its contacts, and each
// negated user id to that user, for the buyers of orders.
func (s *Service) owners(ctx context.Context, pids []int) (map[int][]groups.Mention, error) {
	cs, err := s.client.Contact.Query().Where(contact.PartnerIDIn(pids...)).Select(contact.FieldPartnerID, contact.FieldOwnerID).All(ctx)
	if err != nil {
		return nil, err
	}
	us, err := s.client.User.Query().Where(user.Active(true), user.RoleIn(user.RoleAdmin, user.RoleBuyer, user.RoleViewer)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int][]groups.Mention{}
	byID := map[int]groups.Mention{}
	for _, u := range us {
		m := groups.Mention{Type: "user", ID: u.ID, Name: u.Name}
		byID[u.ID] = m
		out[-u.ID] = []groups.Mention{m}
	}
	for _, c := range cs {
		if m, ok := byID[c.OwnerID]; ok {
			out[c.PartnerID] = append(out[c.PartnerID], m)
		}
	}
	return out, nil
}

func uniqueMentions(ms []groups.Mention) []groups.Mention {
	slices.SortFunc(ms, func(a, b groups.Mention) int { return a.ID - b.ID })
	return slices.CompactFunc(ms, func(a, b groups.Mention) bool { return a.ID == b.ID })
}

// StaleShipments asks for an update on every shipment on its way that
// has had none for StaleAfter, and again after each further StaleAfter of
// silence. The request awaits the partner's reply in the group.
func (s *Service) StaleShipments(ctx context.Context, now time.Time) (Result, error) {
	sys := system(ctx)
	after := s.StaleAfter
	if after <= 0 {
		after = 48 * time.Hour
	}
	shs, err := s.client.Shipment.Query().Where(shipment.StatusIn(shipment.StatusShipped, shipment.StatusInTransit, shipment.StatusDelayed),
		shipment.LastEventAtNotNil(), shipment.LastEventAtLTE(now.Add(-after))).Order(ent.Asc(shipment.FieldID)).All(sys)
	if err != nil {
		return Result{}, err
	}
	if len(shs) == 0 {
		return Result{Message: staleReport(0, 0)}, nil
	}
	key := func(sh *ent.Shipment) string {
		return fmt.Sprintf("stale:%d:%d:%d", sh.ID, sh.LastEventAt.Unix(), int(now.Sub(*sh.LastEventAt)/after))
	}
	keys := make([]string, len(shs))
	for i, sh := range shs {
		keys[i] = key(sh)
	}
	done, err := sent(sys, s.client, keys)
	if err != nil {
		return Result{}, err
	}
	res := Result{}
	for _, sh := range shs {
		if done[key(sh)] {
			continue
		}
		n := sh.Number
		if n == "" {
			n = fmt.Sprintf("#%d", sh.ID)
		}
		msg := i18n.M("reminder.stale_shipment").With("Number", n).With("Status", string(sh.Status)).With("Age", age(now.Sub(*sh.LastEventAt)))
		a := groups.Announcement{Kind: "stale_shipment", PartnerID: sh.PartnerID, SubjectType: "shipment", SubjectID: sh.ID, AwaitsReply: true,
			Message: i18n.Lines{msg}}
		if c, err := s.announce(sys, a, a.Kind, key(sh)); err != nil {
			return res, fmt.Errorf("update request for shipment %d: %w", sh.ID, err)
		} else if c > 0 {
			res.Posted++
		} else {
			res.Skipped++
		}
	}
	res.Message = staleReport(len(shs), res.Posted)
	return res, nil
}

// staleReport says how many silent shipments a pass found and how many
// update requests it posted.
func staleReport(found, posted int) i18n.Lines {
	return i18n.Lines{i18n.N("job_report.stale_shipments", found).With("Posted", i18n.N("job_report.update_requests_posted", posted))}
}

// Certificate warning steps, in days before expiry.
var certSteps = []int{30, 7, 0}

// CertificateExpiry warns a partner's groups 30 and 7 days before a
// certificate expires and on the day; a warning missed (the service was
// down, or the expiry was entered late) is replaced by the next step, so
// each certificate gets at most one post per step and never a stale one.
// Where the partner blocks orders on a lapsed mandatory certificate, the
// warning says so.
func (s *Service) CertificateExpiry(ctx context.Context, now time.Time) (Result, error) {
	sys := system(ctx)
	today := s.today(now)
	docs, err := s.client.Document.Query().Where(document.KindEQ(document.KindCertificate), document.ExpiresOnNotNil(),
		document.ExpiresOnGTE(today.AddDate(0, 0, -7)), document.ExpiresOnLTE(today.AddDate(0, 0, 30))).
		Order(ent.Asc(document.FieldExpiresOn), ent.Asc(document.FieldID)).All(sys)
	if err != nil {
		return Result{}, err
	}
	if len(docs) == 0 {
		return Result{Message: certReport(0, 0)}, nil
	}
	var keys []string
	pids := make([]int, 0, len(docs))
	for _, d := range docs {
		pids = append(pids, d.PartnerID)
		for _, st := range certSteps {
			keys = append(keys, certKey(d, st))
		}
	}
	done, err := sent(sys, s.client, keys)
	if err != nil {
		return Result{}, err
	}
	ps, err := s.client.Partner.Query().Where(partner.IDIn(pids...)).All(sys)
	if err != nil {
		return Result{}, err
	}
	blocks := map[int]bool{}
	for _, p := range ps {
		blocks[p.ID] = p.BlockOnLapsedCertificate
	}
	res := Result{}
	for _, d := range docs {
		left := int(d.ExpiresOn.Sub(today).Hours() / 24)
		step := -1
		for _, st := range certSteps {
			if left <= st {
				step = st
			}
		}
		if step < 0 || done[certKey(d, step)] {
			continue
		}
		// The steps already passed are recorded too, so a later run does
		// not send an earlier, staler warning.
		keys := []string{}
		for _, st := range certSteps {
			if st >= step && !done[certKey(d, st)] {
				keys = append(keys, certKey(d, st))
			}
		}
		var msg i18n.Message
		switch {
		case left > 0:
			msg = i18n.N("reminder.cert_expires", left)
		case left == 0:
			msg = i18n.M("reminder.cert_expires_today")
		default:
			msg = i18n.M("reminder.cert_expired")
		}
		msg = msg.With("Title", d.Title).With("Date", day(*d.ExpiresOn))
		if d.Mandatory && blocks[d.PartnerID] {
			msg = i18n.M("reminder.cert_mandatory").With("Text", msg)
		}
		a := groups.Announcement{Kind: "certificate_expiry", PartnerID: d.PartnerID, SubjectType: "document", SubjectID: d.ID, AwaitsReply: true,
			Message: i18n.Lines{msg}}
		if c, err := s.announce(sys, a, a.Kind, keys...); err != nil {
			return res, fmt.Errorf("expiry warning for document %d: %w", d.ID, err)
		} else if c > 0 {
			res.Posted++
		} else {
			res.Skipped++
		}
	}
	res.Message = certReport(len(docs), res.Posted)
	return res, nil
}

// certReport says how many certificates a pass found near or past
// expiry and how many warnings it posted.
func certReport(found, posted int) i18n.Lines {
	return i18n.Lines{i18n.N("job_report.certificate_expiry", found).With("Posted", i18n.N("job_report.warnings_posted", posted))}
}

func certKey(d *ent.Document, step int) string {
	return fmt.Sprintf("cert:%d:%s:d%d", d.ID, d.ExpiresOn.Format("2006-01-02"), step)
}

// DeadLetters reports the bridge messages that were given up on in the
// day before now, per bridge, with the last error — for the run ledger
// and the log, where administrators look; the messages themselves can be
// retried from the group's bridge page.
func (s *Service) DeadLetters(ctx context.Context, now time.Time) (Result, error) {
	sys := system(ctx)
	ds, err := s.client.Delivery.Query().Where(delivery.StateEQ(delivery.StateDead), delivery.DeadAtGT(now.Add(-24*time.Hour)),
		delivery.DeadAtLTE(now)).Order(ent.Asc(delivery.FieldBridgeID), ent.Asc(delivery.FieldID)).All(sys)
	if err != nil {
		return Result{}, err
	}
	if len(ds) == 0 {
		return Result{Message: i18n.Lines{i18n.M("job_report.dead_letters_none")}}, nil
	}
	type agg struct {
		name     string
		kind     bridge.Kind
		group, n int
		last     string
	}
	var order []int
	per := map[int]*agg{}
	var bids []int
	for _, d := range ds {
		bids = append(bids, d.BridgeID)
	}
	bs, err := s.client.Bridge.Query().Where(bridge.IDIn(bids...)).All(sys)
	if err != nil {
		return Result{}, err
	}
	byID := map[int]*ent.Bridge{}
	for _, b := range bs {
		byID[b.ID] = b
	}
	for _, d := range ds {
		a, ok := per[d.BridgeID]
		if !ok {
			a = &agg{group: d.GroupID}
			if b := byID[d.BridgeID]; b != nil {
				a.name, a.kind = b.Name, b.Kind
			}
			per[d.BridgeID] = a
			order = append(order, d.BridgeID)
		}
		a.n++
		a.last = d.LastError
	}
	lines := i18n.Lines{i18n.N("job_report.dead_letters", len(ds)).With("Bridges", i18n.N("job_report.bridges", len(order)))}
	for _, id := range order {
		a := per[id]
		kind := i18n.M("job_report.bridge_gone")
		if a.kind != "" {
			kind = i18n.M(bridgeKindKeys + string(a.kind))
		}
		lines = append(lines, i18n.N("job_report.dead_letter_bridge", a.n).With("Kind", kind).With("Name", a.name).
			With("ID", id).With("Group", a.group).With("Error", a.last))
	}
	return Result{Posted: len(ds), Message: lines}, nil
}

// bridgeKindKeys prefixes a bridge kind to make the catalogue key of its
// name ("WeCom group robot"), the one the bridge pages show.
const bridgeKindKeys = "page.k_"
