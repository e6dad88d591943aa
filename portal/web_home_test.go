package portal

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/todo"
)

// publishAgo publishes an order of partner A whose 24-hour SLA started
// ago before now.
func (e *env) publishAgo(t *testing.T, number string, ago time.Duration) orders.Order {
	t.Helper()
	o, err := e.f.Orders.Create(e.f.Ctx(e.f.Buyer), orders.OrderInput{PartnerID: e.f.PartnerA.ID, Number: number, Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "HX-1", Quantity: 10_000, UnitPrice: 1, RequiredDate: "2026-12-30"},
			{ItemCode: "HX-2", Quantity: 5_000, UnitPrice: 1, RequiredDate: "2026-12-30"}}})
	if err != nil {
		t.Fatal(err)
	}
	published := time.Now().Add(-ago)
	e.f.Orders.SetClock(func() time.Time { return published })
	defer e.f.Orders.SetClock(time.Now)
	if o, err = e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

// page fetches a page as w in lang and fails unless it is 200.
func (e *env) pageAs(t *testing.T, w who, path, lang string) string {
	t.Helper()
	r := e.req(w, "GET", path, "")
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	resp := e.do(r)
	b := readAll(resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s as %s: %d\n%.500s", path, w, resp.StatusCode, b)
	}
	return b
}

func wantIn(t *testing.T, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q:\n%s", w, page)
		}
	}
}

func wantNotIn(t *testing.T, page string, nope ...string) {
	t.Helper()
	for _, w := range nope {
		if strings.Contains(page, w) {
			t.Errorf("page shows %q", w)
		}
	}
}

func TestHomePartner(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	t.Run("EmptyStateIsFriendly", func(t *testing.T) {
		p := e.pageAs(t, wPartner, "/", "")
		wantIn(t, p, `id="todo-empty"`, "Nothing waits for your answer", fmt.Sprintf(`href="/partners/%d"`, e.f.PartnerA.ID))
		wantNotIn(t, p, "nothing matches", `id="todo-awaiting"`)
	})
	old := e.publishAgo(t, "PO-H1", 30*time.Hour)
	fresh := e.publishAgo(t, "PO-H2", 2*time.Hour)
	t.Run("AwaitingAnswerOldestFirstWithSLAInWords", func(t *testing.T) {
		p := e.pageAs(t, wPartner, "/", "")
		wantIn(t, p, `id="todo-awaiting"`, `Orders awaiting your answer <span class="todo-count">2</span>`,
			fmt.Sprintf(`href="/orders/%d#ack-form"`, old.ID), "overdue by 6 hours", "due in 22 hours", "UTC")
		if strings.Index(p, "PO-H1") > strings.Index(p, "PO-H2") {
			t.Error("the older order must come first")
		}
		wantNotIn(t, p, `id="todo-empty"`)
		_ = fresh
	})
	t.Run("Chinese", func(t *testing.T) {
		p := e.pageAs(t, wPartner, "/", "zh-CN,zh;q=0.9")
		wantIn(t, p, `lang="zh-CN"`, "待确认的订单", "已超时 6 小时", "还剩 22 小时", "我的公司资料")
		wantNotIn(t, p, "overdue", "Orders awaiting")
	})
	t.Run("OtherPartnerSeesNone", func(t *testing.T) {
		p := e.pageAs(t, wForeign, "/", "")
		wantIn(t, p, "Nothing waits for your answer")
		wantNotIn(t, p, "PO-H1", "PO-H2")
	})
	t.Run("API", func(t *testing.T) {
		_, b := e.call(wPartner, "GET", "/api/v1/me/todo", "")
		got := decode[todo.ToDo](t, b)
		if got.AwaitingAnswer.Count != 2 || got.AwaitingAnswer.Items[0].OrderID != old.ID || !got.AwaitingAnswer.Items[0].Overdue {
			t.Errorf("API to-do = %+v", got.AwaitingAnswer)
		}
		_, b = e.call(wForeign, "GET", "/api/v1/me/todo", "")
		if got := decode[todo.ToDo](t, b); got.AwaitingAnswer.Count != 0 {
			t.Errorf("partner B sees A's orders: %+v", got.AwaitingAnswer)
		}
	})
}

