package portal

import (
	"fmt"

	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/wecom"
)

// ownersData is the owners' page: Tierlink's figures of each owner and,
// beside them, WeCom's own (wecom.Behaviour reads them daily).
type ownersData struct {
	scorecards.OwnerList
	// WeCom says at least one owner has WeCom figures for the period;
	// without any, the page says there is no WeCom data instead of a
	// table of blanks.
	WeCom bool
}

func newOwnersData(l scorecards.OwnerList) ownersData {
	d := ownersData{OwnerList: l}
	for _, o := range l.Items {
		if o.WeCom != nil {
			d.WeCom = true
		}
	}
	return d
}

// WFReplied is WeCom's reply percentage (already 0–100), or "no data"
// when no day of the period had one.
func (ownersData) WFReplied(f *wecom.Figures, l *locale) string {
	if f == nil || f.ReplyPercentage == nil {
		return l.T("no_data")
	}
	return fmt.Sprintf("%.0f%%", *f.ReplyPercentage)
}

// WFReplyTime is WeCom's average first reply, given in minutes, said as
// the Tierlink first reply is.
func (ownersData) WFReplyTime(f *wecom.Figures, l *locale) string {
	if f == nil || f.AvgReplyMinutes == nil {
		return l.T("no_data")
	}
	h := *f.AvgReplyMinutes / 60
	return scHours(&h, l)
}

// WFWithNew is a total with how many of it are new in the period.
func (ownersData) WFWithNew(total, added int, l *locale) string {
	return l.l.T("page.wf_with_new", map[string]any{"Total": total, "New": added})
}

// WFDays says how many days of the period WeCom reported.
func (ownersData) WFDays(n int, l *locale) string { return l.l.N("page.wf_days", n, nil) }
