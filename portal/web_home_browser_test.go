package portal

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent/acknowledgement"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/partners/orders"
)

// clearsToDo holds every selector the journey relies on, in one place:
// the acknowledgement form is being redesigned, and whoever changes it
// adjusts these lines only.
var clearsToDo = struct {
	// awaiting is the home's section of orders awaiting an answer;
	// itemOf finds one order's item in it, by order id.
	awaiting, empty string
	itemOf          func(id int) string
	// ackForm is the order page's acknowledgement form; actionOf the
	// answer of line n (set to accept); submit sends it.
	ackForm, submit string
	actionOf        func(n int) string
	accept          string
}{
	awaiting: "#todo-awaiting",
	empty:    "#todo-empty",
	itemOf:   func(id int) string { return fmt.Sprintf(`#todo-awaiting a[data-order="%d"]`, id) },
	ackForm:  "#ack-form",
	submit:   "#ack-accept-all",
	actionOf: func(n int) string { return fmt.Sprintf("#accept_%d", n) },
	accept:   "accept",
}

// On a phone, a supplier's user sees an order awaiting its answer on its
// home, taps it, accepts every line, comes back home and finds nothing
// left to answer; the acknowledgement is stored as sent.
func TestBrowserSupplierClearsToDo(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	sel := clearsToDo
	o, err := e.f.Orders.Create(e.f.Ctx(e.f.Buyer), orders.OrderInput{PartnerID: e.f.PartnerA.ID, Number: "PO-2026-0077", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "HX-220", Description: "外壳", Quantity: 500_000, UnitPrice: 125_000, RequiredDate: "2026-12-28"},
			{ItemCode: "HX-221", Description: "端盖", Quantity: 200_000, UnitPrice: 30_000, RequiredDate: "2026-12-28"}}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 390, 844)
	login(t, ctx, base, "/", "liu@a.test")
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(sel.awaiting)),
		chromedp.WaitVisible(chromedp.CSS(sel.itemOf(o.ID))),
	)
	if err != nil {
		t.Fatalf("home: %v", err)
	}
	screenshot(t, ctx, "home-supplier-phone")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel.itemOf(o.ID))))
	if err != nil || !strings.Contains(text, "PO-2026-0077") || !strings.Contains(text, "due in") {
		t.Fatalf("home item = %q, %v", text, err)
	}
	scrollW, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	clientW, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
	if scrollW > clientW+2 {
		t.Errorf("home scrolls sideways on a phone: %d > %d", scrollW, clientW)
	}
	tall, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`Math.round(document.querySelector('`+sel.itemOf(o.ID)+`').getBoundingClientRect().height)`))
	if tall < 40 {
		t.Errorf("the item is %d px tall; a phone needs 40 px to tap", tall)
	}

	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(sel.itemOf(o.ID))),
		chromedp.WaitVisible(chromedp.CSS(sel.ackForm)),
	}
	for n := 1; n <= len(o.Lines); n++ {
		actions = append(actions, chromedp.SetValue(chromedp.CSS(sel.actionOf(n)), sel.accept))
	}
	actions = append(actions,
		chromedp.Click(chromedp.CSS(sel.submit)),
		chromedp.WaitNotPresent(chromedp.CSS(sel.ackForm)),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(sel.empty)),
	)
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("answer and come back: %v", err)
	}
	screenshot(t, ctx, "home-supplier-cleared")
	left, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+sel.awaiting+`').length`))
	if left != 0 {
		t.Errorf("the order is still on the home after answering")
	}

	sys := e.f.System()
	acks, err := e.f.DB.Client.Acknowledgement.Query().Where(acknowledgement.OrderID(o.ID)).All(sys)
	if err != nil {
		t.Fatal(err)
	}
	if len(acks) != 1 || len(acks[0].Lines) != 2 || acks[0].UserID == nil || *acks[0].UserID != e.f.UserA.ID {
		t.Fatalf("stored acknowledgements = %+v", acks)
	}
	for _, l := range acks[0].Lines {
		if l["action"] != "accept" {
			t.Errorf("stored line %v, want accept", l)
		}
	}
	stored, err := e.f.DB.Client.Order.Get(sys, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != order.StatusAcknowledged || stored.AcknowledgedAt == nil {
		t.Errorf("stored order is %s (acknowledged at %v), want acknowledged", stored.Status, stored.AcknowledgedAt)
	}
}
