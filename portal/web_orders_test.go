package portal

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/shipments"
)

// draftOfA creates a two-line draft for partner A as the buyer.
func (e *env) draftOfA(t *testing.T, number string) orders.Order {
	t.Helper()
	o, err := e.f.Orders.Create(e.f.Ctx(e.f.Buyer), orders.OrderInput{PartnerID: e.f.PartnerA.ID, Number: number, Currency: "CNY", Notes: "dock 3",
		Lines: []orders.LineInput{{ItemCode: "HX-1", Quantity: 10_000, Unit: "pcs", UnitPrice: 125_000, RequiredDate: "2026-12-30"},
			{ItemCode: "HX-2", Quantity: 5_000, Unit: "kg", UnitPrice: 30_000, RequiredDate: "2026-12-30"}}})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (e *env) post(t *testing.T, w who, path string, form url.Values) (int, string, string) {
	t.Helper()
	resp := e.do(e.req(w, "POST", path, form.Encode()))
	return resp.StatusCode, resp.Header.Get("Location"), readAll(resp)
}

// A draft is not a dead end: its page offers edit, publish and cancel to
// an editor (and nothing to a viewer), the edit form is prefilled and
// saves into the stored lines, and publishing shows it to the partner.
func TestDraftPageEditPublish(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	o := e.draftOfA(t, "PO-D1")
	path := "/orders/" + itoa(o.ID)

	page := e.pageAs(t, wBuyer, path, "en")
	// Money with its currency: 10 × 12.5 + 5 × 3 = 140.
	wantIn(t, page, "CNY 12.50", "CNY 125.00", `id="order-total">CNY 140.00<`)
	wantIn(t, page, `id="edit-order"`, `action="`+path+`/publish"`, `href="`+path+`/cancel"`, `class="crumbs"`, "Notes", "dock 3")
	wantNotIn(t, page, `id="ack-form"`)
	wantNotIn(t, e.pageAs(t, wViewer, path, "en"), `id="edit-order"`, `/publish"`, `/cancel"`)

	edit := e.pageAs(t, wBuyer, path+"/edit", "zh-CN")
	wantIn(t, edit, `value="HX-2"`, `value="5"`, `value="3"`, `value="2026-12-30"`, "编辑草稿", "备注", ">dock 3</textarea>")

	form := url.Values{"currency": {"cny"}, "notes": {"dock 4"},
		"lines[0].item_code": {"HX-1"}, "lines[0].quantity": {"12"}, "lines[0].unit": {"pcs"}, "lines[0].unit_price": {"12.5"}, "lines[0].required_date": {"2027-01-04"},
		"lines[1].unit": {"pcs"}} // a spare row
	t.Run("ErrFormKeepsTyping", func(t *testing.T) {
		bad := url.Values{"currency": {"CNY"}, "lines[0].item_code": {"HX-9"}, "lines[0].quantity": {"-1"}, "lines[0].unit": {"pcs"},
			"lines[0].unit_price": {"1"}, "lines[0].required_date": {"2027-01-04"}}
		st, _, body := e.post(t, wBuyer, path+"/edit", bad)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, `value="HX-9"`) || !strings.Contains(body, `id="order-edit-form"`) {
			t.Fatalf("refused edit = %d\n%.800s", st, body)
		}
	})
	st, loc, _ := e.post(t, wBuyer, path+"/edit", form)
	if st != http.StatusSeeOther || loc != path+"?msg=draft_saved" {
		t.Fatalf("edit = %d %s", st, loc)
	}
	sys := e.f.System()
	ls, err := e.f.DB.Client.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(sys)
	if err != nil || len(ls) != 1 || ls[0].Quantity != 12_000 || ls[0].UnitPrice != 125_000 {
		t.Fatalf("stored lines = %+v, %v", ls, err)
	}
	// The partner does not see the draft until it is published.
	if resp := e.do(e.req(wPartner, "GET", path, "")); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("partner sees the draft: %d", resp.StatusCode)
	}
	if st, loc, _ := e.post(t, wBuyer, path+"/publish", url.Values{}); st != http.StatusSeeOther || !strings.Contains(loc, "order_published") {
		t.Fatalf("publish = %d %s", st, loc)
	}
	stored, _ := e.f.DB.Client.Order.Get(sys, o.ID)
	if stored.Status != order.StatusPublished {
		t.Fatalf("stored status %s", stored.Status)
	}
	wantIn(t, e.pageAs(t, wPartner, path, "en"), "PO-D1", "HX-1")
	// A published order is no longer edited.
	if resp := e.do(e.req(wBuyer, "GET", path+"/edit", "")); resp.StatusCode != http.StatusConflict {
		t.Fatalf("edit page of a published order: %d", resp.StatusCode)
	}
}

