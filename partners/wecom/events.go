package wecom

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	workctx "github.com/silenceper/wechat/v2/work/context"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/ent/wecomfollow"
	"github.com/tierlink/tierlink/ent/wecomsync"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// Callbacks are applied in two steps. The HTTP layer verifies and
// decrypts a callback and StoreEvent stores it, one insert keyed on the
// event's identity, before WeCom gets its answer (within its five
// seconds; a resend inserts nothing). An EventWorker then applies the
// stored events, in order of event time per contact, each in the
// transaction that marks it applied, retrying failures with back-off.
//
// The worker is a long-running loop like the bridge outbox dispatcher
// (partners/bridges/outbox.go) rather than a job: it is woken the moment
// an event is stored, so a contact added in WeCom reaches Tierlink in
// about a second, and polling every few seconds through the job ledger
// would write a run record each time.

// EventKind is what a stored event is: the ChangeType of a
// change_external_contact event, a card click, or something else.
type EventKind string

// Event kinds. Other slices find their events by kind (the transfer
// slice reads EventTransferFail with its fail_reason).
const (
	EventAddContact   = EventKind(callback.AddExternalContact)
	EventEditContact  = EventKind(callback.EditExternalContact)
	EventDelContact   = EventKind(callback.DelExternalContact)
	EventDelFollow    = EventKind(callback.DelFollowUser)
	EventTransferFail = EventKind(callback.TransferFail)
	EventTemplateCard = EventKind(callback.TypeTemplateCard)
	// EventOther is every other message or event; it is stored (as
	// ignored), never applied.
	EventOther EventKind = "other"
)

// contactKinds are the kinds that say whether a member follows a contact.
var contactKinds = []string{string(EventAddContact), string(EventEditContact), string(EventDelContact), string(EventDelFollow)}

// Results of applying an event (wecom_event.result).
const (
	ResultUpserted       = "upserted"
	ResultFollowRemoved  = "follow_removed"
	ResultContactRemoved = "contact_removed"
	ResultAlreadyRemoved = "already_removed"
	ResultSuperseded     = "superseded"
	ResultGone           = "gone"
	ResultUnknownContact = "unknown_contact"
	ResultRecorded       = "recorded"
	ResultIgnored        = "ignored"
)

// errNotExternalContact is externalcontact/get's answer for a contact
// that is no longer an external contact of the corp.
const errNotExternalContact = 84061

// EventKindOf says what kind of event ev is.
func EventKindOf(ev callback.Event) EventKind {
	switch e := ev.(type) {
	case *callback.ExternalContactChange:
		return EventKind(e.ChangeType)
	case *callback.TemplateCardEvent:
		return EventTemplateCard
	}
	return EventOther
}

// CallbackCrypto returns the verifier of the app's callbacks, or nil
// when no callback token and key are configured.
func (s *Service) CallbackCrypto() (*callback.Crypto, error) {
	cfg := s.api.Config()
	if cfg.CorpID == "" || cfg.CallbackToken == "" || cfg.CallbackAESKey == "" {
		return nil, nil
	}
	return callback.New(callback.Config{Token: cfg.CallbackToken, EncodingAESKey: cfg.CallbackAESKey, ReceiveID: cfg.CorpID})
}

// StoreEvent stores a verified callback event for the worker, in one
// insert. An event whose identity is already stored (WeCom resends a
// callback it got no quick answer to) stores nothing and is no error; it
// reports whether the event was new.
func (s *Service) StoreEvent(ctx context.Context, ev callback.Event) (bool, error) {
	sys := viewer.NewContext(ctx, viewer.System("wecom-callback"))
	id := ev.Identity()
	if dup, err := s.db.WecomEvent.Query().Where(wecomevent.Identity(id)).Exist(sys); err != nil || dup {
		return false, err
	}
	now, kind := s.now(), EventKindOf(ev)
	q := s.db.WecomEvent.Create().SetIdentity(id).SetKind(string(kind)).SetEventTime(ev.Created().UTC()).
		SetPayload(string(ev.Plaintext())).SetReceivedAt(now).SetNextAttemptAt(now)
	switch e := ev.(type) {
	case *callback.ExternalContactChange:
		q.SetExternalUserid(clipBytes(e.ExternalUserID, 128)).SetUserid(clipBytes(e.UserID, 64)).
			SetFailReason(clipBytes(string(e.FailReason), 64))
	case *callback.TemplateCardEvent:
		q.SetUserid(clipBytes(e.FromUserName, 64))
	}
	if kind == EventOther {
		q.SetState(wecomevent.StateIgnored).SetResult(ResultIgnored).SetAppliedAt(now)
	}
	// A resend racing this one inserts nothing, which ent reports as
	// sql.ErrNoRows: the event is stored, by the other copy.
	if err := q.OnConflictColumns(wecomevent.FieldIdentity).DoNothing().Exec(sys); errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if s.stored != nil && kind != EventOther {
		s.stored()
	}
	return true, nil
}

