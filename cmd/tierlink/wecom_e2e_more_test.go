package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/wecomcard"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/ent/wecomgrouptransfer"
	"github.com/tierlink/tierlink/ent/wecomlease"
	"github.com/tierlink/tierlink/ent/wecomtransfer"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/callback"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// The rest of issue 17's "end to end through `tierlink serve`": a
// callback storm, hand-overs ending in every WeCom state, and a card
// whose response_code expired.

const (
	moreToken = "callback-token"
	moreKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// inProcServe runs `tierlink serve` in this process (Main) with env and
// returns its base URL, a second client on its database (the fixture's
// company made on it) and a stop function that checks the exit code.
type inProcServe struct {
	base string
	f    *partnerstest.Fixture
	errb *bytes.Buffer
	stop func()
}

func startInProc(t *testing.T, env map[string]string) *inProcServe {
	t.Helper()
	dir := t.TempDir()
	env["TIERLINK_DATA_DIR"], env["TIERLINK_ADDR"], env["TIERLINK_LOG_LEVEL"] = dir, "127.0.0.1:0", "warn"
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
		Ready: func(a string) { addrc <- a }}
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"serve"}) }()
	s := &inProcServe{errb: &errb}
	select {
	case a := <-addrc:
		s.base = "http://" + a
	case code := <-done:
		cancel()
		t.Fatalf("serve exited %d: %s", code, errb.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exit %d: %s", code, errb.String())
		}
	}
	t.Cleanup(s.stop)
	db, err := database.Open(context.Background(), database.Target{Dialect: dialect.SQLite, Path: filepath.Join(dir, "tierlink.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s.f = partnerstest.NewOn(t, db)
	return s
}

// waitFor polls ok for up to d.
func (s *inProcServe) waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened\n%s", what, s.errb.String())
		}
	}
}

func stormChange(corp string, kind callback.ChangeType, user, ext string, at int64) *callback.ExternalContactChange {
	return &callback.ExternalContactChange{Header: callback.Header{ToUserName: corp, FromUserName: "sys", CreateTime: at,
		MsgType: "event", Event: string(callback.TypeExternalContact)}, ChangeType: kind, UserID: user, ExternalUserID: ext}
}

