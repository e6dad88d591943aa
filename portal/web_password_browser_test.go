package portal

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent/session"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/mail/mailpittest"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// mailpitEnv is a live test server whose account mail goes through the
// real dispatcher to a Mailpit; links point at the live server.
func mailpitEnv(t *testing.T) (*env, string, *mail.Outbox, *mailpittest.Server) {
	t.Helper()
	mp := mailpittest.Start(t)
	f := partnerstest.New(t, dialect.SQLite)
	out, err := mail.New(context.Background(), f.DB.Client, mail.Config{URL: mp.SMTPURL(), From: "Tierlink <noreply@co.test>"})
	if err != nil {
		t.Fatal(err)
	}
	f.Acc.UseMail(out, "http://unused.test")
	e := newEnvWith(t, f)
	base := e.live()
	f.Acc.UseMail(out, base)
	return e, base, out, mp
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// mailedLink sends what is due and returns the one link of the newest
// mail to addr, with its subject.
func mailedLink(t *testing.T, out *mail.Outbox, mp *mailpittest.Server, addr string, n int) (link, subject string) {
	t.Helper()
	if _, err := out.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ms := mp.WaitFor(t, "to:"+addr, n, 15*time.Second)
	m, err := mp.Message(ms[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	links := linkRE.FindAllString(m.Text, -1)
	if len(links) != 1 {
		t.Fatalf("mail to %s holds links %v:\n%s", addr, links, m.Text)
	}
	// The link opens its page (a GET changes nothing).
	resp, err := http.Get(links[0])
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v\n%q", links[0], resp.StatusCode, err, m.Text)
	}
	resp.Body.Close()
	return links[0], m.Subject
}

// The reset journey in both languages: ask on the forgot page, open the
// link from the mail Mailpit received, set a password, log in with it.
func TestBrowserPasswordResetJourney(t *testing.T) {
	e, base, out, mp := mailpitEnv(t)
	cases := []struct {
		lang, email, subject string
		id                   int
	}{
		{"en", e.f.Buyer.Email, "Reset your password", e.f.Buyer.ID},
		{"zh-CN", e.f.Viewer.Email, "重置您的密码", e.f.Viewer.ID},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			if err := e.f.DB.Client.User.UpdateOneID(tc.id).SetLocale(tc.lang).Exec(e.f.System()); err != nil {
				t.Fatal(err)
			}
			ctx := browser(t, 360, 780)
			err := chromedp.Do(ctx,
				chromedp.Navigate(base+"/login?lang="+tc.lang),
				chromedp.Click(chromedp.ID("forgot-link")),
				chromedp.WaitVisible(chromedp.ID("email")),
				chromedp.SendKeys(chromedp.ID("email"), tc.email),
				chromedp.Click(chromedp.ID("forgot-submit")),
				chromedp.WaitVisible(chromedp.ID("forgot-sent")),
			)
			if err != nil {
				t.Fatalf("forgot form: %v", err)
			}
			link, subject := mailedLink(t, out, mp, tc.email, 1)
			if subject != tc.subject {
				t.Fatalf("subject %q, want %q", subject, tc.subject)
			}
			if !strings.HasPrefix(link, base+"/password/reset/") {
				t.Fatalf("link %q", link)
			}
			pw := "journey password " + tc.lang
			err = chromedp.Do(ctx,
				chromedp.Navigate(link),
				chromedp.WaitVisible(chromedp.ID("password")),
				chromedp.SendKeys(chromedp.ID("password"), pw),
				chromedp.Click(chromedp.ID("reset-submit")),
				chromedp.WaitVisible(chromedp.CSS(".flash")),
				chromedp.SendKeys(chromedp.ID("email"), tc.email),
				chromedp.SendKeys(chromedp.ID("password"), pw),
				chromedp.Click(chromedp.ID("login")),
				chromedp.WaitNotPresent(chromedp.ID("login")),
			)
			if err != nil {
				t.Fatalf("reset and log in: %v", err)
			}
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil || strings.Contains(loc, "/login") || strings.Contains(loc, "/password") {
				t.Fatalf("after login at %q (%v)", loc, err)
			}
			// The only session left is the one just opened.
			if n, _ := e.f.DB.Client.Session.Query().Where(session.UserID(tc.id)).Count(e.f.System()); n != 1 {
				t.Fatalf("sessions %d", n)
			}
		})
	}
}

// The invitation journey: the mailed link opens the accept page, the
// account is made, and the new partner user logs in.
func TestBrowserInvitationMailJourney(t *testing.T) {
	e, base, out, mp := mailpitEnv(t)
	resp, _ := e.call(wBuyer, "POST", "/contacts/"+itoa(e.f.ContactA2.ID)+"/invite", "x=1")
	if resp.StatusCode != 303 {
		t.Fatalf("invite: %d", resp.StatusCode)
	}
	link, _ := mailedLink(t, out, mp, e.f.ContactA2.Email, 1)
	if !strings.HasPrefix(link, base+"/invite/") {
		t.Fatalf("link %q", link)
	}
	ctx := browser(t, 360, 780)
	err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Invited By Mail"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "invited password 1"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("email"), e.f.ContactA2.Email),
		chromedp.SendKeys(chromedp.ID("password"), "invited password 1"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitNotPresent(chromedp.ID("login")),
	)
	if err != nil {
		t.Fatalf("accept and log in: %v", err)
	}
}

// The e-mail change journey: the link mailed to the new address opens
// the confirmation page, whose button changes the address.
func TestBrowserEmailConfirmJourney(t *testing.T) {
	e, _, out, mp := mailpitEnv(t)
	resp, _ := e.call(wPartner, "POST", "/settings/email", "email=journey%40a.test")
	if resp.StatusCode != 303 {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	link, _ := mailedLink(t, out, mp, "journey@a.test", 1)
	ctx := browser(t, 360, 780)
	err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("confirm-email")),
		chromedp.Click(chromedp.ID("confirm-email")),
		chromedp.WaitVisible(chromedp.ID("login")),
	)
	if err != nil {
		t.Fatalf("confirm %q: %v", link, err)
	}
	if u, _ := e.f.Acc.User(e.f.System(), e.f.UserA.ID); u.Email != "journey@a.test" {
		t.Fatalf("address %s", u.Email)
	}
}
