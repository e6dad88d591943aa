package wecom_test

import (
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/wecombehaviour"
	"github.com/tierlink/tierlink/ent/wecomtransfer"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

const (
	behaviourPath  = "/cgi-bin/externalcontact/get_user_behavior_data"
	groupStatsPath = "/cgi-bin/externalcontact/groupchat/statistic"
)

// behaviourEnv is newEnv with members u00 and u01 linked to Tierlink
// buyers by hand (u02 is a member but no Tierlink user), a clock shared
// by the simulator, the token store and the reader, and the reader.
type behaviourEnv struct {
	*env
	b   *wecom.Behaviour
	clk *clock
}

func newBehaviourEnv(t *testing.T) *behaviourEnv {
	t.Helper()
	return newBehaviourEnvOn(t, dialect.SQLite)
}

func newBehaviourEnvOn(t *testing.T, d string) *behaviourEnv {
	t.Helper()
	e := newEnvOn(t, d, 3, 2, false)
	for uid, id := range e.staff {
		if err := e.f.DB.Client.User.UpdateOneID(id).SetWecomUserid(uid).Exec(e.f.System()); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{t: time.Date(2026, 3, 10, 2, 50, 0, 0, wecomsim.StatZone)}
	e.sim.SetClock(clk.now)
	e.api.Tokens().SetClock(clk.now)
	b := wecom.NewBehaviour(e.f.DB.Client, e.api, nil)
	b.SetClock(clk.now)
	b.Backfill = 3
	return &behaviourEnv{env: e, b: b, clk: clk}
}

func (e *behaviourEnv) run(t *testing.T) wecom.BehaviourRun {
	t.Helper()
	r, err := e.b.Run(e.f.System())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return r
}

func (e *behaviourEnv) rows(t *testing.T) map[string]*ent.WecomBehaviour {
	t.Helper()
	rs, err := e.f.DB.Client.WecomBehaviour.Query().Order(ent.Asc(wecombehaviour.FieldID)).All(e.f.System())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ent.WecomBehaviour{}
	for _, r := range rs {
		out[r.Userid+" "+r.Day] = r
	}
	return out
}

func fp(v float64) *float64 { return &v }
func ip(v int) *int         { return &v }

// TestBehaviourDailyRun reads the figures of the linked members only,
// day by day with missed days caught up, stores one row per member and
// day, and reads nothing twice: a second run the same day calls WeCom for
// nothing, a day cut short is read again, and a 45009 is waited out. On
// every dialect: the upserts and the last-day aggregate are SQL.
func TestBehaviourDailyRun(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) { testBehaviourDailyRun(t, d) })
	}
}

