package portal

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/notificationpref"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/notify"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// withNotify adds the mail outbox (not configured to send: rows queue)
// and the notification service to the test server's dependencies.
func withNotify(t testing.TB, f *partnerstest.Fixture, d Deps) Deps {
	t.Helper()
	out := d.Mail
	if out == nil {
		var err error
		if out, err = mail.New(context.Background(), f.DB.Client, mail.Config{From: "Tierlink <portal@co.test>"}); err != nil {
			t.Fatal(err)
		}
	}
	base, _ := url.Parse("http://127.0.0.1:8080")
	d.Mail, d.Notify = out, notify.New(f.DB.Client, f.Groups, out, base)
	return d
}

var notifyMatrix = map[string]matrixRow{
	"GET /api/v1/me/notifications": {path: "/api/v1/me/notifications", want: "401 200 200 200 200 200"},
	"PUT /api/v1/me/notifications": {path: "/api/v1/me/notifications", body: jsonBody(`{"mention":"digest"}`), want: "401 200 200 200 200 200"},
	"GET /settings/notifications":  {path: "/settings/notifications", want: "303 200 200 200 200 200"},
	"POST /settings/notifications": {path: "/settings/notifications", body: jsonBody("mention=off"), want: "303 303 303 303 303 303"},
	// The link is partner A's user's: anybody may open it, but a reader
	// signed in as someone else is refused; the first POST (with no
	// session) acts, the user's own later POST finds it used.
	"GET /mail/act/:token":  {path: "/mail/act/{ACT}", setup: actSetup, want: "200 403 403 403 200 403"},
	"POST /mail/act/:token": {path: "/mail/act/{ACT}", setup: actSetup, want: "200 403 403 403 409 403"},
	// Unsubscribing needs no session; doing it twice is harmless.
	"GET /mail/unsubscribe/:token": {path: "/mail/unsubscribe/{UNSUB}", setup: actSetup, want: "200 200 200 200 200 200"},
	"POST /api/v1/mail-links/act/:token": {path: "/api/v1/mail-links/act/{ACT}", setup: actSetup, body: jsonBody(`{"reason":""}`),
		want: "200 403 403 403 409 403"},
	"POST /api/v1/mail-links/unsubscribe/:token": {path: "/api/v1/mail-links/unsubscribe/{UNSUB}", setup: actSetup,
		body: jsonBody(`{"List-Unsubscribe":"One-Click"}`), want: "200 200 200 200 200 200"},
	"POST /mail/unsubscribe/:token": {path: "/mail/unsubscribe/{UNSUB}", setup: actSetup, body: jsonBody("List-Unsubscribe=One-Click"), want: "200 200 200 200 200 200"},
}

func init() {
	for k, v := range notifyMatrix {
		matrix[k] = v
	}
	// The concrete path names no mailed link: the signed token is the
	// record, so an acceptable body still finds nothing.
	for _, k := range []string{"POST /api/v1/mail-links/act/:token", "POST /api/v1/mail-links/unsubscribe/:token"} {
		emptyBodyAnswers[k] = struct {
			status int
			fields []string
		}{404, nil}
	}
	walkPaths["/settings/notifications"] = walkPath{fill: fixed("/settings/notifications")}
	walkPaths["/mail/act/:token"] = walkPath{skip: "needs a mailed token; web_notify_test.go renders it on both sizes' content"}
	walkPaths["/mail/unsubscribe/:token"] = walkPath{skip: "needs a mailed token; web_notify_test.go renders it"}
}

var actLink = regexp.MustCompile(`/mail/act/([A-Za-z0-9_\-.]+)`)

// mailedTokens reads the action links and the unsubscribe link of the
// newest notification to addr whose subject has ref.
func (e *env) mailedTokens(addr, ref string) (acts []string, unsub string) {
	e.t.Helper()
	rows, err := e.f.DB.Client.MailOutbox.Query().Where(mailoutbox.ToAddr(addr), mailoutbox.SubjectContains(ref)).
		Order(ent.Desc(mailoutbox.FieldID)).All(e.f.System())
	if err != nil || len(rows) == 0 {
		e.t.Fatalf("no mail to %s about %s: %v", addr, ref, err)
	}
	for _, m := range actLink.FindAllStringSubmatch(rows[0].Text, -1) {
		acts = append(acts, m[1])
	}
	_, unsub, _ = strings.Cut(rows[0].UnsubscribeURL, "/mail/unsubscribe/")
	return acts, unsub
}

// actSetup is the order cards of groupSetup; {ACT} is partner A's user's
// link to acknowledge PO-M1 and {UNSUB} its unsubscribe link.
func actSetup(e *env, vars map[string]string) {
	groupSetup(e, vars)
	acts, unsub := e.mailedTokens(e.f.UserA.Email, "PO-M1")
	if len(acts) != 1 {
		e.t.Fatalf("acknowledge links: %v", acts)
	}
	vars["ACT"], vars["UNSUB"] = acts[0], unsub
}

