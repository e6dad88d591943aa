package portal

import (
	"fmt"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/orders"
)

// Two readers follow one group's stream at once, a buyer who reads
// Chinese and a supplier who reads English: the same live system post
// reaches each in their own language, as each would read it after a
// reload.
func TestLiveStreamSpeaksEachReadersLanguage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	f := e.f
	grp := e.orderVars()["GRP"]
	if _, err := f.Acc.UpdateMe(f.Ctx(f.Buyer), accountsMe("zh-CN")); err != nil {
		t.Fatal(err)
	}
	g, err := f.Groups.Group(f.System(), mustAtoi(t, grp))
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprint(g.LastSeq)
	zh, en := e.openStreamAfter(wBuyer, grp, head), e.openStreamAfter(wPartner, grp, head)
	defer zh.close()
	defer en.close()
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-SSE-1", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: 1000, UnitPrice: 1, RequiredDate: "2026-12-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s    *sseClient
		want string
	}{{zh, "订单 PO-SSE-1 已发布，等待供应商确认。"}, {en, "Order PO-SSE-1 was published and awaits acknowledgement."}} {
		for {
			_, p := c.s.next()
			if p.EventKind == "order.published" {
				if p.Body != c.want {
					t.Errorf("live post body %q, want %q", p.Body, c.want)
				}
				break
			}
		}
	}
}
