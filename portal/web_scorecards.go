package portal

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/scorecardsnapshot"
	"github.com/tierlink/tierlink/partners/csvfile"
	"github.com/tierlink/tierlink/partners/scorecards"
)

func (s *Server) scorecardPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/scorecards", Access: authed, Handler: s.scorecardsPage},
		{Method: "GET", Path: "/scorecards.csv", Access: authed, Handler: s.scorecardsCSV},
		{Method: "GET", Path: "/scorecards/owners", Access: staff, Handler: s.ownersPage},
		{Method: "GET", Path: "/scorecards/:id", Access: authed, Handler: s.scorecardPage},
	}
}

type scorecardsData struct {
	F       scorecards.RankFilter
	Ranking scorecards.Ranking
	Sorts   map[string]string // column → the sort its header link asks for
	// Active are the partners with business in the period, ranked; Idle
	// the rest, folded into one line that opens to list them.
	Active, Idle []scorecards.Card
}

// query is the filter as a query string, sort included when withSort.
func (d scorecardsData) query(withSort bool) url.Values {
	q := url.Values{"period": {string(d.F.Period)}}
	set := func(k, v string) {
		if v != "" && v != "0" {
			q.Set(k, v)
		}
	}
	set("kind", string(d.F.Kind))
	set("tier", strconv.Itoa(d.F.Tier))
	set("category", d.F.Category)
	set("owner_id", strconv.Itoa(d.F.OwnerID))
	if withSort {
		set("sort", d.F.Sort)
	}
	return q
}

// SortHref is the link of a column's header: the same filter, sorted by
// the column (the other way round when it already is).
func (d scorecardsData) SortHref(col string) template.URL {
	q := d.query(false)
	q.Set("sort", d.Sorts[col])
	return template.URL("/scorecards?" + q.Encode()) //nolint:gosec // encoded above
}

// CSVHref exports what the page shows: the same period, filter and order.
func (d scorecardsData) CSVHref() template.URL {
	return template.URL("/scorecards.csv?" + d.query(true).Encode()) //nolint:gosec // encoded above
}

// IdleSummary says how many partners had no business in the period,
// naming the period as the heading and the filter do.
func (d scorecardsData) IdleSummary(l *locale) string {
	key := "page.sc_idle_month"
	switch d.Ranking.PeriodKind {
	case scorecards.Week:
		key = "page.sc_idle_week"
	case scorecards.Quarter:
		key = "page.sc_idle_quarter"
	}
	return l.l.N(key, len(d.Idle), nil)
}

// ranking reads the filter from the query and ranks, for the page and
// its CSV export alike.
func (s *Server) ranking(c *fiber.Ctx) (scorecards.RankFilter, scorecards.Ranking, error) {
	f, err := bindQuery[scorecards.RankFilter](c)
	if err != nil {
		return f, scorecards.Ranking{}, err
	}
	// The page and the export show the whole ranking; it is computed
	// once per page read, so read it as of one moment.
	now := time.Now()
	var r scorecards.Ranking
	r.Items, err = everyPage(func(cursor string, limit int) ([]scorecards.Card, string, error) {
		pf := f
		pf.Cursor, pf.Limit = cursor, limit
		p, err := s.deps.Scorecards.Rank(c.UserContext(), pf, now)
		r.Period, r.PeriodKind = p.Period, p.PeriodKind
		return p.Items, p.NextCursor, err
	})
	return f, r, err
}

func (s *Server) scorecardsPage(c *fiber.Ctx) error {
	f, r, err := s.ranking(c)
	if err != nil {
		return err
	}
	// The period the ranking resolved (month when none was asked for)
	// is the one the heading, the filter, the links and the export use.
	f.Period = r.PeriodKind
	d := scorecardsData{F: f, Ranking: r, Sorts: map[string]string{}}
	for _, it := range r.Items {
		if it.Active {
			d.Active = append(d.Active, it)
		} else {
			d.Idle = append(d.Idle, it)
		}
	}
	for _, col := range []string{"score", "otif", "ack", "replies", "name"} {
		d.Sorts[col] = "-" + col
		if f.Sort == "-"+col || (f.Sort == "" && col == "score") {
			d.Sorts[col] = col
		}
	}
	return s.render(c, "scorecards", "scorecards", d)
}

