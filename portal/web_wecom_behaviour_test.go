package portal

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/scorecards"
)

// The owners' scorecard page shows WeCom's own figures of each owner
// beside Tierlink's, with their definitions, in both languages; says
// which owners are not linked or have no WeCom day in the period; says
// there is no WeCom data at all when no owner has any; and the owners'
// API carries the same figures.
func TestOwnersPageShowsWeComFigures(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	sys := e.f.System()
	// Vi Viewer owns a contact too: linked to WeCom, but no day read.
	if _, err := e.f.Dir.CreateContact(sys, directory.ContactInput{PartnerID: e.f.PartnerB.ID, Name: "Vera Bravo",
		Email: "vera@b.test", OwnerID: e.f.Viewer.ID}); err != nil {
		t.Fatal(err)
	}
	db := e.f.DB.Client
	for id, uid := range map[int]string{e.f.Buyer.ID: "bo.buyer", e.f.Viewer.ID: "vi.viewer"} {
		if err := db.User.UpdateOneID(id).SetWecomUserid(uid).Exec(sys); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("NoWeComData", func(t *testing.T) {
		for lang, want := range map[string]string{"en": "No WeCom data for this period: WeCom is not connected",
			"zh-CN": "本期没有企业微信数据"} {
			b := e.page(wBuyer, lang, "/scorecards/owners")
			if !strings.Contains(b, `id="owners-wecom-none">`+want) || strings.Contains(b, `id="owners-wecom-table"`) {
				t.Fatalf("%s: a page with no WeCom data lacks %q or shows a table of blanks", lang, want)
			}
			// The definitions are there all the same.
			if !strings.Contains(b, `id="owners-wecom-defs"`) {
				t.Fatalf("%s: no definitions", lang)
			}
		}
	})

	// One day of the current month (the page's default period) for Bo
	// Buyer, as the daily job stores it.
	day := time.Now().UTC().Format("2006-01") + "-01"
	rp, art := 50.0, 30
	if err := db.WecomBehaviour.Create().SetUserid("bo.buyer").SetDay(day).SetChatCnt(4).SetMessageCnt(20).SetReplyPercentage(rp).
		SetAvgReplyTime(art).SetNewContactCnt(2).SetNegativeFeedbackCnt(1).SetNewChatCnt(1).SetChatTotal(3).SetChatHasMsg(2).
		SetNewMemberCnt(4).SetMemberTotal(30).SetMsgTotal(40).SetComplete(true).Exec(sys); err != nil {
		t.Fatal(err)
	}
	// A day read only in part (the job was cut short) is not shown.
	if err := db.WecomBehaviour.Create().SetUserid("vi.viewer").SetDay(day).SetChatTotal(9).Exec(sys); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		lang              string
		notLinked, noDays string
		want              []string
	}{
		{"en", "Not linked to a WeCom member", "No WeCom data for this period yet.", []string{"Chats replied", "Average first reply", "Deleted or blocked by", "1 day reported",
			`data-label="Chats">4</td>`, `data-label="Messages sent">20</td>`, `data-label="Chats replied">50%</td>`,
			`data-label="Average first reply">30 min</td>`, `data-label="New contacts">2</td>`, `data-label="Deleted or blocked by">1</td>`,
			`data-label="Customer groups">3 (1 new)</td>`, `data-label="Group members">30 (4 new)</td>`, `data-label="Group messages">40</td>`,
			"each day weighted by its number of chats", "group chats not included"}},
		{"zh-CN", "未关联企业微信成员", "本期暂无企业微信数据。", []string{"企业微信自身数据", "已统计 1 天", `data-label="聊天总数">4</td>`, `data-label="已回复聊天占比">50%</td>`,
			`data-label="平均首次回复时长">30 分钟</td>`, `data-label="删除/拉黑成员的客户数">1</td>`, `data-label="客户群">3（新增 1）</td>`,
			"企业微信数据说明", "每天按当天的聊天总数加权"}},
	} {
		t.Run("Figures_"+tc.lang, func(t *testing.T) {
			b := e.page(wBuyer, tc.lang, "/scorecards/owners")
			sec := b[strings.Index(b, `id="owners-wecom"`):]
			for _, w := range tc.want {
				if !strings.Contains(sec, w) {
					t.Errorf("%s: the WeCom section lacks %q", tc.lang, w)
				}
			}
			// Each owner's row: Bo's figures, Cai not linked, Vi linked
			// with no complete day.
			row := map[string]string{}
			for _, r := range strings.Split(sec[:strings.Index(sec, "</table>")], "<tr>") {
				for _, n := range []string{"Bo Buyer", "Cai Buyer", "Vi Viewer"} {
					if strings.Contains(r, `data-label="`) && strings.Contains(r, ">"+n) {
						row[n] = r
					}
				}
			}
			if !strings.Contains(row["Bo Buyer"], ">4</td>") || strings.Contains(row["Bo Buyer"], "wf-none") {
				t.Errorf("%s: Bo's row lacks his figures: %q", tc.lang, row["Bo Buyer"])
			}
			if !strings.Contains(row["Cai Buyer"], `class="wf-none">`+tc.notLinked) {
				t.Errorf("%s: Cai's row is not the not-linked case: %q", tc.lang, row["Cai Buyer"])
			}
			if !strings.Contains(row["Vi Viewer"], `class="wf-none">`+tc.noDays) {
				t.Errorf("%s: Vi's row shows a day read only in part, or is missing: %q", tc.lang, row["Vi Viewer"])
			}
		})
	}

	t.Run("API", func(t *testing.T) {
		resp, body := e.call(wBuyer, "GET", "/api/v1/scorecards/owners", "")
		if resp.StatusCode != 200 {
			t.Fatalf("owners API: %d %s", resp.StatusCode, body)
		}
		var l scorecards.OwnerList
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatal(err)
		}
		by := map[string]scorecards.Owner{}
		for _, o := range l.Items {
			by[o.Name] = o
		}
		bo, cai, vi := by["Bo Buyer"], by["Cai Buyer"], by["Vi Viewer"]
		if bo.WeComUserID != "bo.buyer" || bo.WeCom == nil || bo.WeCom.Days != 1 || bo.WeCom.ChatCnt != 4 ||
			bo.WeCom.ReplyPercentage == nil || *bo.WeCom.ReplyPercentage != 50 || bo.WeCom.AvgReplyMinutes == nil ||
			*bo.WeCom.AvgReplyMinutes != 30 || bo.WeCom.ChatTotal != 3 || bo.WeCom.MsgTotal != 40 {
			t.Fatalf("Bo's WeCom figures %+v (%s)", bo.WeCom, body)
		}
		if cai.WeComUserID != "" || cai.WeCom != nil || vi.WeComUserID != "vi.viewer" || vi.WeCom != nil {
			t.Fatalf("Cai %+v / Vi %+v: want not linked / linked with no figures", cai, vi)
		}
		if !strings.Contains(string(body), `"wecom":null`) {
			t.Fatalf("an owner without WeCom figures is not null: %s", body)
		}
	})
}
