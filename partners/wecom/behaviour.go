package wecom

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"
	workctx "github.com/silenceper/wechat/v2/work/context"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/wecombehaviour"
	"github.com/tierlink/tierlink/ent/wecomtransfer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
)

// WeCom's documented limits of its statistics (联系客户统计 and
// 群聊数据统计): at most 100 userids a request, a range of at most 30
// days, and data of the last 180 days only. Its days are China Standard
// Time days.
const (
	MaxStatUsers = 100
	MaxStatRange = 30
	MaxStatAge   = 180
)

// DayLayout writes a WeCom statistics day.
const DayLayout = "2006-01-02"

// wecomZone is the zone WeCom counts its days in (UTC+8, no DST).
var wecomZone = time.FixedZone("CST", 8*3600)

// StatDay is the WeCom day t falls on, and StatTime a day's stat_time
// (its first second, as Unix seconds).
func StatDay(t time.Time) string { return t.In(wecomZone).Format(DayLayout) }

func statTime(day string) int64 {
	t, _ := time.ParseInLocation(DayLayout, day, wecomZone)
	return t.Unix()
}

func addDays(day string, n int) string {
	t, _ := time.ParseInLocation(DayLayout, day, wecomZone)
	return t.AddDate(0, 0, n).Format(DayLayout)
}

// BehaviourDay is one day of get_user_behavior_data. ReplyPercentage
// and AvgReplyTime are pointers because WeCom sends them only on a day
// with chats; a zero would read as "never replied".
type BehaviourDay struct {
	StatTime            int64    `json:"stat_time"`
	ChatCnt             int      `json:"chat_cnt"`
	MessageCnt          int      `json:"message_cnt"`
	ReplyPercentage     *float64 `json:"reply_percentage"`
	AvgReplyTime        *int     `json:"avg_reply_time"`
	NegativeFeedbackCnt int      `json:"negative_feedback_cnt"`
	NewApplyCnt         int      `json:"new_apply_cnt"`
	NewContactCnt       int      `json:"new_contact_cnt"`
}

// UserBehaviour reads one member's 联系客户统计 for the days from first
// to last (YYYY-MM-DD, WeCom days, at most 30 apart), one entry a day
// (externalcontact/get_user_behavior_data). WeCom sums every userid of a
// request into one series, so the figures of one member need a request
// of their own.
//
// Written by hand although the SDK has GetUserBehaviorData: its types
// read reply_percentage and avg_reply_time as plain numbers, so a day
// without them (no chats) becomes 0% replied in 0 minutes, which would
// drag every average down. The token, retries and back-off are Do's.
func (c *Client) UserBehaviour(ctx context.Context, userID, first, last string) ([]BehaviourDay, error) {
	if userID == "" || first > last || addDays(first, MaxStatRange) < last {
		return nil, fmt.Errorf("wecom get_user_behavior_data: %q from %s to %s is not one member and at most %d days", userID, first, last, MaxStatRange)
	}
	body, err := json.Marshal(struct {
		UserID    []string `json:"userid"`
		StartTime int64    `json:"start_time"`
		EndTime   int64    `json:"end_time"`
	}{[]string{userID}, statTime(first), statTime(last)})
	if err != nil {
		return nil, err
	}
	var out struct {
		util.CommonError
		BehaviorData []BehaviourDay `json:"behavior_data"`
	}
	err = c.Do(ctx, ContactSecret, "get_user_behavior_data", func(sdk *workctx.Context) error {
		tok, err := sdk.GetAccessToken()
		if err != nil {
			return err
		}
		raw, err := util.HTTPPostContext(ctx, "https://"+wecomHost+"/cgi-bin/externalcontact/get_user_behavior_data?access_token="+
			url.QueryEscape(tok), body, map[string]string{"Content-Type": "application/json; charset=utf-8"})
		if err != nil {
			return err
		}
		out.BehaviorData = nil
		return util.DecodeWithError(raw, &out, "get_user_behavior_data")
	})
	return out.BehaviorData, err
}

