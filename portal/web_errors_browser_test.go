package portal

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners/orders"
)

// On a phone, in Chinese, a supplier types "300件" as the changed
// quantity of its acknowledgement: the form comes back with the Chinese
// reason beside the field and "300件" still in it; fixed to 300, it is
// sent, and the change request stored asks for 300.
func TestBrowserFormErrorKeptOnForm(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	ctx := e.f.Ctx(e.f.Buyer)
	o, err := e.f.Orders.Create(ctx, orders.OrderInput{PartnerID: e.f.PartnerA.ID, Direction: "upstream", Number: "PO-2026-0300",
		Currency: "CNY", Lines: []orders.LineInput{{ItemCode: "HX-300", Description: "外壳", Quantity: 500_000, UnitPrice: 125_000, RequiredDate: "2026-12-15"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.f.Orders.Publish(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.f.DB.Client.User.Update().Where(user.Email("liu@a.test")).SetLocale("zh-CN").Exec(e.f.System()); err != nil {
		t.Fatal(err)
	}
	qty := `#ack-form input[name="lines[0].quantity"]`
	b := browser(t, 390, 844)
	err = chromedp.Do(b,
		signIn(base+"/login", "liu@a.test"),
		chromedp.WaitVisible(chromedp.CSS("header.top")),
		chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, o.ID)),
		chromedp.WaitVisible(chromedp.ID("ack-form")),
		chromedp.Click(chromedp.CSS("details.ack-change summary")),
		chromedp.Click(chromedp.ID("change_1")),
		chromedp.SendKeys(chromedp.CSS(qty), "300件"),
		chromedp.Click(chromedp.ID("ack-submit")),
		chromedp.WaitVisible(chromedp.CSS("#ack-form .field-error")),
	)
	if err != nil {
		t.Fatalf("first answer: %v", err)
	}
	screenshot(t, b, "form-error-phone")
	reason, err1 := chromedp.Run(b, chromedp.Text(chromedp.CSS("#ack-form .field-error")))
	kept, err2 := chromedp.Run(b, chromedp.Value(chromedp.CSS(qty)))
	if err1 != nil || err2 != nil || !strings.Contains(reason, "须为数字，不带单位（填 300，而不是 300件）") || kept != "300件" {
		t.Fatalf("reason %q, kept %q (%v %v)", reason, kept, err1, err2)
	}
	if got, _ := e.f.Orders.Order(e.f.System(), o.ID); len(got.ChangeRequests) != 0 {
		t.Fatalf("a refused answer stored %d change requests", len(got.ChangeRequests))
	}
	err = chromedp.Do(b,
		chromedp.Click(chromedp.ID("change_1")),
		chromedp.SetValue(chromedp.CSS(qty), "300"),
		chromedp.Click(chromedp.ID("ack-submit")),
		chromedp.WaitVisible(chromedp.CSS(".change-request")),
	)
	if err != nil {
		t.Fatalf("fixed answer: %v", err)
	}
	got, err := e.f.Orders.Order(e.f.System(), o.ID)
	if err != nil || len(got.ChangeRequests) != 1 || len(got.ChangeRequests[0].Changes) != 1 {
		t.Fatalf("stored %+v, %v", got.ChangeRequests, err)
	}
	if q := got.ChangeRequests[0].Changes[0].Quantity; q == nil || q.String() != "300" {
		t.Fatalf("stored quantity %v, want 300", q)
	}
}