// Cancelling asks for a reason on its own page; without one nothing is
// cancelled, with one the order is cancelled and the partner sees it so.
func TestOrderCancelPage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	o := e.draftOfA(t, "PO-X1")
	path := "/orders/" + itoa(o.ID)
	if _, err := e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	wantIn(t, e.pageAs(t, wBuyer, path+"/cancel", "en"), `id="order-cancel-form"`, `name="reason"`, "Keep the order")
	st, _, body := e.post(t, wBuyer, path+"/cancel", url.Values{"reason": {""}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, `id="order-cancel-form"`) {
		t.Fatalf("cancel without reason = %d", st)
	}
	if s, _ := e.f.DB.Client.Order.Get(e.f.System(), o.ID); s.Status != order.StatusPublished {
		t.Fatalf("cancelled without a reason: %s", s.Status)
	}
	if st, loc, _ := e.post(t, wBuyer, path+"/cancel", url.Values{"reason": {"project stopped"}}); st != http.StatusSeeOther || !strings.Contains(loc, "order_cancelled") {
		t.Fatalf("cancel = %d %s", st, loc)
	}
	if s, _ := e.f.DB.Client.Order.Get(e.f.System(), o.ID); s.Status != order.StatusCancelled {
		t.Fatalf("stored status %s", s.Status)
	}
	page := e.pageAs(t, wPartner, path, "zh-CN")
	// The revision kept on publishing reads in the reader's language.
	wantIn(t, page, "已取消", `<td class="rev-reason">已发布</td>`)
	wantNotIn(t, page, `id="ack-form"`, `id="cancel-order"`)
}

// The supplier's page speaks from its side and offers "accept all" first;
// the buyer sees the answer form only folded under its own label.
func TestOrderPageSides(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	o := e.draftOfA(t, "PO-S1")
	if _, err := e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	path := "/orders/" + itoa(o.ID)
	sup := e.pageAs(t, wPartner, path, "zh-CN")
	wantIn(t, sup, "客户", "销售订单", "备注", `id="ack-accept-all"`, "全部按订单接受", `<details class="ack-change"`)
	wantNotIn(t, sup, "上游（采购）", "交接说明", `id="ack-on-behalf"`)
	wantIn(t, sup, `<dd id="counterparty">`+e.srv.companyName()+`</dd>`)
	wantIn(t, e.pageAs(t, wPartner, "/orders", "en"), `data-label="Customer">`+e.srv.companyName()+`</td>`)
	buyer := e.pageAs(t, wBuyer, path, "zh-CN")
	wantIn(t, buyer, "上游（采购）", `<details class="card ack-on-behalf" id="ack-on-behalf">`, "代录供应商的答复")
	// The folded form still answers for the supplier, through the same input.
	st, _, _ := e.post(t, wPartner, path+"/acknowledge", url.Values{"lines[0].line_no": {"1"}, "lines[0].action": {"accept"},
		"lines[1].line_no": {"2"}, "lines[1].action": {"accept"}})
	if st != http.StatusSeeOther {
		t.Fatalf("accept all = %d", st)
	}
	if s, _ := e.f.DB.Client.Order.Get(e.f.System(), o.ID); s.Status != order.StatusAcknowledged {
		t.Fatalf("stored status %s", s.Status)
	}
}