// clipBytes cuts s to at most n bytes on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ContactDetail reads one external contact with every member of the
// app's range following it (externalcontact/get, following next_cursor
// when WeCom pages follow_user), in the shape the sync reads
// batch/get_by_user in. Tags are the enterprise and rule tags (what
// batch/get_by_user's tag_id lists), named as WeCom names them.
func (c *Client) ContactDetail(ctx context.Context, externalUserID string) (*reported, error) {
	r := &reported{Tags: map[string]string{}}
	cursor := ""
	for range 100 {
		var resp *externalcontact.ExternalUserDetailResponse
		err := c.Do(ctx, ContactSecret, "externalcontact/get", func(sdk *workctx.Context) error {
			var err error
			resp, err = externalcontact.NewClient(sdk).GetExternalUserDetail(externalUserID, cursor)
			return err
		})
		if err != nil {
			return nil, err
		}
		ec := resp.ExternalContact
		r.Contact = externalcontact.ExternalContact{ExternalUserID: ec.ExternalUserID, Name: ec.Name, Position: ec.Position,
			Avatar: ec.Avatar, CorpName: ec.CorpName, CorpFullName: ec.CorpFullName, Type: ec.Type, Gender: ec.Gender, UnionID: ec.UnionID}
		for _, fu := range resp.FollowUser {
			fi := externalcontact.FollowInfo{UserID: fu.UserID, Remark: fu.Remark, Description: fu.Description,
				CreateTime: fu.CreateTime, RemarkCorpName: fu.RemarkCorpName, RemarkMobiles: fu.RemarkMobiles,
				OperUserID: fu.OperUserID, AddWay: fu.AddWay}
			for _, t := range fu.Tags {
				// Type 2 is the member's own tag, which batch/get_by_user
				// does not list either.
				if t.TagID == "" || t.Type == 2 {
					continue
				}
				fi.TagID = append(fi.TagID, t.TagID)
				if t.TagName != "" {
					r.Tags[t.TagID] = t.TagName
				}
			}
			r.Follows = append(r.Follows, fi)
		}
		if resp.NextCursor == "" || resp.NextCursor == cursor {
			break
		}
		cursor = resp.NextCursor
	}
	return r, nil
}

// EventWrite is the part of applying an event that writes: the worker
// runs it in the transaction that marks the event applied, so an event
// takes effect exactly once. It returns the result to record.
type EventWrite func(ctx context.Context, c *ent.Client) (result string, err error)

// EventHandler applies one kind of event: it may call WeCom first, then
// returns what to write. An error leaves the event pending, retried
// after a back-off.
type EventHandler func(ctx context.Context, ev *ent.WecomEvent) (EventWrite, error)

// MaxEventAttempts is how often an event is tried before it is dead
// (about a day with EventBackoff); the nightly reconcile repairs what a
// dead event would have changed.
const MaxEventAttempts = 20

// EventBackoff is the wait after the nth failed attempt: 5 s doubling to
// at most two hours, with ±10 % jitter.
func EventBackoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < 2*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 2*time.Hour)
	return d - d/10 + rand.N(d/5+1)
}

// EventWorker applies stored callback events. Several instances may run
// one each; a lease lets one apply at a time, so that each contact's
// events are applied in order.
type EventWorker struct {
	svc *Service
	log *slog.Logger
	// Instance names this process in the lease.
	Instance string
	// Lease is how long the lease lasts without renewal (it is renewed
	// between events); after a crash another instance takes over once it
	// runs out. It outlasts one call's back-off on WeCom's frequency
	// limits, so a slow event does not let a second instance in.
	Lease time.Duration
	// Poll is how often stored events are looked at without a wake-up
	// (retries, other instances' events).
	Poll time.Duration
	// Backoff is the wait after a failed attempt (EventBackoff).
	Backoff     func(attempt int) time.Duration
	MaxAttempts int
	now         func() time.Time
	wake        chan struct{}

	mu       sync.Mutex
	handlers map[EventKind]EventHandler
	// pass holds what one pass reads once: staff links and the partner
	// matcher.
	pass *eventPass
}