func testBehaviourDailyRun(t *testing.T, d string) {
	e := newBehaviourEnvOn(t, d)
	e.sim.SetBehaviour("u00", "2026-03-08", wecomsim.BehaviourDay{ChatCnt: 4, MessageCnt: 20, ReplyPercentage: fp(50),
		AvgReplyTime: ip(30), NewContactCnt: 2, NegativeFeedbackCnt: 1, NewApplyCnt: 3})
	e.sim.SetBehaviour("u00", "2026-03-09", wecomsim.BehaviourDay{ChatCnt: 1, MessageCnt: 2, ReplyPercentage: fp(100), AvgReplyTime: ip(5)})
	e.sim.SetBehaviour("u01", "2026-03-09", wecomsim.BehaviourDay{ChatCnt: 2, MessageCnt: 7})
	e.sim.SetBehaviour("u02", "2026-03-09", wecomsim.BehaviourDay{ChatCnt: 9})
	e.sim.SetGroupStat("u00", "2026-03-09", wecomsim.GroupStat{NewChatCnt: 1, ChatTotal: 3, ChatHasMsg: 2, NewMemberCnt: 4,
		MemberTotal: 30, MemberHasMsg: 6, MsgTotal: 40})

	r := e.run(t)
	if r.First != "2026-03-07" || r.Last != "2026-03-09" || r.Members != 2 || r.Days != 6 {
		t.Fatalf("run %+v, want 2 members from 2026-03-07 to 2026-03-09, 6 member-days", r)
	}
	rows := e.rows(t)
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6 (2 linked members × 3 days; u02 is no Tierlink user)", len(rows))
	}
	for k, row := range rows {
		if !row.Complete {
			t.Fatalf("%s not complete", k)
		}
	}
	if d := rows["u00 2026-03-08"]; d.ChatCnt != 4 || d.MessageCnt != 20 || d.ReplyPercentage == nil || *d.ReplyPercentage != 50 ||
		d.AvgReplyTime == nil || *d.AvgReplyTime != 30 || d.NewContactCnt != 2 || d.NegativeFeedbackCnt != 1 || d.NewApplyCnt != 3 {
		t.Fatalf("u00 2026-03-08 stored %+v", d)
	}
	if d := rows["u01 2026-03-09"]; d.ChatCnt != 2 || d.ReplyPercentage != nil || d.AvgReplyTime != nil {
		t.Fatalf("u01 2026-03-09 stored %+v: a day WeCom sent no reply figures for must keep none", d)
	}
	if d := rows["u00 2026-03-09"]; d.ChatTotal != 3 || d.NewChatCnt != 1 || d.MemberTotal != 30 || d.MsgTotal != 40 || d.ChatHasMsg != 2 {
		t.Fatalf("u00 2026-03-09 group figures %+v", d)
	}

	t.Run("SecondRunReadsNothing", func(t *testing.T) {
		calls := e.sim.Calls(behaviourPath) + e.sim.Calls(groupStatsPath)
		r := e.run(t)
		if r.First != "" || r.Days != 0 || e.sim.Calls(behaviourPath)+e.sim.Calls(groupStatsPath) != calls || len(e.rows(t)) != 6 {
			t.Fatalf("second run %+v read again", r)
		}
	})
	t.Run("MissedDaysCaughtUp", func(t *testing.T) {
		e.clk.add(3 * 24 * time.Hour) // the job did not run for two days
		e.sim.SetBehaviour("u01", "2026-03-12", wecomsim.BehaviourDay{ChatCnt: 6, ReplyPercentage: fp(0), AvgReplyTime: ip(90)})
		r := e.run(t)
		if r.First != "2026-03-10" || r.Last != "2026-03-12" || r.Days != 6 || len(e.rows(t)) != 12 {
			t.Fatalf("catch-up %+v, %d rows; want 2026-03-10 to 2026-03-12", r, len(e.rows(t)))
		}
		if d := e.rows(t)["u01 2026-03-12"]; d.ReplyPercentage == nil || *d.ReplyPercentage != 0 || *d.AvgReplyTime != 90 {
			t.Fatalf("u01 2026-03-12 %+v: a real 0%% must be kept", d)
		}
	})
	t.Run("DayCutShortReadAgain", func(t *testing.T) {
		e.clk.add(24 * time.Hour)
		// u00's behaviour is read (group figures of both first), then
		// u01's call fails: u01's day is stored only in part.
		e.sim.FailAfter(behaviourPath, 1, -1, 1) // -1: WeCom busy
		if _, err := e.b.Run(e.f.System()); wecom.Code(err) != -1 {
			t.Fatalf("run: %v, want errcode -1", err)
		}
		rows := e.rows(t)
		if !rows["u00 2026-03-13"].Complete || rows["u01 2026-03-13"] == nil || rows["u01 2026-03-13"].Complete {
			t.Fatalf("after the cut: u00 %+v, u01 %+v", rows["u00 2026-03-13"], rows["u01 2026-03-13"])
		}
		before := e.sim.Calls(behaviourPath)
		r := e.run(t)
		if r.Days != 1 || e.sim.Calls(behaviourPath) != before+1 || !e.rows(t)["u01 2026-03-13"].Complete || len(e.rows(t)) != 14 {
			t.Fatalf("rerun %+v: want only u01's day read again", r)
		}
	})
	t.Run("FrequencyLimitWaitedOut", func(t *testing.T) {
		e.clk.add(24 * time.Hour)
		e.sim.FailNext(behaviourPath, wecomsim.ErrFrequencyLimit, 1)
		e.sim.FailNext(groupStatsPath, wecomsim.ErrFrequencyLimit, 1)
		if r := e.run(t); r.Days != 2 || len(e.rows(t)) != 16 {
			t.Fatalf("run under 45009: %+v", r)
		}
	})
	t.Run("FiguresWeighted", func(t *testing.T) {
		got, err := wecom.FiguresFor(e.f.System(), e.f.DB.Client, []string{"u00", "u01", "u02"}, "2026-03-08", "2026-03-09")
		if err != nil {
			t.Fatal(err)
		}
		f := got["u00"]
		// (4 chats × 50% + 1 chat × 100%) / 5 chats; (4 × 30 + 1 × 5) / 5 minutes.
		if f.Days != 2 || f.ChatCnt != 5 || f.MessageCnt != 22 || f.ReplyPercentage == nil || *f.ReplyPercentage != 60 ||
			*f.AvgReplyMinutes != 25 || f.ChatTotal != 3 || f.NewChatCnt != 1 || f.ChatHasMsgDaily != 1 {
			t.Fatalf("u00 figures %+v", f)
		}
		if f := got["u01"]; f.Days != 2 || f.ReplyPercentage != nil || f.AvgReplyMinutes != nil {
			t.Fatalf("u01 figures %+v: no reply figure on any day is none, not 0", f)
		}
		if _, has := got["u02"]; has {
			t.Fatal("u02 has figures though it was never read")
		}
	})
}

