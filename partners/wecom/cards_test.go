package wecom_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/domainevent"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/ent/wecomcard"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/callback"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

const (
	cardsAgentID  = "1000002"
	cardsToken    = "cardtoken"
	cardsAESKey   = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	cardTitleZh   = "变更请求待审批"
	cardTitleEn   = "Change request to decide"
	changeApprove = "approve"
)

// cardsEnv is the company with three staff linked to WeCom members
// (buyer "wang.fang" reading Chinese, buyer2 "li.lei" English, the admin
// "zhao.min" outside the group), a partner group owned by the buyer with
// buyer2 a member, the callback endpoint's storing step on loopback and
// the event worker applying clicks.
type cardsEnv struct {
	f      *partnerstest.Fixture
	sim    *wecomsim.Server
	svc    *wecom.Service
	cards  *wecom.Cards
	worker *wecom.EventWorker
	group  groups.Group
}

func newCardsEnv(t *testing.T) *cardsEnv {
	t.Helper()
	return newCardsEnvOn(t, dialect.SQLite)
}

// newCardsEnvOn is newCardsEnv on a database of dialect d.
func newCardsEnvOn(t *testing.T, d string) *cardsEnv {
	t.Helper()
	f := partnerstest.New(t, d)
	sim := wecomsim.New(corpID, contactSecret, agentSecret)
	t.Cleanup(sim.Close)
	sys := f.System()
	for uid, u := range map[string]accounts.User{"wang.fang": f.Buyer, "li.lei": f.Buyer2, "zhao.min": f.Admin} {
		sim.AddMember(wecomsim.Member{UserID: uid, Name: u.Name})
		locale := "zh-CN"
		if uid == "li.lei" {
			locale = "en"
		}
		f.DB.Client.User.UpdateOneID(u.ID).SetWecomUserid(uid).SetLocale(locale).ExecX(sys)
	}
	cfg := wecom.Config{CorpID: corpID, ContactSecret: contactSecret, AgentSecret: agentSecret, AgentID: cardsAgentID,
		CallbackToken: cardsToken, CallbackAESKey: cardsAESKey, APIBase: sim.URL()}
	api, err := wecom.NewClient(cfg, f.DB.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	api.Backoff = wecom.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond, Retries: 5}
	e := &cardsEnv{f: f, sim: sim, svc: wecom.NewService(f.DB.Client, api, f.Dir, nil)}
	e.cards = wecom.NewCards(f.DB.Client, api, f.Groups, nil, nil)
	e.worker = wecom.NewEventWorker(e.svc, nil)
	e.worker.Handle(wecom.EventTemplateCard, e.cards.ClickHandler())
	crypto, err := e.svc.CallbackCrypto()
	if err != nil {
		t.Fatal(err)
	}
	// The endpoint's part: verify, decrypt, store, answer "success".
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := crypto.Receive(callback.ParamsFromQuery(r.URL.Query()), body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, err := e.svc.StoreEvent(sysCtx(), ev); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "success")
	}))
	t.Cleanup(cb.Close)
	sim.SetApp(cardsAgentID, cb.URL, crypto)
	e.group, err = f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "华星 coordination", Kind: "partner", PartnerID: f.PartnerA.ID,
		ContactIDs: []int{f.ContactA.ID}, UserIDs: []int{f.Buyer2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func sysCtx() context.Context { return partnersSys }

var partnersSys = partners.AsSystem(context.Background(), "test")

// changeRequest publishes an order that the partner answers with a
// change, opening a change request card; it returns the request.
func (e *cardsEnv) changeRequest(t *testing.T, number string) *ent.ChangeRequest {
	t.Helper()
	f := e.f
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: number, Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("100"), UnitPrice: 1, RequiredDate: "2026-12-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Acknowledge(f.Ctx(f.UserA), o.ID, orders.AckInput{Lines: []orders.AckLine{
		{LineNo: 1, Action: "change", PromisedDate: "2026-12-15", Reason: "capacity"}}}); err != nil {
		t.Fatal(err)
	}
	return f.DB.Client.ChangeRequest.Query().Where(changerequest.OrderID(o.ID)).OnlyX(sysCtx())
}