type eventPass struct {
	staff staffIndex
	match partnerMatcher
}

const eventLeaseName = "wecom-events"

// NewEventWorker returns the worker applying svc's stored events, with
// the change_external_contact kinds handled; it is woken whenever svc
// stores an event. Other kinds (template_card_event) wait, pending, for
// a handler (Handle).
func NewEventWorker(svc *Service, log *slog.Logger) *EventWorker {
	if log == nil {
		log = svc.log
	}
	host, _ := os.Hostname()
	w := &EventWorker{svc: svc, log: log, Instance: host + "-" + randHex(), Lease: 2 * time.Minute, Poll: 3 * time.Second,
		Backoff: EventBackoff, MaxAttempts: MaxEventAttempts, now: svc.now, wake: make(chan struct{}, 1),
		handlers: map[EventKind]EventHandler{}}
	w.handlers[EventAddContact] = w.applyFetched
	w.handlers[EventEditContact] = w.applyFetched
	w.handlers[EventDelContact] = w.applyRemoval
	w.handlers[EventDelFollow] = w.applyRemoval
	w.handlers[EventTransferFail] = func(context.Context, *ent.WecomEvent) (EventWrite, error) {
		// The failure is stored on the event (kind, userid, fail_reason)
		// for the transfer slice; nothing else changes here.
		return func(context.Context, *ent.Client) (string, error) { return ResultRecorded, nil }, nil
	}
	svc.stored = w.Wake
	return w
}

// Handle sets the handler of one kind of event, replacing any.
func (w *EventWorker) Handle(kind EventKind, h EventHandler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handlers[kind] = h
}

func (w *EventWorker) handler(kind string) EventHandler {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.handlers[EventKind(kind)]
}

func (w *EventWorker) kinds() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.handlers))
	for k := range w.handlers {
		out = append(out, string(k))
	}
	return out
}

// SetClock replaces the worker's clock, for tests.
func (w *EventWorker) SetClock(now func() time.Time) { w.now = now }

// Wake makes the worker look at the stored events now.
func (w *EventWorker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run applies events until ctx ends.
func (w *EventWorker) Run(ctx context.Context) {
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("wecom events: pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// RunOnce applies every due pending event it can, in order of event time
// (ties in arrival order), and returns how many it applied. A contact
// whose earliest pending event is waiting out a back-off has its later
// events wait too. Without the lease (another instance holds it) it
// applies nothing.
func (w *EventWorker) RunOnce(ctx context.Context) (int, error) {
	sys := viewer.NewContext(ctx, viewer.System("wecom-events"))
	ok, err := w.claim(sys)
	if err != nil || !ok {
		return 0, err
	}
	defer w.release(sys)
	w.pass = nil
	applied, renewed := 0, w.now()
	for ctx.Err() == nil {
		rows, err := w.svc.db.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StatePending), wecomevent.KindIn(w.kinds()...)).
			Order(ent.Asc(wecomevent.FieldEventTime), ent.Asc(wecomevent.FieldID)).Limit(500).All(sys)
		if err != nil || len(rows) == 0 {
			return applied, err
		}
		progressed := false
		blocked := map[string]bool{}
		for _, ev := range rows {
			if ctx.Err() != nil {
				break
			}
			key := ev.ExternalUserid
			if key == "" {
				key = "#" + strconv.Itoa(ev.ID)
			}
			if blocked[key] {
				continue
			}
			if ev.NextAttemptAt.After(w.now()) {
				blocked[key] = true
				continue
			}
			if w.now().Sub(renewed) > w.Lease/3 {
				if ok, err := w.claim(sys); err != nil || !ok {
					return applied, err
				}
				renewed = w.now()
			}
			if err := w.apply(sys, ev); err != nil {
				if ctx.Err() != nil {
					break
				}
				blocked[key] = true
				if err := w.failed(sys, ev, err); err != nil {
					return applied, err
				}
				continue
			}
			applied++
			progressed = true
		}
		if !progressed {
			break
		}
	}
	return applied, ctx.Err()
}

// apply runs ev's handler and, in one transaction, its write and the
// mark that it was applied.
func (w *EventWorker) apply(ctx context.Context, ev *ent.WecomEvent) error {
	h := w.handler(ev.Kind)
	if h == nil {
		return fmt.Errorf("no handler for %s events", ev.Kind)
	}
	write, err := h(ctx, ev)
	if err != nil {
		return err
	}
	return partners.WithTx(ctx, w.svc.db, func(tx *ent.Tx) error {
		c := tx.Client()
		result, err := write(ctx, c)
		if err != nil {
			return err
		}
		// Only a still-pending event is marked: an event applied twice
		// (a lease lost mid-pass) rolls back the second time.
		n, err := c.WecomEvent.Update().Where(wecomevent.ID(ev.ID), wecomevent.StateEQ(wecomevent.StatePending)).
			SetState(wecomevent.StateApplied).SetResult(result).SetAppliedAt(w.now()).SetLastError("").Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("the event was applied meanwhile")
		}
		return nil
	})
}