// Through `tierlink serve`: 1,000 encrypted change_external_contact
// callbacks (800 distinct events: add, edit, del_follow_user,
// del_external_contact over 100 contacts and 5 members, 200 of them
// sent twice), shuffled and posted by 16 senders at once. Each is
// answered "success" within WeCom's 5 s; every distinct event is stored
// once and applied; and the stored contacts and follows are exactly what
// WeCom holds at the end.
func TestServeWeComCallbackStorm(t *testing.T) {
	const corp, secret = "wwstorm", "contact-secret-storm"
	sim := wecomsim.New(corp, secret)
	defer sim.Close()
	s := startInProc(t, map[string]string{"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": secret,
		"TIERLINK_WECOM_CALLBACK_TOKEN": moreToken, "TIERLINK_WECOM_CALLBACK_AES_KEY": moreKey, "TIERLINK_WECOM_API_BASE": sim.URL(),
		"TIERLINK_JOB_SCHEDULES": neverSchedule})
	f := s.f
	sys := f.System()
	db := f.DB.Client
	members := []string{"m0", "m1", "m2", "m3", "m4"}
	for _, m := range members {
		sim.AddMember(wecomsim.Member{UserID: m, Name: m, Follow: true})
	}
	for uid, u := range map[string]int{"m0": f.Buyer.ID, "m1": f.Buyer2.ID, "m2": f.Admin.ID} {
		db.User.UpdateOneID(u).SetWecomUserid(uid).ExecX(sys)
	}
	rng := rand.New(rand.NewPCG(17, 71))
	base := time.Now().Add(-2 * time.Hour).Unix()
	type follow struct {
		at     int64
		remark string
	}
	var events []callback.Event
	final := map[string]map[string]follow{}
	for i := range 100 {
		ext := fmt.Sprintf("wmSSTORM%03d", i)
		state := map[string]follow{}
		for k := range 8 {
			at := base + int64(i*10+k)
			m := members[rng.IntN(len(members))]
			_, follows := state[m]
			switch {
			case !follows:
				state[m] = follow{at: at, remark: fmt.Sprintf("r%d", k)}
				events = append(events, stormChange(corp, callback.AddExternalContact, m, ext, at))
			case rng.IntN(2) == 0:
				fl := state[m]
				fl.remark = fmt.Sprintf("r%d", k)
				state[m] = fl
				events = append(events, stormChange(corp, callback.EditExternalContact, m, ext, at))
			default:
				delete(state, m)
				kind := callback.DelFollowUser
				if rng.IntN(2) == 0 {
					kind = callback.DelExternalContact
				}
				events = append(events, stormChange(corp, kind, m, ext, at))
			}
		}
		final[ext] = state
		if len(state) == 0 {
			continue
		}
		c := wecomsim.Contact{ExternalUserID: ext, Name: "联系人 " + ext, Type: 2, CorpName: "华星", CorpFullName: f.PartnerA.Name}
		for _, m := range members {
			if fl, ok := state[m]; ok {
				c.Follows = append(c.Follows, wecomsim.Follow{UserID: m, CreateTime: fl.at, Remark: fl.remark})
			}
		}
		sim.AddContact(c)
	}
	if len(events) != 800 {
		t.Fatalf("%d events", len(events))
	}
	posts := slices.Clone(events)
	for _, i := range rng.Perm(len(events))[:200] {
		posts = append(posts, events[i])
	}
	rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })

	crypto, err := callback.New(callback.Config{Token: moreToken, EncodingAESKey: moreKey, ReceiveID: corp})
	if err != nil {
		t.Fatal(err)
	}
	type sealed struct {
		query string
		body  []byte
	}
	bodies := make([]sealed, len(posts))
	// A resend is posted once its first copy has been answered, as WeCom
	// resends a callback it got no answer to: answered[i] closes when
	// post i is answered, and after[i] is the first copy's index (or -1).
	answered := make([]chan struct{}, len(posts))
	after := make([]int, len(posts))
	first := map[callback.Event]int{}
	for i, ev := range posts {
		answered[i] = make(chan struct{})
		after[i] = -1
		if j, ok := first[ev]; ok {
			after[i] = j
		} else {
			first[ev] = i
		}
		msg, err := callback.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := crypto.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = sealed{sv.Params().Query().Encode(), sv.Envelope(corp, "1000002")}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	var slowest time.Duration
	var failures []string
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if j := after[i]; j >= 0 {
					<-answered[j]
				}
				t0 := time.Now()
				resp, err := client.Post(s.base+"/wecom/callback?"+bodies[i].query, "text/xml", bytes.NewReader(bodies[i].body))
				took := time.Since(t0)
				var text string
				status := 0
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					text, status = string(b), resp.StatusCode
				}
				mu.Lock()
				slowest = max(slowest, took)
				if err != nil || status != http.StatusOK || text != "success" || took > 5*time.Second {
					failures = append(failures, fmt.Sprintf("post %d: %d %q %v in %v", i, status, text, err, took))
				}
				mu.Unlock()
				close(answered[i])
			}
		}()
	}
	for i := range bodies {
		next <- i
	}
	close(next)
	wg.Wait()
	posted := time.Since(start)
	if len(failures) > 0 {
		t.Fatalf("%d of 1,000 callbacks not answered success within 5 s, first: %s\n%s", len(failures), failures[0], s.errb.String())
	}
	s.waitFor(t, "every event applied", 30*time.Second, func() bool {
		n, err := db.WecomEvent.Query().Where(wecomevent.StateNEQ(wecomevent.StateApplied)).Count(sys)
		return err == nil && n == 0 && db.WecomEvent.Query().CountX(sys) == 800
	})
	t.Logf("1,000 callbacks posted in %v (slowest answer %v), all applied after %v", posted, slowest, time.Since(start))

	if n := db.WecomEvent.Query().CountX(sys); n != 800 {
		t.Fatalf("%d events stored, want the 800 distinct ones (a duplicate stores nothing)", n)
	}
	staff := map[string]bool{"m0": true, "m1": true, "m2": true}
	held := 0
	for ext, state := range final {
		wc, err := db.WecomContact.Query().Where(wecomcontact.ExternalUserid(ext)).WithFollows().Only(sys)
		if len(state) == 0 {
			if err == nil && wc.RemovedAt == nil {
				t.Errorf("%s: no follower left in WeCom, but the contact is active here", ext)
			}
			if err == nil {
				for _, fl := range wc.Edges.Follows {
					if fl.RemovedAt == nil {
						t.Errorf("%s: follow %s still active", ext, fl.Userid)
					}
				}
			}
			continue
		}
		held++
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if wc.RemovedAt != nil || wc.PartnerID == nil || *wc.PartnerID != f.PartnerA.ID {
			t.Errorf("%s: removed %v, partner %v", ext, wc.RemovedAt, wc.PartnerID)
		}
		// WeCom's final word, read from the simulator itself.
		want := sim.Followers(ext)
		var got []string
		byStaff := false
		for _, fl := range wc.Edges.Follows {
			if fl.RemovedAt != nil {
				continue
			}
			got = append(got, fl.Userid)
			byStaff = byStaff || staff[fl.Userid]
			if w := state[fl.Userid]; fl.Remark != w.remark || fl.AddedAt.Unix() != w.at {
				t.Errorf("%s/%s: remark %q added %d, want %q %d", ext, fl.Userid, fl.Remark, fl.AddedAt.Unix(), w.remark, w.at)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: followed by %v here, by %v in WeCom", ext, got, want)
		}
		if byStaff && wc.ContactID == nil {
			t.Errorf("%s: followed by staff but not in the directory", ext)
		}
	}
	if n := db.WecomContact.Query().Where(wecomcontact.RemovedAtIsNil()).CountX(sys); n != held {
		t.Errorf("%d active contacts on file, want the %d WeCom holds", n, held)
	}
	// The nightly reconcile, run now through the job API, is a full sync
	// against WeCom: after the storm it has nothing to correct.
	tok, err := f.Acc.CreateToken(f.Ctx(f.Admin), accounts.TokenInput{Name: "storm"})
	if err != nil {
		t.Fatal(err)
	}
	e := &wecomE2E{t: t, sim: sim, admin: tok.Secret, p: &proc{base: s.base, logs: s.errb}}
	_, outcome, report := e.runJob("wecom-reconcile", true, 30*time.Second)
	if outcome != "ok" || !strings.Contains(report, "0 contacts had drifted") || !strings.Contains(report, "0 pending (0 failing), 0 given up") {
		t.Fatalf("wecom-reconcile after the storm: %s: %s", outcome, report)
	}
	t.Logf("reconcile: %s", report)
	s.stop()
}