// rows are the WeCom cards of a change request, by WeCom userid.
func (e *cardsEnv) rows(t *testing.T, crID int) map[string]*ent.WecomCard {
	t.Helper()
	out := map[string]*ent.WecomCard{}
	for _, r := range e.f.DB.Client.WecomCard.Query().Where(wecomcard.SubjectType("change_request"), wecomcard.SubjectID(crID)).AllX(sysCtx()) {
		if out[r.Userid] != nil {
			t.Fatalf("two cards for %s", r.Userid)
		}
		out[r.Userid] = r
	}
	return out
}

func (e *cardsEnv) dispatch(t *testing.T) {
	t.Helper()
	if _, err := e.cards.RunOnce(sysCtx()); err != nil {
		t.Fatal(err)
	}
}

func (e *cardsEnv) apply(t *testing.T) {
	t.Helper()
	if _, err := e.worker.RunOnce(sysCtx()); err != nil {
		t.Fatal(err)
	}
}

func (e *cardsEnv) click(t *testing.T, userid, task, key string) {
	t.Helper()
	if _, status, err := e.sim.Click(userid, task, key); err != nil || status != http.StatusOK {
		t.Fatalf("click: %d, %v", status, err)
	}
}

func (e *cardsEnv) lastEvent(t *testing.T) *ent.WecomEvent {
	t.Helper()
	return e.f.DB.Client.WecomEvent.Query().Order(ent.Desc(wecomevent.FieldID)).FirstX(sysCtx())
}

func (e *cardsEnv) cardPost(t *testing.T, crID int) int {
	t.Helper()
	return e.f.DB.Client.Post.Query().Where(post.CardKind(groups.CardChangeRequest), post.SubjectID(crID)).FirstIDX(sysCtx())
}

// approvals counts the change_approved events of a request's order.
func (e *cardsEnv) approvals(t *testing.T, cr *ent.ChangeRequest) int {
	t.Helper()
	return e.f.DB.Client.DomainEvent.Query().Where(domainevent.Kind(string(partners.KindChangeApproved)), domainevent.SubjectID(cr.OrderID)).
		CountX(sysCtx())
}

// A change request goes to the WeCom of the staff who could decide it,
// each in their language; a click approves it as that member's user, and
// every recipient's card then shows the result in their language.
func TestCardSendClickApprove(t *testing.T) {
	e := newCardsEnv(t)
	cr := e.changeRequest(t, "PO-W1")
	rows := e.rows(t, cr.ID)
	if len(rows) != 2 || rows["wang.fang"] == nil || rows["li.lei"] == nil {
		t.Fatalf("recipients %v: want the owner/buyer and the member, not the admin outside the group", keys(rows))
	}
	e.dispatch(t)
	rows = e.rows(t, cr.ID)
	for uid, title := range map[string]string{"wang.fang": cardTitleZh, "li.lei": cardTitleEn} {
		r := rows[uid]
		if r.State != wecomcard.StateSent || r.Msgid == "" || r.ResponseCode == "" || r.CodeIssuedAt == nil {
			t.Fatalf("%s after send: %+v", uid, r)
		}
		c, ok := e.sim.CardOf(r.TaskID)
		if !ok || c.ToUser != uid || c.Card.MainTitle.Title != title || len(c.Card.ButtonList) != 2 ||
			c.Card.ButtonList[0].Key != changeApprove || c.Card.ButtonList[1].Key != "reject" {
			t.Fatalf("%s's card %+v", uid, c)
		}
	}
	e.click(t, "li.lei", rows["li.lei"].TaskID, changeApprove)
	e.apply(t)
	if ev := e.lastEvent(t); ev.State != wecomevent.StateApplied || ev.Result != wecom.ClickActed {
		t.Fatalf("click event %s/%s (%s)", ev.State, ev.Result, ev.LastError)
	}
	got := e.f.DB.Client.ChangeRequest.GetX(sysCtx(), cr.ID)
	if got.State != changerequest.StateApproved || got.DecidedByID == nil || *got.DecidedByID != e.f.Buyer2.ID {
		t.Fatalf("change request after the click: %s by %v", got.State, got.DecidedByID)
	}
	e.dispatch(t)
	rows = e.rows(t, cr.ID)
	for uid, want := range map[string]string{"wang.fang": "已批准 · " + e.f.Buyer2.Name, "li.lei": "Approved · " + e.f.Buyer2.Name} {
		r := rows[uid]
		c, _ := e.sim.CardOf(r.TaskID)
		if r.State != wecomcard.StateClosed || !r.CodeUsed || r.Outcome != "approved" || !strings.HasPrefix(c.Replaced, want) {
			t.Fatalf("%s after the decision: %s used=%v; card shows %q, want %q…", uid, r.State, r.CodeUsed, c.Replaced, want)
		}
	}
	if n := e.approvals(t, cr); n != 1 {
		t.Fatalf("%d approvals", n)
	}
}

