package portal

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/shipments"
)

// scPage reads a page as w in the language asked for (the fixture's
// users have no saved language) and fails unless it answers 200.
func (e *env) scPage(t *testing.T, w who, path, lang string) string {
	t.Helper()
	r := e.req(w, "GET", path, "")
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	resp := e.do(r)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%.600s", path, resp.StatusCode, b)
	}
	return string(b)
}

// scOrder has the buyer publish to partner A, at clock time at, an order
// with one line of 10 per due date, which A accepts.
func scOrder(t *testing.T, e *env, number string, at time.Time, due ...time.Time) orders.Order {
	t.Helper()
	f := e.f
	f.Orders.SetClock(func() time.Time { return at })
	defer f.Orders.SetClock(time.Now)
	b := f.Ctx(f.Buyer)
	in := orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: number, Currency: "CNY"}
	var acks []orders.AckLine
	for i, d := range due {
		in.Lines = append(in.Lines, orders.LineInput{ItemCode: fmt.Sprint("L", i+1), Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: d.Format("2006-01-02")})
		acks = append(acks, orders.AckLine{LineNo: i + 1, Action: "accept"})
	}
	o, err := f.Orders.Create(b, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(b, o.ID); err != nil {
		t.Fatal(err)
	}
	if o, err = f.Orders.Acknowledge(f.Ctx(f.UserA), o.ID, orders.AckInput{Lines: acks}); err != nil {
		t.Fatal(err)
	}
	return o
}

// scReceive ships line no of o in full and has the buyer receive it, all
// at clock time at.
func scReceive(t *testing.T, e *env, o orders.Order, no int, at time.Time) {
	t.Helper()
	f := e.f
	f.Shipments.SetClock(func() time.Time { return at })
	defer f.Shipments.SetClock(time.Now)
	pa := f.Ctx(f.UserA)
	sh, err := f.Shipments.Create(pa, shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: no, Quantity: partnerstest.Qty("10")}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindDelivered} {
		if _, err := f.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: k}); err != nil {
			t.Fatal(err)
		}
	}
	var rc []shipments.Received
	for _, l := range sh.Lines {
		rc = append(rc, shipments.Received{LineID: l.ID, Quantity: l.Quantity})
	}
	if _, err := f.Shipments.AddEvent(f.Ctx(f.Buyer), sh.ID, shipments.EventInput{Kind: "received", Received: rc}); err != nil {
		t.Fatal(err)
	}
}

// scHistory gives partner A two months of history: last month a line
// delivered in full before it was due (OTIF 100%); this month one line
// delivered early and one due today, not yet delivered, which has
// missed nothing yet.
func scHistory(t *testing.T, e *env) (prev, cur scorecards.Period) {
	t.Helper()
	now := time.Now().UTC()
	cur, _ = scorecards.PeriodOf(scorecards.Month, now, time.UTC)
	prev = cur.Prev()
	o := scOrder(t, e, "PO-SC-1", prev.Start.Add(9*time.Hour), prev.Start.AddDate(0, 0, 4))
	scReceive(t, e, o, 1, prev.Start.AddDate(0, 0, 2).Add(10*time.Hour))
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	o = scOrder(t, e, "PO-SC-2", now.Add(-time.Minute), today, today)
	scReceive(t, e, o, 2, now.Add(-time.Minute))
	return prev, cur
}

// OTIF counts a line once due or delivered: the line due today and not
// yet delivered is not a 0% (it was: 10 of 20), through the API as well.
func TestScorecardOTIFLeavesOutLinesNotYetDueAPI(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	prev, cur := scHistory(t, e)
	_, b := e.call(wBuyer, "GET", fmt.Sprintf("/api/v1/scorecards/%d", e.f.PartnerA.ID), "")
	c := decode[scorecards.Card](t, b)
	if v := c.Metrics.OTIF.Value; v == nil || *v != 1 {
		t.Fatalf("this month's OTIF = %v, want 100%% (the line not yet due left out): %s", c.Metrics.OTIF, b)
	}
	if c.Period != cur.Label() || c.PeriodKind != scorecards.Month || !c.Active {
		t.Errorf("card period %q %q active %v", c.Period, c.PeriodKind, c.Active)
	}
	n := len(c.Trend)
	if n != 12 || c.Trend[n-2].Period != prev.Label() || c.Trend[n-2].OTIF == nil || *c.Trend[n-2].OTIF != 1 {
		t.Errorf("trend %+v", c.Trend)
	}
}

