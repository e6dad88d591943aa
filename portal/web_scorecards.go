package portal

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
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
		r.Period = p.Period
		return p.Items, p.NextCursor, err
	})
	return f, r, err
}

func (s *Server) scorecardsPage(c *fiber.Ctx) error {
	f, r, err := s.ranking(c)
	if err != nil {
		return err
	}
	d := scorecardsData{F: f, Ranking: r, Sorts: map[string]string{}}
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
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="scorecards-%s.csv"`, r.Period))
	return c.Send(buf.Bytes())
}

type scorecardData struct {
	Card       scorecards.Card
	TrendSVG   template.HTML
	OTIFSVG    template.HTML
	Buckets    []string
	PeriodKind scorecardsnapshot.PeriodKind
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
	kind := q.Period
	if kind == "" {
		kind = scorecards.Month
	}
	return s.render(c, "scorecard", "scorecards", scorecardData{Card: card, TrendSVG: trendSVG(card.Trend, false),
		OTIFSVG: trendSVG(card.Trend, true), Buckets: scorecards.PromiseBuckets, PeriodKind: kind})
}

// trendSVG draws the twelve periods as a line (scores) or bars (OTIF)
// on a 0–100 scale, server-side: no chart library, no CDN, nothing for
// the CSP to allow. Periods without data are gaps, not zeros.
func trendSVG(ps []scorecards.Point, bars bool) template.HTML {
	const w, h, pad = 480.0, 160.0, 24.0
	step := (w - 2*pad) / float64(max(len(ps), 1))
	y := func(v float64) float64 { return h - pad - v/100*(h-2*pad) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" xmlns="http://www.w3.org/2000/svg">`, w, h)
	for _, g := range []float64{0, 30, 50, 80, 100} {
		fmt.Fprintf(&b, `<line class="grid" x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"/><text class="axis" x="2" y="%.1f">%.0f</text>`, pad, w-pad, y(g), y(g), y(g)+4, g)
	}
	var line []string
	flush := func() {
		if len(line) > 1 {
			fmt.Fprintf(&b, `<polyline class="trend" points="%s"/>`, strings.Join(line, " "))
		}
		line = nil
	}
	for i, p := range ps {
		x := pad + step*float64(i) + step/2
		v := p.Score
		if bars {
			v = nil
			if p.OTIF != nil {
				pct := *p.OTIF * 100
				v = &pct
			}
		}
		label := template.HTMLEscapeString(p.Period)
		if i%2 == len(ps)%2 || len(ps) < 7 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`, x, h-6, label)
		}
		if v == nil {
			flush()
			continue
		}
		if bars {
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %.1f%%</title></rect>`,
				x-step*0.35, y(*v), step*0.7, y(0)-y(*v), label, *v)
			continue
		}
		line = append(line, fmt.Sprintf("%.1f,%.1f", x, y(*v)))
		fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="3"><title>%s: %.0f</title></circle>`, x, y(*v), label, *v)
	}
	flush()
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built above from numbers and escaped labels
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
	return s.render(c, "scorecard_owners", "scorecards", l)
}
