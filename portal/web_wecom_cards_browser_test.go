package portal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/wecomcard"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// On a phone, a buyer signs in from the WeCom workbench; the change
// request card Tierlink sent to their WeCom is clicked "approve" there
// (the simulator posts the encrypted callback to the portal), and the
// order page in the browser shows the request approved, by them; their
// WeCom card shows the result.
func TestBrowserWeComCardApprove(t *testing.T) {
	const token, key = "cards-callback-token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	f := partnerstest.New(t, dialect.SQLite)
	sim := wecomsim.New(simCorp, simAgentSecret, simContactSecret)
	t.Cleanup(sim.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	deps := testDeps(t, f)
	api, err := wecom.NewClient(wecom.Config{CorpID: simCorp, AgentID: simAgentID, AgentSecret: simAgentSecret, ContactSecret: simContactSecret,
		CallbackToken: token, CallbackAESKey: key, APIBase: sim.URL(), AuthorizeBase: sim.URL()}, f.DB.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps.WeCom = wecom.NewService(f.DB.Client, api, f.Dir, quiet)
	cards := wecom.NewCards(f.DB.Client, api, f.Groups, base, quiet)
	cards.Poll = 100 * time.Millisecond
	ew := wecom.NewEventWorker(deps.WeCom, quiet)
	ew.Poll = 100 * time.Millisecond
	ew.Handle(wecom.EventTemplateCard, cards.ClickHandler())
	// The server first, as serve does: New installs ent hooks on the
	// client, which must not change under running workers.
	srv, err := New(Config{BaseURL: base, QuietAccessLog: true, Logger: quiet}, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go ew.Run(ctx)
	go cards.RunDispatcher(ctx)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	crypto, err := deps.WeCom.CallbackCrypto()
	if err != nil {
		t.Fatal(err)
	}
	sim.SetApp(simAgentID, base.String()+"/wecom/callback", crypto)
	sim.AddMember(wecomsim.Member{UserID: "bo.buyer", Name: "Bo"})
	sys := f.System()
	f.DB.Client.User.UpdateOneID(f.Buyer.ID).SetWecomUserid("bo.buyer").ExecX(sys)

	// A change request, whose card goes to Bo's WeCom.
	if _, err := f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "华星", Kind: "partner", PartnerID: f.PartnerA.ID,
		ContactIDs: []int{f.ContactA.ID}}); err != nil {
		t.Fatal(err)
	}
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-CARD", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: "2026-12-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Acknowledge(f.Ctx(f.UserA), o.ID, orders.AckInput{Lines: []orders.AckLine{
		{LineNo: 1, Action: "change", PromisedDate: "2026-12-15"}}}); err != nil {
		t.Fatal(err)
	}
	cr := f.DB.Client.ChangeRequest.Query().Where(changerequest.OrderID(o.ID)).OnlyX(sys)
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never happened", what)
			}
		}
	}
	waitUntil("the card sent", func() bool {
		r, err := f.DB.Client.WecomCard.Query().Where(wecomcard.SubjectID(cr.ID)).Only(sys)
		return err == nil && r.State == wecomcard.StateSent
	})
	row := f.DB.Client.WecomCard.Query().Where(wecomcard.SubjectID(cr.ID)).OnlyX(sys)

	b := browser(t, 360, 780)
	sim.AuthorizeAs("bo.buyer")
	orderPage := fmt.Sprintf("%s/orders/%d", base, o.ID)
	if err := chromedp.Do(b,
		chromedp.Navigate(base.String()+"/wecom/login"),
		chromedp.WaitReady(chromedp.ID("logout")),
		chromedp.Navigate(orderPage),
		chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("approve-%d", cr.ID))),
	); err != nil {
		t.Fatalf("workbench sign-in and the order: %v", err)
	}
	lang, _ := chromedp.Run(b, chromedp.Evaluate[string](`document.documentElement.lang`))
	l := i18n.For(lang)
	if st, err := chromedp.Run(b, chromedp.Text(".cr-state")); err != nil || !strings.EqualFold(strings.TrimSpace(st), l.T("page.cr_open", nil)) {
		t.Fatalf("before the click the request shows %q (%v)", st, err)
	}

	if _, status, err := sim.Click("bo.buyer", row.TaskID, "approve"); err != nil || status != 200 {
		t.Fatalf("click: %d, %v", status, err)
	}
	waitUntil("the request approved", func() bool {
		got := f.DB.Client.ChangeRequest.GetX(sys, cr.ID)
		return got.State == changerequest.StateApproved
	})
	if got := f.DB.Client.ChangeRequest.GetX(sys, cr.ID); got.DecidedByID == nil || *got.DecidedByID != f.Buyer.ID {
		t.Fatalf("decided by %v, want Bo", got.DecidedByID)
	}
	if err := chromedp.Do(b, chromedp.Navigate(orderPage), chromedp.WaitVisible(".cr-state")); err != nil {
		t.Fatal(err)
	}
	screenshot(t, b, "wecom-card-approved")
	if st, err := chromedp.Run(b, chromedp.Text(".cr-state")); err != nil || !strings.EqualFold(strings.TrimSpace(st), l.T("page.cr_approved", nil)) {
		t.Fatalf("after the click the request shows %q (%v)", st, err)
	}
	if n, _ := chromedp.Run(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll("#approve-%d").length`, cr.ID))); n != 0 {
		t.Fatal("the approve button is still offered")
	}
	waitUntil("the WeCom card updated", func() bool {
		c, _ := sim.CardOf(row.TaskID)
		return strings.HasPrefix(c.Replaced, "已批准 · "+f.Buyer.Name)
	})
}
