package portal

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent/auditentry"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// On a phone, a buyer signs in through WeCom (the login page's button
// leads to /wecom/login, the app's workbench entry): WeCom's OAuth2 page
// (the simulator) vouches for them and they land on the home page signed
// in, without a password; the pages fit the phone.
func TestBrowserWeComWorkbenchSignIn(t *testing.T) {
	w := newWeComEnv(t)
	w.sim.AuthorizeAs("bo.buyer")
	ctx := browser(t, 360, 780)
	// The login page offers WeCom with a control a thumb can hit.
	if err := chromedp.Do(ctx, chromedp.Navigate(w.base+"/login"), chromedp.WaitVisible(chromedp.ID("wecom-login"))); err != nil {
		t.Fatal(err)
	}
	h, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById("wecom-login").getBoundingClientRect().height`))
	lw, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if h < 40 || lw > 2 {
		t.Fatalf("WeCom button %.0f px tall, page %d px too wide", h, lw)
	}
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("wecom-login")),
		chromedp.WaitReady(chromedp.ID("logout")),
	)
	if err != nil {
		t.Fatalf("workbench sign-in: %v", err)
	}
	screenshot(t, ctx, "wecom-signin-home")
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil || loc != "/" {
		t.Fatalf("landed on %q (%v), want the home page", loc, err)
	}
	who, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("header .who").textContent`))
	if err != nil || strings.TrimSpace(who) != "Bo Buyer" {
		t.Fatalf("signed in as %q (%v)", who, err)
	}
	scrollW, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	clientW, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
	if scrollW > clientW+2 {
		t.Fatalf("home scrolls sideways on a phone: %d > %d", scrollW, clientW)
	}
	if n := w.f.DB.Client.AuditEntry.Query().Where(auditentry.Action("user.wecom_signin"), auditentry.EntityID(w.f.Buyer.ID)).CountX(w.f.System()); n != 1 {
		t.Fatalf("%d sign-in audit entries, want 1", n)
	}
	if len(w.sim.Authorized()) != 1 {
		t.Fatalf("WeCom's page was asked %d times", len(w.sim.Authorized()))
	}

	// A colleague whose WeCom account is linked to nobody sees why, in
	// their language, with the way on, on a phone.
	t.Run("ErrUnknownUser", func(t *testing.T) {
		ctx := browser(t, 360, 780)
		w.sim.AuthorizeAs("ghost")
		w.sim.AddMember(wecomsim.Member{UserID: "ghost", Name: "Ghost"})
		var why string
		err := chromedp.Do(ctx,
			chromedp.Navigate(w.base+"/wecom/login?lang=zh-CN"),
			chromedp.WaitVisible(chromedp.ID("wecom-refused")),
		)
		if err != nil {
			t.Fatal(err)
		}
		why, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("wecom-refused-why")))
		if err != nil || !strings.Contains(why, "企业微信") {
			t.Fatalf("refusal %q (%v)", why, err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("wecom-password")), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
			t.Fatalf("the way on to the password form: %v", err)
		}
	})
}