// Two copies of one callback arriving at the same moment (WeCom's resend
// racing the original, or two instances behind a load balancer) must
// both be answered "success" and store the event once.
// (ent reports the racing copy's skipped insert as sql.ErrNoRows, which
// StoreEvent once answered with a 500.)
func TestServeWeComCallbackDuplicateRace(t *testing.T) {
	const corp, secret = "wwrace", "contact-secret-race"
	sim := wecomsim.New(corp, secret)
	defer sim.Close()
	s := startInProc(t, map[string]string{"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": secret,
		"TIERLINK_WECOM_CALLBACK_TOKEN": moreToken, "TIERLINK_WECOM_CALLBACK_AES_KEY": moreKey, "TIERLINK_WECOM_API_BASE": sim.URL(),
		"TIERLINK_JOB_SCHEDULES": neverSchedule})
	sim.AddMember(wecomsim.Member{UserID: "m0", Name: "m0", Follow: true})
	crypto, err := callback.New(callback.Config{Token: moreToken, EncodingAESKey: moreKey, ReceiveID: corp})
	if err != nil {
		t.Fatal(err)
	}
	const n, copies = 50, 4
	at := time.Now().Add(-time.Hour).Unix()
	for i := range n {
		ext := fmt.Sprintf("wmRACE%03d", i)
		sim.AddContact(wecomsim.Contact{ExternalUserID: ext, Name: ext, Type: 1, Follows: []wecomsim.Follow{{UserID: "m0", CreateTime: at}}})
		msg, err := callback.Marshal(stormChange(corp, callback.AddExternalContact, "m0", ext, at+int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		answers := make([]string, copies)
		for k := range copies {
			sv, err := crypto.Encrypt(msg)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Post(s.base+"/wecom/callback?"+sv.Params().Query().Encode(), "text/xml", bytes.NewReader(sv.Envelope(corp, "1000002")))
				if err != nil {
					answers[k] = err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				answers[k] = fmt.Sprintf("%d %s", resp.StatusCode, b)
			}()
		}
		wg.Wait()
		for k, a := range answers {
			if a != "200 success" {
				t.Fatalf("event %d, copy %d answered %q\n%s", i, k, a, s.errb.String())
			}
		}
	}
	sys := s.f.System()
	s.waitFor(t, "every event applied", 20*time.Second, func() bool {
		return s.f.DB.Client.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StateApplied)).CountX(sys) == n
	})
	if k := s.f.DB.Client.WecomEvent.Query().CountX(sys); k != n {
		t.Fatalf("%d events stored, want %d", k, n)
	}
}

// Through `tierlink serve`: a change request's cards reach its two
// deciders' WeCom; then more than 72 hours pass — for wang.fang by
// Tierlink's own record of when her response_code was issued, for li.lei
// only by WeCom's clock (WeCom refuses the old code). The request is
// approved in the portal (the API). Neither card can be updated any
// more, so each recipient gets a fresh text message stating the result,
// in their language, with the link; the stored cards are "replaced" with
// their codes spent. A later click on li.lei's card brings a fresh code,
// and that card then shows the result too.
func TestServeCardExpiredResponseCode(t *testing.T) {
	const corp, contactSec, agentSec, agent = "wwexpired", "contact-secret-exp", "agent-secret-exp", "1000002"
	sim := wecomsim.New(corp, contactSec, agentSec)
	defer sim.Close()
	sim.AddMember(wecomsim.Member{UserID: "wang.fang"})
	sim.AddMember(wecomsim.Member{UserID: "li.lei"})
	s := startInProc(t, map[string]string{"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": contactSec,
		"TIERLINK_WECOM_AGENT_SECRET": agentSec, "TIERLINK_WECOM_AGENT_ID": agent, "TIERLINK_WECOM_CALLBACK_TOKEN": moreToken,
		"TIERLINK_WECOM_CALLBACK_AES_KEY": moreKey, "TIERLINK_WECOM_API_BASE": sim.URL(), "TIERLINK_JOB_SCHEDULES": neverSchedule})
	crypto, err := callback.New(callback.Config{Token: moreToken, EncodingAESKey: moreKey, ReceiveID: corp})
	if err != nil {
		t.Fatal(err)
	}
	sim.SetApp(agent, s.base+"/wecom/callback", crypto)
	f := s.f
	db := f.DB.Client
	sys := f.System()
	// This second instance's hooks queue the cards; the serving
	// instance's dispatcher sends them.
	api, err := wecom.NewClient(wecom.Config{CorpID: corp, AgentID: agent, AgentSecret: agentSec, ContactSecret: contactSec, APIBase: sim.URL()}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	wecom.NewCards(db, api, f.Groups, nil, nil)
	db.User.UpdateOneID(f.Buyer.ID).SetWecomUserid("wang.fang").SetLocale("zh-CN").ExecX(sys)
	db.User.UpdateOneID(f.Buyer2.ID).SetWecomUserid("li.lei").SetLocale("en").ExecX(sys)
	if _, err := f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "华星", Kind: "partner", PartnerID: f.PartnerA.ID,
		ContactIDs: []int{f.ContactA.ID}, UserIDs: []int{f.Buyer2.ID}}); err != nil {
		t.Fatal(err)
	}
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-EXPIRED", Currency: "CNY",
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
	cr := db.ChangeRequest.Query().Where(changerequest.OrderID(o.ID)).OnlyX(sys)
	cardID := db.Post.Query().Where(post.CardKind(groups.CardChangeRequest), post.SubjectID(cr.ID)).FirstIDX(sys)
	tok, err := f.Acc.CreateToken(f.Ctx(f.Buyer), accounts.TokenInput{Name: "expired"})
	if err != nil {
		t.Fatal(err)
	}
	cards := func() map[string]*ent.WecomCard {
		out := map[string]*ent.WecomCard{}
		for _, r := range db.WecomCard.Query().Where(wecomcard.SubjectID(cr.ID)).AllX(sys) {
			out[r.Userid] = r
		}
		return out
	}
	s.waitFor(t, "both cards sent", 30*time.Second, func() bool {
		rs := cards()
		return len(rs) == 2 && rs["wang.fang"].State == wecomcard.StateSent && rs["li.lei"].State == wecomcard.StateSent
	})
	rs := cards()
	sent := map[string]int{}
	for uid := range rs {
		sent[uid] = len(sim.Messages(uid))
		if ms := sim.Messages(uid); len(ms) != 1 || ms[0].MsgType != "template_card" {
			t.Fatalf("%s got %+v, want one template card", uid, ms)
		}
	}
	// 73 hours: by our record for wang.fang (so Tierlink does not even
	// try her code), by WeCom's clock for both.
	db.WecomCard.UpdateOne(rs["wang.fang"]).SetCodeIssuedAt(time.Now().Add(-73 * time.Hour)).ExecX(sys)
	sim.AgeResponseCodes(wecomsim.ResponseCodeLifetime + time.Hour)

	if code, err := apiDo(s.base, tok.Secret, "POST", fmt.Sprintf("/api/v1/cards/%d/actions", cardID), `{"action":"approve"}`, nil); err != nil || code != http.StatusOK {
		t.Fatalf("approving in the portal: %d %v\n%s", code, err, s.errb.String())
	}
	if got := db.ChangeRequest.GetX(sys, cr.ID); got.State != changerequest.StateApproved || got.DecidedByID == nil || *got.DecidedByID != f.Buyer.ID {
		t.Fatalf("change request %s by %v", got.State, got.DecidedByID)
	}
	s.waitFor(t, "both cards replaced by a message", 30*time.Second, func() bool {
		rs := cards()
		return rs["wang.fang"].State == wecomcard.StateReplaced && rs["li.lei"].State == wecomcard.StateReplaced
	})
	rs = cards()
	for uid, want := range map[string]string{"wang.fang": "已批准 · " + f.Buyer.Name, "li.lei": "Approved · " + f.Buyer.Name} {
		r := rs[uid]
		if !r.CodeUsed {
			t.Errorf("%s's card replaced but its code not marked spent", uid)
		}
		ms := sim.Messages(uid)
		if len(ms) != sent[uid]+1 {
			t.Fatalf("%s got %d messages after the decision, want one more: %+v", uid, len(ms)-sent[uid], ms)
		}
		last := ms[len(ms)-1]
		if last.MsgType != "text" || !strings.Contains(last.Text, want) || !strings.Contains(last.Text, "/groups/") {
			t.Fatalf("%s's fresh message %+v, want a text saying %q with the link", uid, last, want)
		}
		if c, _ := sim.CardOf(r.TaskID); c.Replaced != "" {
			t.Fatalf("%s's card was updated with an expired code: %q", uid, c.Replaced)
		}
	}

	// li.lei clicks his old card: the click comes with a fresh code; the
	// request is decided already (conflict), and his card now shows it.
	if _, _, err := sim.Click("li.lei", rs["li.lei"].TaskID, "approve"); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "the late click applied and li.lei's card updated", 30*time.Second, func() bool {
		ev, _ := db.WecomEvent.Query().Where(wecomevent.Kind(string(wecom.EventTemplateCard))).Only(sys)
		return ev != nil && ev.State == wecomevent.StateApplied && cards()["li.lei"].State == wecomcard.StateClosed
	})
	ev := db.WecomEvent.Query().Where(wecomevent.Kind(string(wecom.EventTemplateCard))).OnlyX(sys)
	if ev.Result != wecom.ClickConflict {
		t.Fatalf("late click: %s, want %s", ev.Result, wecom.ClickConflict)
	}
	r := cards()["li.lei"]
	if c, _ := sim.CardOf(r.TaskID); !strings.HasPrefix(c.Replaced, "Approved · "+f.Buyer.Name) {
		t.Fatalf("li.lei's card after the late click shows %q", c.Replaced)
	}
	if got := db.ChangeRequest.GetX(sys, cr.ID); got.State != changerequest.StateApproved || *got.DecidedByID != f.Buyer.ID {
		t.Fatalf("the late click changed the decision: %s by %v", got.State, got.DecidedByID)
	}
	if c := cards()["wang.fang"]; c.State != wecomcard.StateReplaced {
		t.Fatalf("wang.fang's card went %s", c.State)
	}
	s.stop()
}

