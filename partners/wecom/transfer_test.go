package wecom_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/wecomgrouptransfer"
	"github.com/tierlink/tierlink/ent/wecomtransfer"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

const (
	transferPath   = "/cgi-bin/externalcontact/transfer_customer"
	resignedPath   = "/cgi-bin/externalcontact/resigned/transfer_customer"
	resultPath     = "/cgi-bin/externalcontact/transfer_result"
	groupXferPath  = "/cgi-bin/externalcontact/groupchat/transfer"
	groupOnjobPath = "/cgi-bin/externalcontact/groupchat/onjob_transfer"
)

// clock is a settable time shared by the simulator, the token store and
// the hand-over service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// xferEnv is newEnv with n contacts of partner A followed by u00 (all
// three members linked), synced into the directory, and WeCom's
// hand-over wired into the directory's.
type xferEnv struct {
	*env
	xf  *wecom.Transfers
	clk *clock
}

func newXferEnv(t *testing.T, n int) *xferEnv {
	t.Helper()
	e := newEnv(t, 3, 3, true)
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e.sim.SetClock(clk.now)
	e.svc.SetClock(clk.now)
	// The directory and accounts keep the real clock (a hand-over now is
	// now for both); the token store follows the simulator's.
	e.api.Tokens().SetClock(clk.now)
	for i := range n {
		e.sim.AddContact(wecomsim.Contact{ExternalUserID: ext(i), Name: fmt.Sprintf("联系人%d", i), Type: 2,
			CorpFullName: e.f.PartnerA.Name, Follows: []wecomsim.Follow{{UserID: "u00", CreateTime: clk.now().Add(-time.Hour).Unix()}}})
	}
	e.sync(t)
	xf := wecom.NewTransfers(e.f.DB.Client, e.api, nil)
	xf.SetClock(clk.now)
	e.f.Dir.OnHandedOver(xf.Plan)
	return &xferEnv{env: e, xf: xf, clk: clk}
}

// contactID is the directory contact linked to WeCom contact i.
func (e *xferEnv) contactID(t *testing.T, i int) int {
	t.Helper()
	wc := e.contactByExt(t, ext(i))
	if wc.ContactID == nil {
		t.Fatalf("%s is not linked to the directory", ext(i))
	}
	return *wc.ContactID
}

// hand transfers contacts is to the staff user of WeCom member to.
func (e *xferEnv) hand(t *testing.T, to string, note string, is ...int) []directory.Transfer {
	t.Helper()
	var ids []int
	for _, i := range is {
		ids = append(ids, e.contactID(t, i))
	}
	out, err := e.f.Dir.Transfer(e.f.Ctx(e.f.Buyer), directory.TransferInput{ContactIDs: ids, ToOwnerID: e.staff[to], Note: note})
	if err != nil {
		t.Fatalf("transfer to %s: %v", to, err)
	}
	return out
}