// Shipments are reachable: a list (staff all, a partner its own, by order
// number), each order page lists its shipments, and a shipment page links
// back to its order with breadcrumbs.
func TestShipmentsReachable(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	o := e.draftOfA(t, "PO-SH1")
	if _, err := e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	sh, err := e.f.Shipments.Create(e.f.Ctx(e.f.UserA), shipments.Input{PartnerID: e.f.PartnerA.ID, Number: "ASN-77",
		Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: 1000}}})
	if err != nil {
		t.Fatal(err)
	}
	link := `href="/shipments/` + itoa(sh.ID) + `"`
	wantIn(t, e.pageAs(t, wBuyer, "/shipments", "en"), "ASN-77", link, "PO-SH1")
	wantIn(t, e.pageAs(t, wPartner, "/shipments?q=SH1", "en"), "ASN-77")
	wantNotIn(t, e.pageAs(t, wPartner, "/shipments?q=nothing-like-it", "en"), "ASN-77")
	wantIn(t, e.pageAs(t, wPartner, "/shipments?q=nothing-like-it", "en"), "No shipment matches these filters.")
	wantNotIn(t, e.pageAs(t, wForeign, "/shipments", "en"), "ASN-77")
	wantIn(t, e.pageAs(t, wBuyer, "/orders/"+itoa(o.ID), "en"), `id="order-shipments"`, link)
	shipPage := e.pageAs(t, wPartner, "/shipments/"+itoa(sh.ID), "en")
	wantIn(t, shipPage, `class="crumbs"`, `href="/shipments"`, `href="/orders/`+itoa(o.ID)+`">PO-SH1</a>`)
	if !regexp.MustCompile(`id="shipment-orders"[^<]*<a href="/orders/\d+">PO-SH1`).MatchString(shipPage) {
		t.Errorf("shipment page lacks its order link")
	}
}

// The change-request list says what is asked (old → new, the reason) and
// decides from the list, coming back to it; the decision is stored.
func TestChangeRequestsDecidedFromList(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	o := e.draftOfA(t, "PO-CR1")
	if _, err := e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	q := orders.Qty(8_000)
	got, err := e.f.Orders.Acknowledge(e.f.Ctx(e.f.UserA), o.ID, orders.AckInput{Lines: []orders.AckLine{
		{LineNo: 1, Action: orders.AckChange, PromisedDate: "2027-01-09", Quantity: &q, Reason: "mould repair"}}})
	if err != nil {
		t.Fatal(err)
	}
	cr := got.ChangeRequests[0]
	page := e.pageAs(t, wBuyer, "/change-requests", "en")
	wantIn(t, page, "PO-CR1", "HX-1", `<s><time class="nw" datetime="2026-12-30">`, `datetime="2027-01-09"`, "<s>10 pcs</s>", "8 pcs", "mould repair",
		`id="approve-`+itoa(cr.ID)+`"`, `name="back" value="list"`)
	wantNotIn(t, e.pageAs(t, wViewer, "/change-requests", "en"), `id="approve-`)
	st, loc, _ := e.post(t, wBuyer, "/change-requests/"+itoa(cr.ID)+"/decision", url.Values{"decision": {"approve"}, "back": {"list"}})
	if st != http.StatusSeeOther || loc != "/change-requests?msg=decided" {
		t.Fatalf("decide = %d %s", st, loc)
	}
	stored, err := e.f.DB.Client.ChangeRequest.Get(e.f.System(), cr.ID)
	if err != nil || stored.State != "approved" {
		t.Fatalf("stored change request = %+v, %v", stored, err)
	}
	wantNotIn(t, e.pageAs(t, wBuyer, "/change-requests", "en"), `id="approve-`+itoa(cr.ID)+`"`)
}

// Empty lists say something true: nothing yet, or nothing matching.
func TestOrderListsEmptyStates(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	wantIn(t, e.pageAs(t, wBuyer, "/orders", "en"), "No orders yet.")
	wantIn(t, e.pageAs(t, wPartner, "/orders", "zh-CN"), "尚未向贵司发送任何订单。")
	wantIn(t, e.pageAs(t, wBuyer, "/orders?q=zzz", "en"), "No order matches these filters.")
	wantIn(t, e.pageAs(t, wBuyer, "/board", "en"), "No open order lines to follow.")
	wantIn(t, e.pageAs(t, wBuyer, "/board?state=late", "en"), "No open line matches these filters.")
	wantIn(t, e.pageAs(t, wBuyer, "/shipments", "en"), "No shipments have been posted yet.")
}