// Through `tierlink serve`: hand-overs made with POST /api/v1/transfers
// and carried out in WeCom by the wecom-transfers job end in every
// WeCom state. m00's six customers go to m01 (and one to m02); WeCom
// accepts them all (waiting); then the customer of 1 refuses, WeCom
// loses its record of 3, m02 reaches the limit, and WeCom's 24 hours
// pass: 0 done, 1 refused, 2 taker over the limit, 3 no record. Contact
// 5 is handed over after that and stays waiting. Contact 4, handed over
// twice already, is handed over a third time within 90 days: Tierlink
// knows WeCom would refuse it (40128), records it blocked until the day
// it becomes possible, and does not call WeCom. In every case the
// Tierlink owner moved, and each ledger entry carries its WeCom state.
func TestServeWeComTransfersEveryState(t *testing.T) {
	const corp, contactSec, agentSec = "wwxfer", "contact-secret-xfer", "agent-secret-xfer"
	sim := wecomsim.New(corp, contactSec, agentSec)
	defer sim.Close()
	s := startInProc(t, map[string]string{"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": contactSec,
		"TIERLINK_WECOM_AGENT_SECRET": agentSec, "TIERLINK_WECOM_AGENT_ID": "1000002", "TIERLINK_WECOM_API_BASE": sim.URL(),
		"TIERLINK_JOB_SCHEDULES": neverSchedule})
	f := s.f
	db := f.DB.Client
	sys := f.System()
	tok, err := f.Acc.CreateToken(f.Ctx(f.Admin), accounts.TokenInput{Name: "xfer"})
	if err != nil {
		t.Fatal(err)
	}
	// The sync-, job- and API helpers of the subprocess tests, pointed at
	// this in-process server.
	e := &wecomE2E{t: t, sim: sim, staff: map[string]int{}, admin: tok.Secret, p: &proc{base: s.base, logs: s.errb}}
	for _, uid := range []string{"m00", "m01", "m02"} {
		sim.AddMember(wecomsim.Member{UserID: uid, Name: "Member " + uid, Email: uid + "@co.test", Follow: true})
	}
	ext := func(i int) string { return fmt.Sprintf("wmEVERY%02d", i) }
	base := time.Now().Add(-200 * 24 * time.Hour).Unix()
	for i := range 6 {
		sim.AddContact(wecomsim.Contact{ExternalUserID: ext(i), Name: fmt.Sprintf("供应商联系人 %d", i), Type: 2,
			CorpName: f.PartnerA.Name, Follows: []wecomsim.Follow{{UserID: "m00", CreateTime: base + int64(i)}}})
	}
	e.addStaff("m00", "m01", "m02")
	if _, outcome, report := e.runJob("wecom-sync", true, 30*time.Second); outcome != "ok" {
		t.Fatalf("wecom-sync: %s: %s", outcome, report)
	}
	ct := map[int]int{}
	for i := range 6 {
		wc := db.WecomContact.Query().Where(wecomcontact.ExternalUserid(ext(i))).OnlyX(sys)
		if wc.ContactID == nil {
			t.Fatalf("%s not linked to the directory after the sync", ext(i))
		}
		ct[i] = *wc.ContactID
		if o := db.Contact.GetX(sys, ct[i]).OwnerID; o != e.staff["m00"] {
			t.Fatalf("contact %d owned by %d, want m00's user %d", i, o, e.staff["m00"])
		}
	}
	hand := func(to string, note string, is ...int) {
		t.Helper()
		var ids []int
		for _, i := range is {
			ids = append(ids, ct[i])
		}
		e.call("POST", "/api/v1/transfers", map[string]any{"contact_ids": ids, "to_owner_id": e.staff[to], "note": note}, nil, 201)
	}
	run := func() string {
		t.Helper()
		_, outcome, report := e.runJob("wecom-transfers", true, 30*time.Second)
		if outcome != "ok" {
			t.Fatalf("wecom-transfers: %s: %s\n%s", outcome, report, s.errb.String())
		}
		return report
	}
	// latest is contact i's last WeCom hand-over row.
	latest := func(i int) *ent.WecomTransfer {
		t.Helper()
		r, err := db.WecomTransfer.Query().Where(wecomtransfer.ContactID(ct[i])).Order(ent.Desc(wecomtransfer.FieldID)).First(sys)
		if err != nil {
			t.Fatalf("contact %d: %v", i, err)
		}
		return r
	}

	hand("m01", "王芳调岗，客户交由李雷跟进", 0, 1, 3, 4)
	hand("m02", "交接", 2)
	run()
	for _, i := range []int{0, 1, 2, 3, 4} {
		if r := latest(i); r.State != wecomtransfer.StateWaiting {
			t.Fatalf("contact %d: %s (errcode %d), want waiting", i, r.State, r.Errcode)
		}
	}
	sim.RefuseTransfer(ext(1))
	sim.ForgetTransfers(ext(3))
	sim.SetCustomerLimit("m02", 0)
	sim.SetClock(func() time.Time { return time.Now().Add(25 * time.Hour) })
	run()
	// Contact 4 goes back to m00 (its second hand-over in 90 days, which
	// WeCom takes) and 5 to m01.
	hand("m00", "", 4)
	hand("m01", "", 5)
	run()
	if r := latest(4); r.State != wecomtransfer.StateWaiting {
		t.Fatalf("contact 4's second hand-over: %s (errcode %d), want waiting", r.State, r.Errcode)
	}
	first := db.WecomTransfer.Query().Where(wecomtransfer.ContactID(ct[4])).Order(ent.Asc(wecomtransfer.FieldID)).FirstX(sys)
	// The third, within 90 days: blocked up front; WeCom is not called.
	calls := sim.Calls(transferAPI)
	hand("m01", "", 4)
	run()
	if got := sim.Calls(transferAPI); got != calls {
		t.Fatalf("WeCom was called %d more time(s) for a hand-over it would refuse", got-calls)
	}

	want := map[int]wecomtransfer.State{0: wecomtransfer.StateDone, 1: wecomtransfer.StateRefused, 2: wecomtransfer.StateTakerLimit,
		3: wecomtransfer.StateNoRecord, 4: wecomtransfer.StateBlocked, 5: wecomtransfer.StateWaiting}
	for i, st := range want {
		if r := latest(i); r.State != st {
			t.Errorf("contact %d: WeCom state %s (errcode %d, status %d), want %s", i, r.State, r.Errcode, r.Status, st)
		}
	}
	if r := latest(2); r.Status != wecomsim.StatusTakerLimit {
		t.Errorf("contact 2: status %d, want %d", r.Status, wecomsim.StatusTakerLimit)
	}
	if r := latest(4); r.Errcode != wecomsim.ErrTransferTooOften || r.PossibleAt == nil || first.RequestedAt == nil ||
		!r.PossibleAt.Equal(first.RequestedAt.Add(90*24*time.Hour)) {
		t.Errorf("contact 4's third hand-over: errcode %d possible %v, want 40128 possible 90 days after %v", r.Errcode, r.PossibleAt, first.RequestedAt)
	}
	// WeCom's side: the refused customer stays with m00, the done one
	// follows m01.
	if fs := sim.Followers(ext(1)); !slices.Equal(fs, []string{"m00"}) {
		t.Errorf("refused contact followed by %v in WeCom, want [m00]", fs)
	}
	if fs := sim.Followers(ext(0)); !slices.Equal(fs, []string{"m01"}) {
		t.Errorf("handed-over contact followed by %v in WeCom, want [m01]", fs)
	}
	// Tierlink's ownership moved in every case, and the ledger has one
	// entry per hand-over, each with its WeCom row.
	for i, to := range map[int]string{0: "m01", 1: "m01", 2: "m02", 3: "m01", 4: "m01", 5: "m01"} {
		if o := db.Contact.GetX(sys, ct[i]).OwnerID; o != e.staff[to] {
			t.Errorf("contact %d owned by %d in Tierlink, want %s's user %d: ownership moves even when WeCom refuses", i, o, to, e.staff[to])
		}
	}
	// Each contact's page shows its hand-over's WeCom state: a refusal is
	// visible, never hidden.
	resp, err := http.Post(s.base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"admin@co.test","password":"`+partnerstest.Password+`"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	e.session, e.sessionFor = resp.Cookies(), e.p
	for i, st := range want {
		html := e.page(fmt.Sprintf("/contacts/%d", ct[i]))
		if !strings.Contains(html, `class="wecom-xfer ws-`+string(st)+`"`) {
			t.Errorf("contact %d's page does not show its WeCom hand-over %s", i, st)
		}
	}
	// The supervisor's list of failing hand-overs (on the hand-over page)
	// holds exactly the refused, over-the-limit, lost and blocked ones.
	html := e.page("/transfers/new")
	at := strings.Index(html, `class="wecom-failures"`)
	if at < 0 {
		t.Fatal("the hand-over page lists no failing WeCom hand-overs")
	}
	sec, _, _ := strings.Cut(html[at:], "</section>")
	for i := range 6 {
		listed := strings.Contains(sec, fmt.Sprintf(`href="/contacts/%d"`, ct[i]))
		if failing := i >= 1 && i <= 4; listed != failing {
			t.Errorf("contact %d (%s) listed among the failing hand-overs: %v", i, want[i], listed)
		}
	}
	for i, n := range map[int]int{0: 1, 1: 1, 2: 1, 3: 1, 4: 3, 5: 1} {
		entries := db.ContactTransfer.Query().Where(contacttransfer.ContactID(ct[i])).IDsX(sys)
		rows := db.WecomTransfer.Query().Where(wecomtransfer.ContactID(ct[i])).AllX(sys)
		if len(entries) != n || len(rows) != n {
			t.Errorf("contact %d: %d ledger entries and %d WeCom rows, want %d each", i, len(entries), len(rows), n)
		}
		for _, r := range rows {
			if !slices.Contains(entries, r.TransferID) {
				t.Errorf("contact %d: WeCom row %d for ledger entry %d, not one of %v", i, r.ID, r.TransferID, entries)
			}
		}
	}
	s.stop()
}

// Through `tierlink serve`: WeCom's transfer_fail callback settles a
// waiting hand-over at once, before any poll — refused by the customer
// (customer_refused) or the taker over their limit
// (customer_limit_exceed). A resent callback changes nothing, and the
// next poll of transfer_result, which says the same, leaves the states
// as they are. Tierlink's owner stays the taker.
func TestServeWeComTransferFailCallback(t *testing.T) {
	const corp, contactSec, agentSec = "wwxfail", "contact-secret-xfail", "agent-secret-xfail"
	sim := wecomsim.New(corp, contactSec, agentSec)
	defer sim.Close()
	s := startInProc(t, map[string]string{"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": contactSec,
		"TIERLINK_WECOM_AGENT_SECRET": agentSec, "TIERLINK_WECOM_AGENT_ID": "1000002", "TIERLINK_WECOM_API_BASE": sim.URL(),
		"TIERLINK_WECOM_CALLBACK_TOKEN": moreToken, "TIERLINK_WECOM_CALLBACK_AES_KEY": moreKey, "TIERLINK_JOB_SCHEDULES": neverSchedule})
	f := s.f
	db := f.DB.Client
	sys := f.System()
	tok, err := f.Acc.CreateToken(f.Ctx(f.Admin), accounts.TokenInput{Name: "xfail"})
	if err != nil {
		t.Fatal(err)
	}
	e := &wecomE2E{t: t, sim: sim, staff: map[string]int{}, admin: tok.Secret, p: &proc{base: s.base, logs: s.errb}}
	for _, uid := range []string{"m00", "m01"} {
		sim.AddMember(wecomsim.Member{UserID: uid, Name: "Member " + uid, Email: uid + "@co.test", Follow: true})
	}
	exts := []string{"wmFAIL00", "wmFAIL01", "wmFAIL02"}
	for i, x := range exts {
		sim.AddContact(wecomsim.Contact{ExternalUserID: x, Name: x, Type: 2, CorpName: f.PartnerA.Name,
			Follows: []wecomsim.Follow{{UserID: "m00", CreateTime: time.Now().Add(-time.Hour).Unix() + int64(i)}}})
	}
	e.addStaff("m00", "m01")
	if _, outcome, report := e.runJob("wecom-sync", true, 30*time.Second); outcome != "ok" {
		t.Fatalf("wecom-sync: %s: %s", outcome, report)
	}
	var ids []int
	for _, x := range exts {
		wc := db.WecomContact.Query().Where(wecomcontact.ExternalUserid(x)).OnlyX(sys)
		if wc.ContactID == nil {
			t.Fatalf("%s not linked", x)
		}
		ids = append(ids, *wc.ContactID)
	}
	e.call("POST", "/api/v1/transfers", map[string]any{"contact_ids": ids, "to_owner_id": e.staff["m01"], "note": "交接"}, nil, 201)
	if _, outcome, report := e.runJob("wecom-transfers", true, 30*time.Second); outcome != "ok" {
		t.Fatalf("wecom-transfers: %s: %s", outcome, report)
	}
	state := func(x string) *ent.WecomTransfer {
		return db.WecomTransfer.Query().Where(wecomtransfer.ExternalUserid(x)).OnlyX(sys)
	}
	for _, x := range exts {
		if r := state(x); r.State != wecomtransfer.StateWaiting {
			t.Fatalf("%s: %s, want waiting", x, r.State)
		}
	}
	// WeCom's side: the first customer refuses; m01 is at the limit for
	// the second. WeCom posts transfer_fail for each (twice for the first).
	sim.RefuseTransfer(exts[0])
	crypto, err := callback.New(callback.Config{Token: moreToken, EncodingAESKey: moreKey, ReceiveID: corp})
	if err != nil {
		t.Fatal(err)
	}
	post := func(x string, reason callback.FailReason) {
		t.Helper()
		ev := stormChange(corp, callback.TransferFail, "m01", x, time.Now().Unix())
		ev.FailReason = reason
		msg, err := callback.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := crypto.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(s.base+"/wecom/callback?"+sv.Params().Query().Encode(), "text/xml", bytes.NewReader(sv.Envelope(corp, "1000002")))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "success" {
			t.Fatalf("transfer_fail callback: %d %q", resp.StatusCode, b)
		}
	}
	calls := sim.Calls("/cgi-bin/externalcontact/transfer_result")
	post(exts[0], callback.CustomerRefused)
	post(exts[1], callback.CustomerLimitExceed)
	post(exts[0], callback.CustomerRefused)
	s.waitFor(t, "both transfer_fail callbacks applied", 20*time.Second, func() bool {
		return state(exts[0]).State == wecomtransfer.StateRefused && state(exts[1]).State == wecomtransfer.StateTakerLimit
	})
	if got := sim.Calls("/cgi-bin/externalcontact/transfer_result"); got != calls {
		t.Fatalf("transfer_result was asked %d time(s): the callback alone must settle the hand-overs", got-calls)
	}
	if r := state(exts[2]); r.State != wecomtransfer.StateWaiting {
		t.Fatalf("%s: %s, want still waiting", exts[2], r.State)
	}
	if n := db.WecomEvent.Query().Where(wecomevent.Kind(string(wecom.EventTransferFail))).CountX(sys); n != 2 {
		t.Fatalf("%d transfer_fail events stored, want 2 (the resend stores nothing)", n)
	}
	// The next poll agrees with the callbacks for the refused customer
	// and leaves both settled.
	if _, outcome, report := e.runJob("wecom-transfers", true, 30*time.Second); outcome != "ok" {
		t.Fatalf("wecom-transfers: %s: %s", outcome, report)
	}
	if got := sim.Calls("/cgi-bin/externalcontact/transfer_result"); got == calls {
		t.Fatal("the poll never asked transfer_result")
	}
	if r := state(exts[0]); r.State != wecomtransfer.StateRefused || r.Status != wecomsim.StatusRefused {
		t.Fatalf("%s after the poll: %s status %d", exts[0], r.State, r.Status)
	}
	if r := state(exts[1]); r.State != wecomtransfer.StateTakerLimit || r.Status != wecomsim.StatusTakerLimit {
		t.Fatalf("%s after the poll: %s status %d", exts[1], r.State, r.Status)
	}
	for i, id := range ids {
		if o := db.Contact.GetX(sys, id).OwnerID; o != e.staff["m01"] {
			t.Errorf("contact %s owned by %d, want m01's user %d", exts[i], o, e.staff["m01"])
		}
	}
	s.stop()
}

// While another instance holds the WeCom event and card leases (its row
// in wecom_lease owned by it, not expired), this instance's passes must
// simply wait their turn: no error. After the holder lets go, the
// pending callback is applied here.
// (ent reports the skipped lease-row insert as sql.ErrNoRows, which
// claim once returned, logging an error on every poll.)
func TestServeWeComLeaseHeldElsewhere(t *testing.T) {
	const corp, secret, agentSec = "wwlease", "contact-secret-lease", "agent-secret-lease"
	sim := wecomsim.New(corp, secret, agentSec)
	defer sim.Close()
	s := startInProc(t, map[string]string{"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": secret,
		"TIERLINK_WECOM_AGENT_SECRET": agentSec, "TIERLINK_WECOM_AGENT_ID": "1000002",
		"TIERLINK_WECOM_CALLBACK_TOKEN": moreToken, "TIERLINK_WECOM_CALLBACK_AES_KEY": moreKey, "TIERLINK_WECOM_API_BASE": sim.URL(),
		"TIERLINK_JOB_SCHEDULES": neverSchedule})
	db := s.f.DB.Client
	sys := s.f.System()
	sim.AddMember(wecomsim.Member{UserID: "m0", Follow: true})
	sim.AddContact(wecomsim.Contact{ExternalUserID: "wmLEASE", Name: "王芳", Type: 1,
		Follows: []wecomsim.Follow{{UserID: "m0", CreateTime: time.Now().Unix()}}})
	// Another instance holds both leases for the next 3 seconds.
	until := time.Now().Add(3 * time.Second)
	for _, name := range []string{"wecom-events", "wecom-cards"} {
		if err := db.WecomLease.Create().SetName(name).SetOwner("other-instance").SetUntil(until).
			OnConflictColumns(wecomlease.FieldName).UpdateNewValues().Exec(sys); err != nil {
			t.Fatal(err)
		}
	}
	crypto, err := callback.New(callback.Config{Token: moreToken, EncodingAESKey: moreKey, ReceiveID: corp})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := callback.Marshal(stormChange(corp, callback.AddExternalContact, "m0", "wmLEASE", time.Now().Unix()))
	sv, err := crypto.Encrypt(msg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.base+"/wecom/callback?"+sv.Params().Query().Encode(), "text/xml", bytes.NewReader(sv.Envelope(corp, "1000002")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	time.Sleep(time.Until(until))
	if n := db.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StateApplied)).CountX(sys); n != 0 {
		t.Fatalf("%d events applied while another instance held the lease", n)
	}
	s.waitFor(t, "the event applied once the lease was free", 20*time.Second, func() bool {
		return db.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StateApplied)).CountX(sys) == 1
	})
	if strings.Contains(s.errb.String(), "pass failed") {
		t.Fatalf("a pass without the lease failed:\n%s", s.errb.String())
	}
}