// failed records a failed attempt: the error, and the time of the next
// attempt, or dead after MaxAttempts.
func (w *EventWorker) failed(ctx context.Context, ev *ent.WecomEvent, cause error) error {
	attempts := ev.Attempts + 1
	msg := []rune(cause.Error())
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	now := w.now()
	// Only a still-pending event: one another instance applied meanwhile
	// keeps its record.
	q := w.svc.db.WecomEvent.Update().Where(wecomevent.ID(ev.ID), wecomevent.StateEQ(wecomevent.StatePending)).
		SetAttempts(attempts).SetLastError(string(msg))
	if attempts >= w.MaxAttempts {
		q.SetState(wecomevent.StateDead)
		w.log.ErrorContext(ctx, "wecom event given up", "event", ev.ID, "kind", ev.Kind, "external_userid", ev.ExternalUserid,
			"attempts", attempts, "err", cause)
	} else {
		next := now.Add(w.Backoff(attempts))
		q.SetNextAttemptAt(next)
		w.log.WarnContext(ctx, "wecom event failed; will retry", "event", ev.ID, "kind", ev.Kind, "external_userid", ev.ExternalUserid,
			"attempts", attempts, "next", next, "err", cause)
	}
	return q.Exec(context.WithoutCancel(ctx))
}

// claim takes or renews the lease.
func (w *EventWorker) claim(ctx context.Context) (bool, error) {
	return claimLease(ctx, w.svc.db, eventLeaseName, w.Instance, w.Lease, w.now())
}

func (w *EventWorker) release(ctx context.Context) {
	if err := releaseLease(ctx, w.svc.db, eventLeaseName, w.Instance, w.now()); err != nil {
		w.log.WarnContext(ctx, "wecom events: releasing the lease", "err", err)
	}
}

// prepared reads, once a pass, what reconciling a contact needs.
func (w *EventWorker) prepared(ctx context.Context) (*eventPass, error) {
	if w.pass != nil {
		return w.pass, nil
	}
	staff, err := w.svc.staff(ctx)
	if err != nil {
		return nil, err
	}
	m, err := w.svc.matcher(ctx)
	if err != nil {
		return nil, err
	}
	w.pass = &eventPass{staff: staff, match: m}
	return w.pass, nil
}

// externalIDRE is the shape of an external_userid this worker will look
// up (the SDK puts it into the URL unescaped).
var externalIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// applyFetched applies an add or edit: WeCom is asked for the contact as
// it is now (externalcontact/get) and it is upserted as the sync does,
// its follows WeCom no longer lists marked removed, then its partner,
// owner and directory link reconciled. Reading the present state makes
// an older add or edit arriving late harmless: it cannot undo anything.
func (w *EventWorker) applyFetched(ctx context.Context, ev *ent.WecomEvent) (EventWrite, error) {
	if !externalIDRE.MatchString(ev.ExternalUserid) {
		return func(context.Context, *ent.Client) (string, error) { return ResultUnknownContact, nil }, nil
	}
	r, err := w.svc.api.ContactDetail(ctx, ev.ExternalUserid)
	gone := Code(err) == errNotExternalContact
	if err != nil && !gone {
		return nil, err
	}
	p, err := w.prepared(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c *ent.Client) (string, error) {
		if gone {
			return w.svc.markGone(ctx, c, ev.ExternalUserid)
		}
		return w.svc.applyReported(ctx, c, r, p, fmt.Sprintf("wecom-event-%d", ev.ID))
	}, nil
}