// mailPagePath fills a mailed link's page path with a real token: partner
// A's user's acknowledge link or its unsubscribe link.
func mailPagePath(e *env, p string) string {
	e.orderVars()
	acts, unsub := e.mailedTokens(e.f.UserA.Email, "PO-M1")
	tok := unsub
	if strings.HasPrefix(p, "/mail/act/") {
		tok = acts[0]
	}
	return strings.ReplaceAll(p, ":token", tok)
}

// crState is the change request's state, as stored.
func (e *env) crState(id int) changerequest.State {
	e.t.Helper()
	cr, err := e.f.DB.Client.ChangeRequest.Get(e.f.System(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return cr.State
}

// approveLinks is the buyer's approve and reject links for the open
// change request of groupSetup.
func approveLinks(t *testing.T, e *env) (approve, reject string, crID int) {
	t.Helper()
	vars := map[string]string{}
	groupSetup(e, vars)
	crID = partnerstest.Atoi(t, vars["CR"])
	acts, _ := e.mailedTokens(e.f.Buyer.Email, "PO-M3")
	if len(acts) != 2 {
		t.Fatalf("buyer's links: %v", acts)
	}
	return acts[0], acts[1], crID
}

func ordersInput(partnerID int, number string) orders.OrderInput {
	return orders.OrderInput{PartnerID: partnerID, Direction: "upstream", Number: number, Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "X", Quantity: 1000, UnitPrice: 10000, RequiredDate: "2026-12-01"}}}
}

// A mail scanner fetching the link (GET and HEAD, five times, no
// cookies) changes nothing; the POST approves, once.
func TestMailActionPrefetchChangesNothing(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	approve, _, crID := approveLinks(t, e)
	before := e.stored(t)
	for i := 0; i < 5; i++ {
		for _, m := range []string{"GET", "HEAD"} {
			resp := e.do(bareRequest(m, "/mail/act/"+approve, ""))
			if m == "GET" && resp.StatusCode != 200 {
				t.Fatalf("GET: %d", resp.StatusCode)
			}
		}
	}
	if e.stored(t) != before || e.crState(crID) != changerequest.StateOpen {
		t.Fatalf("fetching the link changed something: %s, %s", e.stored(t), e.crState(crID))
	}
	resp, b := e.call(anon, "GET", "/mail/act/"+approve, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="mail-action-go"`) || !strings.Contains(string(b), "PO-M3") {
		t.Fatalf("confirmation page: %d\n%.800s", resp.StatusCode, b)
	}
	resp, b = e.call(anon, "POST", "/mail/act/"+approve, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="mail-action-done"`) {
		t.Fatalf("POST: %d\n%.800s", resp.StatusCode, b)
	}
	if got := e.crState(crID); got != changerequest.StateApproved {
		t.Fatalf("change request is %s, want approved", got)
	}
	// Used: the page says so and offers no button; a POST is refused.
	resp, b = e.call(anon, "GET", "/mail/act/"+approve, "")
	if !strings.Contains(string(b), `id="mail-action-refusal"`) || strings.Contains(string(b), `id="mail-action-go"`) {
		t.Errorf("used link page: %d\n%.800s", resp.StatusCode, b)
	}
	resp, _ = e.call(anon, "POST", "/mail/act/"+approve, "")
	if resp.StatusCode != 409 {
		t.Errorf("second POST: %d, want 409", resp.StatusCode)
	}
}

// bareRequest is a request with no cookie and no Origin, as a mail
// scanner or a mail client's one-click sends it.
func bareRequest(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r
}

// Links that must not act: the card's other link once it is decided
// (already approved by X at T), expired, for a changed card, tampered with,
// for another partner's card, or opened by another signed-in user.
func TestMailActionRefusals(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	approve, reject, crID := approveLinks(t, e)
	ask := func(w who, tok, body string, want int, has string) {
		t.Helper()
		before := e.stored(t)
		resp, b := e.call(w, "POST", "/mail/act/"+tok, body)
		if resp.StatusCode != want || !strings.Contains(string(b), has) {
			t.Errorf("POST as %s: %d, want %d with %q\n%.600s", w, resp.StatusCode, want, has, b)
		}
		if resp.StatusCode != 200 && e.stored(t) != before {
			t.Errorf("a refused link changed something")
		}
	}
	// Tampered: one character of the signature changed.
	bad := reject[:len(reject)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(reject, "AA")]
	ask(anon, bad, "", 404, "")
	// Signed in as someone else than the link's user.
	ask(wViewer, reject, "reason=no", 403, "Bo Buyer")
	ask(wPartner, reject, "", 403, "")
	if e.crState(crID) != changerequest.StateOpen {
		t.Fatal("a refused link decided")
	}
	// A reason too long is refused on the page, with the reason shown.
	ask(anon, reject, "reason="+strings.Repeat("x", 1001), 422, `data-field="reason"`)
	// The buyer's own session may use it.
	ask(wBuyer, approve, "", 200, `id="mail-action-done"`)
	// The other link of the card now says who decided, and when.
	ask(anon, reject, "", 409, "Bo Buyer")
	resp, b := e.call(anon, "GET", "/mail/act/"+reject, "")
	if resp.StatusCode != 409 || !strings.Contains(string(b), "Bo Buyer") {
		t.Errorf("decided card page: %d\n%.600s", resp.StatusCode, b)
	}
}