func TestHomeBuyer(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	t.Run("EmptyState", func(t *testing.T) {
		wantIn(t, e.pageAs(t, wBuyer, "/", ""), "Nothing waits for your answer")
	})
	late := e.publishAgo(t, "PO-H3", 80*time.Hour)
	asked := e.publishAgo(t, "PO-H4", time.Hour)
	if _, err := e.f.Orders.Acknowledge(e.f.Ctx(e.f.UserA), asked.ID, orders.AckInput{Lines: []orders.AckLine{
		{LineNo: 1, Action: orders.AckChange, PromisedDate: "2027-01-10", Reason: "mould"}, {LineNo: 2, Action: orders.AckAccept}}}); err != nil {
		t.Fatal(err)
	}
	p := e.pageAs(t, wBuyer, "/", "")
	wantIn(t, p, `id="todo-decide"`, `Change requests to decide <span class="todo-count">1</span>`, fmt.Sprintf(`href="/orders/%d"`, asked.ID),
		`id="todo-past-sla"`, "PO-H3", "overdue by 2 days", "mine")
	wantNotIn(t, p, `id="todo-empty"`, `id="todo-movers"`, `id="todo-awaiting"`)
	t.Run("SupplierSeesItAwaitingTheBuyer", func(t *testing.T) {
		wantIn(t, e.pageAs(t, wPartner, "/", ""), `id="todo-decisions"`, "awaiting the buyer")
	})
	t.Run("Chinese", func(t *testing.T) {
		wantIn(t, e.pageAs(t, wBuyer, "/", "zh-CN"), "待决定的变更申请", "已超时 2 天")
	})
	_ = late
}

func TestHomeProcurement(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	e.publishAgo(t, "PO-H5", time.Hour)
	t.Run("ViewerSeesMoversOnly", func(t *testing.T) {
		p := e.pageAs(t, wViewer, "/", "")
		wantIn(t, p, `id="todo-movers"`, "The week&#39;s movers", "No partner&#39;s score moved this week.")
		wantNotIn(t, p, `id="todo-decide"`, `id="todo-past-sla"`)
		wantIn(t, e.pageAs(t, wViewer, "/", "zh-CN"), "本周评分变化")
	})
	t.Run("AdminHasMoversAsASection", func(t *testing.T) {
		p := e.pageAs(t, wAdmin, "/", "")
		wantIn(t, p, `id="todo-movers"`)
		_, b := e.call(wAdmin, "GET", "/api/v1/me/todo", "")
		got := decode[todo.ToDo](t, b)
		if !got.Has(todo.RoleBuyer) || !got.Has(todo.RoleProcurement) || got.Movers == nil {
			t.Errorf("admin's to-do = %+v", got)
		}
	})
	t.Run("SlaWords", func(t *testing.T) {
		en, zh := locales["en"], locales["zh-CN"]
		for _, c := range []struct {
			left   time.Duration
			en, zh string
		}{
			{-5 * time.Hour, "overdue by 5 hours", "已超时 5 小时"},
			{-time.Hour - time.Minute, "overdue by 1 hour", "已超时 1 小时"},
			{-10 * time.Second, "overdue by 1 min", "已超时 1 分钟"},
			{30 * time.Minute, "due in 30 min", "还剩 30 分钟"},
			{3 * 24 * time.Hour, "due in 3 days", "还剩 3 天"},
			{-25 * time.Hour, "overdue by 25 hours", "已超时 25 小时"},
		} {
			if got := slaWords(en, c.left); got != c.en {
				t.Errorf("%v in English = %q, want %q", c.left, got, c.en)
			}
			if got := slaWords(zh, c.left); got != c.zh {
				t.Errorf("%v in Chinese = %q, want %q", c.left, got, c.zh)
			}
		}
	})
}