// scorecardsCSV exports the ranking as filtered, one row per partner,
// with empty cells for no data.
func (s *Server) scorecardsCSV(c *fiber.Ctx) error {
	_, r, err := s.ranking(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	// UTF-8 with a byte-order mark (Excel reads Chinese names only so),
	// and a partner named "=..." is written as text, not a formula.
	w := csvfile.NewWriter(&buf, csvfile.UTF8)
	_ = w.Write([]string{"period", "partner_id", "partner", "score", "standing", "ack_within_sla", "ack_median_hours", "otif", "on_time", "in_full",
		"change_rate", "notice_ahead", "freshness", "replies_same_day", "first_reply_hours"})
	pct := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v*100, 'f', 1, 64)
	}
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
	for _, it := range r.Items {
		m := it.Metrics
		_ = w.Write([]string{r.Period, strconv.Itoa(it.PartnerID), it.PartnerName, num(it.Score), it.Standing, pct(m.AckWithinSLA.Value), num(m.AckMedianHours),
			pct(m.OTIF.Value), pct(m.OnTime.Value), pct(m.InFull.Value), pct(m.ChangeRate.Value), pct(m.NoticeAhead.Value), pct(m.Freshness.Value),
			pct(m.Replies.Value), num(m.FirstReplyHours)})
	}
	_ = w.Flush() // writes to a buffer: no error
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="scorecards-%s-%s.csv"`, r.PeriodKind, r.Period))
	return c.Send(buf.Bytes())
}

type scorecardData struct {
	Card        scorecards.Card
	Trend, OTIF scChart
	Buckets     []string
	PeriodKind  scorecardsnapshot.PeriodKind
}

func (s *Server) scorecardPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	q, err := bindQuery[scorecards.CardQuery](c)
	if err != nil {
		return err
	}
	card, err := s.deps.Scorecards.Card(c.UserContext(), id, q, time.Now())
	if err != nil {
		return err
	}
	return s.render(c, "scorecard", "scorecards", scorecardData{Card: card,
		Trend: newScChart("trend", "sc_trend_title", "sc_trend_empty", false, false, card.Trend,
			func(p scorecards.Point) *float64 { return p.Score }),
		OTIF: newScChart("otif", "sc_otif_title", "sc_otif_empty", true, true, card.Trend,
			func(p scorecards.Point) *float64 { return p.OTIF }),
		Buckets: scorecards.PromiseBuckets, PeriodKind: card.PeriodKind})
}

// scPct shows a share as a whole percentage, or "no data" — never 0%
// for nothing.
func scPct(v *float64, l *locale) string {
	if v == nil {
		return l.T("no_data")
	}
	return fmt.Sprintf("%.0f%%", *v*100)
}

// scHours shows a duration given in hours as people say it, in the
// reader's language: "under 1 min", "12 min", "4.5 h" (4.5 小时), and
// "3.2 days" from two days on; "no data" for none.
func scHours(v *float64, l *locale) string {
	switch {
	case v == nil:
		return l.T("no_data")
	case *v < 1.0/60:
		return l.T("sc_under_a_minute")
	case *v < 1:
		return l.l.N("page.sc_minutes", int(math.Round(*v*60)), nil)
	case *v < 48:
		return l.l.T("page.sc_hours", map[string]any{"Value": strconv.FormatFloat(*v, 'f', 1, 64)})
	}
	return l.l.T("page.sc_days", map[string]any{"Value": strconv.FormatFloat(*v/24, 'f', 1, 64)})
}

func (s *Server) ownersPage(c *fiber.Ctx) error {
	q, err := bindQuery[scorecards.OwnerFilter](c)
	if err != nil {
		return err
	}
	now := time.Now()
	var l scorecards.OwnerList
	l.Items, err = everyPage(func(cursor string, limit int) ([]scorecards.Owner, string, error) {
		q.Cursor, q.Limit = cursor, limit
		p, err := s.deps.Scorecards.Owners(c.UserContext(), q, now)
		l.Period = p.Period
		return p.Items, p.NextCursor, err
	})
	if err != nil {
		return err
	}
	return s.render(c, "scorecard_owners", "scorecards", newOwnersData(l))
}