// An expired link, and one for a card that changed since it was mailed.
func TestMailActionExpiredAndChanged(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := map[string]string{}
	groupSetup(e, vars)
	acts, _ := e.mailedTokens(e.f.UserA.Email, "PO-M1")
	e.srv.deps.Notify.SetClock(func() time.Time { return time.Now().Add(notify.ActionLifetime + time.Hour) })
	resp, b := e.call(anon, "POST", "/mail/act/"+acts[0], "")
	if resp.StatusCode != 409 || !strings.Contains(string(b), "expired") {
		t.Errorf("expired: %d\n%.600s", resp.StatusCode, b)
	}
	e.srv.deps.Notify.SetClock(time.Now)
	// The card takes a new feed number without being settled.
	card := partnerstest.Atoi(t, vars["ACKCARD"])
	if err := e.f.DB.Client.Post.UpdateOneID(card).AddSeq(1000).Exec(e.f.System()); err != nil {
		t.Fatal(err)
	}
	resp, b = e.call(anon, "POST", "/mail/act/"+acts[0], "")
	if resp.StatusCode != 409 || !strings.Contains(string(b), "changed") {
		t.Errorf("changed: %d\n%.600s", resp.StatusCode, b)
	}
	p, _ := e.f.DB.Client.Post.Get(e.f.System(), card)
	if *p.CardState != post.CardStateOpen {
		t.Error("a refused link acted")
	}
}

// A link of partner A's user naming partner B's card (a signature we
// made, as a leaked key would) finds nothing: the card is looked up as
// that user.
func TestMailActionOtherPartnersCard(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	gb, err := e.f.Groups.Create(e.f.Ctx(e.f.Buyer), groups.GroupInput{Name: "Bravo", Kind: "partner", PartnerID: e.f.PartnerB.ID,
		ContactIDs: []int{e.f.ContactB.ID}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.f.Orders.Create(e.f.Ctx(e.f.Buyer), ordersInput(e.f.PartnerB.ID, "PO-B1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	card, err := e.f.DB.Client.Post.Query().Where(post.GroupID(gb.ID), post.CardKind(groups.CardOrderAck)).Only(e.f.System())
	if err != nil {
		t.Fatal(err)
	}
	tok := e.srv.deps.Mail.Keys().Sign("act", fmt.Sprint(e.f.UserA.ID), fmt.Sprint(card.ID), "acknowledge", fmt.Sprint(card.Seq),
		"partner", fmt.Sprint(time.Now().Add(time.Hour).Unix()), "n0nce")
	for _, m := range []string{"GET", "POST"} {
		resp, _ := e.call(anon, m, "/mail/act/"+tok, "")
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", m, resp.StatusCode)
		}
	}
	if p, _ := e.f.DB.Client.Post.Get(e.f.System(), card.ID); *p.CardState != post.CardStateOpen {
		t.Error("partner A's user acted on partner B's card")
	}
}

// RFC 8058 one-click: a POST with no session and no Origin turns the kind
// off; the GET only asks.
func TestUnsubscribeOneClick(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := map[string]string{}
	groupSetup(e, vars)
	_, unsub := e.mailedTokens(e.f.UserA.Email, "PO-M1")
	mode := func() string {
		p, err := e.f.DB.Client.NotificationPref.Query().Where(notificationpref.UserID(e.f.UserA.ID),
			notificationpref.KindEQ(notificationpref.KindOrderAck)).Only(e.f.System())
		if ent.IsNotFound(err) {
			return "immediately"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(p.Mode)
	}
	for i := 0; i < 3; i++ {
		if resp := e.do(bareRequest("GET", "/mail/unsubscribe/"+unsub, "")); resp.StatusCode != 200 {
			t.Fatalf("GET: %d", resp.StatusCode)
		}
	}
	if mode() != "immediately" {
		t.Fatal("the GET unsubscribed")
	}
	r := bareRequest("POST", "/mail/unsubscribe/"+unsub, "List-Unsubscribe=One-Click")
	resp := e.do(r)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="unsubscribe-done"`) {
		t.Fatalf("one-click POST: %d\n%.600s", resp.StatusCode, b)
	}
	if mode() != "off" {
		t.Fatalf("order_ack is %s after unsubscribing", mode())
	}
	// A tampered token is not found, and changes nothing.
	resp, _ = e.call(anon, "POST", "/mail/unsubscribe/"+unsub+"x", "List-Unsubscribe=One-Click")
	if resp.StatusCode != 404 {
		t.Errorf("tampered: %d", resp.StatusCode)
	}
	// The settings page shows the choice, in both languages.
	for _, lang := range []string{"en", "zh-CN"} {
		r := e.req(wPartner, "GET", "/settings/notifications?lang="+lang, "")
		resp := e.do(r)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !regexp.MustCompile(`name="order_ack" value="off" checked`).Match(b) {
			t.Errorf("%s settings page: %d\n%.1200s", lang, resp.StatusCode, b)
		}
	}
}
