package wecom_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomfollow"
	"github.com/tierlink/tierlink/ent/wecomsync"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

const (
	corpID        = "wwtierlink"
	contactSecret = "contact-secret-do-not-log"
	agentSecret   = "agent-secret-do-not-log"
	batchPath     = "/cgi-bin/externalcontact/batch/get_by_user"
	tokenPath     = "/cgi-bin/gettoken"
)

// env is a company in a real database, a WeCom simulator, and the sync
// between them.
type env struct {
	f     *partnerstest.Fixture
	sim   *wecomsim.Server
	api   *wecom.Client
	svc   *wecom.Service
	staff map[string]int // WeCom userid → Tierlink user, for linked members
}

// newEnv starts a simulator with members u00…u(members-1); the first
// linked of them are Tierlink buyers with the same e-mail (linked on sync
// by e-mail). withAgent gives the client the app secret user/get needs.
func newEnv(t *testing.T, members, linked int, withAgent bool) *env {
	t.Helper()
	f := partnerstest.New(t, dialect.SQLite)
	sim := wecomsim.New(corpID, contactSecret, agentSecret)
	t.Cleanup(sim.Close)
	e := &env{f: f, sim: sim, staff: map[string]int{}}
	for i := range members {
		uid := fmt.Sprintf("u%02d", i)
		email := uid + "@co.test"
		sim.AddMember(wecomsim.Member{UserID: uid, Name: "Member " + uid, Email: email, Follow: true})
		if i < linked {
			u, err := f.Acc.CreateUser(f.System(), accounts.UserInput{Email: email, Name: "Buyer " + uid, Role: "buyer", Password: partnerstest.Password})
			if err != nil {
				t.Fatal(err)
			}
			e.staff[uid] = u.ID
		}
	}
	cfg := wecom.Config{CorpID: corpID, ContactSecret: contactSecret, APIBase: sim.URL()}
	if withAgent {
		cfg.AgentSecret, cfg.AgentID = agentSecret, "1000002"
	}
	api, err := wecom.NewClient(cfg, f.DB.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	api.Backoff = wecom.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond, Retries: 5}
	e.api = api
	e.svc = wecom.NewService(f.DB.Client, api, f.Dir, nil)
	return e
}

func (e *env) sync(t *testing.T) wecom.SyncResult {
	t.Helper()
	res, err := e.svc.Sync(e.f.System())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return res
}

// seed adds n contacts; contact i is followed by u(i%members), added at
// base+i minutes, and every tenth also by u((i+7)%members) an hour
// earlier. Its corp: i%4 == 0 the full name of partner A, 1 partner B's
// name in other case as corp_name, 2 a corp mapped to B, 3 a WeChat user
// with no corp (unmatched).
func (e *env) seed(n, members int) {
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	// Tags etTAG0 and etTAG1 are named in the corp list; etTAG2 is not.
	e.sim.AddTagGroup(wecomsim.TagGroup{GroupID: "etGROUP", GroupName: "客户等级", Tag: []wecomsim.Tag{
		{ID: "etTAG0", Name: "重点供应商"}, {ID: "etTAG1", Name: "新客户"}}})
	for i := range n {
		c := wecomsim.Contact{ExternalUserID: ext(i), Name: fmt.Sprintf("联系人%d", i), Type: 2, Position: "销售经理",
			Follows: []wecomsim.Follow{{UserID: fmt.Sprintf("u%02d", i%members), CreateTime: base.Add(time.Duration(i) * time.Minute).Unix(),
				Remark: fmt.Sprintf("备注%d", i), TagIDs: []string{"etTAG" + fmt.Sprint(i%3)}}}}
		switch i % 4 {
		case 0:
			c.CorpName, c.CorpFullName = "华星", e.f.PartnerA.Name
		case 1:
			c.CorpName = strings.ToUpper(e.f.PartnerB.Name)
		case 2:
			c.CorpName, c.CorpFullName = "Bravo", "Bravo Holdings (Shenzhen) Co., Ltd."
		case 3:
			c.Type = 1
		}
		if i%10 == 0 {
			c.Follows = append(c.Follows, wecomsim.Follow{UserID: fmt.Sprintf("u%02d", (i+7)%members),
				CreateTime: base.Add(time.Duration(i)*time.Minute - time.Hour).Unix()})
		}
		e.sim.AddContact(c)
	}
}

