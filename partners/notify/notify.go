// Package notify turns feed posts (cards to act on, status posts,
// mentions) into notification mail, by each user's choice of at once, a
// daily digest, or off, and carries out the one-click actions those
// mails link to.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/notificationpref"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
)

// Kind is a kind of notification a user chooses for.
type Kind = notificationpref.Kind

// Mode is how a user gets a kind of notification.
type Mode = notificationpref.Mode

// Kinds are every kind of notification, in the order the settings show them.
var Kinds = []Kind{notificationpref.KindOrderAck, notificationpref.KindChangeRequest, notificationpref.KindReceipt,
	notificationpref.KindShipmentUpdate, notificationpref.KindCertificateExpiry, notificationpref.KindMention}

// Event kinds of the status posts that notify (partners/status).
const (
	eventStaleShipment = "stale_shipment"
	eventCertificate   = "certificate_expiry"
	eventAckEscalation = "ack_escalation"
)

// ActionLifetime is how long a one-click action link works at most; it
// stops earlier when its card is settled or changes.
const ActionLifetime = 30 * 24 * time.Hour

// Service queues notification mail and answers its links.
type Service struct {
	db   *ent.Client
	grps *groups.Service
	out  *mail.Outbox
	base *url.URL
	now  func() time.Time
	log  *slog.Logger
	// Loc is the company's zone: a digest goes out at 08:00 in it for a
	// user whose own zone and partner's zone are unknown.
	Loc *time.Location
	// ReplyDomain is the domain the inbound mail listener receives
	// replies for; empty (no listener) sends no reply address, so nobody
	// replies into a void.
	ReplyDomain string
}

// New returns the notification service; it installs the hook that queues
// mail in the transaction of each post. Call it once per client.
func New(db *ent.Client, grps *groups.Service, out *mail.Outbox, base *url.URL) *Service {
	if base == nil {
		base = &url.URL{Scheme: "http", Host: "localhost"}
	}
	s := &Service{db: db, grps: grps, out: out, base: base, now: time.Now, log: slog.Default(), Loc: time.UTC}
	if out != nil {
		db.Post.Use(s.hook)
		// The dispatcher is told after the post commits.
		if grps != nil {
			grps.OnChange(func(int) { out.Wake() })
		}
	}
	return s
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func sysCtx(ctx context.Context) context.Context {
	return viewer.NewContext(ctx, viewer.System("notify"))
}

// hook queues the notifications of a post as it is created, in the
// transaction of the change that made it.
func (s *Service) hook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil || !m.Op().Is(ent.OpCreate) {
			return v, err
		}
		pm, ok := m.(*ent.PostMutation)
		p, ok2 := v.(*ent.Post)
		if !ok || !ok2 {
			return v, nil
		}
		if err := s.onPost(sysCtx(ctx), pm.Client(), p); err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		return v, nil
	})
}

// notice is one post to notify about, read through the transaction.
type notice struct {
	p     *ent.Post
	kind  Kind
	group *ent.Group
}

// onPost maps a post to its kind and audience and notifies each one.
func (s *Service) onPost(ctx context.Context, c *ent.Client, p *ent.Post) error {
	kind, ok := kindOf(p)
	if !ok {
		return nil
	}
	us, err := s.audience(ctx, c, p, kind)
	if err != nil {
		return err
	}
	// The same card or warning is posted in every group that follows
	// the partner: whoever an earlier copy already told is not told again.
	seen, err := s.toldBefore(ctx, c, p, kind)
	if err != nil {
		return err
	}
	g, err := c.Group.Get(ctx, p.GroupID)
	if err != nil {
		return err
	}
	n := notice{p: p, kind: kind, group: g}
	for _, u := range us {
		if seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		if err := s.toUser(ctx, c, n, u); err != nil {
			return err
		}
	}
	if kind == notificationpref.KindOrderAck && !s.copyBefore(ctx, c, p) {
		return s.toContacts(ctx, c, n)
	}
	return nil
}

// kindOf is the notification kind of a post, if it notifies anyone.
func kindOf(p *ent.Post) (Kind, bool) {
	switch {
	case p.Kind == post.KindCard && p.CardKind == groups.CardOrderAck && p.EventKind != eventAckEscalation:
		return notificationpref.KindOrderAck, true
	case p.Kind == post.KindCard && p.CardKind == groups.CardChangeRequest:
		return notificationpref.KindChangeRequest, true
	case p.Kind == post.KindCard && (p.CardKind == groups.CardReceipt || p.CardKind == groups.CardDeliveryRcpt):
		return notificationpref.KindReceipt, true
	case p.Kind == post.KindSystem && p.EventKind == eventStaleShipment:
		return notificationpref.KindShipmentUpdate, true
	case p.Kind == post.KindSystem && p.EventKind == eventCertificate:
		return notificationpref.KindCertificateExpiry, true
	case p.Kind == post.KindMessage && len(p.Mentions) > 0:
		return notificationpref.KindMention, true
	}
	return "", false
}

