package main

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/auditentry"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/wecomsync"
	"github.com/tierlink/tierlink/ent/wecomtransfer"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// ageSync stands for the time a second instance waits before it takes
// over a sync whose instance died (wecom.Service.StaleAfter, 5 minutes):
// the killed run's heartbeat is moved 10 minutes back, so the restarted
// server resumes it now instead of refusing it as still running.
func (e *wecomE2E) ageSync() {
	e.t.Helper()
	db, ctx := e.db()
	n, err := db.WecomSync.Update().Where(wecomsync.StateEQ(wecomsync.StateRunning)).
		SetHeartbeatAt(time.Now().Add(-10 * time.Minute)).Save(ctx)
	if err != nil || n != 1 {
		e.t.Fatalf("aging the killed sync: %d run(s), %v", n, err)
	}
}

// SIGKILL twice during a sync through `tierlink serve` (once while it
// reads WeCom's pages, once while it links contacts to the directory),
// a restart each time, and the resumed run ends with every contact
// stored exactly once, owners right, each page applied once, and no
// directory contact, audit entry or ledger row written twice.
func TestKillMidWeComSync(t *testing.T) {
	bin := buildBinary(t)
	e := newWeComE2E(t, bin)
	c := e2eCompany{members: 20, linked: 18, n: 2000, base: time.Now().Add(-400 * 24 * time.Hour).Unix()}
	c.populate(e)
	e.start()
	c.linkStaff(e)

	// 1. Killed while WeCom is slow to answer the 10th page.
	held := make(chan struct{})
	var pages atomic.Int32
	e.proxy.SetHooks(func(path string, _ []byte) bool {
		if path == batchAPI && pages.Add(1) == 10 {
			close(held)
			return true
		}
		return false
	}, nil)
	e.runJob("wecom-sync", false, 0)
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatalf("the sync never reached page 10\n%s", e.p.logs)
	}
	e.kill()
	e.proxy.SetHooks(nil, nil)
	db, ctx := e.db()
	run, err := db.WecomSync.Query().Only(ctx)
	if err != nil || run.State != wecomsync.StateRunning || run.Pages != 9 {
		t.Fatalf("after the first kill: %+v, %v", run, err)
	}

	// 2. Restarted, resumed from its cursor, and killed again once it
	// has linked some contacts to the directory but not all.
	e.start()
	e.ageSync()
	e.runJob("wecom-sync", false, 0)
	var linked int
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, err := db.Contact.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			linked = n
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resumed sync never linked a contact\n%s", e.p.logs)
		}
	}
	e.kill()
	run, err = db.WecomSync.Query().Only(ctx)
	if err != nil || run.State != wecomsync.StateRunning {
		t.Fatalf("the sync ended before the second kill (%d linked then): %+v, %v", linked, run, err)
	}
	t.Logf("second kill with %d of the directory contacts linked", linked)

	// 3. Restarted once more; this run finishes the same sync.
	e.start()
	e.ageSync()
	_, outcome, report := e.runJob("wecom-sync", true, 60*time.Second)
	if outcome != "ok" {
		t.Fatalf("resumed wecom-sync: %s: %s\n%s", outcome, report, e.p.logs)
	}
	t.Logf("resumed: %s", report)
	c.check(e)
	runs, err := db.WecomSync.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 2,000 contacts, a third followed twice: 2,667 entries, 27 pages,
	// each applied once by the one run; the held page was never answered.
	if len(runs) != 1 || runs[0].State != wecomsync.StateDone || runs[0].Pages != 27 || runs[0].Contacts != 2667 ||
		runs[0].Created != 2000 {
		t.Fatalf("sync runs %+v, want one done run of 27 pages, 2,667 entries, 2,000 created", runs)
	}
	if calls := e.sim.Calls(batchAPI); calls != 27 {
		t.Fatalf("%d pages read from WeCom, want 27", calls)
	}
	dir, err := db.Contact.Query().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created, err := db.AuditEntry.Query().Where(auditentry.Action("contact.create")).Count(ctx)
	if err != nil || created != dir {
		t.Fatalf("%d contact.create audit entries for %d directory contacts, %v", created, dir, err)
	}
	// No owner changed, so the ownership ledger has nothing to say.
	if n, err := db.ContactTransfer.Query().Count(ctx); err != nil || n != 0 {
		t.Fatalf("%d ledger rows after a sync that changed no owner, %v", n, err)
	}
}

