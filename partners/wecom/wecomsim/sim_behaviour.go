package wecomsim

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The statistics endpoints, as WeCom documents them:
//   - POST /cgi-bin/externalcontact/get_user_behavior_data (联系客户统计):
//     userid (at most 100) and/or partyid, start_time and end_time (Unix
//     seconds; days counted whole, at most 30 days apart, within the last
//     180 days). behavior_data is one entry per day, stat_time its first
//     second, with chat_cnt, message_cnt, negative_feedback_cnt,
//     new_apply_cnt and new_contact_cnt, and reply_percentage and
//     avg_reply_time only on a day with chats. The userids' figures are
//     summed into one series. 40058 for a missing user list, too many
//     users, a reversed, too long or too old range; 60111 for a userid
//     that is not a member.
//   - POST /cgi-bin/externalcontact/groupchat/statistic (群聊数据统计, by
//     owner): day_begin_time (yesterday back to 180 days), day_end_time
//     (the same day when absent; at most 30 days on), owner_filter
//     .userid_list (at most 100), order_by (1..8, default 1), order_asc,
//     offset, limit (default 500, at most 1000). total, next_offset and
//     items of {owner, data}; the flows are summed over the days, the
//     totals (chat_total, member_total) are the last day's. An owner
//     with no group has no item. 40058 for the same range and list
//     errors.

// BehaviourDay is one member's 联系客户统计 for one day. ReplyPercentage
// and AvgReplyTime are nil on a day without chats (not sent).
type BehaviourDay struct {
	ChatCnt             int
	MessageCnt          int
	ReplyPercentage     *float64
	AvgReplyTime        *int
	NegativeFeedbackCnt int
	NewApplyCnt         int
	NewContactCnt       int
}

// GroupStat is one owner's 群聊数据统计 for one day.
type GroupStat struct {
	NewChatCnt            int `json:"new_chat_cnt"`
	ChatTotal             int `json:"chat_total"`
	ChatHasMsg            int `json:"chat_has_msg"`
	NewMemberCnt          int `json:"new_member_cnt"`
	MemberTotal           int `json:"member_total"`
	MemberHasMsg          int `json:"member_has_msg"`
	MsgTotal              int `json:"msg_total"`
	MigrateTraineeChatCnt int `json:"migrate_trainee_chat_cnt"`
}

type behaviourSim struct {
	days   map[string]map[string]BehaviourDay // userid → day → figures
	groups map[string]map[string]GroupStat    // owner → day → figures
}

// behaviourState holds each server's statistics beside it, so this file
// adds the endpoints with one line in New.
var behaviourState sync.Map // *Server → *behaviourSim

func (s *Server) stats() *behaviourSim {
	v, _ := behaviourState.LoadOrStore(s, &behaviourSim{days: map[string]map[string]BehaviourDay{},
		groups: map[string]map[string]GroupStat{}})
	return v.(*behaviourSim)
}

// StatZone is the zone WeCom counts its statistics days in.
var StatZone = time.FixedZone("CST", 8*3600)

const statLayout = "2006-01-02"

// Statistics limits, as documented.
const (
	maxStatUsers = 100
	maxStatSpan  = 30
	maxStatAge   = 180
)

func (s *Server) routeBehaviour(mux *http.ServeMux) {
	mux.HandleFunc("POST /cgi-bin/externalcontact/get_user_behavior_data", s.authed(s.userBehaviour))
	mux.HandleFunc("POST /cgi-bin/externalcontact/groupchat/statistic", s.authed(s.groupStatistic))
}

// SetBehaviour sets a member's figures for a day (YYYY-MM-DD, China
// Standard Time).
func (s *Server) SetBehaviour(userID, day string, d BehaviourDay) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats()
	if st.days[userID] == nil {
		st.days[userID] = map[string]BehaviourDay{}
	}
	st.days[userID][day] = d
}

// SetGroupStat sets an owner's customer-group figures for a day.
func (s *Server) SetGroupStat(owner, day string, g GroupStat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats()
	if st.groups[owner] == nil {
		st.groups[owner] = map[string]GroupStat{}
	}
	st.groups[owner][day] = g
}

func dayOf(unix int64) time.Time {
	t := time.Unix(unix, 0).In(StatZone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, StatZone)
}

// statRange checks a range of whole days against the documented limits:
// not reversed, at most 30 days apart, not before 180 days ago, and
// not after lastOK.
func (s *Server) statRange(begin, end int64, lastOK time.Time) ([]time.Time, bool) {
	if begin <= 0 || end <= 0 {
		return nil, false
	}
	b, e := dayOf(begin), dayOf(end)
	today := dayOf(s.now().Unix())
	if e.Before(b) || e.After(b.AddDate(0, 0, maxStatSpan)) || b.Before(today.AddDate(0, 0, -maxStatAge)) || b.After(lastOK) {
		return nil, false
	}
	var days []time.Time
	for d := b; !d.After(e); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	return days, true
}

type behaviourEntry struct {
	StatTime            int64    `json:"stat_time"`
	ChatCnt             int      `json:"chat_cnt"`
	MessageCnt          int      `json:"message_cnt"`
	ReplyPercentage     *float64 `json:"reply_percentage,omitempty"`
	AvgReplyTime        *int     `json:"avg_reply_time,omitempty"`
	NegativeFeedbackCnt int      `json:"negative_feedback_cnt"`
	NewApplyCnt         int      `json:"new_apply_cnt"`
	NewContactCnt       int      `json:"new_contact_cnt"`
}

