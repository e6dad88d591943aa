package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"
	workctx "github.com/silenceper/wechat/v2/work/context"
	"github.com/silenceper/wechat/v2/work/message"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/shipmentline"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/ent/wecomcard"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// Cards in WeCom. A card in Tierlink that waits for a staff decision (a
// change request to approve or reject, a receipt to confirm) or tells
// staff of an escalation (an order unacknowledged past twice its SLA) is
// also sent to the WeCom of each staff member who could act on it, as an
// app message with a button_interaction template card, in that member's
// language.
//
// Both directions go through the wecom_card table as a durable outbox:
// a hook on posts writes one row per recipient in the transaction that
// opens the card, and marks the rows for their update in the transaction
// that closes it (whoever closed it: the portal, a click in WeCom, a
// decision on the order page). CardDispatcher then calls WeCom,
// retrying failures with back-off; nothing is sent fire-and-forget.
//
// A click arrives as a template_card_event callback, stored by the
// callback endpoint; ClickHandler applies it with the event worker,
// calling groups.Service.Act as the staff user the WeCom member is
// linked to, the same call the portal's button makes, so exactly one of
// two competing decisions wins and the other gets the conflict.
//
// A response_code updates a card once, within 72 hours. A card whose code
// is used or too old (or that WeCom refuses to update) gets a fresh text
// message stating the result instead: a result is never lost to an
// expired code.

// Outcomes of applying a click (wecom_event.result).
const (
	ClickActed         = "acted"
	ClickConflict      = "conflict"
	ClickForbidden     = "forbidden"
	ClickInvalid       = "invalid"
	ClickUnknownCard   = "unknown_card"
	ClickUnknownUser   = "unknown_user"
	ClickInactiveUser  = "inactive_user"
	ClickWrongUser     = "wrong_user"
	ClickUnknownAction = "unknown_action"
)

// cardEscalation is the wecom_card kind of an escalation about an
// unacknowledged order (an order_ack card posted as ack_escalation).
const cardEscalation = "ack_escalation"

// codeMargin is how long before its 72 hours a response_code is no
// longer trusted: an update sent at 71:59 may arrive too late.
const codeMargin = 10 * time.Minute

// ResponseCodeLifetime is how long WeCom accepts a response_code.
const ResponseCodeLifetime = 72 * time.Hour

// CardActions are the buttons a WeCom card of a kind carries: the staff
// actions of its Tierlink card. An escalation has none; it links to the
// order.
func CardActions(kind string) []string {
	switch kind {
	case groups.CardChangeRequest:
		return []string{"approve", "reject"}
	case groups.CardReceipt:
		return []string{"confirm_receipt"}
	}
	return nil
}

// Cards sends staff cards to WeCom and applies their clicks.
type Cards struct {
	db     *ent.Client
	api    *Client
	groups *groups.Service
	log    *slog.Logger
	now    func() time.Time
	base   *url.URL
	// Loc is the zone a result's time is shown in for a user without
	// a zone of their own.
	Loc *time.Location
	// Instance names this process in the dispatcher's lease.
	Instance string
	// Lease is how long the dispatcher's lease lasts without renewal.
	Lease time.Duration
	// Poll is how often the outbox is looked at without a wake-up.
	Poll time.Duration
	// Backoff is the wait after a failed attempt (EventBackoff).
	Backoff     func(attempt int) time.Duration
	MaxAttempts int
	wake        chan struct{}
}

// NewCards returns the WeCom cards of db's posts, sent through api, and
// installs on db the hook that writes them. base is Tierlink's public
// URL, for the cards' links. Call it once per client.
func NewCards(db *ent.Client, api *Client, grps *groups.Service, base *url.URL, log *slog.Logger) *Cards {
	if log == nil {
		log = slog.Default()
	}
	if base == nil {
		base = &url.URL{Scheme: "http", Host: "localhost"}
	}
	host, _ := os.Hostname()
	c := &Cards{db: db, api: api, groups: grps, log: log, now: time.Now, base: base, Loc: time.UTC,
		Instance: host + "-" + randHex(), Lease: 2 * time.Minute, Poll: 2 * time.Second, Backoff: EventBackoff,
		MaxAttempts: MaxEventAttempts, wake: make(chan struct{}, 1)}
	db.Post.Use(c.hook)
	// Every card opened or closed changes a group's feed; the dispatcher
	// is told after the change commits.
	grps.OnChange(func(int) { c.Wake() })
	return c
}