// The charts carry their own styling as presentation attributes (the
// CSP forbids inline styles), a size whose text reads 12–13 px on a
// phone and a desktop, a title and description, and a table of the
// same numbers; the OTIF chart has its bars; breadcrumbs lead back.
func TestScorecardChartsRead(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	prev, cur := scHistory(t, e)
	path := fmt.Sprintf("/scorecards/%d", e.f.PartnerA.ID)
	en := e.scPage(t, wBuyer, path, "en")
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(en, -1)
	if len(svgs) != 2 {
		t.Fatalf("%d charts, want 2:\n%s", len(svgs), en)
	}
	for i, id := range []string{"trend", "otif"} {
		svg := svgs[i]
		for _, want := range []string{`role="img"`, `aria-labelledby="` + id + `-title ` + id + `-desc"`, `<title id="` + id + `-title">`, `<desc id="` + id + `-desc">`,
			`viewBox="0 0 340 200"`, `width="340"`, `font-size="13"`, `stroke="#d0d5dd"`, `fill="#475467"`} {
			if !strings.Contains(svg, want) {
				t.Errorf("%s chart lacks %s:\n%s", id, want, svg)
			}
		}
		if strings.Contains(svg, "style=") || strings.Contains(svg, "<style") || strings.Contains(svg, "class=\"grid\"") {
			t.Errorf("%s chart relies on styles the page's CSP blocks or no stylesheet defines:\n%s", id, svg)
		}
		for _, label := range []string{prev.Label(), cur.Label()} {
			if !strings.Contains(svg, ">"+label+"</text>") {
				t.Errorf("%s chart lacks the axis label %s", id, label)
			}
		}
	}
	// Two periods of OTIF are two labelled bars, showing the change.
	if strings.Count(svgs[1], "<rect x=") != 2 || strings.Count(svgs[1], ">100%</text>") < 3 {
		t.Errorf("OTIF chart has no labelled bars for its two periods:\n%s", svgs[1])
	}
	if !strings.Contains(en, "unchanged from "+prev.Label()) {
		t.Errorf("the OTIF summary does not say how it changed")
	}
	// The table alternative holds the same numbers.
	table := regexp.MustCompile(`(?s)<figure class="sc-chart" id="otif-chart">.*?</figure>`).FindString(en)
	if !strings.Contains(table, `<details class="sc-table">`) || !strings.Contains(table, `<th scope="row" data-label="Period">`+prev.Label()+`</th><td data-label="Value">100%</td>`) {
		t.Errorf("OTIF table alternative:\n%s", table)
	}
	if !strings.Contains(en, `<nav class="crumbs"`) || !strings.Contains(en, `<a href="/scorecards?period=month">Scorecards</a>`) || !strings.Contains(en, `<li aria-current="page">华星精密</li>`) {
		t.Errorf("breadcrumbs missing")
	}
	// Text 12–13 px: 13 units drawn at most 340 px wide, and at the
	// 324 px a 360 px phone leaves the chart.
	if px := scFont * 324 / scW; scFont > 13 || px < 12 {
		t.Errorf("chart text %.1f px on a desktop, %.1f px on a phone", scFont, px)
	}

	zh := e.scPage(t, wBuyer, path, "zh-CN")
	for _, want := range []string{"各周期评分", "各周期准时足量交付率（OTIF）", "以表格查看数据", "与 " + prev.Label() + " 持平"} {
		if !strings.Contains(zh, want) {
			t.Errorf("Chinese page lacks %q", want)
		}
	}
}

// One period with data is a labelled bar, not a lone dot; no data at
// all says so in words instead of drawing an empty frame.
func TestScorecardChartOnePeriodAndNone(t *testing.T) {
	l := locales["en"]
	v := 0.8
	trend := []scorecards.Point{{Period: "2026-10"}, {Period: "2026-11"}, {Period: "2026-12", Score: new(80.0), OTIF: &v}}
	c := newScChart("trend", "sc_trend_title", "sc_trend_empty", false, false, trend, func(p scorecards.Point) *float64 { return p.Score })
	svg := string(c.SVG(l))
	if len(c.Points) != 1 || !strings.Contains(svg, "<rect x=") || strings.Contains(svg, "<circle") || !strings.Contains(svg, `font-weight="600" fill="#1c2430">80</text>`) {
		t.Errorf("one period is not a labelled bar:\n%s", svg)
	}
	if !strings.Contains(c.Summary(l), "the first period with data") {
		t.Errorf("summary %q", c.Summary(l))
	}
	empty := newScChart("otif", "sc_otif_title", "sc_otif_empty", true, true, trend[:2], func(p scorecards.Point) *float64 { return p.OTIF })
	if !empty.Empty() || empty.SVG(l) != "" {
		t.Errorf("a chart without data is drawn")
	}
}

