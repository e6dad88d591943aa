package wecom

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/work/externalcontact"

	workctx "github.com/silenceper/wechat/v2/work/context"
	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/predicate"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomgrouptransfer"
	"github.com/tierlink/tierlink/ent/wecomtransfer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// WeCom's hand-over rules, as documented for transfer_customer: an on-job
// member's customer may be transferred at most twice in 90 calendar days,
// a hand-over completes 24 hours after it is accepted, and one call
// carries at most 100 customers (groupchat transfers: 100 groups).
const (
	TransfersInWindow = 2
	TransferWindow    = 90 * 24 * time.Hour
	TransferDelay     = 24 * time.Hour
	MaxTransferBatch  = 100
	// MaxTransferMessage is transfer_success_msg's limit in characters.
	MaxTransferMessage = 200
)

// Hand-over errcodes Tierlink tells apart (WeCom's global errcodes).
const (
	CodeInvalidExternalUser = 40096
	CodeNotResigned         = 40097
	CodeTakerAtLimit        = 40099
	CodeAlreadyTransferring = 40100
	CodeTransferTooOften    = 40128
	CodeTransferInProgress  = 40129
	CodeSameMember          = 40130
	CodeNotFollower         = 40131
	CodeGroupOwnerOnJob     = 90500
)

// transfer_result's statuses.
const (
	statusTakenOver  = 1
	statusWaiting    = 2
	statusRefused    = 3
	statusTakerLimit = 4
	statusNoRecord   = 5
)

// syncBatchPrefix starts the ledger batches the sync writes when WeCom
// itself already moved a contact (sync.go): those are not sent back.
const syncBatchPrefix = "wecom-"

// Transfers carries Tierlink's contact hand-overs out in WeCom
// (在职继承 and 离职继承) and records each contact's WeCom state.
type Transfers struct {
	db  *ent.Client
	api *Client
	now func() time.Time
	log *slog.Logger
	// StaleAfter is how long a request may stay unanswered before a run
	// settles it from transfer_result: longer than any call with its
	// back-off lasts, so a run never settles a request another instance
	// is still making.
	StaleAfter time.Duration
	// crash, in tests, stops a send before (before=true) or after the
	// call to WeCom, as a killed process would.
	crash func(before bool, key string) error
}

// NewTransfers returns the hand-over service over db, calling WeCom
// through api.
func NewTransfers(db *ent.Client, api *Client, log *slog.Logger) *Transfers {
	if log == nil {
		log = slog.Default()
	}
	return &Transfers{db: db, api: api, now: time.Now, log: log, StaleAfter: 15 * time.Minute}
}

// SetClock replaces the service's clock, for tests.
func (t *Transfers) SetClock(now func() time.Time) { t.now = now }

// Plan is the directory's hand-over hook (directory.OnHandedOver): in
// the hand-over's transaction, it writes one row per ledger entry whose
// contact is linked to a WeCom contact, before anything is sent. A
// transfer WeCom's rules will refuse is written blocked with the date it
// becomes possible; one whose staff are not linked to WeCom is written
// skipped. Tierlink's ownership has moved either way.
func (t *Transfers) Plan(ctx context.Context, c *ent.Client, transferIDs []int) error {
	if len(transferIDs) == 0 {
		return nil
	}
	sys := partners.AsSystem(ctx, "wecom transfer")
	lts, err := c.ContactTransfer.Query().Where(contacttransfer.IDIn(transferIDs...)).
		Order(ent.Asc(contacttransfer.FieldID)).All(sys)
	if err != nil {
		return err
	}
	var cids, uids []int
	for _, lt := range lts {
		cids = append(cids, lt.ContactID)
		uids = append(uids, lt.FromOwnerID, lt.ToOwnerID)
	}
	wcs, err := c.WecomContact.Query().Where(wecomcontact.ContactIDIn(cids...), wecomcontact.RemovedAtIsNil()).All(sys)
	if err != nil || len(wcs) == 0 {
		return err
	}
	byContact := map[int]*ent.WecomContact{}
	var exts []string
	for _, wc := range wcs {
		byContact[*wc.ContactID] = wc
		exts = append(exts, wc.ExternalUserid)
	}
	us, err := c.User.Query().Where(user.IDIn(uids...)).All(sys)
	if err != nil {
		return err
	}
	wecomID := map[int]string{}
	for _, u := range us {
		if u.WecomUserid != nil {
			wecomID[u.ID] = *u.WecomUserid
		}
	}
	history, err := c.WecomTransfer.Query().Where(wecomtransfer.ExternalUseridIn(exts...)).All(sys)
	if err != nil {
		return err
	}
	past := map[string][]*ent.WecomTransfer{}
	for _, h := range history {
		past[h.ExternalUserid] = append(past[h.ExternalUserid], h)
	}
	now := t.now()
	var builders []*ent.WecomTransferCreate
	for _, lt := range lts {
		wc := byContact[lt.ContactID]
		if wc == nil || strings.HasPrefix(lt.Batch, syncBatchPrefix) {
			continue
		}
		kind := wecomtransfer.KindOnjob
		if lt.Reason == contacttransfer.ReasonDeparture {
			kind = wecomtransfer.KindResigned
		}
		from, to := wecomID[lt.FromOwnerID], wecomID[lt.ToOwnerID]
		b := c.WecomTransfer.Create().SetTransferID(lt.ID).SetContactID(lt.ContactID).SetExternalUserid(wc.ExternalUserid).
			SetHandoverUserid(from).SetTakeoverUserid(to).SetKind(kind).SetCreatedAt(now).SetUpdatedAt(now)
		if kind == wecomtransfer.KindOnjob {
			b.SetMessage(clip(strings.TrimSpace(lt.Note), MaxTransferMessage))
		}
		switch at, code := PossibleAt(past[wc.ExternalUserid], kind, now); {
		case from == "" || to == "":
			b.SetState(wecomtransfer.StateSkipped)
		case code != 0:
			b.SetState(wecomtransfer.StateBlocked).SetErrcode(code).SetPossibleAt(at)
		}
		builders = append(builders, b)
		if kind == wecomtransfer.KindResigned && from != "" && to != "" {
			err := c.WecomGroupTransfer.Create().SetBatch(lt.Batch).SetFromUserid(from).SetToUserid(to).
				SetCreatedAt(now).SetUpdatedAt(now).
				OnConflictColumns(wecomgrouptransfer.FieldBatch, wecomgrouptransfer.FieldChatID).DoNothing().Exec(sys)
			if err := kept(err); err != nil {
				return err
			}
		}
	}
	for chunk := range slices.Chunk(builders, 500) {
		if err := c.WecomTransfer.CreateBulk(chunk...).Exec(sys); err != nil {
			return err
		}
	}
	return nil
}

