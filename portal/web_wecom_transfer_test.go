package portal

import (
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// TestWebWecomTransferStates: the ledger on the contact page shows each
// hand-over's WeCom state (waiting, with when it completes), and the
// transfers page lists the hand-overs WeCom refused for the supervisor,
// in the reader's language.
func TestWebWecomTransferStates(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	f := e.f
	sim := wecomsim.New("wwportal", "contact-secret")
	t.Cleanup(sim.Close)
	for _, m := range []string{"bo", "cai"} {
		sim.AddMember(wecomsim.Member{UserID: m, Follow: true})
	}
	// ContactA is a WeCom contact Bo follows; ContactA2 is linked to a
	// WeCom contact WeCom no longer knows (40096).
	sim.AddContact(wecomsim.Contact{ExternalUserID: "wmA", Name: "刘洋", Type: 1,
		Follows: []wecomsim.Follow{{UserID: "bo", CreateTime: time.Now().Add(-time.Hour).Unix()}}})
	sys := f.System()
	db := f.DB.Client
	if err := db.User.Update().Where(user.ID(f.Buyer.ID)).SetWecomUserid("bo").Exec(sys); err != nil {
		t.Fatal(err)
	}
	if err := db.User.Update().Where(user.ID(f.Buyer2.ID)).SetWecomUserid("cai").Exec(sys); err != nil {
		t.Fatal(err)
	}
	for x, ct := range map[string]int{"wmA": f.ContactA.ID, "wmGONE": f.ContactA2.ID} {
		if err := db.WecomContact.Create().SetExternalUserid(x).SetKind(wecomcontact.KindWechat).SetContactID(ct).
			SetPartnerID(f.PartnerA.ID).Exec(sys); err != nil {
			t.Fatal(err)
		}
	}
	api, err := wecom.NewClient(wecom.Config{CorpID: "wwportal", ContactSecret: "contact-secret", APIBase: sim.URL()}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	xf := wecom.NewTransfers(db, api, nil)
	f.Dir.OnHandedOver(xf.Plan)
	e.srv.deps.WeComTransfers = xf
	if _, err := f.Dir.Transfer(f.Ctx(f.Buyer), directory.TransferInput{ContactIDs: []int{f.ContactA.ID, f.ContactA2.ID},
		ToOwnerID: f.Buyer2.ID, Note: "交接"}); err != nil {
		t.Fatal(err)
	}
	if _, err := xf.Run(sys); err != nil {
		t.Fatal(err)
	}
	page := e.page(wBuyer, "zh-CN", "/contacts/"+itoa(f.ContactA.ID))
	for _, want := range []string{"企业微信: 等待接替（提交 24 小时后完成）", "预计完成"} {
		if !strings.Contains(page, want) {
			t.Errorf("contact page lacks %q", want)
		}
	}
	page = e.page(wBuyer, "en", "/transfers/new")
	rest := section(t, page, "wecom-failures-h", "section")
	for _, want := range []string{"Hand-overs WeCom refused or will refuse", f.ContactA2.Name, "refused by WeCom", "errcode 40096",
		`href="/contacts/` + itoa(f.ContactA2.ID) + `"`} {
		if !strings.Contains(rest, want) {
			t.Errorf("failures section lacks %q:\n%s", want, rest)
		}
	}
	if strings.Contains(rest, f.ContactA.Name) {
		t.Error("a waiting hand-over is listed as failing")
	}
}
