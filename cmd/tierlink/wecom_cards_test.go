package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/wecomcard"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/callback"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// Through `tierlink serve`: a change request's cards go to the WeCom of
// its two deciders; one clicks "approve" in WeCom while the other
// approves the same card in the portal (the API). Exactly one wins, the
// loser gets the conflict, the request is decided once, and both WeCom
// cards end showing the same result.
func TestServeCardClickRacesPortalApproval(t *testing.T) {
	const corp, contactSec, agentSec, agent, token, key = "wwcards", "contact-secret-cards", "agent-secret-cards", "1000002",
		"callback-token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	sim := wecomsim.New(corp, contactSec, agentSec)
	defer sim.Close()
	sim.AddMember(wecomsim.Member{UserID: "wang.fang"})
	sim.AddMember(wecomsim.Member{UserID: "li.lei"})
	dir := t.TempDir()
	env := map[string]string{"TIERLINK_DATA_DIR": dir, "TIERLINK_ADDR": "127.0.0.1:0", "TIERLINK_LOG_LEVEL": "warn",
		"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": contactSec, "TIERLINK_WECOM_AGENT_SECRET": agentSec,
		"TIERLINK_WECOM_AGENT_ID": agent, "TIERLINK_WECOM_CALLBACK_TOKEN": token, "TIERLINK_WECOM_CALLBACK_AES_KEY": key,
		"TIERLINK_WECOM_API_BASE": sim.URL()}
	srv := serveInProcess(t, env)
	base := srv.Base
	c, err := callback.New(callback.Config{Token: token, EncodingAESKey: key, ReceiveID: corp})
	if err != nil {
		t.Fatal(err)
	}
	sim.SetApp(agent, base+"/wecom/callback", c)

	// A second instance on the same database makes the company and the
	// change request; its hooks queue the WeCom cards, which the serving
	// instance's dispatcher sends.
	db, err := database.Open(context.Background(), database.Target{Dialect: dialect.SQLite, Path: filepath.Join(dir, "tierlink.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := partnerstest.NewOn(t, db)
	api, err := wecom.NewClient(wecom.Config{CorpID: corp, AgentID: agent, AgentSecret: agentSec, ContactSecret: contactSec, APIBase: sim.URL()}, db.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	wecom.NewCards(db.Client, api, f.Groups, nil, nil)
	sys := f.System()
	db.Client.User.UpdateOneID(f.Buyer.ID).SetWecomUserid("wang.fang").SetLocale("zh-CN").ExecX(sys)
	db.Client.User.UpdateOneID(f.Buyer2.ID).SetWecomUserid("li.lei").SetLocale("en").ExecX(sys)
	if _, err := f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "华星", Kind: "partner", PartnerID: f.PartnerA.ID,
		ContactIDs: []int{f.ContactA.ID}, UserIDs: []int{f.Buyer2.ID}}); err != nil {
		t.Fatal(err)
	}
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-SERVE", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: "2026-12-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Acknowledge(f.Ctx(f.UserA), o.ID, orders.AckInput{Lines: []orders.AckLine{
		{LineNo: 1, Action: "change", PromisedDate: "2026-12-15"}}}); err != nil {
		t.Fatal(err)
	}
	cr := db.Client.ChangeRequest.Query().Where(changerequest.OrderID(o.ID)).OnlyX(sys)
	cardID := db.Client.Post.Query().Where(post.CardKind(groups.CardChangeRequest), post.SubjectID(cr.ID)).FirstIDX(sys)
	tok, err := f.Acc.CreateToken(f.Ctx(f.Buyer), accounts.TokenInput{Name: "race"})
	if err != nil {
		t.Fatal(err)
	}
	cards := func() map[string]*ent.WecomCard {
		out := map[string]*ent.WecomCard{}
		for _, r := range db.Client.WecomCard.Query().Where(wecomcard.SubjectID(cr.ID)).AllX(sys) {
			out[r.Userid] = r
		}
		return out
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never happened\n%s", what, srv.Log())
			}
		}
	}
	waitFor("both cards sent", func() bool {
		rs := cards()
		return len(rs) == 2 && rs["wang.fang"].State == wecomcard.StateSent && rs["li.lei"].State == wecomcard.StateSent
	})
	rs := cards()

	var wg sync.WaitGroup
	var portal int
	var portalErr, clickErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		portal, portalErr = apiDo(base, tok.Secret, "POST", fmt.Sprintf("/api/v1/cards/%d/actions", cardID), `{"action":"approve"}`, nil)
	}()
	go func() {
		defer wg.Done()
		_, _, clickErr = sim.Click("li.lei", rs["li.lei"].TaskID, "approve")
	}()
	wg.Wait()
	if portalErr != nil || clickErr != nil {
		t.Fatalf("portal %v, click %v", portalErr, clickErr)
	}
	var click *ent.WecomEvent
	waitFor("the click applied", func() bool {
		click, _ = db.Client.WecomEvent.Query().Where(wecomevent.Kind(string(wecom.EventTemplateCard))).Only(sys)
		return click != nil && click.State == wecomevent.StateApplied
	})
	winner := f.Buyer.ID
	switch {
	case portal == http.StatusOK && click.Result == wecom.ClickConflict:
	case portal == http.StatusConflict && click.Result == wecom.ClickActed:
		winner = f.Buyer2.ID
	default:
		t.Fatalf("portal %d, click %s: want exactly one winner", portal, click.Result)
	}
	got := db.Client.ChangeRequest.GetX(sys, cr.ID)
	if got.State != changerequest.StateApproved || got.DecidedByID == nil || *got.DecidedByID != winner {
		t.Fatalf("change request %s by %v, want approved by %d", got.State, got.DecidedByID, winner)
	}
	waitFor("both cards updated", func() bool {
		rs := cards()
		return rs["wang.fang"].State == wecomcard.StateClosed && rs["li.lei"].State == wecomcard.StateClosed
	})
	name := f.Buyer.Name
	if winner == f.Buyer2.ID {
		name = f.Buyer2.Name
	}
	rs = cards()
	for uid, want := range map[string]string{"wang.fang": "已批准 · " + name, "li.lei": "Approved · " + name} {
		if card, _ := sim.CardOf(rs[uid].TaskID); !strings.HasPrefix(card.Replaced, want) {
			t.Fatalf("%s's card shows %q, want %q…", uid, card.Replaced, want)
		}
	}
	t.Logf("portal %d, click %s", portal, click.Result)
	srv.Stop(t)
}