// TestBehaviourDigestsFailedTransfers lists, in the run's report and in
// a post in the internal groups admins own, the hand-overs that failed
// in WeCom in the 24 hours before the run, in the reader's language, and
// not older ones; a second run of the day posts nothing more.
func TestBehaviourDigestsFailedTransfers(t *testing.T) {
	e := newBehaviourEnv(t)
	now := e.clk.now()
	possible := time.Date(2026, 4, 20, 0, 0, 0, 0, wecomsim.StatZone)
	mk := func(tid int, st wecomtransfer.State, code int, at time.Time, until *time.Time) {
		t.Helper()
		if err := e.f.DB.Client.WecomTransfer.Create().SetTransferID(tid).SetContactID(e.f.ContactA.ID).SetExternalUserid("wmX").
			SetKind(wecomtransfer.KindOnjob).SetState(st).SetErrcode(code).SetNillablePossibleAt(until).SetUpdatedAt(at).
			Exec(e.f.System()); err != nil {
			t.Fatal(err)
		}
	}
	mk(1, wecomtransfer.StateRefused, 0, now.Add(-2*time.Hour), nil)
	mk(2, wecomtransfer.StateBlocked, wecom.CodeTransferTooOften, now.Add(-time.Hour), &possible)
	mk(3, wecomtransfer.StateTakerLimit, 0, now.Add(-30*time.Hour), nil) // the day before: not in this digest
	mk(4, wecomtransfer.StateDone, 0, now.Add(-time.Hour), nil)
	// The digest is posted in the internal group the admin owns, not in
	// a buyer's internal group nor in a partner's group.
	sys := e.f.System()
	mkGroup := func(name string, kind group.Kind, owner int) int {
		t.Helper()
		in := groups.GroupInput{Name: name, Kind: kind, OwnerID: owner, UserIDs: []int{owner}}
		if kind == group.KindPartner {
			in.PartnerID = e.f.PartnerA.ID
		}
		g, err := e.f.Groups.Create(sys, in)
		if err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	supervisors := mkGroup("Supervisors", group.KindInternal, e.f.Admin.ID)
	buyers := mkGroup("Buyers", group.KindInternal, e.f.Buyer.ID)
	partnerGroup := mkGroup("Alpha", group.KindPartner, e.f.Admin.ID)
	e.b.Groups = e.f.Groups
	r := e.run(t)
	if len(r.Failures) != 2 || r.Failures[0].TransferID != 1 || r.Failures[1].TransferID != 2 || r.Posted != 1 {
		t.Fatalf("failures %+v posted in %d groups, want transfers 1 and 2 posted in 1", r.Failures, r.Posted)
	}
	posts := func(gid int, lang string) []string {
		t.Helper()
		p, err := e.f.Groups.Posts(i18n.WithLanguage(sys, lang), gid, groups.PostFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range p.Items {
			if it.EventKind == "wecom_digest" {
				out = append(out, it.Body)
			}
		}
		return out
	}
	for lang, want := range map[string]string{i18n.English: "刘洋: refused by WeCom's rules for now (errcode 40128); possible from 2026-04-20",
		i18n.Chinese: "过去 24 小时有 2 个企业微信交接失败"} {
		if got := posts(supervisors, lang); len(got) != 1 || !strings.Contains(got[0], want) {
			t.Fatalf("%s: the supervisors' group has %q, want one digest with %q", lang, got, want)
		}
	}
	if got := append(posts(buyers, i18n.English), posts(partnerGroup, i18n.English)...); len(got) != 0 {
		t.Fatalf("the digest went to other groups: %q", got)
	}
	// A second run of the day posts nothing more.
	if r2 := e.run(t); r2.Posted != 0 || len(posts(supervisors, i18n.English)) != 1 {
		t.Fatalf("second run posted again: %d", r2.Posted)
	}
	en := i18n.For(i18n.English).RenderLines(r.Message())
	zh := i18n.For(i18n.Chinese).RenderLines(r.Message())
	for _, want := range []string{"2 WeCom hand-overs failed in the last 24 hours", "刘洋: refused by the customer (errcode 0)",
		"刘洋: refused by WeCom's rules for now (errcode 40128); possible from 2026-04-20"} {
		if !strings.Contains(en, want) {
			t.Errorf("English report lacks %q:\n%s", want, en)
		}
	}
	for _, want := range []string{"过去 24 小时有 2 个企业微信交接失败", "刘洋：", "2026-04-20 起可再交接"} {
		if !strings.Contains(zh, want) {
			t.Errorf("Chinese report lacks %q:\n%s", want, zh)
		}
	}
}

// TestBehaviourSkipsUnknownMember: a staff user linked to a userid WeCom
// does not know (60111) is skipped and named in the report, and the
// others' figures are read all the same.
func TestBehaviourSkipsUnknownMember(t *testing.T) {
	e := newBehaviourEnv(t)
	if err := e.f.DB.Client.User.UpdateOneID(e.f.Buyer.ID).SetWecomUserid("ghost").Exec(e.f.System()); err != nil {
		t.Fatal(err)
	}
	e.sim.SetGroupStat("u01", "2026-03-09", wecomsim.GroupStat{ChatTotal: 2})
	r := e.run(t)
	if len(r.Unknown) != 1 || r.Unknown[0] != "ghost" || r.Days != 6 {
		t.Fatalf("run %+v, want ghost skipped and 2 members × 3 days read", r)
	}
	rows := e.rows(t)
	if len(rows) != 6 || rows["u01 2026-03-09"].ChatTotal != 2 || !rows["u01 2026-03-09"].Complete {
		t.Fatalf("%d rows (%+v), want u00's and u01's days only, complete", len(rows), rows["u01 2026-03-09"])
	}
	for k := range rows {
		if strings.HasPrefix(k, "ghost ") {
			t.Fatalf("a row for the unknown member: %s", k)
		}
	}
	for lang, want := range map[string]string{i18n.English: "1 linked member unknown to WeCom skipped: ghost",
		i18n.Chinese: "跳过 1 位企业微信中不存在的已关联成员：ghost"} {
		if got := i18n.For(lang).RenderLines(r.Message()); !strings.Contains(got, want) {
			t.Errorf("%s report lacks %q:\n%s", lang, want, got)
		}
	}
}
