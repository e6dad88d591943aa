package scorecards

import (
	"context"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/partners/wecom"
)

// withWeCom sets each owner's WeCom member and WeCom's own figures of
// them for the period's days (the daily job stores them, wecom.Behaviour),
// beside Tierlink's figures; an owner who is not linked, or of whom
// WeCom reported no day of the period, has none.
func (s *Service) withWeCom(ctx context.Context, p Period, items []Owner, us []*ent.User) error {
	member := map[int]string{}
	var members []string
	for _, u := range us {
		if u.WecomUserid != nil && *u.WecomUserid != "" {
			member[u.ID] = *u.WecomUserid
			members = append(members, *u.WecomUserid)
		}
	}
	figs, err := wecom.FiguresFor(ctx, s.client, members, p.Start.Format(wecom.DayLayout),
		p.End.Add(-time.Nanosecond).Format(wecom.DayLayout))
	if err != nil {
		return err
	}
	for i := range items {
		items[i].WeComUserID = member[items[i].UserID]
		if f, ok := figs[items[i].WeComUserID]; ok && items[i].WeComUserID != "" {
			items[i].WeCom = &f
		}
	}
	return nil
}
