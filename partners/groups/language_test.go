package groups_test

import (
	"strings"
	"testing"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/orders"
)

// A system post is stored by key: the feed shows it in the reader's
// language, each group's bridges send it in the group's, and posts
// stored as text before keep their text.
func TestSystemPostsSpeakTheReadersLanguage(t *testing.T) {
	const (
		en = "answered order PO-L1: 2 lines, 0 with changes."
		zh = "已答复订单 PO-L1：2 行，其中 0 行要求变更。"
	)
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d)
			staff := w.Ctx(w.Buyer)
			english := i18n.English
			if _, err := w.Groups.Update(staff, w.Internal.ID, groups.GroupPatch{Language: &english}); err != nil {
				t.Fatal(err)
			}
			hooks := map[int]int{}
			for _, g := range []groups.Group{w.A, w.Internal} {
				br, err := w.Groups.CreateBridge(staff, g.ID, groups.BridgeInput{Kind: "webhook", Name: "ERP", URL: "http://127.0.0.1:9/hook"})
				if err != nil {
					t.Fatal(err)
				}
				hooks[g.ID] = br.ID
			}
			o := w.publish(t, "PO-L1")
			if _, err := w.Orders.Acknowledge(w.Ctx(w.UserA), o.ID, orders.AckInput{Lines: []orders.AckLine{
				{LineNo: 1, Action: "accept"}, {LineNo: 2, Action: "accept"}}}); err != nil {
				t.Fatal(err)
			}

			sent := func(g groups.Group) string {
				t.Helper()
				p, err := w.Groups.Deliveries(staff, hooks[g.ID], groups.DeliveryFilter{Limit: 200})
				if err != nil {
					t.Fatal(err)
				}
				var texts []string
				for _, d := range p.Items {
					texts = append(texts, d.Text)
				}
				return strings.Join(texts, "\n")
			}
			if s := sent(w.A); !strings.Contains(s, zh) || strings.Contains(s, en) {
				t.Errorf("the Chinese group's bridge sent:\n%s", s)
			}
			if s := sent(w.Internal); !strings.Contains(s, en) || strings.Contains(s, zh) {
				t.Errorf("the English group's bridge sent:\n%s", s)
			}

			ack := func(ps []groups.Post) groups.Post {
				t.Helper()
				for _, p := range ps {
					if p.EventKind == "order.acknowledged" {
						return p
					}
				}
				t.Fatalf("no acknowledgement post in %+v", ps)
				return groups.Post{}
			}
			if p := ack(w.feed(t, staff, w.A)); !strings.HasSuffix(p.Body, en) {
				t.Errorf("English reader: body %q", p.Body)
			}
			if p := ack(w.feed(t, i18n.WithLanguage(staff, "zh-Hans-CN"), w.A)); !strings.HasSuffix(p.Body, zh) {
				t.Errorf("Chinese reader: body %q", p.Body)
			}

			old, err := w.DB.Client.Post.Create().SetGroupID(w.A.ID).SetSeq(1 << 40).SetKind(post.KindSystem).
				SetBody("Legacy text.").SetBodyZh("旧文本。").Save(w.System())
			if err != nil {
				t.Fatal(err)
			}
			find := func(ps []groups.Post) groups.Post {
				for _, p := range ps {
					if p.ID == old.ID {
						return p
					}
				}
				t.Fatalf("the old post is not in the feed")
				return groups.Post{}
			}
			if p := find(w.feed(t, staff, w.A)); p.Body != "Legacy text." {
				t.Errorf("old post for an English reader: %q", p.Body)
			}
			if p := find(w.feed(t, i18n.WithLanguage(staff, i18n.Chinese), w.A)); p.Body != "旧文本。" {
				t.Errorf("old post for a Chinese reader: %q", p.Body)
			}
		})
	}
}
