package portal

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
)

// The API serves a system post's body in the reader's language: the
// saved setting, else Accept-Language, else English.
func TestFeedSpeaksTheReadersLanguage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	f := e.f
	b := f.Ctx(f.Buyer)
	g, err := f.Groups.Create(b, groups.GroupInput{Name: "lang", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.Orders.Create(b, orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-LANG", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: 1000, UnitPrice: 1, RequiredDate: "2026-12-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(b, o.ID); err != nil {
		t.Fatal(err)
	}
	const (
		en = "Order PO-LANG was published and awaits acknowledgement."
		zh = "订单 PO-LANG 已发布，等待供应商确认。"
	)
	body := func(acceptLanguage string) string {
		t.Helper()
		r := e.req(wBuyer, "GET", fmt.Sprintf("/api/v1/groups/%d/posts", g.ID), "")
		if acceptLanguage != "" {
			r.Header.Set("Accept-Language", acceptLanguage)
		}
		page := decode[groups.PostPage](t, []byte(readAll(e.do(r))))
		for _, p := range page.Items {
			if p.EventKind == "order.published" {
				return p.Body
			}
		}
		t.Fatalf("no order.published post in %+v", page.Items)
		return ""
	}
	if got := body(""); got != en {
		t.Errorf("no preference: %q", got)
	}
	if got := body("zh-CN,zh;q=0.9,en;q=0.5"); got != zh {
		t.Errorf("Accept-Language zh-CN: %q", got)
	}
	if _, err := f.Acc.UpdateMe(b, accountsMe("en")); err != nil {
		t.Fatal(err)
	}
	if got := body("zh-CN"); !strings.HasPrefix(got, "Order PO-LANG") {
		t.Errorf("the saved setting did not win over Accept-Language: %q", got)
	}
}