func (s *Server) userBehaviour(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID    []string `json:"userid"`
		PartyID   []int    `json:"partyid"`
		StartTime int64    `json:"start_time"`
		EndTime   int64    `json:"end_time"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, ErrInvalidParameter)
		return
	}
	if (len(req.UserID) == 0 && len(req.PartyID) == 0) || len(req.UserID) > maxStatUsers || len(req.PartyID) > maxStatUsers {
		writeErr(w, ErrInvalidParameter)
		return
	}
	days, okr := s.statRange(req.StartTime, req.EndTime, dayOf(s.now().Unix()))
	if !okr {
		writeErr(w, ErrInvalidParameter)
		return
	}
	for _, u := range req.UserID {
		if s.members[u] == nil {
			writeErr(w, ErrUnknownUser)
			return
		}
	}
	st := s.stats()
	out := make([]behaviourEntry, 0, len(days))
	for _, d := range days {
		e := behaviourEntry{StatTime: d.Unix()}
		var repW, rep, timW, tim float64
		for _, u := range req.UserID {
			f := st.days[u][d.Format(statLayout)]
			e.ChatCnt += f.ChatCnt
			e.MessageCnt += f.MessageCnt
			e.NegativeFeedbackCnt += f.NegativeFeedbackCnt
			e.NewApplyCnt += f.NewApplyCnt
			e.NewContactCnt += f.NewContactCnt
			wt := float64(max(f.ChatCnt, 1))
			if f.ReplyPercentage != nil {
				repW, rep = repW+wt, rep+wt**f.ReplyPercentage
			}
			if f.AvgReplyTime != nil {
				timW, tim = timW+wt, tim+wt*float64(*f.AvgReplyTime)
			}
		}
		if repW > 0 {
			v := rep / repW
			e.ReplyPercentage = &v
		}
		if timW > 0 {
			v := int(tim/timW + 0.5)
			e.AvgReplyTime = &v
		}
		out = append(out, e)
	}
	writeJSON(w, struct {
		errBody
		BehaviorData []behaviourEntry `json:"behavior_data"`
	}{ok(), out})
}

type groupStatItem struct {
	Owner string    `json:"owner"`
	Data  GroupStat `json:"data"`
}

func (g GroupStat) sortKey(by int) int {
	switch by {
	case 2:
		return g.ChatTotal
	case 3:
		return g.ChatHasMsg
	case 4:
		return g.NewMemberCnt
	case 5:
		return g.MemberTotal
	case 6:
		return g.MemberHasMsg
	case 7:
		return g.MsgTotal
	case 8:
		return g.MigrateTraineeChatCnt
	}
	return g.NewChatCnt
}

func (s *Server) groupStatistic(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DayBeginTime int64 `json:"day_begin_time"`
		DayEndTime   int64 `json:"day_end_time"`
		OwnerFilter  struct {
			UseridList []string `json:"userid_list"`
		} `json:"owner_filter"`
		OrderBy  int `json:"order_by"`
		OrderAsc int `json:"order_asc"`
		Offset   int `json:"offset"`
		Limit    int `json:"limit"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, ErrInvalidParameter)
		return
	}
	if req.DayEndTime == 0 {
		req.DayEndTime = req.DayBeginTime
	}
	owners := req.OwnerFilter.UseridList
	if len(owners) == 0 || len(owners) > maxStatUsers || req.OrderBy < 0 || req.OrderBy > 8 || req.Offset < 0 ||
		req.Limit < 0 || req.Limit > 1000 {
		writeErr(w, ErrInvalidParameter)
		return
	}
	// The statistics of a day are ready the day after: yesterday at the
	// latest.
	days, okr := s.statRange(req.DayBeginTime, req.DayEndTime, dayOf(s.now().Unix()).AddDate(0, 0, -1))
	if !okr {
		writeErr(w, ErrInvalidParameter)
		return
	}
	for _, u := range owners {
		if s.members[u] == nil {
			writeErr(w, ErrUnknownUser)
			return
		}
	}
	st := s.stats()
	var items []groupStatItem
	for _, o := range slices.Compact(slices.Sorted(slices.Values(owners))) {
		var g GroupStat
		found := false
		for _, d := range days {
			f, has := st.groups[o][d.Format(statLayout)]
			if !has {
				continue
			}
			found = true
			g.NewChatCnt += f.NewChatCnt
			g.ChatHasMsg += f.ChatHasMsg
			g.NewMemberCnt += f.NewMemberCnt
			g.MemberHasMsg += f.MemberHasMsg
			g.MsgTotal += f.MsgTotal
			g.MigrateTraineeChatCnt += f.MigrateTraineeChatCnt
			g.ChatTotal, g.MemberTotal = f.ChatTotal, f.MemberTotal
		}
		if found {
			items = append(items, groupStatItem{Owner: o, Data: g})
		}
	}
	slices.SortStableFunc(items, func(a, b groupStatItem) int {
		c := cmp.Compare(a.Data.sortKey(req.OrderBy), b.Data.sortKey(req.OrderBy))
		if req.OrderAsc == 0 {
			c = -c
		}
		return c
	})
	limit := cmp.Or(req.Limit, 500)
	total := len(items)
	start := min(req.Offset, total)
	end := min(start+limit, total)
	page := items[start:end]
	if page == nil {
		page = []groupStatItem{}
	}
	writeJSON(w, struct {
		errBody
		Total      int             `json:"total"`
		NextOffset int             `json:"next_offset"`
		Items      []groupStatItem `json:"items"`
	}{ok(), total, end, page})
}