func keys(m map[string]*ent.WecomCard) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A click resent by WeCom is stored once and applied once; a second
// click after the decision loses with a conflict and changes nothing.
func TestCardDuplicateClicksAppliedOnce(t *testing.T) {
	e := newCardsEnv(t)
	cr := e.changeRequest(t, "PO-W2")
	e.dispatch(t)
	r := e.rows(t, cr.ID)["wang.fang"]
	ev := &callback.TemplateCardEvent{Header: callback.Header{ToUserName: corpID, FromUserName: "wang.fang", CreateTime: time.Now().Unix(),
		MsgType: "event", Event: string(callback.TypeTemplateCard), AgentID: cardsAgentID},
		EventKey: changeApprove, TaskID: r.TaskID, CardType: "button_interaction", ResponseCode: "code-from-click"}
	raw, err := callback.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := callback.DecodeEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		fresh, err := e.svc.StoreEvent(sysCtx(), decoded)
		if err != nil || fresh != (i == 0) {
			t.Fatalf("store %d: fresh=%v, %v", i, fresh, err)
		}
	}
	e.apply(t)
	// Another click a second later (a new event) loses to the first.
	ev.CreateTime++
	raw, _ = callback.Marshal(ev)
	decoded, _ = callback.DecodeEvent(raw)
	if _, err := e.svc.StoreEvent(sysCtx(), decoded); err != nil {
		t.Fatal(err)
	}
	e.apply(t)
	evs := e.f.DB.Client.WecomEvent.Query().Where(wecomevent.Kind(string(wecom.EventTemplateCard))).Order(ent.Asc(wecomevent.FieldID)).AllX(sysCtx())
	if len(evs) != 2 || evs[0].Result != wecom.ClickActed || evs[1].Result != wecom.ClickConflict {
		t.Fatalf("events %d: %v", len(evs), evs)
	}
	if n := e.approvals(t, cr); n != 1 {
		t.Fatalf("%d approvals", n)
	}
}

// A click from a member no active staff user is linked to is recorded
// and changes nothing.
func TestCardClickFromUnknownOrInactiveMember(t *testing.T) {
	e := newCardsEnv(t)
	cr := e.changeRequest(t, "PO-W3")
	e.dispatch(t)
	rows := e.rows(t, cr.ID)
	db := e.f.DB.Client
	// wang.fang's link is removed after the card went out.
	db.User.UpdateOneID(e.f.Buyer.ID).ClearWecomUserid().ExecX(sysCtx())
	e.click(t, "wang.fang", rows["wang.fang"].TaskID, changeApprove)
	e.apply(t)
	if ev := e.lastEvent(t); ev.Result != wecom.ClickUnknownUser {
		t.Fatalf("unknown member: %s (%s)", ev.Result, ev.LastError)
	}
	db.User.UpdateOneID(e.f.Buyer2.ID).SetActive(false).ExecX(sysCtx())
	e.click(t, "li.lei", rows["li.lei"].TaskID, changeApprove)
	e.apply(t)
	if ev := e.lastEvent(t); ev.Result != wecom.ClickInactiveUser {
		t.Fatalf("inactive user: %s (%s)", ev.Result, ev.LastError)
	}
	if got := db.ChangeRequest.GetX(sysCtx(), cr.ID); got.State != changerequest.StateOpen {
		t.Fatalf("change request %s", got.State)
	}
	if n := e.approvals(t, cr); n != 0 {
		t.Fatalf("%d approvals", n)
	}
}

// A portal approval and a WeCom click on the same request at once:
// exactly one wins, the request is decided once, and every WeCom card
// ends showing the same result.
func TestCardClickRacesPortalApproval(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		for i := range 4 {
			t.Run(fmt.Sprintf("%s_%d", d, i), func(t *testing.T) {
				testCardRace(t, d, i)
			})
		}
	}
}

