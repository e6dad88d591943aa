package portal

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/tierlink/tierlink/partners/scorecards"
)

// scChart is one scorecard trend (the score, or OTIF) ready to draw: the
// periods from the first with data to the current one, oldest first.
// Templates call its methods with the reader's locale, so the drawing,
// its description and its table alternative speak the page's language.
type scChart struct {
	// ID prefixes the ids inside the SVG (two charts share a page).
	ID string
	// TitleKey and EmptyKey are page keys: the chart's name, and what
	// is shown instead of a chart when no period has data.
	TitleKey, EmptyKey string
	// Percent says the values are shares (0–1), drawn as 0–100 %.
	Percent bool
	// Bars draws bars; otherwise a line, and a bar when one period has
	// data (a lone dot says nothing).
	Bars   bool
	Points []scPoint
}

type scPoint struct {
	Period string
	Value  *float64 // on a 0–100 scale; nil is no data (a gap, not a zero)
}

// newScChart keeps the trend from its first period with data, so a
// partner with two months of history shows two months, not ten empty
// slots and two points; value picks the figure of a point.
func newScChart(id, titleKey, emptyKey string, percent, bars bool, trend []scorecards.Point, value func(scorecards.Point) *float64) scChart {
	c := scChart{ID: id, TitleKey: titleKey, EmptyKey: emptyKey, Percent: percent, Bars: bars}
	for _, p := range trend {
		v := value(p)
		if v == nil && len(c.Points) == 0 {
			continue
		}
		var sv *float64
		if v != nil {
			x := *v
			if percent {
				x *= 100
			}
			sv = &x
		}
		c.Points = append(c.Points, scPoint{Period: p.Period, Value: sv})
	}
	return c
}

// Empty says no period has data: the page says so instead of drawing.
func (c scChart) Empty() bool { return len(c.Points) == 0 }

// format shows a point's value as the page does elsewhere.
func (c scChart) format(v *float64, l *locale) string {
	if v == nil {
		return l.T("no_data")
	}
	if c.Percent {
		return fmt.Sprintf("%.0f%%", *v)
	}
	return fmt.Sprintf("%.0f", *v)
}

// scRow is one line of a chart's table alternative.
type scRow struct{ Period, Value string }

// Rows are the chart's numbers as a table, for screen readers and for
// anyone who would rather read than look.
func (c scChart) Rows(l *locale) []scRow {
	rows := make([]scRow, 0, len(c.Points))
	for _, p := range c.Points {
		rows = append(rows, scRow{Period: p.Period, Value: c.format(p.Value, l)})
	}
	return rows
}

// Summary says in words what the chart shows: the latest value and its
// change from the period before with data, or that only one period has
// data so far.
func (c scChart) Summary(l *locale) string {
	var last, prev *scPoint
	for i := len(c.Points) - 1; i >= 0; i-- {
		if c.Points[i].Value == nil {
			continue
		}
		if last == nil {
			last = &c.Points[i]
		} else {
			prev = &c.Points[i]
			break
		}
	}
	if last == nil {
		return l.T(c.EmptyKey)
	}
	s := last.Period + ": " + c.format(last.Value, l)
	if prev == nil {
		return s + l.T("sc_sep") + l.l.T("page.sc_only_one", map[string]any{"Period": last.Period})
	}
	d := math.Round(*last.Value) - math.Round(*prev.Value)
	delta := fmt.Sprintf("%.0f", math.Abs(d))
	if c.Percent {
		delta = l.l.T("page.sc_points", map[string]any{"Value": delta})
	}
	data := map[string]any{"Prev": prev.Period, "Delta": delta}
	switch {
	case d > 0:
		return s + l.T("sc_sep") + l.l.T("page.sc_change_up", data)
	case d < 0:
		return s + l.T("sc_sep") + l.l.T("page.sc_change_down", data)
	}
	return s + l.T("sc_sep") + l.l.T("page.sc_change_none", data)
}

// The drawing's geometry, in user units. The SVG is 340 wide and never
// drawn wider (its width attribute), and shrinks to fit a phone: on a
// 360 px phone its box leaves it about 324 px, so 13-unit text reads
// 12.4 px there and 13 px on a desktop. Text scales with the drawing,
// which is why the drawing does not grow to fill a wide screen.
const (
	scW, scH           = 340.0, 200.0
	scLeft, scRight    = 46.0, 8.0 // "100%" on the left axis needs ~40 at 13 units in a CJK font
	scTop, scBottom    = 22.0, 26.0
	scFont             = 13.0
	scInk, scMuted     = "#1c2430", "#475467" // 14:1 and 7:1 on white
	scGrid, scAxis     = "#d0d5dd", "#98a2b3"
	scBar, scLine      = "#1f5fbf", "#1f5fbf"
	scMinSlots         = 4
	scCharW            = 0.62 * scFont // a digit's advance, near enough
	scLabelGap         = 6.0
	scPlotW, scPlotH   = scW - scLeft - scRight, scH - scTop - scBottom
	scValueAboveOffset = 5.0
)