// kept is err, except that an insert skipped because the row exists
// (ON CONFLICT DO NOTHING answers no row) is no error: the row is kept.
func kept(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// PossibleAt applies WeCom's rules to a contact's earlier hand-overs:
// while one is still waiting, a new one is refused (40129) until it
// completes; an on-job hand-over is refused (40128) while two were
// accepted in the last 90 days, until the older of the last two is 90
// days old. It returns 0 when WeCom will take the hand-over now.
func PossibleAt(past []*ent.WecomTransfer, kind wecomtransfer.Kind, now time.Time) (time.Time, int) {
	var at time.Time
	code := 0
	var accepted []time.Time
	for _, p := range past {
		switch p.State {
		case wecomtransfer.StateSending, wecomtransfer.StateWaiting:
			if p.CompletesAt != nil && p.CompletesAt.After(now) {
				at, code = *p.CompletesAt, CodeTransferInProgress
			} else if p.RequestedAt != nil && p.RequestedAt.Add(TransferDelay).After(now) {
				at, code = p.RequestedAt.Add(TransferDelay), CodeTransferInProgress
			}
		}
		if p.Kind == wecomtransfer.KindOnjob && p.RequestedAt != nil && wasAccepted(p.State) && now.Sub(*p.RequestedAt) < TransferWindow {
			accepted = append(accepted, *p.RequestedAt)
		}
	}
	if kind == wecomtransfer.KindOnjob && len(accepted) >= TransfersInWindow {
		slices.SortFunc(accepted, func(a, b time.Time) int { return b.Compare(a) })
		if free := accepted[TransfersInWindow-1].Add(TransferWindow); free.After(at) {
			at, code = free, CodeTransferTooOften
		}
	}
	return at, code
}

// wasAccepted says WeCom accepted (or may have accepted) the hand-over,
// so it counts towards the 90-day rule.
func wasAccepted(s wecomtransfer.State) bool {
	switch s {
	case wecomtransfer.StateSending, wecomtransfer.StateWaiting, wecomtransfer.StateDone, wecomtransfer.StateRefused,
		wecomtransfer.StateTakerLimit, wecomtransfer.StateNoRecord:
		return true
	}
	return false
}

// stateForCode is a row's state after transfer_customer answered code
// for its contact.
func stateForCode(code int) wecomtransfer.State {
	switch code {
	case 0:
		return wecomtransfer.StateWaiting
	case CodeTakerAtLimit:
		return wecomtransfer.StateTakerLimit
	case CodeTransferTooOften, CodeTransferInProgress, CodeAlreadyTransferring:
		return wecomtransfer.StateBlocked
	}
	return wecomtransfer.StateFailed
}

// stateForStatus is a row's state for transfer_result's status.
func stateForStatus(status int) wecomtransfer.State {
	switch status {
	case statusTakenOver:
		return wecomtransfer.StateDone
	case statusWaiting:
		return wecomtransfer.StateWaiting
	case statusRefused:
		return wecomtransfer.StateRefused
	case statusTakerLimit:
		return wecomtransfer.StateTakerLimit
	case statusNoRecord:
		return wecomtransfer.StateNoRecord
	}
	return wecomtransfer.StateFailed
}

// TransferRun is what one Run did.
type TransferRun struct {
	// Calls counts transfer_customer calls; Sent the contacts they
	// carried; Recovered the contacts of requests a crash left
	// unrecorded, settled from transfer_result.
	Calls, Sent, Recovered int
	// Unblocked counts blocked hand-overs queued again once WeCom's rules
	// allow them.
	Unblocked int
	// Checked counts waiting contacts polled; Settled those that left
	// waiting (done, refused, over the limit, no record).
	Checked, Settled int
	// Groups counts customer groups handed over; GroupsFailed those
	// WeCom refused.
	Groups, GroupsFailed int
	// FellBack counts departures WeCom refused because the leaver is
	// still a member (40097), handed over on the job instead.
	FellBack int
}

// Report is the run's summary in English, for logs.
func (r TransferRun) Report() string {
	return fmt.Sprintf("%d call(s) carrying %d contact(s), %d recovered, %d unblocked, %d departure(s) handed over on the job; %d checked, %d settled; %d group(s) moved, %d refused",
		r.Calls, r.Sent, r.Recovered, r.Unblocked, r.FellBack, r.Checked, r.Settled, r.Groups, r.GroupsFailed)
}

// Run carries queued hand-overs out in WeCom and checks waiting ones:
// first it settles requests a crash left unrecorded (asking
// transfer_result, never sending twice), queues again blocked ones whose
// date has come, then sends queued rows in calls of at most 100, then
// polls transfer_result for waiting rows, then hands over leavers'
// customer groups.
func (t *Transfers) Run(ctx context.Context) (TransferRun, error) {
	var res TransferRun
	if !t.api.Config().Configured() {
		return res, partners.Errorf(partners.EInvalid, "WeCom is not configured: set TIERLINK_WECOM_CORP_ID and TIERLINK_WECOM_CONTACT_SECRET")
	}
	ctx = partners.AsSystem(ctx, "wecom transfer")
	if err := t.recover(ctx, &res); err != nil {
		return res, err
	}
	if err := t.unblock(ctx, &res); err != nil {
		return res, err
	}
	if err := t.send(ctx, &res); err != nil {
		return res, err
	}
	if err := t.poll(ctx, &res); err != nil {
		return res, err
	}
	err := t.groups(ctx, &res)
	return res, err
}

// unblock queues again the blocked hand-overs whose date has come, when
// each is still its contact's latest and Tierlink's owner is still its
// taker; the rules are applied again first (a date WeCom gave without
// Tierlink knowing why is checked by WeCom itself).
func (t *Transfers) unblock(ctx context.Context, res *TransferRun) error {
	now := t.now()
	rows, err := t.db.WecomTransfer.Query().Where(wecomtransfer.StateEQ(wecomtransfer.StateBlocked),
		wecomtransfer.PossibleAtLTE(now)).Order(ent.Asc(wecomtransfer.FieldID)).Limit(5000).All(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		err := partners.WithTx(ctx, t.db, func(tx *ent.Tx) error {
			c := tx.Client()
			past, err := c.WecomTransfer.Query().Where(wecomtransfer.ContactID(r.ContactID), wecomtransfer.IDNEQ(r.ID)).All(ctx)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(past, func(p *ent.WecomTransfer) bool { return p.ID > r.ID }) {
				return nil // a later hand-over of the contact supersedes it
			}
			lt, err := c.ContactTransfer.Get(ctx, r.TransferID)
			if err != nil {
				return err
			}
			ct, err := c.Contact.Get(ctx, r.ContactID)
			if err != nil {
				return err
			}
			if ct.OwnerID != lt.ToOwnerID {
				return nil
			}
			q := c.WecomTransfer.UpdateOne(r).SetUpdatedAt(now)
			if at, code := PossibleAt(past, r.Kind, now); code != 0 {
				return q.SetErrcode(code).SetPossibleAt(at).Exec(ctx)
			}
			res.Unblocked++
			return q.SetState(wecomtransfer.StateQueued).SetErrcode(0).ClearPossibleAt().Exec(ctx)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pair is one handover → takeover direction of one API.
type pair struct {
	kind     wecomtransfer.Kind
	from, to string
}

// results reads every page of transfer_result for p.
func (t *Transfers) results(ctx context.Context, p pair) (map[string]externalcontact.TransferResultItem, error) {
	out := map[string]externalcontact.TransferResultItem{}
	cursor := ""
	for {
		var items []externalcontact.TransferResultItem
		var next string
		api := "transfer_result"
		if p.kind == wecomtransfer.KindResigned {
			api = "resigned/transfer_result"
		}
		err := t.api.Do(ctx, ContactSecret, api, func(sdk *workctx.Context) error {
			cl := externalcontact.NewClient(sdk)
			if p.kind == wecomtransfer.KindResigned {
				r, err := cl.ResignedTransferResult(&externalcontact.ResignedTransferResultRequest{HandoverUserID: p.from,
					TakeoverUserID: p.to, Cursor: cursor})
				if err == nil {
					items, next = r.Customer, r.NextCursor
				}
				return err
			}
			r, err := cl.TransferResult(&externalcontact.TransferResultRequest{HandoverUserID: p.from, TakeoverUserID: p.to, Cursor: cursor})
			if err == nil {
				items, next = r.Customer, r.NextCursor
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			out[it.ExternalUserID] = it
		}
		if next == "" || next == cursor {
			return out, nil
		}
		cursor = next
	}
}

// settle writes what transfer_result says of rows, in one transaction.
// A row WeCom lists with a record older than its request (an earlier
// hand-over between the same members) is not its own: with unrecorded
// set, such a row (and one WeCom does not list) goes back to the queue,
// since its request never reached WeCom; otherwise it has no record.
func (t *Transfers) settle(ctx context.Context, rows []*ent.WecomTransfer, got map[string]externalcontact.TransferResultItem,
	unrecorded bool, res *TransferRun) error {
	now := t.now()
	return partners.WithTx(ctx, t.db, func(tx *ent.Tx) error {
		c := tx.Client()
		for _, r := range rows {
			it, found := got[r.ExternalUserid]
			if found && it.TakeoverTime > 0 && r.RequestedAt != nil && time.Unix(it.TakeoverTime, 0).Before(r.RequestedAt.Add(-time.Second)) {
				found = false
			}
			q := c.WecomTransfer.UpdateOne(r).SetCheckedAt(now).SetUpdatedAt(now)
			switch {
			case !found && unrecorded:
				q.SetState(wecomtransfer.StateQueued).SetRequestKey("").ClearRequestedAt()
			case !found:
				q.SetState(wecomtransfer.StateNoRecord).SetStatus(statusNoRecord)
			default:
				st := stateForStatus(it.Status)
				q.SetState(st).SetStatus(it.Status)
				if it.TakeoverTime > 0 {
					q.SetCompletesAt(time.Unix(it.TakeoverTime, 0).UTC())
				}
				if st != wecomtransfer.StateWaiting && r.State == wecomtransfer.StateWaiting {
					res.Settled++
				}
			}
			if unrecorded {
				res.Recovered++
			} else {
				res.Checked++
			}
			if err := q.Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// recover settles rows left sending by a run that died between writing
// its request key and recording WeCom's answer, once StaleAfter has
// passed since the request.
func (t *Transfers) recover(ctx context.Context, res *TransferRun) error {
	return t.settleFrom(ctx, true, res, wecomtransfer.StateEQ(wecomtransfer.StateSending),
		wecomtransfer.RequestedAtLTE(t.now().Add(-t.StaleAfter)))
}

// settleFrom asks transfer_result about the rows where selects, per
// (handover, takeover) pair, and settles them with WeCom's answer.
func (t *Transfers) settleFrom(ctx context.Context, recovering bool, res *TransferRun, where ...predicate.WecomTransfer) error {
	rows, err := t.db.WecomTransfer.Query().Where(where...).Order(ent.Asc(wecomtransfer.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	for p, rs := range byPair(rows) {
		got, err := t.results(ctx, p)
		if err != nil {
			return err
		}
		if err := t.settle(ctx, rs, got, recovering, res); err != nil {
			return err
		}
	}
	return nil
}

func byPair(rows []*ent.WecomTransfer) map[pair][]*ent.WecomTransfer {
	out := map[pair][]*ent.WecomTransfer{}
	for _, r := range rows {
		p := pair{r.Kind, r.HandoverUserid, r.TakeoverUserid}
		out[p] = append(out[p], r)
	}
	return out
}

// send carries queued rows to WeCom, grouped by members and message, at
// most 100 contacts a call. Each call's rows get its request key (state
// sending) in a committed transaction before the call, and WeCom's
// answer afterwards.
func (t *Transfers) send(ctx context.Context, res *TransferRun) error {
	before := res.FellBack
	if err := t.sendQueued(ctx, res); err != nil || res.FellBack == before {
		return err
	}
	// The on-job hand-overs that replace refused departures go out in
	// the same run (once: they cannot fall back again).
	return t.sendQueued(ctx, res)
}

// sendQueued sends the rows queued now.
func (t *Transfers) sendQueued(ctx context.Context, res *TransferRun) error {
	rows, err := t.db.WecomTransfer.Query().Where(wecomtransfer.StateEQ(wecomtransfer.StateQueued)).
		Order(ent.Asc(wecomtransfer.FieldID)).Limit(10000).All(ctx)
	if err != nil {
		return err
	}
	type group struct {
		pair
		msg string
	}
	var order []group
	groups := map[group][]*ent.WecomTransfer{}
	for _, r := range rows {
		g := group{pair{r.Kind, r.HandoverUserid, r.TakeoverUserid}, r.Message}
		if groups[g] == nil {
			order = append(order, g)
		}
		groups[g] = append(groups[g], r)
	}
	for _, g := range order {
		for chunk := range slices.Chunk(groups[g], MaxTransferBatch) {
			if err := t.sendChunk(ctx, g.pair, g.msg, chunk, res); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *Transfers) sendChunk(ctx context.Context, p pair, msg string, rows []*ent.WecomTransfer, res *TransferRun) error {
	key := "wt-" + randHex() + randHex()
	now := t.now()
	var ids []int
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	// Claim the rows: only those still queued (another instance may have
	// claimed some) go into this request.
	if _, err := t.db.WecomTransfer.Update().Where(wecomtransfer.IDIn(ids...), wecomtransfer.StateEQ(wecomtransfer.StateQueued)).
		SetState(wecomtransfer.StateSending).SetRequestKey(key).SetRequestedAt(now).SetUpdatedAt(now).Save(ctx); err != nil {
		return err
	}
	mine, err := t.db.WecomTransfer.Query().Where(wecomtransfer.RequestKey(key)).Order(ent.Asc(wecomtransfer.FieldID)).All(ctx)
	if err != nil || len(mine) == 0 {
		return err
	}
	if t.crash != nil {
		if err := t.crash(true, key); err != nil {
			return err
		}
	}
	exts := make([]string, 0, len(mine))
	for _, r := range mine {
		exts = append(exts, r.ExternalUserid)
	}
	var answer []externalcontact.TransferCustomerItem
	api := "transfer_customer"
	if p.kind == wecomtransfer.KindResigned {
		api = "resigned/transfer_customer"
	}
	res.Calls++
	err = t.api.Do(ctx, ContactSecret, api, func(sdk *workctx.Context) error {
		cl := externalcontact.NewClient(sdk)
		if p.kind == wecomtransfer.KindResigned {
			r, err := cl.ResignedTransferCustomer(&externalcontact.ResignedTransferCustomerRequest{HandoverUserID: p.from,
				TakeoverUserID: p.to, ExternalUserID: exts})
			if err == nil {
				answer = r.Customer
			}
			return err
		}
		r, err := cl.TransferCustomer(&externalcontact.TransferCustomerRequest{HandoverUserID: p.from, TakeoverUserID: p.to,
			ExternalUserID: exts, TransferSuccessMsg: msg})
		if err == nil {
			answer = r.Customer
		}
		return err
	})
	if err == nil && t.crash != nil {
		err = t.crash(false, key)
	}
	if err != nil {
		code := Code(err)
		if code == 0 || code == codeFrequency || code == codeConcurrency {
			// Unknown outcome (transport, cancelled, limits outlasted
			// the back-off): the rows stay sending and the next run asks
			// WeCom what became of them.
			return err
		}
		// WeCom refused the whole call: every row carries its errcode.
		now := t.now()
		t.log.WarnContext(ctx, "wecom transfer refused", "api", api, "errcode", code, "contacts", len(mine))
		return partners.WithTx(ctx, t.db, func(tx *ent.Tx) error {
			c := tx.Client()
			if _, err := c.WecomTransfer.Update().Where(wecomtransfer.RequestKey(key), wecomtransfer.StateEQ(wecomtransfer.StateSending)).
				SetState(stateForCode(int(code))).SetErrcode(int(code)).SetCheckedAt(now).SetUpdatedAt(now).Save(ctx); err != nil {
				return err
			}
			if p.kind != wecomtransfer.KindResigned || code != CodeNotResigned {
				return nil
			}
			return t.fallBack(ctx, c, mine, now, res)
		})
	}
	codes := map[string]int{}
	for _, a := range answer {
		codes[a.ExternalUserID] = a.ErrCode
	}
	now = t.now()
	res.Sent += len(mine)
	return partners.WithTx(ctx, t.db, func(tx *ent.Tx) error {
		c := tx.Client()
		var onJob []*ent.WecomTransfer
		for _, r := range mine {
			code, found := codes[r.ExternalUserid]
			if !found {
				// Not in the answer: left for the next run to ask about.
				continue
			}
			if code == CodeNotResigned && r.Kind == wecomtransfer.KindResigned {
				onJob = append(onJob, r)
			}
			q := c.WecomTransfer.UpdateOne(r).SetErrcode(code).SetState(stateForCode(code)).SetCheckedAt(now).SetUpdatedAt(now)
			if code == 0 {
				q.SetCompletesAt(now.Add(TransferDelay))
			}
			if code == CodeTransferTooOften || code == CodeTransferInProgress {
				// WeCom knows of hand-overs Tierlink does not (made in
				// WeCom itself): the date it becomes possible is unknown
				// unless Tierlink's own history gives it.
				past, err := c.WecomTransfer.Query().Where(wecomtransfer.ExternalUserid(r.ExternalUserid), wecomtransfer.IDNEQ(r.ID)).All(ctx)
				if err != nil {
					return err
				}
				if at, pc := PossibleAt(past, r.Kind, now); pc != 0 {
					q.SetPossibleAt(at)
				}
			}
			if err := q.Exec(ctx); err != nil {
				return err
			}
		}
		return t.fallBack(ctx, c, onJob, now, res)
	})
}

// fallBack queues an on-job hand-over (externalcontact/transfer_customer)
// for each departure row WeCom refused with 40097: the leaver is still a
// member of WeCom (deactivated in Tierlink before being removed from
// WeCom's address book), and resigned/transfer_customer only takes
// members who have left. The refused row stays as it is, failed with
// 40097, and the new row hangs off the same ledger entry, so the ledger
// shows both the refusal and the hand-over that followed. The on-job
// API's rules apply to the new row: one WeCom will refuse is written
// blocked with the date it becomes possible. No transfer message is
// sent: a departure's note is for Tierlink's staff, and WeCom then shows
// the customer its own default text.
func (t *Transfers) fallBack(ctx context.Context, c *ent.Client, rows []*ent.WecomTransfer, now time.Time, res *TransferRun) error {
	for _, r := range rows {
		if exists, err := c.WecomTransfer.Query().Where(wecomtransfer.TransferID(r.TransferID),
			wecomtransfer.KindEQ(wecomtransfer.KindOnjob)).Exist(ctx); err != nil {
			return err
		} else if exists {
			continue // fallen back already (a resend after a crash)
		}
		past, err := c.WecomTransfer.Query().Where(wecomtransfer.ExternalUserid(r.ExternalUserid), wecomtransfer.IDNEQ(r.ID)).All(ctx)
		if err != nil {
			return err
		}
		b := c.WecomTransfer.Create().SetTransferID(r.TransferID).SetContactID(r.ContactID).SetExternalUserid(r.ExternalUserid).
			SetHandoverUserid(r.HandoverUserid).SetTakeoverUserid(r.TakeoverUserid).SetKind(wecomtransfer.KindOnjob).
			SetCreatedAt(now).SetUpdatedAt(now)
		if at, code := PossibleAt(past, wecomtransfer.KindOnjob, now); code != 0 {
			b.SetState(wecomtransfer.StateBlocked).SetErrcode(code).SetPossibleAt(at)
		}
		if err := b.Exec(ctx); err != nil {
			return err
		}
		res.FellBack++
	}
	if len(rows) > 0 {
		t.log.InfoContext(ctx, "wecom transfer: leavers still in WeCom; handing over on the job", "contacts", len(rows))
	}
	return nil
}

// poll asks transfer_result about every waiting row.
func (t *Transfers) poll(ctx context.Context, res *TransferRun) error {
	return t.settleFrom(ctx, false, res, wecomtransfer.StateEQ(wecomtransfer.StateWaiting))
}

// groups hands each leaver's customer groups to the heir: for every
// pending departure marker it lists the groups the leaver owns, calls
// groupchat/transfer (or groupchat/onjob_transfer for groups WeCom says
// have an on-job owner, 90500) at most 100 a call, and records each.
func (t *Transfers) groups(ctx context.Context, res *TransferRun) error {
	marks, err := t.db.WecomGroupTransfer.Query().Where(wecomgrouptransfer.ChatID(""),
		wecomgrouptransfer.StateEQ(wecomgrouptransfer.StatePending)).All(ctx)
	if err != nil {
		return err
	}
	for _, m := range marks {
		var chats []string
		cursor := ""
		for {
			var page *externalcontact.GroupChatListResponse
			err := t.api.Do(ctx, ContactSecret, "groupchat/list", func(sdk *workctx.Context) error {
				var err error
				page, err = externalcontact.NewClient(sdk).GetGroupChatList(&externalcontact.GroupChatListRequest{
					OwnerFilter: externalcontact.OwnerFilter{UseridList: []string{m.FromUserid}}, Cursor: cursor, Limit: 1000})
				return err
			})
			if err != nil {
				return err
			}
			for _, g := range page.GroupChatList {
				chats = append(chats, g.ChatID)
			}
			if page.NextCursor == "" || page.NextCursor == cursor {
				break
			}
			cursor = page.NextCursor
		}
		for chunk := range slices.Chunk(chats, MaxTransferBatch) {
			if err := t.moveGroups(ctx, m, chunk, res); err != nil {
				return err
			}
		}
		if err := t.db.WecomGroupTransfer.UpdateOne(m).SetState(wecomgrouptransfer.StateDone).SetUpdatedAt(t.now()).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (t *Transfers) moveGroups(ctx context.Context, m *ent.WecomGroupTransfer, chats []string, res *TransferRun) error {
	call := func(resigned bool, ids []string) (map[string]externalcontact.FailedChat, error) {
		failed := map[string]externalcontact.FailedChat{}
		api := "groupchat/onjob_transfer"
		if resigned {
			api = "groupchat/transfer"
		}
		err := t.api.Do(ctx, ContactSecret, api, func(sdk *workctx.Context) error {
			cl := externalcontact.NewClient(sdk)
			var list []externalcontact.FailedChat
			if resigned {
				r, err := cl.GroupChatTransfer(&externalcontact.GroupChatTransferRequest{ChatIDList: ids, NewOwner: m.ToUserid})
				if err != nil {
					return err
				}
				list = r.FailedChatList
			} else {
				r, err := cl.GroupChatOnJobTransfer(&externalcontact.GroupChatOnJobTransferRequest{ChatIDList: ids, NewOwner: m.ToUserid})
				if err != nil {
					return err
				}
				list = r.FailedChatList
			}
			for _, f := range list {
				failed[f.ChatID] = f
			}
			return nil
		})
		return failed, err
	}
	failed, err := call(true, chats)
	if err != nil {
		return err
	}
	kind := map[string]wecomgrouptransfer.Kind{}
	var onjob []string
	for _, id := range chats {
		kind[id] = wecomgrouptransfer.KindResigned
		if f, ok := failed[id]; ok && f.ErrCode == CodeGroupOwnerOnJob {
			onjob = append(onjob, id)
		}
	}
	if len(onjob) > 0 {
		again, err := call(false, onjob)
		if err != nil {
			return err
		}
		for _, id := range onjob {
			kind[id] = wecomgrouptransfer.KindOnjob
			delete(failed, id)
			if f, ok := again[id]; ok {
				failed[id] = f
			}
		}
	}
	now := t.now()
	return partners.WithTx(ctx, t.db, func(tx *ent.Tx) error {
		for _, id := range chats {
			q := tx.WecomGroupTransfer.Create().SetBatch(m.Batch).SetChatID(id).SetFromUserid(m.FromUserid).SetToUserid(m.ToUserid).
				SetKind(kind[id]).SetState(wecomgrouptransfer.StateDone).SetCreatedAt(now).SetUpdatedAt(now)
			if f, ok := failed[id]; ok {
				q.SetState(wecomgrouptransfer.StateFailed).SetErrcode(f.ErrCode).SetErrmsg(clip(f.ErrMsg, 400))
				res.GroupsFailed++
			} else {
				res.Groups++
			}
			if err := kept(q.OnConflictColumns(wecomgrouptransfer.FieldBatch, wecomgrouptransfer.FieldChatID).DoNothing().Exec(ctx)); err != nil {
				return err
			}
		}
		return nil
	})
}

// TransferState is one contact's WeCom hand-over as the pages show it.
type TransferState struct {
	TransferID     int        `json:"transfer_id"`
	ContactID      int        `json:"contact_id"`
	ExternalUserID string     `json:"external_userid"`
	Kind           string     `json:"kind"`
	State          string     `json:"state"`
	Errcode        int        `json:"errcode,omitempty"`
	PossibleAt     *time.Time `json:"possible_at,omitempty"`
	RequestedAt    *time.Time `json:"requested_at,omitempty"`
	CompletesAt    *time.Time `json:"completes_at,omitempty"`
	CheckedAt      *time.Time `json:"checked_at,omitempty"`
}

// Failed says the hand-over did not (or cannot yet) happen in WeCom.
func (s TransferState) Failed() bool {
	switch wecomtransfer.State(s.State) {
	case wecomtransfer.StateBlocked, wecomtransfer.StateRefused, wecomtransfer.StateTakerLimit,
		wecomtransfer.StateNoRecord, wecomtransfer.StateFailed:
		return true
	}
	return false
}

// Key is the page catalogue's key for the state.
func (s TransferState) Key() string { return "wecom_transfer_state." + s.State }

func toTransferState(r *ent.WecomTransfer) TransferState {
	return TransferState{TransferID: r.TransferID, ContactID: r.ContactID, ExternalUserID: r.ExternalUserid, Kind: string(r.Kind),
		State: string(r.State), Errcode: r.Errcode, PossibleAt: r.PossibleAt, RequestedAt: r.RequestedAt,
		CompletesAt: r.CompletesAt, CheckedAt: r.CheckedAt}
}

// States returns the WeCom state of each of the ledger entries that has
// one, by ledger entry id.
func (t *Transfers) States(ctx context.Context, transferIDs []int) (map[int]TransferState, error) {
	out := map[int]TransferState{}
	if len(transferIDs) == 0 {
		return out, nil
	}
	// In id order, so a ledger entry's latest row (an on-job hand-over
	// replacing a refused departure) is the one shown.
	rows, err := t.db.WecomTransfer.Query().Where(wecomtransfer.TransferIDIn(transferIDs...)).Order(ent.Asc(wecomtransfer.FieldID)).All(ctx)
	for _, r := range rows {
		out[r.TransferID] = toTransferState(r)
	}
	return out, err
}

// ForContact returns a contact's WeCom hand-overs, newest first.
func (t *Transfers) ForContact(ctx context.Context, contactID int) ([]TransferState, error) {
	rows, err := t.db.WecomTransfer.Query().Where(wecomtransfer.ContactID(contactID)).
		Order(ent.Desc(wecomtransfer.FieldID)).Limit(50).All(ctx)
	out := make([]TransferState, 0, len(rows))
	for _, r := range rows {
		out = append(out, toTransferState(r))
	}
	return out, err
}

// Failures returns the hand-overs WeCom refused or will refuse, newest
// first: the supervisor's list.
func (t *Transfers) Failures(ctx context.Context, limit int) ([]TransferState, error) {
	// A departure refused because the leaver is still in WeCom is no
	// failure: its on-job hand-over (its own row) tells how it went.
	rows, err := t.db.WecomTransfer.Query().Where(wecomtransfer.StateIn(wecomtransfer.StateBlocked, wecomtransfer.StateRefused,
		wecomtransfer.StateTakerLimit, wecomtransfer.StateNoRecord, wecomtransfer.StateFailed),
		wecomtransfer.Not(wecomtransfer.And(wecomtransfer.KindEQ(wecomtransfer.KindResigned), wecomtransfer.Errcode(CodeNotResigned)))).
		Order(ent.Desc(wecomtransfer.FieldUpdatedAt), ent.Desc(wecomtransfer.FieldID)).Limit(cmp.Or(limit, 50)).All(ctx)
	out := make([]TransferState, 0, len(rows))
	for _, r := range rows {
		out = append(out, toTransferState(r))
	}
	return out, err
}

// Failure is a failing hand-over with its contact's name, for the
// supervisor's list.
type Failure struct {
	TransferState
	ContactName string `json:"contact_name"`
}

// FailuresNamed is Failures with each contact's name.
func (t *Transfers) FailuresNamed(ctx context.Context, limit int) ([]Failure, error) {
	fs, err := t.Failures(ctx, limit)
	if err != nil || len(fs) == 0 {
		return nil, err
	}
	var ids []int
	for _, f := range fs {
		ids = append(ids, f.ContactID)
	}
	cts, err := t.db.Contact.Query().Where(contact.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	for _, c := range cts {
		names[c.ID] = c.Name
	}
	out := make([]Failure, 0, len(fs))
	for _, f := range fs {
		out = append(out, Failure{TransferState: f, ContactName: cmp.Or(names[f.ContactID], f.ExternalUserID)})
	}
	return out, nil
}

// Message is the run's summary for the job ledger, in the reader's
// language.
func (r TransferRun) Message() i18n.Lines {
	return i18n.Lines{i18n.M("job_report.wecom_transfers").With("Calls", r.Calls).With("Sent", r.Sent).
		With("Recovered", r.Recovered).With("Checked", r.Checked).With("Settled", r.Settled).
		With("Groups", r.Groups).With("GroupsFailed", r.GroupsFailed)}
}

// TransferFailed applies a transfer_fail callback (change_external_contact
// with ChangeType transfer_fail): the waiting hand-over of externalUserID
// to the taker takeoverUserID ends refused by the customer
// ("customer_refused") or with the taker over their limit
// ("customer_limit_exceed"). It reports whether a row changed; an event
// for a hand-over Tierlink did not request, or one already settled (the
// poll got there first, or the event is a duplicate), changes nothing.
// The callback slice calls it; the poll reaches the same state without it.
func (t *Transfers) TransferFailed(ctx context.Context, takeoverUserID, externalUserID, reason string) (bool, error) {
	st := wecomtransfer.StateRefused
	status := statusRefused
	if reason == "customer_limit_exceed" {
		st, status = wecomtransfer.StateTakerLimit, statusTakerLimit
	}
	ctx = partners.AsSystem(ctx, "wecom transfer")
	now := t.now()
	n, err := t.db.WecomTransfer.Update().Where(wecomtransfer.ExternalUserid(externalUserID),
		wecomtransfer.TakeoverUserid(takeoverUserID), wecomtransfer.StateIn(wecomtransfer.StateWaiting, wecomtransfer.StateSending)).
		SetState(st).SetStatus(status).SetCheckedAt(now).SetUpdatedAt(now).Save(ctx)
	return n > 0, err
}

// FailHandler applies stored transfer_fail callbacks (the event worker's
// handler for EventTransferFail): the waiting row takes WeCom's refusal at
// once instead of at the next poll.
func (t *Transfers) FailHandler() EventHandler {
	return func(ctx context.Context, ev *ent.WecomEvent) (EventWrite, error) {
		if _, err := t.TransferFailed(ctx, ev.Userid, ev.ExternalUserid, ev.FailReason); err != nil {
			return nil, err
		}
		return func(context.Context, *ent.Client) (string, error) { return ResultRecorded, nil }, nil
	}
}
