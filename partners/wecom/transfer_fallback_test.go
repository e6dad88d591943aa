package wecom_test

import (
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/wecomtransfer"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// A leaver deactivated in Tierlink while still a member of WeCom: the
// departure API answers 40097 for each customer, and the same run hands
// them over with the on-job API instead. Both rows stay on the ledger
// entry (the refusal and the hand-over that followed), the entry shows
// the on-job state, the refusal is not reported as a failure, and a
// second run sends nothing again. A customer the on-job rules refuse
// (handed over twice in 90 days) is written blocked with its date.
func TestWecomTransferDepartureFallsBackOnJob(t *testing.T) {
	e := newXferEnv(t, 3)
	// Contact 2 was handed over on the job twice lately (u00 → u02 → u00):
	// the on-job fallback must wait for WeCom's 90-day rule.
	e.hand(t, "u02", "", 2)
	e.run(t)
	e.clk.add(25 * time.Hour)
	e.run(t)
	e.hand(t, "u00", "", 2)
	e.run(t)
	e.clk.add(25 * time.Hour)
	e.run(t)
	if r := e.row(t, 2); r.Kind != wecomtransfer.KindOnjob || r.State != wecomtransfer.StateDone {
		t.Fatalf("setup: contact 2's latest row %+v", r)
	}
	onjobBefore := e.sim.Calls(transferPath)

	if _, err := e.f.Acc.Deactivate(e.f.Ctx(e.f.Admin), e.staff["u00"], accounts.DeactivateInput{HeirID: e.staff["u01"], Note: "离职"}); err != nil {
		t.Fatal(err)
	}
	res := e.run(t)
	if res.FellBack != 3 {
		t.Fatalf("FellBack = %d, want 3 (%s)", res.FellBack, res.Report())
	}
	if got := e.sim.Calls(resignedPath); got != 1 {
		t.Fatalf("resigned/transfer_customer calls = %d, want 1", got)
	}
	if got := e.sim.Calls(transferPath) - onjobBefore; got != 1 {
		t.Fatalf("transfer_customer calls for the fallback = %d, want 1", got)
	}
	db, sys := e.f.DB.Client, e.f.System()
	for i := range 3 {
		rows, err := db.WecomTransfer.Query().Where(wecomtransfer.ExternalUserid(ext(i))).Order(ent.Asc(wecomtransfer.FieldID)).All(sys)
		if err != nil {
			t.Fatal(err)
		}
		var resigned, onjob *ent.WecomTransfer
		for _, r := range rows {
			if r.Kind == wecomtransfer.KindResigned {
				resigned = r
			} else if resigned != nil {
				onjob = r
			}
		}
		if resigned == nil || resigned.State != wecomtransfer.StateFailed || resigned.Errcode != wecomsim.ErrNotResigned {
			t.Fatalf("contact %d: the departure row %+v, want failed with 40097", i, resigned)
		}
		if onjob == nil || onjob.TransferID != resigned.TransferID || onjob.HandoverUserid != "u00" || onjob.TakeoverUserid != "u01" {
			t.Fatalf("contact %d: no on-job row on the same ledger entry: %+v", i, onjob)
		}
		want := wecomtransfer.StateWaiting
		if i == 2 {
			want = wecomtransfer.StateBlocked
		}
		if onjob.State != want {
			t.Fatalf("contact %d: on-job row %s (errcode %d), want %s", i, onjob.State, onjob.Errcode, want)
		}
		if i == 2 && (onjob.Errcode != wecom.CodeTransferTooOften || onjob.PossibleAt == nil) {
			t.Fatalf("contact 2: blocked without WeCom's rule and date: %+v", onjob)
		}
		st, err := e.xf.States(sys, []int{resigned.TransferID})
		if err != nil || st[resigned.TransferID].Kind != "onjob" || st[resigned.TransferID].State != string(want) {
			t.Fatalf("contact %d: the ledger entry shows %+v (%v)", i, st[resigned.TransferID], err)
		}
		if e.owner(t, i) != e.staff["u01"] {
			t.Fatalf("contact %d not handed to the heir in Tierlink", i)
		}
	}
	// WeCom took the two it could on the job, with no message.
	taken := 0
	for _, r := range e.sim.Transfers() {
		if !r.Resigned && r.HandoverUserID == "u00" && r.TakeoverUserID == "u01" {
			taken++
			if r.Message != "" {
				t.Errorf("the departure's note went to the customer: %q", r.Message)
			}
		}
	}
	if taken != 2 {
		t.Fatalf("WeCom has %d on-job hand-overs u00 → u01, want 2", taken)
	}
	fs, err := e.xf.Failures(sys, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Kind == "resigned" && f.Errcode == wecomsim.ErrNotResigned {
			t.Fatalf("a departure handed over on the job is reported failed: %+v", f)
		}
	}
	if len(fs) != 1 || fs[0].ExternalUserID != ext(2) || fs[0].State != "blocked" {
		t.Fatalf("failures %+v, want only contact 2 blocked", fs)
	}
	// Nothing is sent twice.
	calls := e.sim.Calls(resignedPath) + e.sim.Calls(transferPath)
	if res := e.run(t); res.FellBack != 0 || res.Calls != 0 {
		t.Fatalf("second run: %s", res.Report())
	}
	if got := e.sim.Calls(resignedPath) + e.sim.Calls(transferPath); got != calls {
		t.Fatalf("second run called WeCom %d more times", got-calls)
	}
}
