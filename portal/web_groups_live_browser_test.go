package portal

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
)

// A buyer who reads times in Asia/Shanghai and the interface in Chinese,
// in a browser whose own zone is New York, has the group open while
// others write: a partner's message, a new order's card, the partner's
// answer that closes the card. Each live post reads exactly as the same
// post after a reload: the <time> (text and datetime), the author, the
// body's language, the card's actor and time.
func TestBrowserLivePostsMatchReload(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	vars := e.orderVars()
	f := e.f
	zone, lang := "Asia/Shanghai", "zh-CN"
	if _, err := f.Acc.UpdateMe(f.Ctx(f.Buyer), accounts.MeInput{Locale: &lang, TimeZone: &zone}); err != nil {
		t.Fatal(err)
	}
	gid := mustAtoi(t, vars["GRP"])
	ctx := browser(t, 1280, 900)
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	login(t, ctx, base, "/groups/"+vars["GRP"], f.Buyer.Email)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#feed[data-live="true"]`))); err != nil {
		t.Fatalf("feed not live: %v", err)
	}

	// Posts made elsewhere, through the services, by other people.
	msg, err := f.Groups.Post(f.Ctx(f.UserA), gid, groups.PostInput{Body: "实时消息：周五发货"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.Orders.Create(f.Ctx(f.Buyer2), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-LIVE-1",
		Currency: "CNY", Lines: []orders.LineInput{{ItemCode: "HX-9", Quantity: 2000, UnitPrice: 10000, RequiredDate: "2026-12-20"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(f.Ctx(f.Buyer2), o.ID); err != nil {
		t.Fatal(err)
	}
	feed, err := f.Groups.Posts(f.Ctx(f.Buyer), gid, groups.PostFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	card := 0
	for _, p := range feed.Items {
		if p.Card != nil && p.Card.Kind == groups.CardOrderAck && p.Card.SubjectID == o.ID {
			card = p.ID
		}
	}
	if card == 0 {
		t.Fatalf("no acknowledgement card for %s in %+v", o.Number, feed.Items)
	}
	if _, err := f.Groups.Act(f.Ctx(f.UserA), card, groups.ActionInput{Action: "acknowledge"}); err != nil {
		t.Fatal(err)
	}
	feed, err = f.Groups.Posts(f.Ctx(f.Buyer), gid, groups.PostFilter{Limit: 1})
	if err != nil || len(feed.Items) != 1 || feed.Items[0].EventKind != "order.acknowledged" {
		t.Fatalf("latest post = %+v, %v", feed.Items, err)
	}
	answer := feed.Items[0].ID
	ids := []int{msg.ID, card, answer}

	// read is what the page shows of a post.
	read := func(id int) string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(function () {
			var li = document.getElementById("post-%d");
			if (!li) { return ""; }
			var html = function (s) { var x = li.querySelector(s); return x ? x.outerHTML : ""; };
			var text = function (s) { var x = li.querySelector(s); return x ? x.textContent.trim() : ""; };
			return JSON.stringify({time: html(".post-time time"), author: text(".post-author"), body: text(".post-body"),
				cardTime: html(".card-time time"), actor: text(".card-actor"), outcome: text(".card-outcome")});
		})()`, id)))
		if err != nil {
			t.Fatalf("read post %d: %v", id, err)
		}
		return got
	}
	// The answered card arrives twice (open, then done); wait for the
	// last state of each.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#post-%d", msg.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#post-%d .card-done", card))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#post-%d", answer)))); err != nil {
		t.Fatalf("live posts never arrived: %v", err)
	}
	live := map[int]string{}
	for _, id := range ids {
		live[id] = read(id)
	}
	screenshot(t, ctx, "group-live-zone")
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#post-%d", answer)))); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if got := read(id); got != live[id] {
			t.Errorf("post %d live:\n  %s\nafter reload:\n  %s", id, live[id], got)
		}
	}
	t.Run("ZoneAndLanguage", func(t *testing.T) {
		want := time.Now().In(time.FixedZone("", 8*3600)).Format("2006-01-02")
		for _, id := range ids {
			if !strings.Contains(live[id], "UTC+8") || !strings.Contains(live[id], want) || !strings.Contains(live[id], `+08:00\"`) {
				t.Errorf("post %d is not in the reader's zone: %s", id, live[id])
			}
		}
		if !strings.Contains(live[answer], f.UserA.Name) || !strings.Contains(live[answer], "PO-LIVE-1") || strings.Contains(live[answer], "answered") {
			t.Errorf("answer post is not in Chinese with the actor's name: %s", live[answer])
		}
		if !strings.Contains(live[card], `"actor":"`+f.UserA.Name+`"`) {
			t.Errorf("card does not name who answered: %s", live[card])
		}
	})
}
