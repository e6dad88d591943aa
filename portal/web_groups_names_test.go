package portal

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/delivery"
	"github.com/tierlink/tierlink/ent/domainevent"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
)

// addressIn finds e-mail addresses in a page or a text.
var addressIn = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)

// between is the part of page from the element that opens with start to
// the first end after it.
func between(t *testing.T, page, start, end string) string {
	t.Helper()
	i := strings.Index(page, start)
	if i < 0 {
		t.Fatalf("no %q on the page", start)
	}
	j := strings.Index(page[i:], end)
	if j < 0 {
		t.Fatalf("no %q after %q", end, start)
	}
	return page[i : i+j]
}

// Records written before the feed named people — system posts whose
// text was rendered at write time with the actor's address, a card
// closed "by" an address, a message whose author was recorded as an
// address, an actor argument holding an address, deliveries whose text
// has addresses — are shown with names on the group page, its API, the
// bridges page and in conflicts; a member's own message keeps what the
// member wrote. New outgoing texts name people too.
func TestOldRecordsShowNames(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	f := e.f
	sys := f.System()
	c := f.DB.Client
	buyer, supplier := f.Ctx(f.Buyer), f.Ctx(f.UserA)

	// A real order answered by the supplier: its event records the
	// supplier's address as the actor.
	o, err := f.Orders.Create(buyer, orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-OLD-1", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "HX-1", Quantity: 1000, UnitPrice: 10000, RequiredDate: "2026-12-20"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(buyer, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Acknowledge(supplier, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: orders.AckAccept}}}); err != nil {
		t.Fatal(err)
	}
	ev, err := c.DomainEvent.Query().Where(domainevent.Kind("order.acknowledged"), domainevent.SubjectID(o.ID)).Only(sys)
	if err != nil || ev.Actor != f.UserA.Email {
		t.Fatalf("event %+v, %v", ev, err)
	}

	// A group created afterwards, seeded with records in the old shape.
	g, err := f.Groups.Create(buyer, groups.GroupInput{Name: "旧记录", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	br, err := f.Groups.CreateBridge(buyer, g.ID, groups.BridgeInput{Kind: "wecom", Name: "企微", URL: "http://127.0.0.1:9/hook"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-48 * time.Hour)
	seq := int64(0)
	seed := func(q *ent.PostCreate) *ent.Post {
		t.Helper()
		seq++
		row, err := q.SetGroupID(g.ID).SetSeq(seq).SetCreatedAt(at).SetUpdatedAt(at).Save(sys)
		if err != nil {
			t.Fatal(err)
		}
		return row
	}
	old := seed(c.Post.Create().SetKind(post.KindSystem).SetEventID(ev.ID).SetEventKind(ev.Kind).SetPartnerID(f.PartnerA.ID).
		SetSubjectType("order").SetSubjectID(o.ID).
		SetBody(f.UserA.Email + " answered order PO-OLD-1: 1 line, 0 with changes.").
		SetBodyZh(f.UserA.Email + " 已答复订单 PO-OLD-1：1 行，其中 0 行要求变更。"))
	loose := seed(c.Post.Create().SetKind(post.KindSystem).SetEventKind("digest").
		SetBody("Digest prepared for " + f.Buyer.Email + ".").SetBodyZh("为 " + f.Buyer.Email + " 准备的摘要。"))
	done := post.CardStateDone
	card := seed(c.Post.Create().SetKind(post.KindCard).SetCardKind(groups.CardOrderAck).SetCardState(done).SetCardOutcome("answered").
		SetActedBy(f.UserA.Email).SetActedAt(at).SetSubjectType("order").SetSubjectID(o.ID).
		SetBody("Order PO-OLD-1 was published and awaits acknowledgement.").SetBodyZh("订单 PO-OLD-1 已发布，等待供应商确认。"))
	msg := seed(c.Post.Create().SetKind(post.KindMessage).SetAuthorID(f.Buyer.ID).SetAuthor(f.Buyer.Email).
		SetBody("请联系 " + f.Buyer2.Email + " 确认交期"))
	keyed := seed(c.Post.Create().SetKind(post.KindSystem).SetEventKind("change.rejected").
		SetMessage(json.RawMessage(`[{"key":"feed.change_rejected","args":{"Actor":{"text":"` + f.Buyer2.Email + `"},"Number":{"text":"PO-OLD-1"}}}]`)))
	if err := c.Group.UpdateOneID(g.ID).AddLastSeq(seq).Exec(sys); err != nil {
		t.Fatal(err)
	}
	deliver := func(postID *int, text string) {
		t.Helper()
		if err := c.Delivery.Create().SetBridgeID(br.ID).SetGroupID(g.ID).SetNillablePostID(postID).SetMsgID(fmt.Sprintf("msg_old%d", seq)).
			SetText(text).SetState(delivery.StateDead).SetNextAttemptAt(at).SetCreatedAt(at).Exec(sys); err != nil {
			t.Fatal(err)
		}
		seq++
	}
	deliver(&old.ID, f.UserA.Email+" answered order PO-OLD-1: 1 line, 0 with changes.")
	deliver(&msg.ID, f.Buyer.Email+": 请联系 "+f.Buyer2.Email+" 确认交期")
	deliver(nil, "Test message from Tierlink, sent by "+f.Buyer.Email+" at 2026-11-30T08:00:00Z.")

	// noAddress fails if text shows an address other than the member's
	// own words (buyer2's address inside the buyer's message).
	noAddress := func(t *testing.T, what, text string) {
		t.Helper()
		text = strings.ReplaceAll(text, "请联系 "+f.Buyer2.Email, "")
		if a := addressIn.FindAllString(text, -1); len(a) > 0 {
			t.Errorf("%s shows addresses %q:\n%s", what, a, text)
		}
	}
	grp := fmt.Sprint(g.ID)
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run("GroupPage/"+lang, func(t *testing.T) {
			status, page, _ := e.callIn(wBuyer, lang, "GET", "/groups/"+grp, "", nil)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			feed := between(t, page, `<ol id="feed"`, `</ol>`+"\n"+`<template`)
			noAddress(t, "feed", feed)
			answered := map[string]string{"zh-CN": f.UserA.Name + " 已答复订单 PO-OLD-1", "en": f.UserA.Name + " answered order PO-OLD-1"}[lang]
			post := func(id int) string { return between(t, feed, fmt.Sprintf(`id="post-%d"`, id), "</li>") }
			if !strings.Contains(post(old.ID), answered) {
				t.Errorf("old event post not rendered from its event in %s:\n%s", lang, post(old.ID))
			}
			if !strings.Contains(post(loose.ID), f.Buyer.Name) {
				t.Errorf("old post without event does not name the buyer:\n%s", post(loose.ID))
			}
			if !strings.Contains(post(card.ID), `<span class="card-actor">`+f.UserA.Name+`</span>`) {
				t.Errorf("card not closed by name:\n%s", post(card.ID))
			}
			if !strings.Contains(post(msg.ID), `<strong class="post-author">`+f.Buyer.Name+`</strong>`) || !strings.Contains(post(msg.ID), "请联系 "+f.Buyer2.Email) {
				t.Errorf("message: author not by name, or the member's words changed:\n%s", post(msg.ID))
			}
			if !strings.Contains(post(keyed.ID), f.Buyer2.Name) {
				t.Errorf("keyed post does not name its actor:\n%s", post(keyed.ID))
			}
		})
		t.Run("BridgesPage/"+lang, func(t *testing.T) {
			status, page, _ := e.callIn(wBuyer, lang, "GET", "/groups/"+grp+"/bridges", "", nil)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			log := between(t, page, `<table class="list deliveries">`, `</table>`)
			noAddress(t, "deliveries", log)
			for _, name := range []string{f.UserA.Name, f.Buyer.Name} {
				if !strings.Contains(log, name) {
					t.Errorf("deliveries do not name %s:\n%s", name, log)
				}
			}
		})
	}
	t.Run("API", func(t *testing.T) {
		status, body, _ := e.callIn(wBuyer, "zh-CN", "GET", "/api/v1/groups/"+grp+"/posts", "", nil)
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		noAddress(t, "posts", body)
		status, body, _ = e.callIn(wBuyer, "zh-CN", "GET", fmt.Sprintf("/api/v1/bridges/%d/deliveries", br.ID), "", nil)
		if status != 200 {
			t.Fatalf("deliveries status %d: %s", status, body)
		}
		noAddress(t, "deliveries", body)
	})
	t.Run("ConflictNamesWhoActed", func(t *testing.T) {
		status, body, _ := e.callIn(wPartner, "zh-CN", "POST", fmt.Sprintf("/api/v1/cards/%d/actions", card.ID), `{"action":"acknowledge"}`, nil)
		if status != 409 || !strings.Contains(body, f.UserA.Name+" 已于") {
			t.Fatalf("second answer: %d %s", status, body)
		}
		noAddress(t, "conflict", body)
	})
	t.Run("OutgoingTexts", func(t *testing.T) {
		d, err := f.Groups.SendTest(buyer, br.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Groups.Post(buyer, g.ID, groups.PostInput{Body: "新消息"}); err != nil {
			t.Fatal(err)
		}
		rows, err := c.Delivery.Query().Where(delivery.BridgeID(br.ID), delivery.IDGTE(d.ID)).All(sys)
		if err != nil || len(rows) != 2 {
			t.Fatalf("deliveries %d, %v", len(rows), err)
		}
		for _, r := range rows {
			if !strings.Contains(r.Text, f.Buyer.Name) || addressIn.MatchString(r.Text) {
				t.Errorf("stored outgoing text %q does not name the buyer", r.Text)
			}
		}
	})
}