// The heading, the period filter, the links and the export all name the
// period the ranking was computed for — the month by default, which
// the filter used to show as "this week".
func TestScorecardsPeriodOneSource(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	now := time.Now()
	for _, tc := range []struct {
		query, kind, name string
	}{{"", "month", "This month"}, {"?period=week", "week", "This week"}, {"?period=quarter", "quarter", "This quarter"}} {
		t.Run(tc.kind, func(t *testing.T) {
			p, _ := scorecards.PeriodOf(scorecards.Week, now, time.UTC)
			switch tc.kind {
			case "month":
				p, _ = scorecards.PeriodOf(scorecards.Month, now, time.UTC)
			case "quarter":
				p, _ = scorecards.PeriodOf(scorecards.Quarter, now, time.UTC)
			}
			b := e.scPage(t, wBuyer, "/scorecards"+tc.query, "en")
			if !strings.Contains(b, `id="period-label">`+tc.name+` · <span class="nw">`+p.Label()+`</span>`) {
				t.Errorf("heading does not say %s %s", tc.name, p.Label())
			}
			sel := regexp.MustCompile(`<option value="(\w+)" selected>`).FindStringSubmatch(b)
			if sel == nil || sel[1] != tc.kind {
				t.Errorf("period filter selects %v, want %s", sel, tc.kind)
			}
			if !strings.Contains(b, `href="/scorecards.csv?period=`+tc.kind+`"`) || !strings.Contains(b, `href="/scorecards/owners?period=`+tc.kind+`"`) {
				t.Errorf("export or owners link does not carry the period")
			}
			resp, csv := e.call(wBuyer, "GET", "/scorecards.csv"+tc.query, "")
			rows := strings.Split(strings.TrimSpace(string(csv)), "\n")
			if len(rows) < 2 || !strings.HasPrefix(rows[1], p.Label()+",") {
				t.Errorf("CSV rows do not name %s: %q", p.Label(), rows)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, tc.kind+"-"+p.Label()) {
				t.Errorf("CSV file name %q", cd)
			}
			_, js := e.call(wBuyer, "GET", "/api/v1/scorecards"+tc.query, "")
			if r := decode[scorecards.Ranking](t, js); r.Period != p.Label() || string(r.PeriodKind) != tc.kind {
				t.Errorf("API ranking period %q %q", r.Period, r.PeriodKind)
			}
		})
	}
}

// Partners with business in the period are ranked; the others fold into
// one line that names how many and opens to reach each of them.
func TestScorecardsFoldIdlePartners(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	scHistory(t, e)
	_, js := e.call(wBuyer, "GET", "/api/v1/scorecards", "")
	r := decode[scorecards.Ranking](t, js)
	idle := 0
	for i, it := range r.Items {
		if !it.Active {
			idle++
		} else if idle > 0 {
			t.Errorf("active partner %s at %d ranks below idle ones", it.PartnerName, i)
		}
	}
	if len(r.Items) < 2 || !r.Items[0].Active || r.Items[0].PartnerID != e.f.PartnerA.ID || idle != len(r.Items)-1 {
		t.Fatalf("ranking %+v", r.Items)
	}
	en := e.scPage(t, wBuyer, "/scorecards", "en")
	ranking := regexp.MustCompile(`(?s)<table class="list sc-ranking" id="ranking">.*?</table>`).FindString(en)
	folded := regexp.MustCompile(`(?s)<details class="sc-idle" id="idle">.*?</details>`).FindString(en)
	if !strings.Contains(ranking, "华星精密") || strings.Contains(ranking, "Bravo Metals") {
		t.Errorf("ranking table:\n%s", ranking)
	}
	want := fmt.Sprintf("<summary>%d partners without activity this month</summary>", idle)
	if idle == 1 {
		want = "<summary>1 partner without activity this month</summary>"
	}
	if !strings.Contains(folded, want) || !strings.Contains(folded, fmt.Sprintf(`<a href="/scorecards/%d?period=month">Bravo Metals</a>`, e.f.PartnerB.ID)) {
		t.Errorf("idle partners not folded into %q:\n%s", want, folded)
	}
	zh := e.scPage(t, wBuyer, "/scorecards?period=week", "zh-CN")
	if !strings.Contains(zh, fmt.Sprintf("本周无业务往来的伙伴：%d 个", idle)) {
		t.Errorf("Chinese fold line missing")
	}
}

// Durations and shares read as people write them, in their language.
func TestScorecardNumbersForPeople(t *testing.T) {
	en, zh := locales["en"], locales["zh-CN"]
	for _, tc := range []struct {
		hours  *float64
		en, zh string
	}{
		{nil, "no data", "无数据"},
		{new(0.005), "under 1 min", "不到 1 分钟"},
		{new(0.2), "12 min", "12 分钟"},
		{new(4.5), "4.5 h", "4.5 小时"},
		{new(76.8), "3.2 days", "3.2 天"},
	} {
		if got := scHours(tc.hours, en); got != tc.en {
			t.Errorf("en %v = %q, want %q", tc.hours, got, tc.en)
		}
		if got := scHours(tc.hours, zh); got != tc.zh {
			t.Errorf("zh %v = %q, want %q", tc.hours, got, tc.zh)
		}
	}
	if got := scPct(new(0.756), en); got != "76%" {
		t.Errorf("pct %q", got)
	}
	if got := scPct(nil, zh); got != "无数据" {
		t.Errorf("pct of nothing %q", got)
	}
	// The scorecard page shows no raw key and no English unit in Chinese.
	e := newEnv(t, dialect.SQLite)
	scHistory(t, e)
	page := e.scPage(t, wBuyer, fmt.Sprintf("/scorecards/%d", e.f.PartnerA.ID), "zh-CN")
	main := regexp.MustCompile(`(?s)<main>.*</main>`).FindString(page)
	if m := regexp.MustCompile(`\b(sc|pb|st|p)_[a-z_0-9+]+|\d h\b|p90`).FindString(main); m != "" {
		t.Errorf("raw key or English unit %q on the Chinese page", m)
	}
}