// audience are the users a post of kind is for, before preferences.
func (s *Service) audience(ctx context.Context, c *ent.Client, p *ent.Post, kind Kind) ([]*ent.User, error) {
	switch kind {
	case notificationpref.KindOrderAck:
		return partnerUsers(ctx, c, p, false)
	case notificationpref.KindChangeRequest:
		return groups.Deciders(ctx, c, p)
	case notificationpref.KindReceipt:
		if p.CardKind == groups.CardDeliveryRcpt {
			return partnerUsers(ctx, c, p, false)
		}
		return groups.Deciders(ctx, c, p)
	case notificationpref.KindShipmentUpdate:
		return partnerUsers(ctx, c, p, true)
	case notificationpref.KindCertificateExpiry:
		us, err := partnerUsers(ctx, c, p, true)
		if err != nil {
			return nil, err
		}
		g, err := c.Group.Get(ctx, p.GroupID)
		if err != nil {
			return nil, err
		}
		if owner, err := c.User.Query().Where(user.ID(g.OwnerID), user.PartnerIDIsNil()).Only(ctx); err == nil {
			us = append(us, owner)
		}
		return us, nil
	case notificationpref.KindMention:
		var uids, cids []int
		for _, m := range p.Mentions {
			switch m.Type {
			case "user":
				uids = append(uids, m.ID)
			case "contact":
				cids = append(cids, m.ID)
			}
		}
		return c.User.Query().Where(user.Or(user.IDIn(uids...), user.ContactIDIn(cids...))).Order(ent.Asc(user.FieldID)).All(ctx)
	}
	return nil, nil
}

// partnerUsers are the login users of the post's partner; inGroup keeps
// those whose contact is a member of the post's group.
func partnerUsers(ctx context.Context, c *ent.Client, p *ent.Post, inGroup bool) ([]*ent.User, error) {
	pid := 0
	if p.PartnerID != nil {
		pid = *p.PartnerID
	} else if g, err := c.Group.Get(ctx, p.GroupID); err == nil && g.PartnerID != nil {
		pid = *g.PartnerID
	}
	if pid == 0 {
		return nil, nil
	}
	q := c.User.Query().Where(user.PartnerID(pid), user.RoleEQ(user.RolePartner))
	if inGroup {
		ms, err := c.GroupMember.Query().Where(groupmember.GroupID(p.GroupID), groupmember.ContactIDNotNil()).All(ctx)
		if err != nil {
			return nil, err
		}
		var cids []int
		for _, m := range ms {
			cids = append(cids, *m.ContactID)
		}
		q.Where(user.ContactIDIn(cids...))
	}
	return q.Order(ent.Asc(user.FieldID)).All(ctx)
}

// earlierCopies are the other posts of the same card or warning: an open
// card on the same subject, or the same warning posted within the minute
// (one pass posts it in every group of the partner).
func earlierCopies(ctx context.Context, c *ent.Client, p *ent.Post, kind Kind) ([]*ent.Post, error) {
	if p.SubjectID == nil || kind == notificationpref.KindMention {
		return nil, nil
	}
	q := c.Post.Query().Where(post.IDLT(p.ID), post.SubjectType(p.SubjectType), post.SubjectID(*p.SubjectID), post.KindEQ(p.Kind))
	if p.Kind == post.KindCard {
		q.Where(post.CardKind(p.CardKind), post.CardStateEQ(post.CardStateOpen), post.EventKind(p.EventKind))
	} else {
		q.Where(post.EventKind(p.EventKind), post.CreatedAtGTE(p.CreatedAt.Add(-time.Minute)))
	}
	return q.All(ctx)
}

// toldBefore are the users an earlier copy of the post was for.
func (s *Service) toldBefore(ctx context.Context, c *ent.Client, p *ent.Post, kind Kind) (map[int]bool, error) {
	seen := map[int]bool{}
	if p.AuthorID != nil {
		seen[*p.AuthorID] = true // nobody is told of their own post
	}
	copies, err := earlierCopies(ctx, c, p, kind)
	if err != nil {
		return nil, err
	}
	for _, e := range copies {
		us, err := s.audience(ctx, c, e, kind)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			seen[u.ID] = true
		}
	}
	return seen, nil
}

// copyBefore says an earlier copy of the post exists (its contacts were
// told then).
func (s *Service) copyBefore(ctx context.Context, c *ent.Client, p *ent.Post) bool {
	copies, err := earlierCopies(ctx, c, p, notificationpref.KindOrderAck)
	return err == nil && len(copies) > 0
}