// applyReported upserts a contact WeCom reported in full, marks the
// follows it no longer lists removed (and the contact, with none left),
// and reconciles an active contact.
func (s *Service) applyReported(ctx context.Context, c *ent.Client, r *reported, p *eventPass, batch string) (string, error) {
	now := s.now()
	wc, err := c.WecomContact.Query().Where(wecomcontact.ExternalUserid(r.Contact.ExternalUserID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return "", err
	}
	stored := map[string]*ent.WecomFollow{}
	if wc != nil {
		fs, err := c.WecomFollow.Query().Where(wecomfollow.WecomContactID(wc.ID)).All(ctx)
		if err != nil {
			return "", err
		}
		for _, f := range fs {
			stored[f.Userid] = f
		}
	}
	// A sync running now must not mark removed what this writes.
	seenID, err := c.WecomSync.Query().Where(wecomsync.StateEQ(wecomsync.StateRunning)).
		Order(ent.Desc(wecomsync.FieldID)).FirstID(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return "", err
	}
	u, err := upsertContact(ctx, c, wc, stored, r, seenID, now)
	if err != nil {
		return "", err
	}
	if err := markSeen(ctx, c, seenID, []int{u.Contact.ID}, u.Seen); err != nil {
		return "", err
	}
	wc = u.Contact
	var active []*ent.WecomFollow
	for uid, f := range stored {
		if _, still := u.Follows[uid]; !still && f.RemovedAt == nil {
			if err := c.WecomFollow.UpdateOne(f).SetRemovedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
				return "", err
			}
		}
	}
	for _, f := range u.Follows {
		active = append(active, f)
	}
	if len(active) == 0 {
		if wc.RemovedAt == nil {
			if err := c.WecomContact.UpdateOne(wc).SetRemovedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
				return "", err
			}
		}
		return ResultContactRemoved, nil
	}
	wc.Edges.Follows = active
	var res SyncResult
	if err := s.reconcileOne(ctx, c, wc, p.staff, p.match, &res, batch); err != nil {
		return "", err
	}
	return ResultUpserted, nil
}

// markGone marks a contact WeCom no longer has (84061) and all its
// follows removed.
func (s *Service) markGone(ctx context.Context, c *ent.Client, externalUserID string) (string, error) {
	wc, err := c.WecomContact.Query().Where(wecomcontact.ExternalUserid(externalUserID)).Only(ctx)
	if ent.IsNotFound(err) {
		return ResultUnknownContact, nil
	}
	if err != nil {
		return "", err
	}
	now := s.now()
	if _, err := c.WecomFollow.Update().Where(wecomfollow.WecomContactID(wc.ID), wecomfollow.RemovedAtIsNil()).
		SetRemovedAt(now).SetUpdatedAt(now).Save(ctx); err != nil {
		return "", err
	}
	if wc.RemovedAt == nil {
		if err := c.WecomContact.UpdateOne(wc).SetRemovedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
			return "", err
		}
	}
	return ResultGone, nil
}