// GroupStats reads the customer-group figures (群聊数据统计) of the
// groups each of owners (at most 100) owns on one WeCom day, by owner
// (externalcontact/groupchat/statistic, through the SDK). An owner with
// no group has no entry.
func (c *Client) GroupStats(ctx context.Context, owners []string, day string) (map[string]externalcontact.GroupChatStatItemData, error) {
	if len(owners) == 0 || len(owners) > MaxStatUsers {
		return nil, fmt.Errorf("wecom groupchat/statistic: %d owners, want 1 to %d", len(owners), MaxStatUsers)
	}
	out := map[string]externalcontact.GroupChatStatItemData{}
	for offset := 0; ; {
		var r *externalcontact.GetGroupChatStatResponse
		err := c.Do(ctx, ContactSecret, "groupchat/statistic", func(sdk *workctx.Context) error {
			var err error
			// day_end_time equal to day_begin_time: one day.
			r, err = externalcontact.NewClient(sdk).GetGroupChatStat(&externalcontact.GetGroupChatStatRequest{
				DayBeginTime: int(statTime(day)), DayEndTime: int(statTime(day)),
				OwnerFilter: externalcontact.OwnerFilter{UseridList: owners}, Offset: offset, Limit: 1000})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, it := range r.Items {
			out[it.Owner] = it.Data
		}
		if len(r.Items) == 0 || r.NextOffset <= offset || r.NextOffset >= r.Total {
			return out, nil
		}
		offset = r.NextOffset
	}
}

// Behaviour keeps WeCom's daily figures of each staff user linked to a
// WeCom member, for the supervisors' view.
type Behaviour struct {
	db  *ent.Client
	api *Client
	now func() time.Time
	log *slog.Logger
	// Backfill is how many days a member never read before starts
	// with (at most MaxStatAge).
	Backfill int
	// Groups, when set, gets the supervisors' digest of failed
	// hand-overs as a post in every internal group an admin owns
	// (digestPost); without it the digest is the run report only.
	Groups *groups.Service
}

// NewBehaviour returns the daily figures' reader over db, calling WeCom
// through api.
func NewBehaviour(db *ent.Client, api *Client, log *slog.Logger) *Behaviour {
	if log == nil {
		log = slog.Default()
	}
	return &Behaviour{db: db, api: api, now: time.Now, log: log, Backfill: MaxStatRange}
}

// SetClock replaces the reader's clock, for tests.
func (b *Behaviour) SetClock(now func() time.Time) { b.now = now }

// BehaviourRun is what one run of the daily job did, and the
// supervisor's digest of the hand-overs WeCom refused in the day before.
type BehaviourRun struct {
	Members int
	// First and Last are the days read (empty when none was due).
	First, Last string
	Calls, Days int
	// Unknown are the linked userids WeCom does not know (60111: the
	// member left, or the link is wrong); they are skipped, so one
	// wrong link does not stop everyone's figures, and tried again the
	// next night.
	Unknown []string
	// Failures are the hand-overs whose WeCom state turned to a
	// failure in the 24 hours before the run.
	Failures []Failure
	// Posted counts the groups the digest was posted in.
	Posted int
}

// Run reads, for every staff user linked to a WeCom member, each day
// from the one after their last complete day (or Backfill days back, and
// never more than 180) to yesterday, WeCom's day: first the group
// figures of every member for each day, then each member's behaviour in
// ranges of at most 30 days. A day is stored per member with an upsert
// and marked complete once both are in, so a run cut short, or a day
// missed, is read again by the next run, and reading it twice changes
// nothing. It then gathers the digest of failed hand-overs.
func (b *Behaviour) Run(ctx context.Context) (BehaviourRun, error) {
	sys := partners.AsSystem(ctx, "wecom behaviour")
	var res BehaviourRun
	now := b.now()
	us, err := b.db.User.Query().Where(user.WecomUseridNotNil(), user.Active(true),
		user.RoleIn(user.RoleAdmin, user.RoleBuyer, user.RoleViewer)).All(sys)
	if err != nil {
		return res, err
	}
	var members []string
	for _, u := range us {
		if *u.WecomUserid != "" {
			members = append(members, *u.WecomUserid)
		}
	}
	slices.Sort(members)
	members = slices.Compact(members)
	res.Members = len(members)
	yesterday := StatDay(now.AddDate(0, 0, -1))
	oldest := StatDay(now.AddDate(0, 0, -MaxStatAge))
	from := map[string]string{}
	if len(members) > 0 {
		var last []struct {
			Userid string `json:"userid"`
			Max    string `json:"max"`
		}
		if err := b.db.WecomBehaviour.Query().Where(wecombehaviour.UseridIn(members...), wecombehaviour.Complete(true)).
			GroupBy(wecombehaviour.FieldUserid).Aggregate(ent.Max(wecombehaviour.FieldDay)).Scan(sys, &last); err != nil {
			return res, err
		}
		start := addDays(yesterday, 1-min(max(b.Backfill, 1), MaxStatAge))
		for _, m := range members {
			from[m] = start
		}
		for _, l := range last {
			from[l.Userid] = addDays(l.Max, 1)
		}
		for _, m := range members {
			from[m] = max(from[m], oldest)
		}
	}
	first := addDays(yesterday, 1)
	for _, m := range members {
		first = min(first, from[m])
	}
	if len(members) > 0 && first <= yesterday {
		res.First, res.Last = first, yesterday
		for w := first; w <= yesterday; w = addDays(w, MaxStatRange) {
			if err := b.window(sys, members, from, w, min(addDays(w, MaxStatRange-1), yesterday), &res); err != nil {
				return res, err
			}
		}
	}
	if res.Failures, err = b.failures(sys, now); err != nil || len(res.Failures) == 0 || b.Groups == nil {
		return res, err
	}
	res.Posted, err = b.digestPost(sys, yesterday, res)
	return res, err
}

// digestPost posts the digest of failed hand-overs in every internal
// (staff-only) group an active admin owns, rendered in each reader's
// language, once per WeCom day and group: the notice keys are written in
// the post's transaction, so a second run of the day posts nothing.
func (b *Behaviour) digestPost(ctx context.Context, day string, res BehaviourRun) (int, error) {
	admins, err := b.db.User.Query().Where(user.RoleEQ(user.RoleAdmin), user.Active(true)).IDs(ctx)
	if err != nil || len(admins) == 0 {
		return 0, err
	}
	gs, err := b.db.Group.Query().Where(group.KindEQ(group.KindInternal), group.Archived(false), group.OwnerIDIn(admins...)).
		Order(ent.Asc(group.FieldID)).All(ctx)
	if err != nil || len(gs) == 0 {
		return 0, err
	}
	msg := res.digest()
	posted := 0
	for _, g := range gs {
		err := partners.WithTx(ctx, b.db, func(tx *ent.Tx) error {
			c := tx.Client()
			if err := c.Notice.Create().SetKey(fmt.Sprintf("wecom-digest:%s:g%d", day, g.ID)).SetKind("wecom_digest").Exec(ctx); err != nil {
				return err
			}
			_, err := b.Groups.Announce(ctx, c, g, groups.Announcement{Kind: "wecom_digest", Message: msg})
			return err
		})
		if ent.IsConstraintError(err) {
			continue // posted by an earlier run of the day
		}
		if err != nil {
			return posted, err
		}
		posted++
	}
	return posted, nil
}

// window reads the days from w to end (at most 30) for the members due.
func (b *Behaviour) window(ctx context.Context, members []string, from map[string]string, w, end string, res *BehaviourRun) error {
	for d := w; d <= end; d = addDays(d, 1) {
		var due []string
		for _, m := range members {
			if from[m] <= d {
				due = append(due, m)
			}
		}
		for chunk := range slices.Chunk(due, MaxStatUsers) {
			if err := b.groupDay(ctx, chunk, d, res); err != nil {
				return err
			}
		}
	}
	for _, m := range members {
		start := max(w, from[m])
		if start > end || slices.Contains(res.Unknown, m) {
			continue
		}
		res.Calls++
		days, err := b.api.UserBehaviour(ctx, m, start, end)
		if Code(err) == codeUnknownUser {
			res.unknown(m)
			continue
		}
		if err != nil {
			return err
		}
		n, err := b.storeBehaviour(ctx, m, start, end, days)
		if err != nil {
			return err
		}
		res.Days += n
	}
	return nil
}

// codeUnknownUser is WeCom's answer for a userid that is not a member.
const codeUnknownUser = 60111

func (r *BehaviourRun) unknown(userID string) {
	if !slices.Contains(r.Unknown, userID) {
		r.Unknown = append(r.Unknown, userID)
	}
}

// groupDay reads and stores one day's group figures of owners. WeCom
// refuses the whole request for one userid it does not know (60111), so
// then each owner is asked alone and the unknown ones are skipped.
func (b *Behaviour) groupDay(ctx context.Context, owners []string, day string, res *BehaviourRun) error {
	owners = slices.DeleteFunc(slices.Clone(owners), func(o string) bool { return slices.Contains(res.Unknown, o) })
	if len(owners) == 0 {
		return nil
	}
	res.Calls++
	stats, err := b.api.GroupStats(ctx, owners, day)
	if Code(err) == codeUnknownUser {
		if len(owners) == 1 {
			res.unknown(owners[0])
			return nil
		}
		for _, o := range owners {
			if err := b.groupDay(ctx, []string{o}, day, res); err != nil {
				return err
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	return b.storeGroups(ctx, owners, day, stats)
}

func (b *Behaviour) storeGroups(ctx context.Context, owners []string, day string, stats map[string]externalcontact.GroupChatStatItemData) error {
	now := b.now()
	creates := make([]*ent.WecomBehaviourCreate, 0, len(owners))
	for _, o := range owners {
		s := stats[o] // an owner without groups: zeros
		creates = append(creates, b.db.WecomBehaviour.Create().SetUserid(o).SetDay(day).SetNewChatCnt(s.NewChatCnt).
			SetChatTotal(s.ChatTotal).SetChatHasMsg(s.ChatHasMsg).SetNewMemberCnt(s.NewMemberCnt).SetMemberTotal(s.MemberTotal).
			SetMemberHasMsg(s.MemberHasMsg).SetMsgTotal(s.MsgTotal).SetCreatedAt(now).SetUpdatedAt(now))
	}
	return b.db.WecomBehaviour.CreateBulk(creates...).OnConflictColumns(wecombehaviour.FieldUserid, wecombehaviour.FieldDay).
		Update(func(u *ent.WecomBehaviourUpsert) {
			u.UpdateNewChatCnt().UpdateChatTotal().UpdateChatHasMsg().UpdateNewMemberCnt().UpdateMemberTotal().
				UpdateMemberHasMsg().UpdateMsgTotal().UpdateUpdatedAt()
		}).Exec(ctx)
}

// storeBehaviour upserts the days WeCom reported between start and end
// and marks them complete; a day it did not report stays to be read.
func (b *Behaviour) storeBehaviour(ctx context.Context, userID, start, end string, days []BehaviourDay) (int, error) {
	now := b.now()
	var creates []*ent.WecomBehaviourCreate
	seen := map[string]bool{}
	for _, d := range days {
		day := time.Unix(d.StatTime, 0).In(wecomZone).Format(DayLayout)
		if day < start || day > end || seen[day] {
			continue
		}
		seen[day] = true
		c := b.db.WecomBehaviour.Create().SetUserid(userID).SetDay(day).SetChatCnt(d.ChatCnt).SetMessageCnt(d.MessageCnt).
			SetNewApplyCnt(d.NewApplyCnt).SetNewContactCnt(d.NewContactCnt).SetNegativeFeedbackCnt(d.NegativeFeedbackCnt).
			SetNillableReplyPercentage(d.ReplyPercentage).SetNillableAvgReplyTime(d.AvgReplyTime).SetComplete(true).
			SetCreatedAt(now).SetUpdatedAt(now)
		creates = append(creates, c)
	}
	if len(creates) == 0 {
		return 0, nil
	}
	err := b.db.WecomBehaviour.CreateBulk(creates...).OnConflictColumns(wecombehaviour.FieldUserid, wecombehaviour.FieldDay).
		Update(func(u *ent.WecomBehaviourUpsert) {
			u.UpdateChatCnt().UpdateMessageCnt().UpdateNewApplyCnt().UpdateNewContactCnt().UpdateNegativeFeedbackCnt().
				UpdateReplyPercentage().UpdateAvgReplyTime().UpdateComplete().UpdateUpdatedAt()
		}).Exec(ctx)
	return len(creates), err
}

// failures are the hand-overs whose WeCom state turned to a failure in
// the 24 hours before now, oldest first, with their contacts' names.
func (b *Behaviour) failures(ctx context.Context, now time.Time) ([]Failure, error) {
	rows, err := b.db.WecomTransfer.Query().Where(wecomtransfer.StateIn(wecomtransfer.StateBlocked, wecomtransfer.StateRefused,
		wecomtransfer.StateTakerLimit, wecomtransfer.StateNoRecord, wecomtransfer.StateFailed),
		wecomtransfer.UpdatedAtGTE(now.Add(-24*time.Hour)), wecomtransfer.UpdatedAtLT(now)).
		Order(ent.Asc(wecomtransfer.FieldUpdatedAt), ent.Asc(wecomtransfer.FieldID)).All(ctx)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	var ids []int
	for _, r := range rows {
		ids = append(ids, r.ContactID)
	}
	cts, err := b.db.Contact.Query().Where(contact.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	for _, c := range cts {
		names[c.ID] = c.Name
	}
	out := make([]Failure, 0, len(rows))
	for _, r := range rows {
		out = append(out, Failure{TransferState: toTransferState(r), ContactName: cmp.Or(names[r.ContactID], r.ExternalUserid)})
	}
	return out, nil
}

// pageKeyPrefix makes a page key of TransferState.Key.
const pageKeyPrefix = "page."

// Message is the run's report for the job ledger, in the reader's
// language: what was read, then the digest of yesterday's failed
// hand-overs, one line each.
func (r BehaviourRun) Message() i18n.Lines {
	read := i18n.M("job_report.wecom_behaviour_none")
	if r.First != "" {
		read = i18n.N("job_report.wecom_behaviour", r.Days).With("Members", r.Members).With("First", r.First).
			With("Last", r.Last).With("Calls", r.Calls)
	}
	lines := i18n.Lines{read}
	if len(r.Unknown) > 0 {
		lines = append(lines, i18n.N("job_report.wecom_behaviour_unknown", len(r.Unknown)).With("Members", strings.Join(r.Unknown, ", ")))
	}
	lines = append(lines, r.digest()...)
	if r.Posted > 0 {
		lines = append(lines, i18n.N("job_report.wecom_digest_posted", r.Posted))
	}
	return lines
}

// digest is the supervisors' digest: how many hand-overs failed in
// WeCom in the last day, then one line each.
func (r BehaviourRun) digest() i18n.Lines {
	lines := i18n.Lines{i18n.N("job_report.wecom_transfer_failures", len(r.Failures))}
	for _, f := range r.Failures {
		// The state reads as on the contact's page.
		state := i18n.M(pageKeyPrefix + f.Key())
		m := i18n.M("job_report.wecom_transfer_failure").With("Contact", f.ContactName).With("State", state).With("Errcode", f.Errcode)
		if f.PossibleAt != nil {
			m = i18n.M("job_report.wecom_transfer_failure_until").With("Contact", f.ContactName).With("State", state).
				With("Errcode", f.Errcode).With("Possible", f.PossibleAt.In(wecomZone).Format(DayLayout))
		}
		lines = append(lines, m)
	}
	return lines
}

// Figures are a WeCom member's figures over a period, as the
// supervisors' view shows them beside Tierlink's own.
type Figures struct {
	// Days is how many days of the period WeCom reported.
	Days int `json:"days"`
	// Sums over the period.
	ChatCnt             int `json:"chat_cnt"`
	MessageCnt          int `json:"message_cnt"`
	NewApplyCnt         int `json:"new_apply_cnt"`
	NewContactCnt       int `json:"new_contact_cnt"`
	NegativeFeedbackCnt int `json:"negative_feedback_cnt"`
	// ReplyPercentage (0–100) and AvgReplyMinutes are the days' own
	// averages, averaged again weighted by each day's chat count (a day
	// with a figure but no chat of the member's own weighs one), over
	// the days that have one; nil when none has.
	ReplyPercentage *float64 `json:"reply_percentage"`
	AvgReplyMinutes *float64 `json:"avg_reply_minutes"`
	// Groups: the groups owned and their members on the period's last
	// reported day; new groups, new members and messages summed; and the
	// groups with messages on an average day.
	ChatTotal       int     `json:"chat_total"`
	MemberTotal     int     `json:"member_total"`
	NewChatCnt      int     `json:"new_chat_cnt"`
	NewMemberCnt    int     `json:"new_member_cnt"`
	MsgTotal        int     `json:"msg_total"`
	ChatHasMsgDaily float64 `json:"chat_has_msg_daily"`
}

// Summarize pools one member's days, in day order, into the period's
// figures.
func Summarize(days []*ent.WecomBehaviour) Figures {
	var f Figures
	var repW, rep, timeW, tim float64
	var hasMsg int
	for _, d := range days {
		f.Days++
		f.ChatCnt += d.ChatCnt
		f.MessageCnt += d.MessageCnt
		f.NewApplyCnt += d.NewApplyCnt
		f.NewContactCnt += d.NewContactCnt
		f.NegativeFeedbackCnt += d.NegativeFeedbackCnt
		w := float64(max(d.ChatCnt, 1))
		if d.ReplyPercentage != nil {
			repW += w
			rep += w * *d.ReplyPercentage
		}
		if d.AvgReplyTime != nil {
			timeW += w
			tim += w * float64(*d.AvgReplyTime)
		}
		f.ChatTotal, f.MemberTotal = d.ChatTotal, d.MemberTotal
		f.NewChatCnt += d.NewChatCnt
		f.NewMemberCnt += d.NewMemberCnt
		f.MsgTotal += d.MsgTotal
		hasMsg += d.ChatHasMsg
	}
	if repW > 0 {
		v := rep / repW
		f.ReplyPercentage = &v
	}
	if timeW > 0 {
		v := tim / timeW
		f.AvgReplyMinutes = &v
	}
	if f.Days > 0 {
		f.ChatHasMsgDaily = float64(hasMsg) / float64(f.Days)
	}
	return f
}

// FiguresFor returns each of the members' figures for the WeCom days
// from first to last (YYYY-MM-DD), only the complete days counted; a
// member with none has no entry.
func FiguresFor(ctx context.Context, db *ent.Client, members []string, first, last string) (map[string]Figures, error) {
	out := map[string]Figures{}
	if len(members) == 0 {
		return out, nil
	}
	rows, err := db.WecomBehaviour.Query().Where(wecombehaviour.UseridIn(members...), wecombehaviour.Complete(true),
		wecombehaviour.DayGTE(first), wecombehaviour.DayLTE(last)).
		Order(ent.Asc(wecombehaviour.FieldUserid), ent.Asc(wecombehaviour.FieldDay)).All(ctx)
	if err != nil {
		return nil, err
	}
	by := map[string][]*ent.WecomBehaviour{}
	for _, r := range rows {
		by[r.Userid] = append(by[r.Userid], r)
	}
	for m, ds := range by {
		out[m] = Summarize(ds)
	}
	return out, nil
}