// Through `tierlink serve`: a buyer who left WeCom (离职) is deactivated
// with POST /api/v1/users/{id}/deactivate, their heir named. Tierlink
// hands their contacts over at once; the wecom-transfers job carries
// them out with resigned/transfer_customer (one call) and moves the
// leaver's customer groups to the heir (groupchat/transfer), an internal
// group refused (90501) and another member's group untouched. A second
// run calls nothing again; after WeCom's 24 hours the hand-overs are
// done and the customers follow the heir.
func TestServeWeComDepartureMovesGroups(t *testing.T) {
	const corp, contactSec, agentSec = "wwleave", "contact-secret-leave", "agent-secret-leave"
	const resignedAPI = "/cgi-bin/externalcontact/resigned/transfer_customer"
	sim := wecomsim.New(corp, contactSec, agentSec)
	defer sim.Close()
	s := startInProc(t, map[string]string{"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": contactSec,
		"TIERLINK_WECOM_AGENT_SECRET": agentSec, "TIERLINK_WECOM_AGENT_ID": "1000002", "TIERLINK_WECOM_API_BASE": sim.URL(),
		"TIERLINK_JOB_SCHEDULES": neverSchedule})
	f := s.f
	db := f.DB.Client
	sys := f.System()
	tok, err := f.Acc.CreateToken(f.Ctx(f.Admin), accounts.TokenInput{Name: "leave"})
	if err != nil {
		t.Fatal(err)
	}
	e := &wecomE2E{t: t, sim: sim, staff: map[string]int{}, admin: tok.Secret, p: &proc{base: s.base, logs: s.errb}}
	for _, uid := range []string{"m00", "m01", "m02"} {
		sim.AddMember(wecomsim.Member{UserID: uid, Name: "Member " + uid, Email: uid + "@co.test", Follow: true})
	}
	exts := []string{"wmLEAVE0", "wmLEAVE1", "wmLEAVE2"}
	for i, x := range exts {
		sim.AddContact(wecomsim.Contact{ExternalUserID: x, Name: x, Type: 2, CorpName: f.PartnerA.Name,
			Follows: []wecomsim.Follow{{UserID: "m00", CreateTime: time.Now().Add(-time.Hour).Unix() + int64(i)}}})
	}
	sim.AddGroupChat(wecomsim.GroupChat{ChatID: "wrLEAVE1", Owner: "m00"})
	sim.AddGroupChat(wecomsim.GroupChat{ChatID: "wrLEAVE2", Owner: "m00"})
	sim.AddGroupChat(wecomsim.GroupChat{ChatID: "wrINTERNAL", Owner: "m00", Internal: true})
	sim.AddGroupChat(wecomsim.GroupChat{ChatID: "wrOTHER", Owner: "m02"})
	e.addStaff("m00", "m01", "m02")
	if _, outcome, report := e.runJob("wecom-sync", true, 30*time.Second); outcome != "ok" {
		t.Fatalf("wecom-sync: %s: %s", outcome, report)
	}
	sim.Resign("m00")
	e.call("POST", fmt.Sprintf("/api/v1/users/%d/deactivate", e.staff["m00"]), map[string]any{"heir_id": e.staff["m01"], "note": "离职"}, nil, 200)
	for range 2 {
		if _, outcome, report := e.runJob("wecom-transfers", true, 30*time.Second); outcome != "ok" {
			t.Fatalf("wecom-transfers: %s: %s\n%s", outcome, report, s.errb.String())
		}
	}
	if got := sim.Calls(resignedAPI); got != 1 {
		t.Fatalf("resigned/transfer_customer called %d times, want once", got)
	}
	for _, x := range exts {
		r := db.WecomTransfer.Query().Where(wecomtransfer.ExternalUserid(x)).OnlyX(sys)
		if r.Kind != wecomtransfer.KindResigned || r.State != wecomtransfer.StateWaiting || r.TakeoverUserid != "m01" {
			t.Fatalf("%s: %s %s to %s (errcode %d), want resigned, waiting, to m01", x, r.Kind, r.State, r.TakeoverUserid, r.Errcode)
		}
		wc := db.WecomContact.Query().Where(wecomcontact.ExternalUserid(x)).OnlyX(sys)
		if o := db.Contact.GetX(sys, *wc.ContactID).OwnerID; o != e.staff["m01"] {
			t.Fatalf("%s owned by %d in Tierlink, want the heir %d", x, o, e.staff["m01"])
		}
	}
	for g, want := range map[string]string{"wrLEAVE1": "m01", "wrLEAVE2": "m01", "wrINTERNAL": "m00", "wrOTHER": "m02"} {
		if o := sim.GroupOwner(g); o != want {
			t.Errorf("group %s owned by %s in WeCom, want %s", g, o, want)
		}
	}
	gs := db.WecomGroupTransfer.Query().Where(wecomgrouptransfer.ChatIDNEQ("")).AllX(sys)
	if len(gs) != 3 {
		t.Fatalf("%d group hand-over rows, want the leaver's 3", len(gs))
	}
	for _, g := range gs {
		switch {
		case g.ChatID == "wrINTERNAL" && (g.State != wecomgrouptransfer.StateFailed || g.Errcode != wecomsim.ErrNotCustomerGroup):
			t.Errorf("internal group: %s errcode %d, want failed 90501", g.State, g.Errcode)
		case g.ChatID != "wrINTERNAL" && (g.State != wecomgrouptransfer.StateDone || g.ToUserid != "m01"):
			t.Errorf("group %s: %s to %s", g.ChatID, g.State, g.ToUserid)
		}
	}
	sim.SetClock(func() time.Time { return time.Now().Add(25 * time.Hour) })
	if _, outcome, report := e.runJob("wecom-transfers", true, 30*time.Second); outcome != "ok" {
		t.Fatalf("wecom-transfers a day later: %s: %s", outcome, report)
	}
	for _, x := range exts {
		if r := db.WecomTransfer.Query().Where(wecomtransfer.ExternalUserid(x)).OnlyX(sys); r.State != wecomtransfer.StateDone {
			t.Errorf("%s a day later: %s", x, r.State)
		}
		if fs := sim.Followers(x); !slices.Equal(fs, []string{"m01"}) {
			t.Errorf("%s followed by %v in WeCom, want the heir", x, fs)
		}
	}
	if got := sim.Calls(resignedAPI); got != 1 {
		t.Fatalf("resigned/transfer_customer called %d times in all, want once", got)
	}
	s.stop()
}