// SIGKILL between WeCom accepting a batch of a hand-over of 150 contacts
// (transfer_customer answered) and Tierlink recording the answer; after
// a restart the run settles the batch from transfer_result instead of
// sending it again and sends the rest: every contact was carried in
// exactly one transfer_customer call, WeCom holds one hand-over each,
// and the ledger shows each contact waiting, then done once WeCom's 24
// hours have passed.
func TestKillMidWeComTransferBatch(t *testing.T) {
	const n = 150
	bin := buildBinary(t)
	e := newWeComE2E(t, bin)
	for _, uid := range []string{"m00", "m01"} {
		e.sim.AddMember(wecomsim.Member{UserID: uid, Name: "Member " + uid, Email: uid + "@co.test", Follow: true})
	}
	base := time.Now().Add(-30 * 24 * time.Hour).Unix()
	for i := range n {
		e.sim.AddContact(wecomsim.Contact{ExternalUserID: fmt.Sprintf("wmXFER%04d", i), Name: fmt.Sprintf("供应商联系人 %d", i),
			Type: 2, CorpName: "Supplier 00", Follows: []wecomsim.Follow{{UserID: "m00", CreateTime: base + int64(i)}}})
	}
	e.importPartners([]string{"Supplier 00"})
	e.start()
	e.addStaff("m00", "m01")
	if _, outcome, report := e.runJob("wecom-sync", true, 60*time.Second); outcome != "ok" {
		t.Fatalf("wecom-sync: %s: %s", outcome, report)
	}
	db, ctx := e.db()
	cts, err := db.Contact.Query().Where(contact.OwnerID(e.staff["m00"])).IDs(ctx)
	if err != nil || len(cts) != n {
		t.Fatalf("%d contacts owned by m00's user after the sync, %v", len(cts), err)
	}

	// The hand-over, as a buyer makes it: Tierlink's owner moves at once
	// and the WeCom side is queued.
	var handed struct {
		Items []struct {
			ID int `json:"id"`
		} `json:"items"`
	}
	e.call("POST", "/api/v1/transfers", map[string]any{"contact_ids": cts, "to_owner_id": e.staff["m01"],
		"note": "王芳调岗，客户交由李雷跟进"}, &handed, 201)
	if len(handed.Items) != n {
		t.Fatalf("%d ledger entries, want %d", len(handed.Items), n)
	}

	// WeCom accepts the first batch of 100; the server dies before it
	// reads the answer.
	accepted := make(chan struct{})
	var calls atomic.Int32
	e.proxy.SetHooks(nil, func(path string, _ []byte) bool {
		if path == transferAPI && calls.Add(1) == 1 {
			close(accepted)
			return true
		}
		return false
	})
	e.runJob("wecom-transfers", false, 0)
	select {
	case <-accepted:
	case <-time.After(60 * time.Second):
		t.Fatalf("no transfer_customer call\n%s", e.p.logs)
	}
	e.kill()
	e.proxy.SetHooks(nil, nil)
	if got := len(e.sim.Transfers()); got != 100 {
		t.Fatalf("WeCom accepted %d hand-overs before the kill, want the batch of 100", got)
	}
	sending, err := db.WecomTransfer.Query().Where(wecomtransfer.StateEQ(wecomtransfer.StateSending)).Count(ctx)
	if err != nil || sending != 100 {
		t.Fatalf("%d rows left sending by the kill, want 100, %v", sending, err)
	}
	// Stands for the 15 minutes (wecom.Transfers.StaleAfter) after which
	// a request nobody answered is asked about instead of being assumed
	// in flight on a live instance.
	if _, err := db.WecomTransfer.Update().Where(wecomtransfer.StateEQ(wecomtransfer.StateSending)).
		SetRequestedAt(time.Now().Add(-20 * time.Minute)).Save(ctx); err != nil {
		t.Fatal(err)
	}

	e.start()
	_, outcome, report := e.runJob("wecom-transfers", true, 60*time.Second)
	if outcome != "ok" {
		t.Fatalf("wecom-transfers after the restart: %s: %s\n%s", outcome, report, e.p.logs)
	}
	t.Logf("after the restart: %s", report)
	checkOnce := func() {
		t.Helper()
		got := e.proxy.Transferred()
		if len(got) != n {
			t.Fatalf("%d contacts carried in transfer_customer calls, want %d", len(got), n)
		}
		for ext, k := range got {
			if k != 1 {
				t.Fatalf("%s carried in %d transfer_customer calls", ext, k)
			}
		}
		recs := map[string]int{}
		for _, r := range e.sim.Transfers() {
			recs[r.ExternalUserID]++
			if r.HandoverUserID != "m00" || r.TakeoverUserID != "m01" || r.Message != "王芳调岗，客户交由李雷跟进" {
				t.Fatalf("WeCom's hand-over %+v", r)
			}
		}
		for i := range n {
			if x := fmt.Sprintf("wmXFER%04d", i); recs[x] != 1 {
				t.Fatalf("WeCom holds %d hand-overs of %s", recs[x], x)
			}
		}
		if k, err := db.ContactTransfer.Query().Count(ctx); err != nil || k != n {
			t.Fatalf("%d ledger entries, want %d, %v", k, n, err)
		}
		if k, err := db.Contact.Query().Where(contact.OwnerID(e.staff["m01"])).Count(ctx); err != nil || k != n {
			t.Fatalf("%d contacts owned by m01's user, want %d, %v", k, n, err)
		}
	}
	checkOnce()
	rows, err := db.WecomTransfer.Query().All(ctx)
	if err != nil || len(rows) != n {
		t.Fatalf("%d WeCom hand-over rows, want %d, %v", len(rows), n, err)
	}
	for _, r := range rows {
		if r.State != wecomtransfer.StateWaiting || r.CompletesAt == nil {
			t.Fatalf("hand-over of %s: %s, completes %v; want waiting with its completion time", r.ExternalUserid, r.State, r.CompletesAt)
		}
	}

	// Each contact's page shows its ledger entry waiting in WeCom.
	pageStates := func(state string) {
		t.Helper()
		for _, id := range cts {
			html := e.page(fmt.Sprintf("/contacts/%d", id))
			if k := strings.Count(html, `class="wecom-xfer ws-`); k != 1 || !strings.Contains(html, `class="wecom-xfer ws-`+state+`"`) {
				t.Fatalf("contact %d's page shows %d WeCom hand-over states, want one %s", id, k, state)
			}
		}
	}
	pageStates("waiting")

	// WeCom's 24 hours pass: the next run reads the hand-overs done,
	// and the customers follow m01 in WeCom.
	e.sim.SetClock(func() time.Time { return time.Now().Add(25 * time.Hour) })
	if _, outcome, report := e.runJob("wecom-transfers", true, 60*time.Second); outcome != "ok" {
		t.Fatalf("wecom-transfers a day later: %s: %s", outcome, report)
	}
	checkOnce()
	done, err := db.WecomTransfer.Query().Where(wecomtransfer.StateEQ(wecomtransfer.StateDone), wecomtransfer.Status(1)).Count(ctx)
	if err != nil || done != n {
		t.Fatalf("%d hand-overs done, want %d, %v", done, n, err)
	}
	for i := range n {
		if fs := e.sim.Followers(fmt.Sprintf("wmXFER%04d", i)); len(fs) != 1 || fs[0] != "m01" {
			t.Fatalf("contact %d followed by %v in WeCom, want m01", i, fs)
		}
	}
	pageStates("done")
}
