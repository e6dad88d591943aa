package portal

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/mail/mailpittest"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

var approveLink = regexp.MustCompile(`https?://[^\s]+/mail/act/[A-Za-z0-9_\-.]+`)

// A buyer opens the approve link of a change-request notice delivered
// by a real mail server, on a phone, confirms, and the change request is
// approved in the database.
func TestBrowserMailApproveOnPhone(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	mp := mailpittest.Start(t)
	// An outbox that sends, over the rows the portal's hook queued (the
	// same database, so the same signing key).
	out, err := mail.New(context.Background(), e.f.DB.Client, mail.Config{URL: mp.SMTPURL(), From: "Tierlink <portal@co.test>", Instance: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// The supplier's user reads Chinese: their acknowledge notice and its
	// confirmation page are in Chinese.
	if err := e.f.DB.Client.User.UpdateOneID(e.f.UserA.ID).SetLocale("zh-CN").Exec(e.f.System()); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	groupSetup(e, vars)
	crID := partnerstest.Atoi(t, vars["CR"])
	for i := 0; i < 5; i++ {
		if _, err := out.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got := mp.WaitFor(t, "to:buyer@co.test subject:PO-M3", 1, 15*time.Second)
	m, err := mp.Message(got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.ListUnsubscribe.Header == "" || m.HTML == "" || m.Text == "" {
		t.Errorf("notice lacks List-Unsubscribe, HTML or text: %+v", m.ListUnsubscribe)
	}
	links := approveLink.FindAllString(m.Text, -1)
	if len(links) != 2 {
		t.Fatalf("action links in the mail: %v\n%s", links, m.Text)
	}
	link := base + links[0][strings.Index(links[0], "/mail/act/"):]

	ctx := browser(t, 360, 780)
	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("mail-action-go")),
	)
	if err != nil {
		t.Fatalf("open the link: %v", err)
	}
	screenshot(t, ctx, "mail_action_phone")
	if e.crState(crID) != changerequest.StateOpen {
		t.Fatal("opening the link decided")
	}
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || wide {
		t.Errorf("the confirmation page scrolls sideways on a phone (%v)", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("mail-action-go")),
		chromedp.WaitVisible(chromedp.ID("mail-action-done")),
	)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if got := e.crState(crID); got != changerequest.StateApproved {
		t.Fatalf("change request is %s after confirming, want approved", got)
	}

	// The supplier acknowledges PO-M1 from its notice, in Chinese, on the
	// same phone.
	got = mp.WaitFor(t, "to:"+e.f.UserA.Email+" subject:PO-M1", 1, 15*time.Second)
	if m, err = mp.Message(got[0].ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Subject, "PO-M1") || !hasHan(m.Subject) {
		t.Fatalf("acknowledge notice subject %q, want Chinese", m.Subject)
	}
	links = approveLink.FindAllString(m.Text, -1)
	if len(links) != 1 {
		t.Fatalf("acknowledge links in the mail: %v\n%s", links, m.Text)
	}
	link = base + links[0][strings.Index(links[0], "/mail/act/"):]
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("mail-action-go"))); err != nil {
		t.Fatalf("open the acknowledge link: %v", err)
	}
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != "zh-CN" {
		t.Errorf("confirmation page in %q (%v), want zh-CN", lang, err)
	}
	ordID := partnerstest.Atoi(t, vars["ORD"])
	if o, err := e.f.DB.Client.Order.Get(e.f.System(), ordID); err != nil || o.Status != order.StatusPublished {
		t.Fatalf("opening the link changed the order: %v %v", o, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("mail-action-go")), chromedp.WaitVisible(chromedp.ID("mail-action-done"))); err != nil {
		t.Fatalf("confirm the acknowledgement: %v", err)
	}
	if o, err := e.f.DB.Client.Order.Get(e.f.System(), ordID); err != nil || o.Status != order.StatusAcknowledged {
		t.Fatalf("order after confirming: %v %v, want acknowledged", o, err)
	}
}
