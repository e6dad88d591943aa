package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/wecombehaviour"
	"github.com/tierlink/tierlink/ent/wecomtransfer"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// TestWeComBehaviourJob runs the standard wecom-behaviour job by hand
// through the scheduler: it stores the linked member's days and its run
// report is the supervisor's digest of the hand-overs that failed in
// WeCom in the last day. Without WeCom it says so and does nothing.
func TestWeComBehaviourJob(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	sim := wecomsim.New("wwjobs", "contact-secret")
	defer sim.Close()
	sim.AddMember(wecomsim.Member{UserID: "bo", Follow: true})
	if err := f.DB.Client.User.UpdateOneID(f.Buyer.ID).SetWecomUserid("bo").Exec(sysCtx()); err != nil {
		t.Fatal(err)
	}
	yesterday := wecom.StatDay(time.Now().AddDate(0, 0, -1))
	sim.SetBehaviour("bo", yesterday, wecomsim.BehaviourDay{ChatCnt: 3, MessageCnt: 9})
	if err := f.DB.Client.WecomTransfer.Create().SetTransferID(1).SetContactID(f.ContactA.ID).SetExternalUserid("wmA").
		SetKind(wecomtransfer.KindOnjob).SetState(wecomtransfer.StateRefused).SetUpdatedAt(time.Now().Add(-time.Hour)).
		Exec(sysCtx()); err != nil {
		t.Fatal(err)
	}
	api, err := wecom.NewClient(wecom.Config{CorpID: "wwjobs", ContactSecret: "contact-secret", APIBase: sim.URL()}, f.DB.Client, quiet())
	if err != nil {
		t.Fatal(err)
	}
	b := wecom.NewBehaviour(f.DB.Client, api, quiet())
	b.Backfill = 2

	for i, tc := range []struct {
		name   string
		b      *wecom.Behaviour
		report []string
		rows   int
	}{
		{"WeComOff", nil, []string{"WeCom is not configured"}, 0},
		{"Run", b, []string{": 2 member-days in 3 calls (linked members: 1)", "1 WeCom hand-over failed in the last 24 hours",
			"刘洋: refused by the customer"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js, err := Standard(Services{Client: f.DB.Client, WeComBehaviour: tc.b}, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := New(f.DB.Client, quiet(), time.UTC, "a")
			for _, j := range js {
				if j.Name == "wecom-behaviour" {
					if j.Spec != "50 2 * * *" || j.Missed != CatchUp {
						t.Fatalf("wecom-behaviour is scheduled %q, %v", j.Spec, j.Missed)
					}
					if err := s.Add(j); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := s.RunNow(adminCtx(), "wecom-behaviour", false); err != nil {
				t.Fatal(err)
			}
			var report string
			waitFor(t, "the run to end", func() bool {
				d, err := s.Job(sysCtx(), "wecom-behaviour", RunFilter{})
				// The ledger keeps the earlier subtests' runs; newest first.
				if err != nil || len(d.Runs.Items) != i+1 || d.Runs.Items[0].Outcome == "running" {
					return false
				}
				if r := d.Runs.Items[0]; r.Outcome != "ok" {
					t.Fatalf("run %+v", r)
				}
				report = d.Runs.Items[0].Report
				return true
			})
			for _, w := range tc.report {
				if !strings.Contains(report, w) {
					t.Errorf("report lacks %q:\n%s", w, report)
				}
			}
			n, err := f.DB.Client.WecomBehaviour.Query().Where(wecombehaviour.Userid("bo"), wecombehaviour.Complete(true)).Count(sysCtx())
			if err != nil || n != tc.rows {
				t.Fatalf("%d complete rows stored (%v), want %d", n, err, tc.rows)
			}
		})
	}
}
