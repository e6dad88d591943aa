package portal

import (
	"testing"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"
)

// On a 360 px phone the header is one short row with a menu button that
// opens the navigation without JavaScript; on a desktop the navigation
// is a row and the button is gone.
func TestBrowserShellHeader(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	t.Run("Phone", func(t *testing.T) {
		ctx := browser(t, 360, 740)
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
			t.Fatal(err)
		}
		small, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('input:not([type=hidden]),button,select')].filter(x => x.getBoundingClientRect().height < 40).length`))
		if err != nil || small != 0 {
			t.Errorf("%d controls under 40 px on the login page (%v)", small, err)
		}
		login(t, ctx, base, "/orders", "buyer@co.test")
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("header.top"))); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "shell-phone-closed")
		h, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('header.top').getBoundingClientRect().height`))
		if h > 64 || h == 0 {
			t.Errorf("phone header is %.0f px tall, want at most 64", h)
		}
		navShown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('header nav').checkVisibility()`))
		if navShown {
			t.Error("the closed phone menu shows the navigation")
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".menu > summary")), chromedp.WaitVisible(chromedp.CSS(`header nav a[href="/orders"]`))); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "shell-phone-open")
		short, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('header nav a, .menu > summary, #logout')].filter(x => x.getBoundingClientRect().height < 40).length`))
		if short != 0 {
			t.Errorf("%d navigation targets under 40 px on the phone", short)
		}
		scrollW, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		clientW, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
		if scrollW > clientW+2 {
			t.Errorf("page scrolls sideways on a phone: %d > %d", scrollW, clientW)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`header nav a[href="/settings"]`)), chromedp.WaitVisible(chromedp.ID("time_zone"))); err != nil {
			t.Fatalf("following a menu entry: %v", err)
		}
	})
	t.Run("Desktop", func(t *testing.T) {
		ctx := browser(t, 1280, 800)
		login(t, ctx, base, "/orders", "buyer@co.test")
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`header nav a[href="/orders"]`))); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "shell-desktop")
		summary, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('.menu > summary').getBoundingClientRect().height`))
		if summary != 0 {
			t.Error("the desktop shows the phone menu button")
		}
		rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`new Set([...document.querySelectorAll('header nav a')].map(a => Math.round(a.getBoundingClientRect().top))).size`))
		if rows != 1 {
			t.Errorf("desktop navigation spans %d rows, want 1", rows)
		}
		current, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('header nav a[aria-current=page]').getAttribute('href')`))
		if current != "/orders" {
			t.Errorf("current entry %q", current)
		}
	})
}
