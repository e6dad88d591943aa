package wecom_test

import (
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/ent/wecomfollow"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/callback"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// event builds a change_external_contact event as the callback decoder
// returns it (with its plaintext).
func event(t *testing.T, kind callback.ChangeType, user, ext string, at time.Time, reason callback.FailReason) callback.Event {
	t.Helper()
	msg, err := callback.Marshal(&callback.ExternalContactChange{Header: callback.Header{ToUserName: corpID, FromUserName: "sys",
		CreateTime: at.Unix(), MsgType: "event", Event: string(callback.TypeExternalContact)}, ChangeType: kind, UserID: user,
		ExternalUserID: ext, FailReason: reason})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := callback.DecodeEvent(msg)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func (e *env) store(t *testing.T, ev callback.Event) bool {
	t.Helper()
	fresh, err := e.svc.StoreEvent(e.f.System(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return fresh
}

func (e *env) lastResult(t *testing.T) *wecomEvent {
	t.Helper()
	ev := e.f.DB.Client.WecomEvent.Query().Order(wecomevent.ByID()).AllX(e.f.System())
	last := ev[len(ev)-1]
	return &wecomEvent{state: string(last.State), result: last.Result, failReason: last.FailReason, kind: last.Kind}
}

type wecomEvent struct{ state, result, failReason, kind string }

// Removals apply incrementally: an older removal than the follow it
// names is superseded; the owner's removal hands the contact to the
// follower the owner rule picks, on the ledger; an add arriving late
// cannot bring back what WeCom no longer has; the last follower's
// removal marks the contact removed, and nothing is deleted.
func TestEventRemovalsAndOrder(t *testing.T) {
	e := newEnv(t, 3, 3, true)
	sys := e.f.System()
	db := e.f.DB.Client
	t0 := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	e.sim.AddContact(wecomsim.Contact{ExternalUserID: "wmORD", Name: "王芳", Type: 2, CorpFullName: e.f.PartnerA.Name,
		Follows: []wecomsim.Follow{{UserID: "u00", CreateTime: t0.Unix()}, {UserID: "u01", CreateTime: t0.Add(time.Hour).Unix()}}})
	e.sync(t)
	wc := db.WecomContact.Query().Where(wecomcontact.ExternalUserid("wmORD")).OnlyX(sys)
	if wc.ContactID == nil || db.Contact.GetX(sys, *wc.ContactID).OwnerID != e.staff["u00"] {
		t.Fatalf("after sync: %+v", wc)
	}
	w := wecom.NewEventWorker(e.svc, nil)
	apply := func() {
		t.Helper()
		if _, err := w.RunOnce(sys); err != nil {
			t.Fatal(err)
		}
	}
	// removed tells whether uid's follow of the contact is marked removed.
	removed := func(uid string) bool {
		return db.WecomFollow.Query().Where(wecomfollow.WecomContactID(wc.ID), wecomfollow.Userid(uid)).OnlyX(sys).RemovedAt != nil
	}

	t.Run("OlderRemovalSuperseded", func(t *testing.T) {
		// u01 deleted the contact half an hour before adding it again.
		e.store(t, event(t, callback.DelFollowUser, "u01", "wmORD", t0.Add(30*time.Minute), ""))
		apply()
		if r := e.lastResult(t); r.state != "applied" || r.result != wecom.ResultSuperseded || removed("u01") {
			t.Fatalf("%+v, u01 removed %v", r, removed("u01"))
		}
	})
	t.Run("OwnerRemovedHandsOver", func(t *testing.T) {
		e.sim.RemoveFollow("wmORD", "u00")
		e.store(t, event(t, callback.DelExternalContact, "u00", "wmORD", time.Now(), ""))
		apply()
		if r := e.lastResult(t); r.result != wecom.ResultFollowRemoved || !removed("u00") {
			t.Fatalf("%+v", r)
		}
		if got := db.Contact.GetX(sys, *wc.ContactID).OwnerID; got != e.staff["u01"] {
			t.Fatalf("owner %d, want u01's %d", got, e.staff["u01"])
		}
		tr := db.ContactTransfer.Query().Where(contacttransfer.ContactID(*wc.ContactID)).OnlyX(sys)
		if tr.FromOwnerID != e.staff["u00"] || tr.ToOwnerID != e.staff["u01"] || tr.State != contacttransfer.StateDone {
			t.Fatalf("ledger %+v", tr)
		}
	})
	t.Run("LateAddChangesNothing", func(t *testing.T) {
		// u00's original add, delivered two days late: WeCom no longer
		// lists u00, so nothing comes back.
		e.store(t, event(t, callback.AddExternalContact, "u00", "wmORD", t0, ""))
		apply()
		if r := e.lastResult(t); r.result != wecom.ResultUpserted || !removed("u00") {
			t.Fatalf("%+v, u00 removed %v", r, removed("u00"))
		}
		if got := db.Contact.GetX(sys, *wc.ContactID).OwnerID; got != e.staff["u01"] {
			t.Fatalf("owner %d", got)
		}
	})
	t.Run("LastFollowerMarksRemoved", func(t *testing.T) {
		e.sim.RemoveFollow("wmORD", "u01")
		e.store(t, event(t, callback.DelFollowUser, "u01", "wmORD", time.Now().Add(time.Second), ""))
		apply()
		got := db.WecomContact.GetX(sys, wc.ID)
		if r := e.lastResult(t); r.result != wecom.ResultContactRemoved || got.RemovedAt == nil {
			t.Fatalf("%+v, removed %v", r, got.RemovedAt)
		}
		if n := db.WecomFollow.Query().Where(wecomfollow.WecomContactID(wc.ID)).CountX(sys); n != 2 {
			t.Fatalf("%d follows kept, want 2", n)
		}
		if _, err := db.Contact.Get(sys, *wc.ContactID); err != nil {
			t.Fatalf("directory contact: %v", err)
		}
	})
	t.Run("TransferFailRecorded", func(t *testing.T) {
		e.store(t, event(t, callback.TransferFail, "u02", "wmORD", time.Now(), callback.CustomerRefused))
		apply()
		if r := e.lastResult(t); r.kind != string(wecom.EventTransferFail) || r.result != wecom.ResultRecorded ||
			r.failReason != string(callback.CustomerRefused) {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("Duplicate", func(t *testing.T) {
		ev := event(t, callback.EditExternalContact, "u02", "wmDUP", time.Now(), "")
		if !e.store(t, ev) || e.store(t, ev) {
			t.Fatal("first store not new, or a duplicate stored")
		}
		if n := db.WecomEvent.Query().Where(wecomevent.Identity(ev.Identity())).CountX(sys); n != 1 {
			t.Fatalf("%d rows", n)
		}
	})
}

// The nightly reconcile reports what callbacks missed as drift (and
// corrects it), with the events not applied; a second run finds none.
func TestReconcileReportsDrift(t *testing.T) {
	e := newEnv(t, 2, 2, true)
	sys := e.f.System()
	e.seed(4, 2)
	e.sync(t)
	e.sim.AddContact(wecomsim.Contact{ExternalUserID: "wmMISSED", Name: "漏掉的", Type: 1,
		Follows: []wecomsim.Follow{{UserID: "u00", CreateTime: time.Now().Unix()}}})
	e.sim.EditContact(ext(1), func(c *wecomsim.Contact) { c.Position = "总经理" })
	e.store(t, event(t, callback.EditExternalContact, "u00", ext(2), time.Now(), ""))
	r, err := e.svc.Reconcile(sys)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sync.Created != 1 || r.Sync.Changed != 1 || r.Drift() != 2 || r.Events.Pending != 1 || r.Events.Dead != 0 {
		t.Fatalf("drift %d: %s; events %+v", r.Drift(), r.Sync.Report(), r.Events)
	}
	if got := e.contactByExt(t, ext(1)).Position; got != "总经理" {
		t.Fatalf("drift not corrected: position %q", got)
	}
	if r, err = e.svc.Reconcile(sys); err != nil || r.Drift() != 0 {
		t.Fatalf("second reconcile: drift %d (%s), %v", r.Drift(), r.Sync.Report(), err)
	}
}