// ModeOf is user uid's choice for kind: immediately unless they chose.
func ModeOf(ctx context.Context, c *ent.Client, uid int, kind Kind) (Mode, error) {
	pr, err := c.NotificationPref.Query().Where(notificationpref.UserID(uid), notificationpref.KindEQ(kind)).Only(sysCtx(ctx))
	if ent.IsNotFound(err) {
		return notificationpref.ModeImmediately, nil
	}
	if err != nil {
		return "", err
	}
	return pr.Mode, nil
}

// toUser notifies one user by their choice for the kind.
func (s *Service) toUser(ctx context.Context, c *ent.Client, n notice, u *ent.User) error {
	if !u.Active || u.EmailBouncingAt != nil || strings.TrimSpace(u.Email) == "" {
		return nil
	}
	mode, err := ModeOf(ctx, c, u.ID, n.kind)
	if err != nil {
		return err
	}
	switch mode {
	case notificationpref.ModeOff:
		return nil
	case notificationpref.ModeDigest:
		return c.DigestItem.Create().SetUserID(u.ID).SetKind(string(n.kind)).SetPostID(n.p.ID).SetCreatedAt(s.now()).Exec(ctx)
	}
	lang, err := userLang(ctx, c, u, n.group.Language)
	if err != nil {
		return err
	}
	rcpt := mail.Recipient{Addr: u.Email, Name: u.Name, Lang: lang, UserID: u.ID}
	unsub := s.link("/mail/unsubscribe/" + s.out.Keys().Sign("unsub", "u", strconv.Itoa(u.ID), string(n.kind)))
	content, thread, err := s.content(ctx, c, n, u, unsub)
	if err != nil {
		return err
	}
	m := mail.Message{Kind: mailoutbox.KindNotification, To: rcpt, Content: content, Thread: thread, Unsubscribe: unsub}
	s.replyTo(&m, n.p.GroupID)
	_, err = s.out.Enqueue(ctx, c, m)
	return err
}

// replyTo sets the per-recipient reply address into the post's group,
// when the inbound listener gives one.
func (s *Service) replyTo(m *mail.Message, groupID int) {
	if s.ReplyDomain == "" {
		return
	}
	if addr := s.out.Keys().ReplyAddress(s.ReplyDomain, groupID, m.To); addr != "" {
		m.ReplyTo, m.Content.ReplyMarker = addr, true
	}
}

// toContacts sends an order notice to the partner's contacts who have
// no login, when the company switched that on for the partner: no
// action links (there is no one to act as), an unsubscribe link that
// sets the contact's opt-out.
func (s *Service) toContacts(ctx context.Context, c *ent.Client, n notice) error {
	if n.p.PartnerID == nil {
		return nil
	}
	pa, err := c.Partner.Get(ctx, *n.p.PartnerID)
	if err != nil || !pa.MailContacts {
		return err
	}
	cs, err := c.Contact.Query().Where(contact.PartnerID(pa.ID), contact.EmailNEQ(""), contact.MailOptOut(false),
		contact.EmailBouncingAtIsNil()).Order(ent.Asc(contact.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	for _, ct := range cs {
		has, err := c.User.Query().Where(user.ContactID(ct.ID)).Exist(ctx)
		if err != nil {
			return err
		}
		if has {
			continue
		}
		rcpt := mail.Recipient{Addr: ct.Email, Name: ct.Name, Lang: ct.Language, ContactID: ct.ID}
		unsub := s.link("/mail/unsubscribe/" + s.out.Keys().Sign("unsub", "c", strconv.Itoa(ct.ID), string(n.kind)))
		content, thread, err := s.content(ctx, c, n, nil, unsub)
		if err != nil {
			return err
		}
		m := mail.Message{Kind: mailoutbox.KindNotification, To: rcpt, Content: content, Thread: thread, Unsubscribe: unsub}
		s.replyTo(&m, n.p.GroupID)
		if _, err := s.out.Enqueue(ctx, c, m); err != nil {
			return err
		}
	}
	return nil
}

// userLang is the language a user reads mail in: their own setting,
// else their contact's language, else the group's.
func userLang(ctx context.Context, c *ent.Client, u *ent.User, fallback string) (string, error) {
	if u.Locale != "" {
		return u.Locale, nil
	}
	if u.ContactID != nil {
		ct, err := c.Contact.Get(ctx, *u.ContactID)
		if err == nil && ct.Language != "" {
			return ct.Language, nil
		}
		if err != nil && !ent.IsNotFound(err) {
			return "", err
		}
	}
	return fallback, nil
}

// link is an absolute URL of a Tierlink path.
func (s *Service) link(path string) string {
	u := *s.base
	u.RawQuery, u.Fragment = "", ""
	p, frag, _ := strings.Cut(path, "#")
	u.Path = strings.TrimSuffix(s.base.Path, "/") + p
	u.Fragment = frag
	return u.String()
}