// applyRemoval applies del_external_contact (the member deleted the
// contact) and del_follow_user (the contact deleted the member): the
// follow is marked removed, and the contact too when no follower is
// left; otherwise the owner is picked again by the owner rule and a
// hand-over recorded on the ledger, as the sync does. Nothing is
// deleted. An event older than what is known of the follow (a later
// event for it already applied, or the follow added after the event)
// changes nothing: it is superseded.
func (w *EventWorker) applyRemoval(ctx context.Context, ev *ent.WecomEvent) (EventWrite, error) {
	p, err := w.prepared(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c *ent.Client) (string, error) {
		s := w.svc
		wc, err := c.WecomContact.Query().Where(wecomcontact.ExternalUserid(ev.ExternalUserid)).Only(ctx)
		if ent.IsNotFound(err) {
			return ResultUnknownContact, nil
		}
		if err != nil {
			return "", err
		}
		f, err := c.WecomFollow.Query().Where(wecomfollow.WecomContactID(wc.ID), wecomfollow.Userid(ev.Userid)).Only(ctx)
		if ent.IsNotFound(err) {
			return ResultUnknownContact, nil
		}
		if err != nil {
			return "", err
		}
		newer, err := c.WecomEvent.Query().Where(wecomevent.ExternalUserid(ev.ExternalUserid), wecomevent.Userid(ev.Userid),
			wecomevent.KindIn(contactKinds...), wecomevent.StateEQ(wecomevent.StateApplied), wecomevent.EventTimeGT(ev.EventTime)).Exist(ctx)
		if err != nil {
			return "", err
		}
		switch {
		case newer || f.AddedAt.After(ev.EventTime):
			return ResultSuperseded, nil
		case f.RemovedAt != nil:
			return ResultAlreadyRemoved, nil
		}
		now := s.now()
		if err := c.WecomFollow.UpdateOne(f).SetRemovedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
			return "", err
		}
		active, err := c.WecomFollow.Query().Where(wecomfollow.WecomContactID(wc.ID), wecomfollow.RemovedAtIsNil()).All(ctx)
		if err != nil {
			return "", err
		}
		if len(active) == 0 {
			if wc.RemovedAt == nil {
				if err := c.WecomContact.UpdateOne(wc).SetRemovedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
					return "", err
				}
			}
			return ResultContactRemoved, nil
		}
		if wc.RemovedAt != nil {
			return ResultFollowRemoved, nil
		}
		wc.Edges.Follows = active
		var res SyncResult
		if err := s.reconcileOne(ctx, c, wc, p.staff, p.match, &res, fmt.Sprintf("wecom-event-%d", ev.ID)); err != nil {
			return "", err
		}
		return ResultFollowRemoved, nil
	}, nil
}

// EventCounts counts stored events not applied.
type EventCounts struct {
	// Pending are waiting to be applied (Failing of them have failed at
	// least once); Dead were given up on.
	Pending, Failing, Dead int
}

// PendingEvents counts the stored events not applied, for the reconcile
// report and for anyone watching the worker.
func (s *Service) PendingEvents(ctx context.Context) (EventCounts, error) {
	sys := viewer.NewContext(ctx, viewer.System("wecom-events"))
	var out EventCounts
	var err error
	if out.Pending, err = s.db.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StatePending)).Count(sys); err != nil {
		return out, err
	}
	if out.Failing, err = s.db.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StatePending), wecomevent.AttemptsGT(0)).Count(sys); err != nil {
		return out, err
	}
	out.Dead, err = s.db.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StateDead)).Count(sys)
	return out, err
}

// ReconcileResult is what the nightly reconcile found: the sync's counts
// are the drift between what callbacks applied and what WeCom holds.
type ReconcileResult struct {
	Sync   SyncResult
	Events EventCounts
}

// Drift is how many contacts the sync had to correct.
func (r ReconcileResult) Drift() int {
	return r.Sync.Created + r.Sync.Changed + r.Sync.Removed + r.Sync.Linked + r.Sync.Reowned
}

// Message is the run's summary for the job ledger.
func (r ReconcileResult) Message() i18n.Lines {
	return i18n.Lines{i18n.N("job_report.wecom_reconcile", r.Drift()).With("Created", r.Sync.Created).With("Changed", r.Sync.Changed).
		With("Removed", r.Sync.Removed).With("Linked", r.Sync.Linked).With("Reowned", r.Sync.Reowned).
		With("Pending", r.Events.Pending).With("Failing", r.Events.Failing).With("Dead", r.Events.Dead)}
}

// Reconcile is the nightly check of the incremental callbacks: a full
// Sync (idempotent, so with every callback applied it changes nothing)
// whose counts report the drift, with the events still pending or given
// up on.
func (s *Service) Reconcile(ctx context.Context) (ReconcileResult, error) {
	var out ReconcileResult
	var err error
	if out.Sync, err = s.Sync(ctx); err != nil {
		return out, err
	}
	if out.Events, err = s.PendingEvents(ctx); err != nil {
		return out, err
	}
	if d := out.Drift(); d > 0 {
		s.log.WarnContext(ctx, "wecom reconcile found drift", "contacts", d, "report", out.Sync.Report())
	}
	return out, nil
}
