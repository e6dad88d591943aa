package portal

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/partners/directory"
)

// On a 360 px phone the directory's pages do not scroll sideways, the
// directory is a page of compact rows, not the whole book, its filters
// start folded and open without JavaScript, and every control is at
// least 40 px tall.
func TestBrowserDirectoryOnPhone(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for i := range 60 {
		if _, err := e.f.Dir.CreatePartner(e.f.Ctx(e.f.Admin), directory.PartnerInput{Code: fmt.Sprintf("LOG-%02d", i),
			Name: fmt.Sprintf("Logistics partner with a long name %02d", i), Kind: "logistics", Tags: []string{"road"}}); err != nil {
			t.Fatal(err)
		}
	}
	doc := e.docA()
	base := e.live()
	ctx := browser(t, 360, 800)
	err := chromedp.Do(ctx,
		signIn(base+"/partners", "buyer@co.test"),
		chromedp.WaitVisible(chromedp.ID("q")),
	)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	screenshot(t, ctx, "directory-phone")
	height, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	if height > 3000 {
		t.Errorf("the directory is %d px tall on a phone", height)
	}
	shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("more-filters")).display !== "none"`))
	if shown {
		t.Error("the filters are not folded on a phone")
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`label[for="filters-toggle"]`)), chromedp.WaitVisible(chromedp.CSS(`#more-filters select`)))
	if err != nil {
		t.Fatalf("the filters do not open: %v", err)
	}
	for _, path := range []string{"/partners", fmt.Sprintf("/partners/%d", e.f.PartnerA.ID), fmt.Sprintf("/contacts/%d", e.f.ContactA.ID), fmt.Sprintf("/documents/%d", doc)} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		screenshot(t, ctx, "phone"+strings.ReplaceAll(path, "/", "-"))
		sw, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		cw, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
		if sw > cw+1 {
			t.Errorf("%s scrolls sideways: %d > %d", path, sw, cw)
		}
		small, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(
			"main button, main .button, main select, main input:not([type=hidden]):not([type=checkbox]):not(.dir-toggle), main label.check, main table a, main .audit-sentence a")]
			.filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 40)
			.map(el => el.outerHTML.slice(0, 120) + " " + Math.round(el.getBoundingClientRect().height))`))
		for _, s := range small {
			t.Errorf("%s: control under 40 px: %s", path, s)
		}
	}
}
