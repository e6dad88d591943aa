package wecomsim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// TestSimulatorStatisticsWithSDK drives 联系客户统计 and 群聊数据统计 through
// the silenceper SDK's own request and response types: one entry a day,
// the figures of several members summed, owners' group figures, and the
// documented errcodes for a range too long, too old or reversed, too
// many users and an unknown member.
func TestSimulatorStatisticsWithSDK(t *testing.T) {
	sim := wecomsim.New("wwsim", "contact-secret")
	defer sim.Close()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, wecomsim.StatZone)
	sim.SetClock(func() time.Time { return now })
	for _, m := range []string{"a", "b"} {
		sim.AddMember(wecomsim.Member{UserID: m, Follow: true})
	}
	rp, art := 50.0, 12
	sim.SetBehaviour("a", "2026-03-08", wecomsim.BehaviourDay{ChatCnt: 4, MessageCnt: 20, ReplyPercentage: &rp, AvgReplyTime: &art,
		NewContactCnt: 2, NegativeFeedbackCnt: 1, NewApplyCnt: 3})
	sim.SetBehaviour("b", "2026-03-08", wecomsim.BehaviourDay{ChatCnt: 1, MessageCnt: 5})
	sim.SetGroupStat("a", "2026-03-09", wecomsim.GroupStat{NewChatCnt: 1, ChatTotal: 3, ChatHasMsg: 2, NewMemberCnt: 4,
		MemberTotal: 30, MemberHasMsg: 6, MsgTotal: 40})
	ec := sdkOn(t, sim, "contact-secret").GetExternalContact()
	day := func(s string) int {
		d, err := time.ParseInLocation("2006-01-02", s, wecomsim.StatZone)
		if err != nil {
			t.Fatal(err)
		}
		return int(d.Unix())
	}

	t.Run("OneMember", func(t *testing.T) {
		got, err := ec.GetUserBehaviorData(&externalcontact.GetUserBehaviorRequest{UserID: []string{"a"},
			StartTime: day("2026-03-08"), EndTime: day("2026-03-09")})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].StatTime != day("2026-03-08") || got[1].StatTime != day("2026-03-09") {
			t.Fatalf("behavior_data %+v, want one entry a day", got)
		}
		want := externalcontact.BehaviorData{StatTime: day("2026-03-08"), ChatCnt: 4, MessageCnt: 20, ReplyPercentage: 50,
			AvgReplyTime: 12, NegativeFeedbackCnt: 1, NewApplyCnt: 3, NewContactCnt: 2}
		if got[0] != want || got[1].ChatCnt != 0 || got[1].ReplyPercentage != 0 {
			t.Fatalf("behavior_data %+v, want %+v then an empty day", got, want)
		}
	})
	t.Run("MembersSummed", func(t *testing.T) {
		got, err := ec.GetUserBehaviorData(&externalcontact.GetUserBehaviorRequest{UserID: []string{"a", "b"},
			StartTime: day("2026-03-08"), EndTime: day("2026-03-08")})
		if err != nil || len(got) != 1 || got[0].ChatCnt != 5 || got[0].MessageCnt != 25 {
			t.Fatalf("behavior_data %+v, %v; want one day summed over both", got, err)
		}
	})
	t.Run("GroupsByOwner", func(t *testing.T) {
		got, err := ec.GetGroupChatStat(&externalcontact.GetGroupChatStatRequest{DayBeginTime: day("2026-03-09"),
			OwnerFilter: externalcontact.OwnerFilter{UseridList: []string{"a", "b"}}})
		if err != nil {
			t.Fatal(err)
		}
		want := externalcontact.GroupChatStatItemData{NewChatCnt: 1, ChatTotal: 3, ChatHasMsg: 2, NewMemberCnt: 4, MemberTotal: 30,
			MemberHasMsg: 6, MsgTotal: 40}
		if got.Total != 1 || len(got.Items) != 1 || got.Items[0].Owner != "a" || got.Items[0].Data != want {
			t.Fatalf("statistic %+v, want only a's groups", got)
		}
	})

	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("u%d", i)
	}
	for _, tc := range []struct {
		name       string
		start, end int
		users      []string
		want       int64
	}{
		{"ErrRangeOver30Days", day("2026-02-01"), day("2026-03-09"), []string{"a"}, wecomsim.ErrInvalidParameter},
		{"ErrRangeReversed", day("2026-03-09"), day("2026-03-08"), []string{"a"}, wecomsim.ErrInvalidParameter},
		{"ErrOlderThan180Days", day("2025-09-01"), day("2025-09-02"), []string{"a"}, wecomsim.ErrInvalidParameter},
		{"ErrTooManyUsers", day("2026-03-08"), day("2026-03-09"), many, wecomsim.ErrInvalidParameter},
		{"ErrNoUsers", day("2026-03-08"), day("2026-03-09"), nil, wecomsim.ErrInvalidParameter},
		{"ErrUnknownMember", day("2026-03-08"), day("2026-03-09"), []string{"nobody"}, wecomsim.ErrUnknownUser},
	} {
		t.Run("Behaviour"+tc.name, func(t *testing.T) {
			_, err := ec.GetUserBehaviorData(&externalcontact.GetUserBehaviorRequest{UserID: tc.users, StartTime: tc.start, EndTime: tc.end})
			if code(err) != tc.want {
				t.Fatalf("errcode %d (%v), want %d", code(err), err, tc.want)
			}
		})
		t.Run("Groups"+tc.name, func(t *testing.T) {
			_, err := ec.GetGroupChatStat(&externalcontact.GetGroupChatStatRequest{DayBeginTime: tc.start, DayEndTime: tc.end,
				OwnerFilter: externalcontact.OwnerFilter{UseridList: tc.users}})
			if code(err) != tc.want {
				t.Fatalf("errcode %d (%v), want %d", code(err), err, tc.want)
			}
		})
	}
	t.Run("GroupsErrToday", func(t *testing.T) {
		// A day's group figures are ready the day after.
		_, err := ec.GetGroupChatStat(&externalcontact.GetGroupChatStatRequest{DayBeginTime: day("2026-03-10"),
			OwnerFilter: externalcontact.OwnerFilter{UseridList: []string{"a"}}})
		if code(err) != wecomsim.ErrInvalidParameter {
			t.Fatalf("errcode %d, want 40058", code(err))
		}
	})
}