func (e *xferEnv) run(t *testing.T) wecom.TransferRun {
	t.Helper()
	res, err := e.xf.Run(e.f.System())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// row is contact i's latest WeCom hand-over row.
func (e *xferEnv) row(t *testing.T, i int) *ent.WecomTransfer {
	t.Helper()
	r, err := e.f.DB.Client.WecomTransfer.Query().Where(wecomtransfer.ExternalUserid(ext(i))).
		Order(ent.Desc(wecomtransfer.FieldID)).First(e.f.System())
	if err != nil {
		t.Fatalf("%s: %v", ext(i), err)
	}
	return r
}

func (e *xferEnv) owner(t *testing.T, i int) int {
	t.Helper()
	ct, err := e.f.DB.Client.Contact.Query().Where(contact.ID(e.contactID(t, i))).Only(e.f.System())
	if err != nil {
		t.Fatal(err)
	}
	return ct.OwnerID
}

// TestWecomTransferBatches hands 250 contacts over: three calls of at
// most 100, the note as the message, every row waiting with the 24-hour
// completion, then done in WeCom once the day has passed.
func TestWecomTransferBatches(t *testing.T) {
	e := newXferEnv(t, 250)
	all := make([]int, 250)
	for i := range all {
		all[i] = i
	}
	e.hand(t, "u01", "您好，后续由李四为您服务", all...)
	// Ownership moved in Tierlink before WeCom was called, and every row
	// was written first, queued.
	if n, err := e.f.DB.Client.WecomTransfer.Query().Where(wecomtransfer.StateEQ(wecomtransfer.StateQueued)).Count(e.f.System()); err != nil || n != 250 {
		t.Fatalf("queued rows = %d, %v; want 250", n, err)
	}
	if e.owner(t, 0) != e.staff["u01"] {
		t.Fatal("ownership did not move in Tierlink")
	}
	sent := e.clk.now()
	res := e.run(t)
	if got := e.sim.Calls(transferPath); got != 3 || res.Calls != 3 || res.Sent != 250 {
		t.Fatalf("transfer_customer calls = %d (run: %+v), want 3 carrying 250", got, res)
	}
	recs := e.sim.Transfers()
	if len(recs) != 250 {
		t.Fatalf("WeCom accepted %d hand-overs, want 250", len(recs))
	}
	for _, r := range recs {
		if r.Message != "您好，后续由李四为您服务" || r.HandoverUserID != "u00" || r.TakeoverUserID != "u01" || r.Resigned {
			t.Fatalf("record %+v", r)
		}
	}
	for _, i := range []int{0, 99, 100, 249} {
		r := e.row(t, i)
		if r.State != wecomtransfer.StateWaiting || r.RequestKey == "" || r.RequestedAt == nil || !r.RequestedAt.Equal(sent) ||
			r.CompletesAt == nil || !r.CompletesAt.Equal(sent.Add(24*time.Hour)) {
			t.Fatalf("row %d = %+v", i, r)
		}
	}
	keys := map[string]int{}
	rows, _ := e.f.DB.Client.WecomTransfer.Query().All(e.f.System())
	for _, r := range rows {
		keys[r.RequestKey]++
	}
	if len(keys) != 3 {
		t.Fatalf("request keys %v, want 3 requests", keys)
	}
	e.clk.add(25 * time.Hour)
	res = e.run(t)
	if res.Settled != 250 || res.Calls != 0 {
		t.Fatalf("second run %+v, want 250 settled and no new call", res)
	}
	if r := e.row(t, 249); r.State != wecomtransfer.StateDone || r.Status != 1 || r.CheckedAt == nil {
		t.Fatalf("row 249 after a day = %+v", r)
	}
	if f := e.sim.Followers(ext(0)); !slices.Equal(f, []string{"u01"}) {
		t.Fatalf("followers in WeCom = %v, want u01", f)
	}
}

// TestWecomTransferEveryState ends hand-overs in each state WeCom
// reports and Tierlink records: done, waiting, refused by the customer,
// the taker over their limit, no record, failed (WeCom's errcode) and
// skipped (a staff user not linked to WeCom). Tierlink's ownership moved
// for all of them, and the failures are listed for the supervisor.
func TestWecomTransferEveryState(t *testing.T) {
	e := newXferEnv(t, 8)
	// Contact 6 is followed by u00 and u02 in WeCom; u00 stops following
	// it in WeCom before Tierlink's next sync: WeCom answers 40131.
	e.sim.EditContact(ext(6), func(c *wecomsim.Contact) {
		c.Follows = append(c.Follows, wecomsim.Follow{UserID: "u02", CreateTime: c.Follows[0].CreateTime + 60})
	})
	e.sync(t)
	e.sim.RemoveFollow(ext(6), "u00")
	e.hand(t, "u01", "交接", 0, 1, 3, 6)
	e.hand(t, "u02", "交接", 2)
	// An unlinked buyer: the WeCom row is skipped.
	plain, err := e.f.Acc.CreateUser(e.f.System(), accounts.UserInput{Email: "plain@co.test", Name: "Plain Buyer", Role: "buyer", Password: partnerstest.Password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.f.Dir.Transfer(e.f.Ctx(e.f.Buyer), directory.TransferInput{ContactIDs: []int{e.contactID(t, 7)}, ToOwnerID: plain.ID}); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	e.sim.RefuseTransfer(ext(1))
	e.sim.ForgetTransfers(ext(3))
	e.sim.SetCustomerLimit("u02", 0)
	e.clk.add(25 * time.Hour)
	e.hand(t, "u01", "交接", 5)
	e.run(t)
	want := map[int]wecomtransfer.State{0: wecomtransfer.StateDone, 1: wecomtransfer.StateRefused, 2: wecomtransfer.StateTakerLimit,
		3: wecomtransfer.StateNoRecord, 5: wecomtransfer.StateWaiting, 6: wecomtransfer.StateFailed, 7: wecomtransfer.StateSkipped}
	for i, st := range want {
		if r := e.row(t, i); r.State != st {
			t.Errorf("contact %d: state %s (errcode %d, status %d), want %s", i, r.State, r.Errcode, r.Status, st)
		}
	}
	if r := e.row(t, 6); r.Errcode != wecomsim.ErrNotFollower {
		t.Errorf("contact 6 errcode %d, want 40131", r.Errcode)
	}
	if r := e.row(t, 2); r.Status != wecomsim.StatusTakerLimit {
		t.Errorf("contact 2 status %d, want 4", r.Status)
	}
	for i, to := range map[int]int{0: e.staff["u01"], 1: e.staff["u01"], 2: e.staff["u02"], 3: e.staff["u01"], 6: e.staff["u01"], 7: plain.ID} {
		if got := e.owner(t, i); got != to {
			t.Errorf("contact %d owned by %d in Tierlink, want %d: ownership moves even when WeCom refuses", i, got, to)
		}
	}
	// The customer who refused stays with u00 in WeCom.
	if f := e.sim.Followers(ext(1)); !slices.Equal(f, []string{"u00"}) {
		t.Errorf("refused contact followed by %v in WeCom", f)
	}
	fails, err := e.xf.Failures(e.f.Ctx(e.f.Buyer), 0)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, s := range fails {
		failed = append(failed, s.ExternalUserID+":"+s.State)
		if !s.Failed() {
			t.Errorf("%+v listed but not failed", s)
		}
	}
	slices.Sort(failed)
	if w := []string{ext(1) + ":refused", ext(2) + ":taker_limit", ext(3) + ":no_record", ext(6) + ":failed"}; !slices.Equal(failed, w) {
		t.Errorf("failures %v, want %v", failed, w)
	}
	// The ledger's entries carry their WeCom state.
	hist, err := e.f.Dir.ListTransfers(e.f.System(), directory.TransferFilter{ContactID: e.contactID(t, 1)})
	if err != nil || len(hist.Items) != 1 {
		t.Fatalf("ledger %v %v", hist, err)
	}
	st, err := e.xf.States(e.f.System(), []int{hist.Items[0].ID})
	if err != nil || st[hist.Items[0].ID].State != "refused" {
		t.Fatalf("states %v %v", st, err)
	}
}

// TestWecomTransferNinetyDayRule: a contact handed over twice within 90
// days is reported blocked up front, with the day it becomes possible,
// and WeCom is not called for it; one still waiting is blocked until
// its hand-over completes. Tierlink's ownership moves anyway.
func TestWecomTransferNinetyDayRule(t *testing.T) {
	e := newXferEnv(t, 2)
	first := e.clk.now()
	e.hand(t, "u01", "", 0)
	e.run(t)
	e.clk.add(25 * time.Hour)
	e.run(t)
	e.hand(t, "u00", "", 0)
	e.run(t)
	e.clk.add(25 * time.Hour)
	e.run(t)
	if r := e.row(t, 0); r.State != wecomtransfer.StateDone {
		t.Fatalf("second hand-over %s", r.State)
	}
	calls := e.sim.Calls(transferPath)
	e.hand(t, "u01", "", 0)
	r := e.row(t, 0)
	if r.State != wecomtransfer.StateBlocked || r.Errcode != wecomsim.ErrTransferTooOften || r.PossibleAt == nil ||
		!r.PossibleAt.Equal(first.Add(90*24*time.Hour)) {
		t.Fatalf("third hand-over in 90 days = %+v, want blocked (40128) until %s", r, first.Add(90*24*time.Hour))
	}
	e.run(t)
	if got := e.sim.Calls(transferPath); got != calls {
		t.Fatalf("WeCom was called %d more time(s) for a hand-over it would refuse", got-calls)
	}
	if e.owner(t, 0) != e.staff["u01"] {
		t.Fatal("ownership did not move in Tierlink")
	}
	if n := len(e.sim.Transfers()); n != 2 {
		t.Fatalf("WeCom has %d hand-overs of the contact, want 2", n)
	}
	// On the day it becomes possible, the job sends it, and WeCom takes it.
	e.clk.add(r.PossibleAt.Sub(e.clk.now()))
	if res := e.run(t); res.Unblocked != 1 || res.Calls != 1 {
		t.Fatalf("run on the day: %+v, want it unblocked and sent", res)
	}
	if r := e.row(t, 0); r.State != wecomtransfer.StateWaiting || r.PossibleAt != nil {
		t.Fatalf("after its day: %+v", r)
	}
	// A hand-over while the last is waiting: blocked until it completes.
	e.hand(t, "u01", "", 1)
	e.run(t)
	waiting := e.row(t, 1)
	e.hand(t, "u02", "", 1)
	r = e.row(t, 1)
	if r.State != wecomtransfer.StateBlocked || r.Errcode != wecomsim.ErrTransferInProgress || r.PossibleAt == nil ||
		!r.PossibleAt.Equal(*waiting.CompletesAt) {
		t.Fatalf("hand-over while waiting = %+v, want blocked (40129) until %v", r, waiting.CompletesAt)
	}
}

// TestWecomTransferCrashNeverTwice kills a batch after WeCom accepted
// its first call but before the answer was recorded, and another before
// its call: the next run asks transfer_result (paged) about the first,
// re-sends only what never reached WeCom, and no contact is transferred
// twice.
func TestWecomTransferCrashNeverTwice(t *testing.T) {
	for _, before := range []bool{false, true} {
		t.Run(fmt.Sprintf("before=%v", before), func(t *testing.T) {
			e := newXferEnv(t, 150)
			e.sim.SetTransferResultPage(7)
			all := make([]int, 150)
			for i := range all {
				all[i] = i
			}
			e.hand(t, "u01", "交接", all...)
			killed := errors.New("killed")
			wecom.SetCrash(e.xf, func(b bool, _ string) error {
				if b == before {
					return killed
				}
				return nil
			})
			if _, err := e.xf.Run(e.f.System()); !errors.Is(err, killed) {
				t.Fatalf("run = %v, want killed", err)
			}
			sending, _ := e.f.DB.Client.WecomTransfer.Query().Where(wecomtransfer.StateEQ(wecomtransfer.StateSending)).Count(e.f.System())
			if sending != 100 {
				t.Fatalf("%d rows sending after the kill, want the first call's 100", sending)
			}
			// A fresh process, at once: the request may still be under
			// way in another instance, so it is left alone.
			xf := wecom.NewTransfers(e.f.DB.Client, e.api, nil)
			xf.SetClock(e.clk.now)
			res, err := xf.Run(e.f.System())
			if err != nil {
				t.Fatal(err)
			}
			if res.Recovered != 0 || res.Calls != 1 {
				t.Fatalf("a run right after the kill: %+v, want only the other 50 sent", res)
			}
			// Once the request is stale, it is settled from WeCom's
			// records.
			e.clk.add(16 * time.Minute)
			res, err = xf.Run(e.f.System())
			if err != nil {
				t.Fatal(err)
			}
			if res.Recovered != 100 {
				t.Fatalf("recovered %d, want 100 (run %+v)", res.Recovered, res)
			}
			if before && res.Calls != 1 || !before && res.Calls != 0 {
				t.Fatalf("run after the request went stale: %+v", res)
			}
			seen := map[string]int{}
			for _, r := range e.sim.Transfers() {
				seen[r.ExternalUserID]++
			}
			if len(seen) != 150 {
				t.Fatalf("WeCom has %d contacts handed over, want 150", len(seen))
			}
			for x, n := range seen {
				if n != 1 {
					t.Fatalf("%s handed over %d times", x, n)
				}
			}
			// Killed after its call, the first request is not sent again;
			// killed before, it never went out: two calls either way.
			if got := e.sim.Calls(transferPath); got != 2 {
				t.Fatalf("transfer_customer calls = %d, want 2", got)
			}
			if n, _ := e.f.DB.Client.WecomTransfer.Query().Where(wecomtransfer.StateEQ(wecomtransfer.StateWaiting)).Count(e.f.System()); n != 150 {
				t.Fatalf("%d rows waiting, want 150", n)
			}
			if e.sim.Calls(resultPath) < 100/7 {
				t.Fatalf("transfer_result pages = %d: the cursor was not followed", e.sim.Calls(resultPath))
			}
		})
	}
}

// TestWecomTransferDeparture hands a leaver's customers over with the
// resigned API and their customer groups with groupchat/transfer; a
// leaver WeCom still lists as a member gets 40097 for customers, who
// are then handed over on the job (transfer_fallback_test.go), and their
// groups move with groupchat/onjob_transfer.
func TestWecomTransferDeparture(t *testing.T) {
	for _, resigned := range []bool{true, false} {
		t.Run(fmt.Sprintf("resigned=%v", resigned), func(t *testing.T) {
			e := newXferEnv(t, 3)
			if resigned {
				e.sim.Resign("u00")
			}
			e.sim.AddGroupChat(wecomsim.GroupChat{ChatID: "wrGROUP1", Owner: "u00"})
			e.sim.AddGroupChat(wecomsim.GroupChat{ChatID: "wrGROUP2", Owner: "u00"})
			e.sim.AddGroupChat(wecomsim.GroupChat{ChatID: "wrINTERNAL", Owner: "u00", Internal: true})
			e.sim.AddGroupChat(wecomsim.GroupChat{ChatID: "wrOTHER", Owner: "u02"})
			if _, err := e.f.Acc.Deactivate(e.f.Ctx(e.f.Admin), e.staff["u00"], accounts.DeactivateInput{HeirID: e.staff["u01"], Note: "离职"}); err != nil {
				t.Fatal(err)
			}
			rows, err := e.f.DB.Client.WecomTransfer.Query().All(e.f.System())
			if err != nil || len(rows) != 3 {
				t.Fatalf("rows %d %v", len(rows), err)
			}
			for _, r := range rows {
				if r.Kind != wecomtransfer.KindResigned || r.Message != "" {
					t.Fatalf("row %+v", r)
				}
			}
			e.run(t)
			e.run(t) // a second run moves nothing again
			if got := e.sim.Calls(resignedPath); got != 1 {
				t.Fatalf("resigned/transfer_customer calls = %d, want 1", got)
			}
			wantState := wecomtransfer.StateWaiting // on the job when not resigned
			for i := range 3 {
				if r := e.row(t, i); r.State != wantState {
					t.Fatalf("contact %d: %s (errcode %d), want %s", i, r.State, r.Errcode, wantState)
				}
				if e.owner(t, i) != e.staff["u01"] {
					t.Fatalf("contact %d not handed to the heir in Tierlink", i)
				}
			}
			for _, g := range []string{"wrGROUP1", "wrGROUP2"} {
				if o := e.sim.GroupOwner(g); o != "u01" {
					t.Fatalf("%s owned by %s in WeCom, want the heir", g, o)
				}
			}
			if o := e.sim.GroupOwner("wrOTHER"); o != "u02" {
				t.Fatalf("another member's group moved to %s", o)
			}
			gs, err := e.f.DB.Client.WecomGroupTransfer.Query().Where(wecomgrouptransfer.ChatIDNEQ("")).
				Order(ent.Asc(wecomgrouptransfer.FieldChatID)).All(e.f.System())
			if err != nil || len(gs) != 3 {
				t.Fatalf("group rows %d %v", len(gs), err)
			}
			wantKind := wecomgrouptransfer.KindResigned
			if !resigned {
				wantKind = wecomgrouptransfer.KindOnjob
			}
			for _, g := range gs {
				switch g.ChatID {
				case "wrINTERNAL":
					if g.State != wecomgrouptransfer.StateFailed || g.Errcode != wecomsim.ErrNotCustomerGroup {
						t.Fatalf("internal group row %+v", g)
					}
				default:
					if g.State != wecomgrouptransfer.StateDone || g.Kind != wantKind || g.ToUserid != "u01" {
						t.Fatalf("group row %+v", g)
					}
				}
			}
			if n := e.sim.Calls(groupXferPath); n != 1 {
				t.Fatalf("groupchat/transfer calls %d, want 1", n)
			}
			if !resigned && e.sim.Calls(groupOnjobPath) != 1 {
				t.Fatalf("groupchat/onjob_transfer calls %d, want 1", e.sim.Calls(groupOnjobPath))
			}
		})
	}
}

// TestWecomTransferNotSentBack: a hand-over the sync records because
// WeCom already moved the contact is not sent back to WeCom.
func TestWecomTransferNotSentBack(t *testing.T) {
	e := newXferEnv(t, 1)
	e.sim.EditContact(ext(0), func(c *wecomsim.Contact) {
		c.Follows = []wecomsim.Follow{{UserID: "u01", CreateTime: e.clk.now().Unix()}}
	})
	e.sync(t)
	if e.owner(t, 0) != e.staff["u01"] {
		t.Fatal("the sync did not hand the contact to its new follower")
	}
	n, err := e.f.DB.Client.ContactTransfer.Query().Where(contacttransfer.ContactID(e.contactID(t, 0))).Count(e.f.System())
	if err != nil || n != 1 {
		t.Fatalf("ledger entries %d %v", n, err)
	}
	if m, _ := e.f.DB.Client.WecomTransfer.Query().Count(e.f.System()); m != 0 {
		t.Fatalf("%d WeCom hand-over rows for a change that came from WeCom", m)
	}
}

// TestWecomTransferFailCallback: a transfer_fail event settles the
// waiting hand-over at once (refused, or the taker over their limit); a
// duplicate or an event for a hand-over Tierlink did not request
// changes nothing.
func TestWecomTransferFailCallback(t *testing.T) {
	e := newXferEnv(t, 3)
	e.hand(t, "u01", "", 0, 1)
	e.run(t)
	ctx := e.f.System()
	for _, c := range []struct {
		ext, reason string
		want        bool
	}{{ext(0), "customer_refused", true}, {ext(0), "customer_refused", false}, {ext(1), "customer_limit_exceed", true}, {ext(2), "customer_refused", false}} {
		got, err := e.xf.TransferFailed(ctx, "u01", c.ext, c.reason)
		if err != nil || got != c.want {
			t.Fatalf("TransferFailed(%s, %s) = %v, %v; want %v", c.ext, c.reason, got, err, c.want)
		}
	}
	if r := e.row(t, 0); r.State != wecomtransfer.StateRefused {
		t.Fatalf("contact 0: %s", r.State)
	}
	if r := e.row(t, 1); r.State != wecomtransfer.StateTakerLimit {
		t.Fatalf("contact 1: %s", r.State)
	}
	if n, _ := e.f.DB.Client.WecomTransfer.Query().Count(ctx); n != 2 {
		t.Fatalf("%d rows, want 2", n)
	}
	// The event worker's handler applies a stored callback the same way.
	e.hand(t, "u01", "", 2)
	e.run(t)
	write, err := e.xf.FailHandler()(ctx, &ent.WecomEvent{Userid: "u01", ExternalUserid: ext(2), FailReason: "customer_refused"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := write(ctx, e.f.DB.Client); err != nil || res != wecom.ResultRecorded {
		t.Fatalf("write: %q, %v", res, err)
	}
	if r := e.row(t, 2); r.State != wecomtransfer.StateRefused {
		t.Fatalf("contact 2 after the handler: %s", r.State)
	}
}