// SetClock replaces the clock, for tests.
func (c *Cards) SetClock(now func() time.Time) { c.now = now }

// Wake makes the dispatcher look at the outbox now.
func (c *Cards) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func sysCtx(ctx context.Context) context.Context {
	return viewer.NewContext(ctx, viewer.System("wecom-cards"))
}

// hook writes the WeCom cards of a card post as it is created, and marks
// them for their update as the card post is closed, in the transaction
// of the change.
func (c *Cards) hook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		pm, ok := m.(*ent.PostMutation)
		p, ok2 := v.(*ent.Post)
		if !ok || !ok2 {
			return v, nil
		}
		switch {
		case m.Op().Is(ent.OpCreate) && p.Kind == post.KindCard:
			err = c.open(sysCtx(ctx), pm.Client(), p)
		case m.Op().Is(ent.OpUpdateOne):
			if st, set := pm.CardState(); set && st == post.CardStateDone {
				err = c.close(sysCtx(ctx), pm.Client(), p)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("wecom cards: %w", err)
		}
		return v, nil
	})
}

// cardKind is the WeCom card kind of a card post, or "" for a card no
// staff member acts on (an acknowledgement the partner gives).
func cardKind(p *ent.Post) string {
	switch {
	case p.CardKind == groups.CardChangeRequest, p.CardKind == groups.CardReceipt:
		return p.CardKind
	case p.CardKind == groups.CardOrderAck && p.EventKind == cardEscalation:
		return cardEscalation
	}
	return ""
}