// SVG draws the chart server-side, styled with presentation attributes
// only (the page's Content-Security-Policy allows no inline styles, and
// attributes hold wherever the SVG is shown): light grid lines, axis
// labels, each value labelled where it fits (all of them in the table
// alternative), a title and a description named by aria-labelledby.
func (c scChart) SVG(l *locale) template.HTML {
	if c.Empty() {
		return ""
	}
	esc := template.HTMLEscapeString
	title, desc := l.T(c.TitleKey), c.Summary(l)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-title %s-desc" font-size="%.0f" font-family="system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif">`,
		scW, scH, scW, scH, c.ID, c.ID, scFont)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, c.ID, esc(title), c.ID, esc(desc))
	b.WriteString(`<rect width="100%" height="100%" fill="#ffffff"/>`)

	y := func(v float64) float64 { return scTop + scPlotH - math.Max(0, math.Min(v, 100))/100*scPlotH }
	// Grid lines at the standing bands' edges, labelled on the left.
	for _, g := range []float64{0, 30, 50, 80, 100} {
		stroke, dash := scGrid, ` stroke-dasharray="3 3"`
		if g == 0 {
			stroke, dash = scAxis, ""
		}
		label := fmt.Sprintf("%.0f", g)
		if c.Percent {
			label += "%"
		}
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1"%s/>`, scLeft, scW-scRight, y(g), y(g), stroke, dash)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="%s">%s</text>`, scLeft-5, y(g), scMuted, label)
	}

	n := len(c.Points)
	slots := max(n, scMinSlots)
	step := scPlotW / float64(slots)
	// A short history is drawn centred, at the width of four periods, so
	// one bar is a bar and not a wall.
	x0 := scLeft + (scPlotW-step*float64(n))/2
	x := func(i int) float64 { return x0 + step*float64(i) + step/2 }
	// Labels go under every k-th period counting back from the latest
	// (always labelled), as many as fit without touching.
	widest := 0
	for _, p := range c.Points {
		widest = max(widest, utf8.RuneCountInString(p.Period))
	}
	k := max(1, int(math.Ceil((float64(widest)*scCharW+scLabelGap)/step)))
	labelled := func(i int) bool { return (n-1-i)%k == 0 }
	valueFits := step >= 4*scCharW+scLabelGap // "100%" fits its slot

	bars := c.Bars || n == 1 || c.count() == 1
	var seg []string
	flush := func() {
		if len(seg) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"/>`, strings.Join(seg, " "), scLine)
		}
		seg = nil
	}
	var values strings.Builder
	for i, p := range c.Points {
		if labelled(i) {
			// Kept whole inside the drawing at either end.
			half := float64(utf8.RuneCountInString(p.Period)) * scCharW / 2
			lx := math.Min(math.Max(x(i), scLeft-8+half), scW-2-half)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="%s">%s</text>`, lx, scH-8, scMuted, esc(p.Period))
		}
		if p.Value == nil {
			flush()
			continue
		}
		v := *p.Value
		tip := esc(p.Period + ": " + c.format(p.Value, l))
		if bars {
			w := math.Min(step*0.6, 44)
			h := y(0) - y(v)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x(i)-w/2, y(v), w, h, scBar, tip)
		} else {
			seg = append(seg, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
			fmt.Fprintf(&values, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s" stroke="#ffffff" stroke-width="1.5"><title>%s</title></circle>`, x(i), y(v), scLine, tip)
		}
		if valueFits || labelled(i) {
			fmt.Fprintf(&values, `<text x="%.1f" y="%.1f" text-anchor="middle" font-weight="600" fill="%s">%s</text>`,
				x(i), y(v)-scValueAboveOffset-map[bool]float64{true: 0, false: 2}[bars], scInk, esc(c.format(p.Value, l)))
		}
	}
	flush()
	b.WriteString(values.String()) // dots and labels above the line
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers, fixed markup and escaped text only
}

// count is how many periods have data.
func (c scChart) count() int {
	n := 0
	for _, p := range c.Points {
		if p.Value != nil {
			n++
		}
	}
	return n
}
