package portal

import (
	"fmt"
	"math"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"
)

// The scorecard pages on a 360 px phone and a 1280 px desktop: no
// sideways scrolling, chart text drawn at 12–13 px, and the chart the
// size its text was designed for.
func TestBrowserScorecardsAtBothWidths(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	scHistory(t, e)
	base := e.live()
	for _, w := range []int{360, 1280} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			ctx := browser(t, max(w, 800), 800)
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(int64(w), 800),
				signIn(base+"/scorecards", "buyer@co.test"),
				chromedp.WaitVisible(chromedp.ID("ranking")),
			)
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{"/scorecards", fmt.Sprintf("/scorecards/%d", e.f.PartnerA.ID), "/scorecards/owners"} {
				if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
					t.Fatal(err)
				}
				sw, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				if err != nil || sw > w {
					t.Errorf("%s at %d px scrolls sideways: %d px wide (%v)", path, w, sw, err)
				}
				screenshot(t, ctx, fmt.Sprintf("scorecards-%s-%d", path[1:], w))
			}
			// The chart's text as drawn: its font size in user units times
			// the scale the page gives the SVG.
			if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/scorecards/%d", base, e.f.PartnerA.ID)), chromedp.WaitVisible(chromedp.CSS("svg.chart"))); err != nil {
				t.Fatal(err)
			}
			px, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(()=>{const s=document.querySelector('svg.chart');
				return parseFloat(getComputedStyle(s.querySelector('text')).fontSize)*s.getBoundingClientRect().width/s.viewBox.baseVal.width})()`))
			if err != nil || px < 11.95 || px > 13.05 || math.IsNaN(px) {
				t.Errorf("chart text at %d px is %.2f px (%v)", w, px, err)
			}
		})
	}
}
