package portal

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
)

// On a 1280x800 desktop a buyer creates a draft without publishing it,
// edits a line from the draft's page, publishes it, and the supplier's
// user then finds it; the stored order and line are asserted at each step.
func TestBrowserDraftEditPublish(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	sys := e.f.System()
	buyer := browser(t, 1280, 800)
	login(t, buyer, base, "/orders/new", "buyer@co.test")
	err := chromedp.Do(buyer,
		chromedp.WaitVisible(chromedp.ID("order-form")),
		chromedp.SetValue(chromedp.ID("partner_id"), fmt.Sprint(e.f.PartnerA.ID)),
		chromedp.SendKeys(chromedp.ID("number"), "PO-2026-0100"),
		chromedp.SendKeys(chromedp.CSS(`input[name="lines[0].item_code"]`), "HX-220"),
		chromedp.SendKeys(chromedp.CSS(`input[name="lines[0].quantity"]`), "500"),
		chromedp.SendKeys(chromedp.CSS(`input[name="lines[0].unit_price"]`), "12.5"),
		chromedp.SetValue(chromedp.CSS(`input[name="lines[0].required_date"]`), "2026-12-28"),
		chromedp.Click(chromedp.ID("order-submit")),
		chromedp.WaitVisible(chromedp.ID("edit-order")),
	)
	if err != nil {
		t.Fatalf("create the draft: %v", err)
	}
	o, err := e.f.DB.Client.Order.Query().Where(order.Number("PO-2026-0100")).Only(sys)
	if err != nil || o.Status != order.StatusDraft {
		t.Fatalf("stored draft = %+v, %v", o, err)
	}
	screenshot(t, buyer, "draft-desktop")

	err = chromedp.Do(buyer,
		chromedp.Click(chromedp.ID("edit-order")),
		chromedp.WaitVisible(chromedp.ID("order-edit-form")),
		chromedp.SetValue(chromedp.ID("quantity_0"), "600"),
		chromedp.Click(chromedp.ID("order-edit-submit")),
		chromedp.WaitVisible(chromedp.ID("publish-order")),
	)
	if err != nil {
		t.Fatalf("edit the draft: %v", err)
	}
	l, err := e.f.DB.Client.OrderLine.Query().Where(orderline.OrderID(o.ID), orderline.LineNo(1)).Only(sys)
	if err != nil || l.Quantity != 600_000 || l.ItemCode != "HX-220" {
		t.Fatalf("stored line after edit = %+v, %v", l, err)
	}
	qty, _ := chromedp.Run(buyer, chromedp.Text(chromedp.CSS("#lines tbody tr td:nth-child(3)")))
	if !strings.Contains(qty, "600") {
		t.Errorf("the page shows quantity %q after the edit", qty)
	}

	err = chromedp.Do(buyer,
		chromedp.Click(chromedp.ID("publish-order")),
		chromedp.WaitNotPresent(chromedp.ID("publish-order")),
	)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	status, _ := chromedp.Run(buyer, chromedp.Text(chromedp.ID("order-status")))
	if o, err = e.f.DB.Client.Order.Get(sys, o.ID); err != nil || o.Status != order.StatusPublished || o.PublishedAt == nil {
		t.Fatalf("stored order after publish = %+v, %v", o, err)
	}
	if s := strings.TrimSpace(status); s == "" || s == "Draft" {
		t.Errorf("the page still shows %q", status)
	}

	supplier := browser(t, 1280, 800)
	login(t, supplier, base, "/orders", "liu@a.test")
	err = chromedp.Do(supplier,
		chromedp.WaitVisible(chromedp.Search(`//a[contains(@class,"order-link") and text()="PO-2026-0100"]`)),
		chromedp.Click(chromedp.Search(`//a[text()="PO-2026-0100"]`)),
		chromedp.WaitVisible(chromedp.ID("ack-accept-all")),
	)
	if err != nil {
		t.Fatalf("the supplier finds the order: %v", err)
	}
	shown, _ := chromedp.Run(supplier, chromedp.Text(chromedp.CSS("#lines")))
	if !strings.Contains(shown, "600") || !strings.Contains(shown, "HX-220") {
		t.Errorf("the supplier sees lines %q", shown)
	}
	screenshot(t, supplier, "draft-published-supplier")
}