func testCardRace(t *testing.T, d string, i int) {
	e := newCardsEnvOn(t, d)
	cr := e.changeRequest(t, fmt.Sprintf("PO-R%d", i))
	e.dispatch(t)
	rows := e.rows(t, cr.ID)
	e.click(t, "li.lei", rows["li.lei"].TaskID, changeApprove)
	cardID := e.cardPost(t, cr.ID)
	var wg sync.WaitGroup
	var portalErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, portalErr = e.f.Groups.Act(e.f.Ctx(e.f.Buyer), cardID, groups.ActionInput{Action: changeApprove})
	}()
	go func() {
		defer wg.Done()
		e.apply(t)
	}()
	wg.Wait()
	click := e.lastEvent(t).Result
	switch {
	case portalErr == nil && click == wecom.ClickConflict:
	case partners.ErrorCode(portalErr) == partners.EConflict && click == wecom.ClickActed:
	default:
		t.Fatalf("portal %v, click %s: want exactly one winner", portalErr, click)
	}
	if n := e.approvals(t, cr); n != 1 {
		t.Fatalf("%d approvals", n)
	}
	got := e.f.DB.Client.ChangeRequest.GetX(sysCtx(), cr.ID)
	winner, winnerID := e.f.Buyer.Name, e.f.Buyer.ID
	if click == wecom.ClickActed {
		winner, winnerID = e.f.Buyer2.Name, e.f.Buyer2.ID
	}
	if got.State != changerequest.StateApproved || got.DecidedByID == nil || *got.DecidedByID != winnerID {
		t.Fatalf("change request %s by %v, want approved by %d", got.State, got.DecidedByID, winnerID)
	}
	e.dispatch(t)
	for uid, want := range map[string]string{"wang.fang": "已批准 · " + winner, "li.lei": "Approved · " + winner} {
		r := e.rows(t, cr.ID)[uid]
		c, _ := e.sim.CardOf(r.TaskID)
		if r.State != wecomcard.StateClosed || !strings.HasPrefix(c.Replaced, want) {
			t.Fatalf("%s: %s, card shows %q, want %q…", uid, r.State, c.Replaced, want)
		}
	}
}

// A card whose response_code is older than 72 hours (as stored), or that
// WeCom refuses to update (the code expired on its side), is replaced by
// a fresh message stating the result: the result is never lost.
func TestCardExpiredResponseCodeReplaced(t *testing.T) {
	e := newCardsEnv(t)
	cr := e.changeRequest(t, "PO-W4")
	e.dispatch(t)
	rows := e.rows(t, cr.ID)
	db := e.f.DB.Client
	// wang.fang's code is old by our records; li.lei's only by WeCom's.
	db.WecomCard.UpdateOne(rows["wang.fang"]).SetCodeIssuedAt(time.Now().Add(-73 * time.Hour)).ExecX(sysCtx())
	e.sim.AgeResponseCodes(wecomsim.ResponseCodeLifetime + time.Hour)
	db.WecomCard.UpdateOne(rows["li.lei"]).SetCodeIssuedAt(time.Now()).ExecX(sysCtx())
	if _, err := e.f.Groups.Act(e.f.Ctx(e.f.Buyer), e.cardPost(t, cr.ID), groups.ActionInput{Action: changeApprove}); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t)
	rows = e.rows(t, cr.ID)
	for uid, want := range map[string]string{"wang.fang": "已批准 · " + e.f.Buyer.Name, "li.lei": "Approved · " + e.f.Buyer.Name} {
		r := rows[uid]
		if r.State != wecomcard.StateReplaced || !r.CodeUsed {
			t.Fatalf("%s: %s used=%v (%s)", uid, r.State, r.CodeUsed, r.LastError)
		}
		ms := e.sim.Messages(uid)
		last := ms[len(ms)-1]
		if last.MsgType != "text" || !strings.Contains(last.Text, want) || !strings.Contains(last.Text, "/groups/") {
			t.Fatalf("%s's last message %+v, want it to say %q", uid, last, want)
		}
	}
	// A click on the still-live card later brings a fresh code: the card
	// itself is then updated too.
	e.click(t, "li.lei", rows["li.lei"].TaskID, changeApprove)
	e.apply(t)
	if ev := e.lastEvent(t); ev.Result != wecom.ClickConflict {
		t.Fatalf("late click: %s", ev.Result)
	}
	e.dispatch(t)
	r := e.rows(t, cr.ID)["li.lei"]
	if c, _ := e.sim.CardOf(r.TaskID); r.State != wecomcard.StateClosed || !strings.HasPrefix(c.Replaced, "Approved · ") {
		t.Fatalf("after the late click: %s, card %q", r.State, c.Replaced)
	}
}