func ext(i int) string { return fmt.Sprintf("wmEXT%05d", i) }

// wantOwner applies the documented owner rule to seed's data on its own:
// the linked follower who added the contact first.
func (e *env) wantOwner(i, members int) int {
	first, second := fmt.Sprintf("u%02d", i%members), fmt.Sprintf("u%02d", (i+7)%members)
	if i%10 == 0 {
		if id, ok := e.staff[second]; ok {
			return id
		}
	}
	return e.staff[first]
}

func (e *env) contactByExt(t *testing.T, x string) *ent.WecomContact {
	t.Helper()
	wc, err := e.f.DB.Client.WecomContact.Query().Where(wecomcontact.ExternalUserid(x)).
		WithFollows().Only(e.f.System())
	if err != nil {
		t.Fatalf("%s: %v", x, err)
	}
	return wc
}

func TestSync5000ContactsOver20Staff(t *testing.T) {
	const n, members, linked = 5000, 20, 12
	e := newEnv(t, members, linked, true)
	e.seed(n, members)
	if err := e.svc.MapCorp(e.f.System(), "  BRAVO Holdings (Shenzhen) Co., Ltd. ", e.f.PartnerB.ID); err != nil {
		t.Fatal(err)
	}
	ctx := e.f.System()
	db := e.f.DB.Client
	contactsBefore := db.Contact.Query().CountX(ctx)

	res := e.sync(t)
	t.Logf("first sync: %s", res.Report())
	if res.StaffLinked != linked {
		t.Fatalf("staff linked = %d, want %d (by e-mail)", res.StaffLinked, linked)
	}
	for uid, id := range e.staff {
		u := db.User.GetX(ctx, id)
		if u.WecomUserid == nil || *u.WecomUserid != uid {
			t.Fatalf("user %d wecom_userid = %v, want %s", id, u.WecomUserid, uid)
		}
	}
	// 5,000 contacts, 500 with a second follower: 5,500 entries over
	// pages of at most 100.
	if got := db.WecomContact.Query().CountX(ctx); got != n {
		t.Fatalf("%d WeCom contacts stored, want %d", got, n)
	}
	if got := db.WecomFollow.Query().CountX(ctx); got != n+n/10 {
		t.Fatalf("%d follows stored, want %d", got, n+n/10)
	}
	if res.Entries != n+n/10 || res.Pages < (n+n/10)/100 || res.Created != n || res.Changed != 0 {
		t.Fatalf("result %+v", res)
	}
	if calls := e.sim.Calls(batchPath); calls != res.Pages {
		t.Fatalf("%d batch calls for %d pages", calls, res.Pages)
	}
	if run := db.WecomSync.GetX(ctx, res.RunID); run.State != wecomsync.StateDone || run.FinishedAt == nil {
		t.Fatalf("run %+v", run)
	}

	// Every contact checked against the rules, computed independently.
	wcs := db.WecomContact.Query().WithFollows().WithContact().AllX(ctx)
	linkedWant, unmatched := 0, 0
	for _, wc := range wcs {
		var i int
		fmt.Sscanf(wc.ExternalUserid, "wmEXT%05d", &i)
		owner := e.wantOwner(i, members)
		switch i % 4 {
		case 0, 1, 2:
			wantPartner, wantRule := e.f.PartnerA.ID, "corp_full_name"
			switch i % 4 {
			case 1:
				wantPartner, wantRule = e.f.PartnerB.ID, "corp_name"
			case 2:
				wantPartner, wantRule = e.f.PartnerB.ID, "mapping"
			}
			if wc.PartnerID == nil || *wc.PartnerID != wantPartner || wc.Match != wantRule {
				t.Fatalf("%s partner %v by %q, want %d by %q", wc.ExternalUserid, wc.PartnerID, wc.Match, wantPartner, wantRule)
			}
			if owner == 0 {
				if wc.ContactID != nil {
					t.Fatalf("%s linked with no staff follower", wc.ExternalUserid)
				}
				continue
			}
			linkedWant++
			ct := wc.Edges.Contact
			if ct == nil || ct.OwnerID != owner || ct.PartnerID != wantPartner || ct.Name != wc.Name || ct.Title != "销售经理" {
				t.Fatalf("%s directory contact %+v, want owner %d partner %d", wc.ExternalUserid, ct, owner, wantPartner)
			}
		case 3:
			unmatched++
			if wc.PartnerID != nil || wc.ContactID != nil || wc.Kind != wecomcontact.KindWechat {
				t.Fatalf("%s should wait unmatched: %+v", wc.ExternalUserid, wc)
			}
		}
		// Remark, tags and add time are the owner's follow's (u07's,
		// tagless, when it owns a doubly followed contact).
		if len(wc.Edges.Follows) != 1+btoi(i%10 == 0) || wc.AddedAt == nil || (len(wc.Tags) == 0) != (i%10 == 0 && owner != 0 && owner == e.staff[fmt.Sprintf("u%02d", (i+7)%members)]) {
			t.Fatalf("%s follows %d, added %v, tags %v", wc.ExternalUserid, len(wc.Edges.Follows), wc.AddedAt, wc.Tags)
		}
	}
	for i, want := range map[int]string{1: "新客户", 3: "重点供应商", 5: "etTAG2"} {
		if f := e.contactByExt(t, ext(i)).Edges.Follows[0]; len(f.Tags) != 1 || f.Tags[0] != want {
			t.Fatalf("contact %d follow tags %v, want [%s]", i, f.Tags, want)
		}
	}
	if res.Linked != linkedWant || res.Unmatched != unmatched || unmatched != n/4 {
		t.Fatalf("linked %d (want %d), unmatched %d (want %d)", res.Linked, linkedWant, res.Unmatched, unmatched)
	}
	if got := db.Contact.Query().CountX(ctx); got != contactsBefore+linkedWant {
		t.Fatalf("directory has %d contacts, want %d", got, contactsBefore+linkedWant)
	}

	t.Run("SecondRunChangesNothing", func(t *testing.T) {
		skip := []string{"wecom_syncs", "wecom_contacts", "wecom_follows"}
		before := e.f.Snapshot(t, skip...)
		type row struct {
			updated time.Time
			partner *int
			contact *int
		}
		rows := map[string]row{}
		for _, wc := range db.WecomContact.Query().AllX(ctx) {
			rows[wc.ExternalUserid] = row{wc.UpdatedAt, wc.PartnerID, wc.ContactID}
		}
		followUpdated := map[int]time.Time{}
		for _, f := range db.WecomFollow.Query().AllX(ctx) {
			followUpdated[f.ID] = f.UpdatedAt
		}
		again := e.sync(t)
		if again.Created != 0 || again.Changed != 0 || again.Removed != 0 || again.Linked != 0 || again.Reowned != 0 || again.StaffLinked != 0 {
			t.Fatalf("second run did something: %s", again.Report())
		}
		e.f.Unchanged(t, before, skip...)
		for _, wc := range db.WecomContact.Query().AllX(ctx) {
			r := rows[wc.ExternalUserid]
			if !r.updated.Equal(wc.UpdatedAt) || deref(r.partner) != deref(wc.PartnerID) || deref(r.contact) != deref(wc.ContactID) {
				t.Fatalf("%s changed on the second run: %+v vs %+v", wc.ExternalUserid, r, wc)
			}
		}
		for _, f := range db.WecomFollow.Query().AllX(ctx) {
			if !followUpdated[f.ID].Equal(f.UpdatedAt) {
				t.Fatalf("follow %d changed on the second run", f.ID)
			}
		}
	})

	t.Run("RemovedInWeComIsMarkedNotDeleted", func(t *testing.T) {
		gone := ext(4) // partner A, linked
		before := e.contactByExt(t, gone)
		if before.ContactID == nil {
			t.Fatal("fixture: contact 4 should be linked")
		}
		e.sim.RemoveContact(gone)
		res := e.sync(t)
		if res.Removed != 1 {
			t.Fatalf("removed = %d, want 1", res.Removed)
		}
		after := e.contactByExt(t, gone)
		if after.RemovedAt == nil || after.ContactID == nil || *after.ContactID != *before.ContactID {
			t.Fatalf("after removal: %+v", after)
		}
		for _, f := range after.Edges.Follows {
			if f.RemovedAt == nil {
				t.Fatalf("follow %s of a removed contact not marked", f.Userid)
			}
		}
		if !db.Contact.Query().Where(contact.ID(*before.ContactID)).ExistX(ctx) {
			t.Fatal("the directory contact was deleted")
		}
		// Added back: the same rows come back to life.
		e.sim.AddContact(wecomsim.Contact{ExternalUserID: gone, Name: before.Name, Type: 2, Position: "销售经理",
			CorpName: "华星", CorpFullName: e.f.PartnerA.Name, Follows: []wecomsim.Follow{{UserID: "u04", CreateTime: 1767603840}}})
		e.sync(t)
		back := e.contactByExt(t, gone)
		if back.RemovedAt != nil || back.ID != before.ID || *back.ContactID != *before.ContactID {
			t.Fatalf("re-added: %+v", back)
		}
	})

	t.Run("OwnerRuleOnUnfollow", func(t *testing.T) {
		// Contact 20 is followed by u00 (added first… no: u07 an hour
		// earlier) and u00; both linked, so u07 owns it. u07 stops
		// following: the ledger hands it to u00.
		x := ext(20)
		wc := e.contactByExt(t, x)
		ct := db.Contact.GetX(ctx, *wc.ContactID)
		if ct.OwnerID != e.staff["u07"] {
			t.Fatalf("owner %d, want u07's %d", ct.OwnerID, e.staff["u07"])
		}
		e.sim.RemoveFollow(x, "u07")
		res := e.sync(t)
		if res.Reowned != 1 {
			t.Fatalf("reowned %d, want 1", res.Reowned)
		}
		if got := db.Contact.GetX(ctx, ct.ID).OwnerID; got != e.staff["u00"] {
			t.Fatalf("owner after unfollow %d, want u00's %d", got, e.staff["u00"])
		}
		tr := db.ContactTransfer.Query().Where(contacttransfer.ContactID(ct.ID)).OnlyX(ctx)
		if tr.FromOwnerID != e.staff["u07"] || tr.ToOwnerID != e.staff["u00"] || tr.State != contacttransfer.StateDone {
			t.Fatalf("ledger entry %+v", tr)
		}
		f := db.WecomFollow.Query().Where(wecomfollow.WecomContactID(wc.ID), wecomfollow.Userid("u07")).OnlyX(ctx)
		if f.RemovedAt == nil {
			t.Fatal("the unfollow was not marked")
		}
	})

	t.Run("AssignUnmatched", func(t *testing.T) {
		x := ext(3) // a WeChat user, unmatched, followed by u03 (linked)
		if err := e.svc.AssignUnmatched(e.f.Ctx(e.f.Buyer), x, e.f.PartnerB.ID); err != nil {
			t.Fatal(err)
		}
		wc := e.contactByExt(t, x)
		if wc.PartnerID == nil || *wc.PartnerID != e.f.PartnerB.ID || wc.Match != "manual" || wc.ContactID == nil {
			t.Fatalf("assigned: %+v", wc)
		}
		if got := db.Contact.GetX(ctx, *wc.ContactID); got.OwnerID != e.staff["u03"] || got.PartnerID != e.f.PartnerB.ID {
			t.Fatalf("directory contact %+v", got)
		}
		partnerstest.WantCode(t, e.svc.AssignUnmatched(e.f.Ctx(e.f.Buyer), x, e.f.PartnerA.ID), partners.EConflict)
		if err := e.svc.AssignUnmatched(e.f.Ctx(e.f.UserA), ext(7), e.f.PartnerA.ID); err == nil {
			t.Fatal("a partner user assigned a WeCom contact")
		}
		if wc := e.contactByExt(t, ext(7)); wc.PartnerID != nil {
			t.Fatal("a refused assignment was stored")
		}
	})
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSyncTokenExpiresMidRun(t *testing.T) {
	e := newEnv(t, 5, 5, false)
	e.seed(1200, 5)
	// The token dies after the follow list and four pages.
	e.sim.ExpireTokensAfter(5)
	res := e.sync(t)
	if res.Entries != 1200+120 {
		t.Fatalf("entries %d", res.Entries)
	}
	// gettoken: the first token, and exactly one refresh after 42001.
	if got := e.sim.Calls(tokenPath); got != 2 {
		t.Fatalf("gettoken called %d times, want 2", got)
	}
	if got := e.sim.Calls(batchPath); got != res.Pages+1 {
		t.Fatalf("%d batch calls for %d pages, want one refused call more", got, res.Pages)
	}
	ctx := e.f.System()
	if got := e.f.DB.Client.WecomContact.Query().CountX(ctx); got != 1200 {
		t.Fatalf("%d contacts", got)
	}
}

func TestSyncBacksOffOnFrequencyLimit(t *testing.T) {
	e := newEnv(t, 5, 5, false)
	e.seed(1000, 5)
	ctx := e.f.System()
	db := e.f.DB.Client

	t.Run("RetriesAndCompletes", func(t *testing.T) {
		e.sim.FailAfter(batchPath, 3, wecomsim.ErrFrequencyLimit, 4)
		res := e.sync(t)
		if got := e.sim.Calls(batchPath); got != res.Pages+4 {
			t.Fatalf("%d batch calls for %d pages, want 4 refused more", got, res.Pages)
		}
		if got := db.WecomContact.Query().CountX(ctx); got != 1000 {
			t.Fatalf("%d contacts, want 1000", got)
		}
		if got := db.WecomFollow.Query().CountX(ctx); got != 1100 {
			t.Fatalf("%d follows, want 1100", got)
		}
	})

	t.Run("GivesUpThenResumesFromCursor", func(t *testing.T) {
		// A limit longer than the back-off: the run stops at page 6 and
		// the next Sync resumes there rather than starting over.
		e.sim.EditContact(ext(999), func(c *wecomsim.Contact) { c.Name = "改名" })
		e.sim.FailAfter(batchPath, 5, wecomsim.ErrFrequencyLimit, 100)
		_, err := e.svc.Sync(ctx)
		if wecom.Code(err) != wecomsim.ErrFrequencyLimit {
			t.Fatalf("err = %v, want 45009 after the retries", err)
		}
		if strings.Contains(err.Error(), contactSecret) {
			t.Fatal("the secret is in an error")
		}
		run := db.WecomSync.Query().Where(wecomsync.StateEQ(wecomsync.StateRunning)).OnlyX(ctx)
		if run.Pages != 5 || run.Cursor == "" || run.Error == "" {
			t.Fatalf("paused run %+v", run)
		}
		e.sim.FailNext(batchPath, 0, 0)
		calls := e.sim.Calls(batchPath)
		res := e.sync(t)
		if !res.Resumed || res.RunID != run.ID {
			t.Fatalf("did not resume: %+v", res)
		}
		if got := e.sim.Calls(batchPath) - calls; got != res.Pages-5 {
			t.Fatalf("resumed run read %d pages, want the %d left", got, res.Pages-5)
		}
		if got := db.WecomContact.Query().CountX(ctx); got != 1000 {
			t.Fatalf("%d contacts after resume", got)
		}
		if e.contactByExt(t, ext(999)).Name != "改名" {
			t.Fatal("the change after the cursor was not applied")
		}
	})

	t.Run("KilledRunResumesOnceStale", func(t *testing.T) {
		e.sim.FailAfter(batchPath, 4, wecomsim.ErrFrequencyLimit, 100)
		if _, err := e.svc.Sync(ctx); err == nil {
			t.Fatal("the sync did not stop")
		}
		// As an instance killed right after a page leaves it: running,
		// with a fresh heartbeat.
		db.WecomSync.Update().Where(wecomsync.StateEQ(wecomsync.StateRunning)).SetHeartbeatAt(time.Now()).ExecX(ctx)
		e.sim.FailNext(batchPath, 0, 0)
		_, err := e.svc.Sync(ctx)
		partnerstest.WantCode(t, err, partners.EConflict)
		e.svc.SetClock(func() time.Time { return time.Now().Add(6 * time.Minute) })
		defer e.svc.SetClock(time.Now)
		res := e.sync(t)
		if !res.Resumed || res.Pages != db.WecomSync.GetX(ctx, res.RunID).Pages {
			t.Fatalf("not resumed: %+v", res)
		}
		if got := db.WecomContact.Query().CountX(ctx); got != 1000 {
			t.Fatalf("%d contacts after the resumed run", got)
		}
		if n := db.WecomContact.Query().Where(wecomcontact.RemovedAtNotNil()).CountX(ctx); n != 0 {
			t.Fatalf("%d contacts marked removed by a resumed run", n)
		}
	})

	t.Run("RunningSyncRefusesASecond", func(t *testing.T) {
		run := db.WecomSync.Create().SetFollowUsers([]string{"u00"}).SaveX(ctx)
		_, err := e.svc.Sync(ctx)
		partnerstest.WantCode(t, err, partners.EConflict)
		db.WecomSync.UpdateOne(run).SetState(wecomsync.StateFailed).ExecX(ctx)
	})
}

func TestTokenSharedByInstances(t *testing.T) {
	e := newEnv(t, 1, 0, false)
	ctx := e.f.System()
	other, err := wecom.NewClient(e.api.Config(), e.f.DB.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 20)
	for i := range 20 {
		c := e.api
		if i%2 == 1 {
			c = other
		}
		go func() {
			tok, err := c.AccessToken(context.WithoutCancel(ctx), wecom.ContactSecret)
			if err != nil {
				tok = "error: " + err.Error()
			}
			done <- tok
		}()
	}
	var toks []string
	for range 20 {
		toks = append(toks, <-done)
	}
	slices.Sort(toks)
	if toks[0] != toks[19] || strings.HasPrefix(toks[0], "error") {
		t.Fatalf("instances hold different tokens: %v", slices.Compact(toks))
	}
	if got := e.sim.TokensIssued(); got != 1 {
		t.Fatalf("%d tokens issued, want 1", got)
	}
	rows := e.f.DB.Client.WecomToken.Query().AllX(ctx)
	if len(rows) != 1 || !strings.HasPrefix(rows[0].Key, corpID+":contact:") || rows[0].Token != toks[0] {
		t.Fatalf("stored tokens %v", rows)
	}

	t.Run("SecondInstanceReadsTheStore", func(t *testing.T) {
		calls := e.sim.Calls(tokenPath)
		tok, err := other.AccessToken(ctx, wecom.ContactSecret)
		if err != nil || tok != toks[0] || e.sim.Calls(tokenPath) != calls {
			t.Fatalf("token %q err %v, gettoken calls %d → %d", tok, err, calls, e.sim.Calls(tokenPath))
		}
	})

	t.Run("RefreshedAheadOfExpiry", func(t *testing.T) {
		calls := e.sim.Calls(tokenPath)
		e.api.Tokens().SetClock(func() time.Time { return time.Now().Add(wecomsim.TokenLifetime - 4*time.Minute) })
		defer e.api.Tokens().SetClock(time.Now)
		if _, err := e.api.AccessToken(ctx, wecom.ContactSecret); err != nil {
			t.Fatal(err)
		}
		if e.sim.Calls(tokenPath) != calls+1 {
			t.Fatal("a token 4 minutes from expiry was not refreshed")
		}
		row := e.f.DB.Client.WecomToken.Query().OnlyX(ctx)
		if row.Version != 2 {
			t.Fatalf("version %d after one refresh", row.Version)
		}
	})

	t.Run("InvalidTokenDroppedAndRetriedOnce", func(t *testing.T) {
		e.sim.InvalidateTokens()
		if _, err := e.api.FollowUsers(ctx); err != nil {
			t.Fatalf("40014 not recovered: %v", err)
		}
		// Twice in a row: the retry is once only, and the error says why.
		e.sim.FailNext("/cgi-bin/externalcontact/get_follow_user_list", wecomsim.ErrInvalidToken, 2)
		_, err := e.api.FollowUsers(ctx)
		if wecom.Code(err) != wecomsim.ErrInvalidToken {
			t.Fatalf("err = %v, want 40014 after one retry", err)
		}
	})

	t.Run("SecretsNeverShown", func(t *testing.T) {
		bad, err := wecom.NewClient(wecom.Config{CorpID: corpID, ContactSecret: "wrong-secret-xyz", APIBase: e.sim.URL()}, e.f.DB.Client, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.AccessToken(ctx, wecom.ContactSecret)
		if wecom.Code(err) != wecomsim.ErrInvalidSecret || strings.Contains(err.Error(), "wrong-secret-xyz") {
			t.Fatalf("err = %v", err)
		}
		// A transport error names the URL; the secret is cut from it.
		down := wecomsim.New(corpID, "down-secret-xyz")
		down.Close()
		gone, err := wecom.NewClient(wecom.Config{CorpID: corpID, ContactSecret: "down-secret-xyz", APIBase: down.URL()}, e.f.DB.Client, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = gone.AccessToken(ctx, wecom.ContactSecret)
		if err == nil || strings.Contains(err.Error(), "down-secret-xyz") || !strings.Contains(err.Error(), "corpsecret=…") {
			t.Fatalf("err = %v", err)
		}
		if err := wecom.UseAPIBase(e.sim.URL()); err != nil {
			t.Fatal(err)
		}
		cfg := e.api.Config()
		cfg.AgentSecret, cfg.CallbackAESKey = "agent-xyz", "aeskey-xyz"
		if s := fmt.Sprintf("%v %s", cfg, cfg); strings.Contains(s, "xyz") || strings.Contains(s, contactSecret) {
			t.Fatalf("config printed with a secret: %s", s)
		}
	})
}

func TestLinkStaffByHand(t *testing.T) {
	e := newEnv(t, 1, 0, false)
	ctx := e.f.Ctx(e.f.Admin)
	if err := e.svc.LinkStaff(ctx, e.f.Buyer.ID, "zhangsan"); err != nil {
		t.Fatal(err)
	}
	u := e.f.DB.Client.User.Query().Where(user.ID(e.f.Buyer.ID)).OnlyX(e.f.System())
	if u.WecomUserid == nil || *u.WecomUserid != "zhangsan" {
		t.Fatalf("wecom_userid %v", u.WecomUserid)
	}
	partnerstest.WantField(t, e.svc.LinkStaff(ctx, e.f.Buyer2.ID, "zhangsan"), partners.EConflict, "wecom_userid")
	if err := e.svc.LinkStaff(ctx, e.f.UserA.ID, "partneruser"); err == nil {
		t.Fatal("a partner user was linked as staff")
	}
}

func TestSyncRefusesEmptyMemberListWithContactsOnFile(t *testing.T) {
	e := newEnv(t, 2, 2, false)
	e.seed(30, 2)
	e.sync(t)
	for i := range 2 {
		uid := fmt.Sprintf("u%02d", i)
		e.sim.AddMember(wecomsim.Member{UserID: uid, Email: uid + "@co.test", Follow: false})
	}
	_, err := e.svc.Sync(e.f.System())
	partnerstest.WantCode(t, err, partners.EConflict)
	if n := e.f.DB.Client.WecomContact.Query().Where(wecomcontact.RemovedAtNotNil()).CountX(e.f.System()); n != 0 {
		t.Fatalf("%d contacts marked removed by an empty member list", n)
	}
}