// open writes one queued WeCom card per recipient of a card post who has
// none open for the same subject yet (the same card is posted in every
// group that follows the partner).
func (c *Cards) open(ctx context.Context, db *ent.Client, p *ent.Post) error {
	kind := cardKind(p)
	if kind == "" || p.SubjectID == nil {
		return nil
	}
	us, err := c.recipients(ctx, db, p, kind)
	if err != nil || len(us) == 0 {
		return err
	}
	open, err := db.WecomCard.Query().Where(wecomcard.SubjectType(p.SubjectType), wecomcard.SubjectID(*p.SubjectID),
		wecomcard.CardKind(kind), wecomcard.StateIn(wecomcard.StateQueued, wecomcard.StateSent)).All(ctx)
	if err != nil {
		return err
	}
	has := map[int]bool{}
	for _, r := range open {
		has[r.UserID] = true
	}
	g, err := db.Group.Get(ctx, p.GroupID)
	if err != nil {
		return err
	}
	now := c.now()
	for _, u := range us {
		if has[u.ID] {
			continue
		}
		lang := u.Locale
		if lang == "" {
			lang = g.Language
		}
		task := fmt.Sprintf("tl_%d_%d_%s", p.ID, u.ID, randHex()[:8])
		if err := db.WecomCard.Create().SetPostID(p.ID).SetCardKind(kind).SetSubjectType(p.SubjectType).SetSubjectID(*p.SubjectID).
			SetUserID(u.ID).SetUserid(*u.WecomUserid).SetLanguage(i18n.For(lang).Lang()).SetTaskID(task).
			SetNextAttemptAt(now).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// recipients are the staff who could act on a card and have a WeCom
// member: for a decision, the group's owner and staff members and the
// buyer of the order concerned, who may edit (admins and buyers); for an
// escalation, the people it names (the owners of the partner's contacts
// and the order's buyer). Inactive users and users without a WeCom
// userid get nothing.
func (c *Cards) recipients(ctx context.Context, db *ent.Client, p *ent.Post, kind string) ([]*ent.User, error) {
	var ids []int
	roles := []user.Role{user.RoleAdmin, user.RoleBuyer}
	if kind == cardEscalation {
		for _, m := range p.Mentions {
			if m.Type == "user" {
				ids = append(ids, m.ID)
			}
		}
		roles = append(roles, user.RoleViewer)
	} else {
		g, err := db.Group.Query().Where(group.ID(p.GroupID)).Only(ctx)
		if err != nil {
			return nil, err
		}
		ids = append(ids, g.OwnerID)
		ms, err := db.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.UserIDNotNil()).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			ids = append(ids, *m.UserID)
		}
		var orders []int
		switch kind {
		case groups.CardChangeRequest:
			if cr, err := db.ChangeRequest.Query().Where(changerequest.ID(*p.SubjectID)).Only(ctx); err == nil {
				orders = append(orders, cr.OrderID)
			}
		case groups.CardReceipt:
			ls, err := db.ShipmentLine.Query().Where(shipmentline.ShipmentID(*p.SubjectID)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, l := range ls {
				orders = append(orders, l.OrderID)
			}
		}
		if len(orders) > 0 {
			os, err := db.Order.Query().Where(order.IDIn(orders...)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, o := range os {
				ids = append(ids, o.BuyerID)
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return db.User.Query().Where(user.IDIn(ids...), user.Active(true), user.RoleIn(roles...), user.PartnerIDIsNil(),
		user.WecomUseridNotNil(), user.WecomUseridNEQ("")).Order(ent.Asc(user.FieldID)).All(ctx)
}

// close marks the WeCom cards of a closed card's subject for their
// update, with the result.
func (c *Cards) close(ctx context.Context, db *ent.Client, p *ent.Post) error {
	if p.SubjectID == nil {
		return nil
	}
	q := db.WecomCard.Update().Where(wecomcard.SubjectType(p.SubjectType), wecomcard.SubjectID(*p.SubjectID),
		wecomcard.StateIn(wecomcard.StateQueued, wecomcard.StateSent)).
		SetState(wecomcard.StateClosing).SetOutcome(p.CardOutcome).SetActedBy(p.ActedBy).
		SetAttempts(0).SetNextAttemptAt(c.now())
	if p.ActedAt != nil {
		q.SetActedAt(*p.ActedAt)
	}
	return q.Exec(ctx)
}

// RunDispatcher delivers the outbox until ctx ends.
func (c *Cards) RunDispatcher(ctx context.Context) {
	t := time.NewTicker(c.Poll)
	defer t.Stop()
	for {
		if _, err := c.RunOnce(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("wecom cards: pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.wake:
		}
	}
}

const cardLeaseName = "wecom-cards"

// RunOnce sends every due queued card and updates every due closed one,
// and returns how many it handled. One instance at a time does (a lease
// in wecom_lease).
func (c *Cards) RunOnce(ctx context.Context) (int, error) {
	sys := sysCtx(ctx)
	ok, err := c.claim(sys)
	if err != nil || !ok {
		return 0, err
	}
	defer c.release(sys)
	done := 0
	for ctx.Err() == nil {
		rows, err := c.db.WecomCard.Query().Where(wecomcard.StateIn(wecomcard.StateQueued, wecomcard.StateClosing),
			wecomcard.NextAttemptAtLTE(c.now())).Order(ent.Asc(wecomcard.FieldID)).Limit(100).All(sys)
		if err != nil || len(rows) == 0 {
			return done, err
		}
		for _, r := range rows {
			if ctx.Err() != nil {
				break
			}
			if err := c.deliver(sys, r); err != nil {
				if ctx.Err() != nil {
					break
				}
				if err := c.failed(sys, r, err); err != nil {
					return done, err
				}
				continue
			}
			done++
		}
		if _, err := c.claim(sys); err != nil {
			return done, err
		}
	}
	return done, ctx.Err()
}

func (c *Cards) claim(ctx context.Context) (bool, error) {
	return claimLease(ctx, c.db, cardLeaseName, c.Instance, c.Lease, c.now())
}

func (c *Cards) release(ctx context.Context) {
	if err := releaseLease(ctx, c.db, cardLeaseName, c.Instance, c.now()); err != nil {
		c.log.WarnContext(ctx, "wecom cards: releasing the lease", "err", err)
	}
}

// failed records a failed attempt and when to try again, or gives up.
func (c *Cards) failed(ctx context.Context, r *ent.WecomCard, cause error) error {
	attempts := r.Attempts + 1
	msg := []rune(cause.Error())
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	q := c.db.WecomCard.Update().Where(wecomcard.ID(r.ID), wecomcard.StateEQ(r.State)).SetAttempts(attempts).SetLastError(string(msg))
	if attempts >= c.MaxAttempts {
		q.SetState(wecomcard.StateDead)
		c.log.ErrorContext(ctx, "wecom card given up", "card", r.ID, "userid", r.Userid, "state", r.State, "err", cause)
	} else {
		next := c.now().Add(c.Backoff(attempts))
		q.SetNextAttemptAt(next)
		c.log.WarnContext(ctx, "wecom card failed; will retry", "card", r.ID, "userid", r.Userid, "state", r.State,
			"attempts", attempts, "next", next, "err", cause)
	}
	return q.Exec(context.WithoutCancel(ctx))
}

// deliver sends a queued card, or updates (or replaces) a closed one.
func (c *Cards) deliver(ctx context.Context, r *ent.WecomCard) error {
	if r.State == wecomcard.StateQueued {
		return c.send(ctx, r)
	}
	now := c.now()
	if r.Msgid == "" {
		// Settled before it was ever sent: there is no card to update.
		return c.db.WecomCard.UpdateOne(r).SetState(wecomcard.StateSkipped).SetLastError("").Exec(ctx)
	}
	l := i18n.For(r.Language)
	result := c.resultText(ctx, r, l)
	if r.ResponseCode != "" && !r.CodeUsed && r.CodeIssuedAt != nil && now.Sub(*r.CodeIssuedAt) < ResponseCodeLifetime-codeMargin {
		err := c.api.UpdateCardButton(ctx, r.Userid, r.ResponseCode, result)
		if err == nil {
			return c.db.WecomCard.UpdateOne(r).SetState(wecomcard.StateClosed).SetCodeUsed(true).SetLastError("").Exec(ctx)
		}
		if !cardUnusable(err) {
			return err
		}
		c.log.InfoContext(ctx, "wecom card cannot be updated; replacing it", "card", r.ID, "userid", r.Userid, "errcode", Code(err))
		if err := c.db.WecomCard.UpdateOne(r).SetCodeUsed(true).Exec(ctx); err != nil {
			return err
		}
	}
	p, err := c.db.Post.Get(ctx, r.PostID)
	if err != nil {
		return err
	}
	text := l.Render(i18n.M("wecom_card.replacement").With("Title", c.title(r, l)).With("Result", result).
		With("Link", c.postLink(p)))
	if _, err := c.api.SendText(ctx, r.Userid, text); err != nil {
		return err
	}
	return c.db.WecomCard.UpdateOne(r).SetState(wecomcard.StateReplaced).SetCodeUsed(true).SetLastError("").Exec(ctx)
}

// cardUnusable says an update_template_card error means the card cannot
// be updated (the code is used, expired or unknown; the message is
// gone), rather than a passing failure worth retrying.
func cardUnusable(err error) bool {
	switch Code(err) {
	case 0, -1, codeTokenInvalid, codeTokenExpired, codeFrequency, codeConcurrency:
		return false
	}
	return true
}

// send sends a queued card and stores its msgid and response_code.
func (c *Cards) send(ctx context.Context, r *ent.WecomCard) error {
	p, err := c.db.Post.Get(ctx, r.PostID)
	if err != nil {
		return err
	}
	l := i18n.For(r.Language)
	card := c.templateCard(r, p, l)
	resp, err := c.api.SendTemplateCard(ctx, r.Userid, card)
	if err != nil {
		return err
	}
	if resp.InvalidUser != "" && resp.MsgID == "" {
		return fmt.Errorf("wecom message/send: %s is not a member", r.Userid)
	}
	now := c.now()
	n, err := c.db.WecomCard.Update().Where(wecomcard.ID(r.ID), wecomcard.StateEQ(wecomcard.StateQueued)).
		SetState(wecomcard.StateSent).SetMsgid(resp.MsgID).SetResponseCode(resp.ResponseCode).SetCodeIssuedAt(now).
		SetCodeUsed(false).SetLastError("").Save(ctx)
	if err != nil || n == 1 {
		return err
	}
	// Closed while it was being sent: keep its code for the update.
	return c.db.WecomCard.UpdateOneID(r.ID).SetMsgid(resp.MsgID).SetResponseCode(resp.ResponseCode).SetCodeIssuedAt(now).
		SetCodeUsed(false).Exec(ctx)
}

func (c *Cards) title(r *ent.WecomCard, l *i18n.Localizer) string {
	switch r.CardKind {
	case groups.CardChangeRequest:
		return l.T("wecom_card.title_change_request", nil)
	case groups.CardReceipt:
		return l.T("wecom_card.title_receipt", nil)
	}
	return l.T("wecom_card.title_ack_escalation", nil)
}

// postLink is where a card post is shown: its place in its group's feed.
func (c *Cards) postLink(p *ent.Post) string {
	u := *c.base
	u.RawQuery = ""
	u.Path = strings.TrimSuffix(c.base.Path, "/") + "/groups/" + strconv.Itoa(p.GroupID)
	u.Fragment = "post-" + strconv.Itoa(p.ID)
	return u.String()
}

// templateCard is the button_interaction card for r, in l's language.
func (c *Cards) templateCard(r *ent.WecomCard, p *ent.Post, l *i18n.Localizer) TemplateCard {
	tc := TemplateCard{CardType: "button_interaction", TaskID: r.TaskID}
	tc.Source = &CardSource{Desc: "Tierlink"}
	tc.MainTitle = &CardTitle{Title: c.title(r, l)}
	if ls, err := i18n.DecodeLines(p.Message); err == nil && len(ls) > 0 {
		tc.SubTitleText = l.RenderLines(ls)
	}
	link := c.postLink(p)
	tc.CardAction = &CardAction{Type: 1, URL: link}
	for _, a := range CardActions(r.CardKind) {
		b := CardButton{Type: 0, Key: a, Style: 1}
		switch a {
		case "approve":
			b.Text = l.T("wecom_card.button_approve", nil)
		case "reject":
			b.Text, b.Style = l.T("wecom_card.button_reject", nil), 2
		case "confirm_receipt":
			b.Text = l.T("wecom_card.button_confirm_receipt", nil)
		}
		tc.ButtonList = append(tc.ButtonList, b)
	}
	if len(tc.ButtonList) == 0 {
		tc.ButtonList = []CardButton{{Type: 1, Text: l.T("wecom_card.button_open", nil), URL: link, Style: 1}}
	}
	return tc
}

// resultText is a settled card's result in l's language, with who acted
// and when in the recipient's zone: "已批准 · 王芳 10:32".
func (c *Cards) resultText(ctx context.Context, r *ent.WecomCard, l *i18n.Localizer) string {
	loc := c.Loc
	if loc == nil {
		loc = time.UTC
	}
	if u, err := c.db.User.Get(ctx, r.UserID); err == nil && u.TimeZone != "" {
		if z, err := time.LoadLocation(u.TimeZone); err == nil {
			loc = z
		}
	}
	when := ""
	if r.ActedAt != nil {
		t := r.ActedAt.In(loc)
		if y, m, d := c.now().In(loc).Date(); t.Year() == y && t.Month() == m && t.Day() == d {
			when = t.Format("15:04")
		} else {
			when = t.Format("01-02 15:04")
		}
	}
	var m i18n.Message
	switch r.Outcome {
	case "approved":
		m = i18n.M("wecom_card.result_approved")
	case "rejected":
		m = i18n.M("wecom_card.result_rejected")
	case "received":
		m = i18n.M("wecom_card.result_received")
	case "answered":
		m = i18n.M("wecom_card.result_answered")
	default:
		m = i18n.M("wecom_card.result_cancelled")
	}
	return strings.TrimSpace(l.Render(m.With("Actor", r.ActedBy).With("Time", when)))
}

// ClickHandler applies template_card_event callbacks: the click's member
// is mapped to their staff user, and the card's action is taken through
// groups.Service.Act as that user. A click from an unknown or inactive
// member, on an unknown card or with an unknown key is recorded and
// changes nothing; a click that loses to another decision is recorded as
// a conflict, and its card shows the result that won.
func (c *Cards) ClickHandler() EventHandler {
	return func(ctx context.Context, ev *ent.WecomEvent) (EventWrite, error) {
		res, err := c.click(ctx, ev)
		if err != nil {
			return nil, err
		}
		c.Wake()
		return func(context.Context, *ent.Client) (string, error) { return res, nil }, nil
	}
}

func (c *Cards) click(ctx context.Context, ev *ent.WecomEvent) (string, error) {
	sys := sysCtx(ctx)
	decoded, err := callback.DecodeEvent([]byte(ev.Payload))
	if err != nil {
		return ClickInvalid, nil
	}
	e, ok := decoded.(*callback.TemplateCardEvent)
	if !ok {
		return ClickInvalid, nil
	}
	r, err := c.db.WecomCard.Query().Where(wecomcard.TaskID(e.TaskID)).Only(sys)
	if ent.IsNotFound(err) {
		return ClickUnknownCard, nil
	}
	if err != nil {
		return "", err
	}
	if r.Userid != e.FromUserName {
		return ClickWrongUser, nil
	}
	u, err := c.db.User.Query().Where(user.WecomUserid(e.FromUserName)).Only(sys)
	switch {
	case ent.IsNotFound(err):
		return ClickUnknownUser, nil
	case err != nil:
		return "", err
	case !u.Active || u.PartnerID != nil || u.Role == user.RolePartner:
		return ClickInactiveUser, nil
	}
	known := false
	for _, a := range CardActions(r.CardKind) {
		known = known || a == e.EventKey
	}
	// The click's response_code is fresh: the card is updated with it,
	// again if it already showed (or was replaced by) a result.
	q := c.db.WecomCard.UpdateOne(r).SetCodeUsed(false).SetCodeIssuedAt(ev.EventTime)
	if e.ResponseCode != "" {
		q.SetResponseCode(e.ResponseCode)
	}
	if r.State == wecomcard.StateClosed || r.State == wecomcard.StateReplaced {
		q.SetState(wecomcard.StateClosing).SetAttempts(0).SetNextAttemptAt(c.now())
	}
	if err := q.Exec(sys); err != nil {
		return "", err
	}
	if !known {
		return ClickUnknownAction, nil
	}
	v := viewer.Viewer{UserID: u.ID, Role: viewer.Role(u.Role), Label: u.Email, RequestID: "wecom-event-" + strconv.Itoa(ev.ID)}
	_, err = c.groups.Act(viewer.NewContext(ctx, v), r.PostID, groups.ActionInput{Action: e.EventKey})
	switch partners.ErrorCode(err) {
	case "":
		if err != nil {
			return "", err
		}
		c.log.InfoContext(ctx, "wecom card acted on", "card", r.ID, "post", r.PostID, "user", u.ID, "action", e.EventKey)
		return ClickActed, nil
	case partners.EConflict:
		c.log.InfoContext(ctx, "wecom card click lost to an earlier decision", "card", r.ID, "user", u.ID, "err", err)
		return ClickConflict, nil
	case partners.EForbidden:
		return ClickForbidden, nil
	case partners.ENotFound:
		return ClickUnknownCard, nil
	case partners.EInvalid:
		return ClickInvalid, nil
	}
	return "", err
}

// TemplateCard is a button_interaction template_card of message/send
// (https://developer.work.weixin.qq.com/document/path/90236).
type TemplateCard struct {
	CardType     string       `json:"card_type"`
	Source       *CardSource  `json:"source,omitempty"`
	MainTitle    *CardTitle   `json:"main_title,omitempty"`
	SubTitleText string       `json:"sub_title_text,omitempty"`
	CardAction   *CardAction  `json:"card_action,omitempty"`
	TaskID       string       `json:"task_id"`
	ButtonList   []CardButton `json:"button_list"`
}

// CardSource is a card's source line.
type CardSource struct {
	Desc string `json:"desc,omitempty"`
}

// CardTitle is a card's main title.
type CardTitle struct {
	Title string `json:"title,omitempty"`
	Desc  string `json:"desc,omitempty"`
}

// CardAction is where tapping the card leads (type 1: a URL).
type CardAction struct {
	Type int    `json:"type"`
	URL  string `json:"url,omitempty"`
}

// CardButton is one button: type 0 calls back with key, type 1 opens url.
type CardButton struct {
	Type  int    `json:"type"`
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"`
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
}

// appMessage is message/send's body for one member.
type appMessage struct {
	ToUser       string        `json:"touser"`
	MsgType      string        `json:"msgtype"`
	AgentID      int           `json:"agentid"`
	Text         *textContent  `json:"text,omitempty"`
	TemplateCard *TemplateCard `json:"template_card,omitempty"`
}

type textContent struct {
	Content string `json:"content"`
}

func (c *Client) agentID() (int, error) {
	id, err := strconv.Atoi(c.cfg.AgentID)
	if err != nil {
		return 0, fmt.Errorf("wecom: the agent id %q is not a number", c.cfg.AgentID)
	}
	return id, nil
}

// SendTemplateCard sends a template card to one member (message/send,
// through the SDK's generic Send).
func (c *Client) SendTemplateCard(ctx context.Context, userID string, card TemplateCard) (*message.SendResponse, error) {
	agent, err := c.agentID()
	if err != nil {
		return nil, err
	}
	return c.sendApp(ctx, appMessage{ToUser: userID, MsgType: "template_card", AgentID: agent, TemplateCard: &card})
}

// SendText sends a text message to one member (message/send), at most
// 2048 bytes.
func (c *Client) SendText(ctx context.Context, userID, text string) (*message.SendResponse, error) {
	agent, err := c.agentID()
	if err != nil {
		return nil, err
	}
	return c.sendApp(ctx, appMessage{ToUser: userID, MsgType: "text", AgentID: agent, Text: &textContent{Content: clipBytes(text, 2048)}})
}

func (c *Client) sendApp(ctx context.Context, m appMessage) (*message.SendResponse, error) {
	var resp *message.SendResponse
	err := c.Do(ctx, AgentSecret, "message/send", func(sdk *workctx.Context) error {
		var err error
		resp, err = message.NewClient(sdk).Send("MessageSend", m)
		return err
	})
	return resp, err
}

// UpdateCardButton turns a member's button card into one greyed-out
// label (message/update_template_card with button.replace_name), spending
// its response_code. The SDK lacks this call.
func (c *Client) UpdateCardButton(ctx context.Context, userID, responseCode, label string) error {
	agent, err := c.agentID()
	if err != nil {
		return err
	}
	type button struct {
		ReplaceName string `json:"replace_name"`
	}
	body, err := json.Marshal(struct {
		UserIDs      []string `json:"userids"`
		AgentID      int      `json:"agentid"`
		ResponseCode string   `json:"response_code"`
		Button       button   `json:"button"`
	}{[]string{userID}, agent, responseCode, button{label}})
	if err != nil {
		return err
	}
	return c.Do(ctx, AgentSecret, "message/update_template_card", func(sdk *workctx.Context) error {
		tok, err := sdk.GetAccessToken()
		if err != nil {
			return err
		}
		raw, err := util.HTTPPostContext(ctx, "https://"+wecomHost+"/cgi-bin/message/update_template_card?access_token="+
			url.QueryEscape(tok), body, map[string]string{"Content-Type": "application/json; charset=utf-8"})
		if err != nil {
			return err
		}
		var out struct{ util.CommonError }
		return util.DecodeWithError(raw, &out, "message/update_template_card")
	})
}