// A delivery to confirm goes to the deciders with one button; a click
// confirms the receipt through the same service as the portal.
func TestCardReceiptConfirmedFromWeCom(t *testing.T) {
	e := newCardsEnv(t)
	f := e.f
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-RC", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("100"), UnitPrice: 1, RequiredDate: "2026-12-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	pa := f.Ctx(f.UserA)
	sh, err := f.Shipments.Create(pa, shipments.Input{PartnerID: f.PartnerA.ID, ETA: "2026-12-08",
		Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("60")}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindDelivered} {
		if _, err := f.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: k}); err != nil {
			t.Fatal(err)
		}
	}
	e.dispatch(t)
	rows := f.DB.Client.WecomCard.Query().Where(wecomcard.SubjectType("shipment"), wecomcard.SubjectID(sh.ID)).AllX(sysCtx())
	if len(rows) != 2 {
		t.Fatalf("%d receipt cards", len(rows))
	}
	var fang *ent.WecomCard
	for _, r := range rows {
		if r.Userid == "wang.fang" {
			fang = r
		}
	}
	c, _ := e.sim.CardOf(fang.TaskID)
	if c.Card.MainTitle.Title != "到货待确认收货" || len(c.Card.ButtonList) != 1 || c.Card.ButtonList[0].Key != "confirm_receipt" {
		t.Fatalf("receipt card %+v", c.Card)
	}
	e.click(t, "wang.fang", fang.TaskID, "confirm_receipt")
	e.apply(t)
	if ev := e.lastEvent(t); ev.Result != wecom.ClickActed {
		t.Fatalf("click: %s (%s)", ev.Result, ev.LastError)
	}
	got, err := f.Shipments.Shipment(f.Ctx(f.Buyer), sh.ID)
	if err != nil || got.Status != "received" {
		t.Fatalf("shipment %+v, %v", got, err)
	}
	e.dispatch(t)
	if c, _ := e.sim.CardOf(fang.TaskID); !strings.HasPrefix(c.Replaced, "已收货 · "+f.Buyer.Name) {
		t.Fatalf("card shows %q", c.Replaced)
	}
}

// An order unacknowledged past twice its SLA escalates: the staff it
// names get a WeCom card linking to it (no decision is theirs to make),
// and the card shows the answer once the partner acknowledges.
func TestCardEscalationUntilAcknowledged(t *testing.T) {
	e := newCardsEnv(t)
	f := e.f
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-ESC", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("100"), UnitPrice: 1, RequiredDate: "2026-12-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Status.AckReminders(sysCtx(), time.Now().Add(49*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t)
	rows := f.DB.Client.WecomCard.Query().Where(wecomcard.SubjectType("order"), wecomcard.SubjectID(o.ID)).AllX(sysCtx())
	if len(rows) != 1 || rows[0].Userid != "wang.fang" || rows[0].CardKind != "ack_escalation" || rows[0].State != wecomcard.StateSent {
		t.Fatalf("escalation cards %+v", rows)
	}
	c, _ := e.sim.CardOf(rows[0].TaskID)
	if c.Card.MainTitle.Title != "订单超时未确认" || len(c.Card.ButtonList) != 1 || c.Card.ButtonList[0].Type != 1 ||
		!strings.Contains(c.Card.ButtonList[0].URL, "/groups/") {
		t.Fatalf("escalation card %+v", c.Card)
	}
	if _, err := f.Orders.Acknowledge(f.Ctx(f.UserA), o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}}}); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t)
	if c, _ := e.sim.CardOf(rows[0].TaskID); !strings.HasPrefix(c.Replaced, "已确认 · "+f.ContactA.Name) {
		t.Fatalf("escalation card shows %q", c.Replaced)
	}
}
