package portal

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/orders"
)

// chromium finds a headless browser, or reports it missing (a failure
// under CI=true).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TIERLINK_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	dbtest.Require(t, "Chromium (apt-get install chromium)", true)
	return ""
}

// signIn opens url, which shows the login form to a signed-out browser,
// and signs in as email with the fixture password; the steps every
// journey starts with.
func signIn(url, email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"),
		chromedp.Click(chromedp.ID("login")),
	)
}

// browser starts a headless Chromium with a phone-sized or desktop window.
func browser(t *testing.T, w, h int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(w, h),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("TIERLINK_SCREENSHOTS")
	if dir == "" {
		return
	}
	if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(dir+"/"+name+".png", buf, 0o644)
	}
}

// A buyer logs in, finds a supplier by its pinyin initials, opens a
// contact and hands it to a colleague; the page and the ledger agree.
func TestBrowserTransferJourney(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	ctx := browser(t, 1280, 900)
	err := chromedp.Do(ctx,
		signIn(base+"/partners", "buyer@co.test"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "hxjm"),
		chromedp.Click(chromedp.ID("search")),
		chromedp.WaitVisible(chromedp.CSS(`#q[value="hxjm"]`)),
		chromedp.WaitVisible(chromedp.Search(`//a[contains(@class,"partner-link") and text()="华星精密"]`)),
	)
	if err != nil {
		t.Fatalf("login and search: %v", err)
	}
	screenshot(t, ctx, "directory")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#partners tbody tr").length`))
	if err != nil || rows != 1 {
		t.Fatalf("search rows = %d, %v", rows, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//a[text()="华星精密"]`)),
		chromedp.WaitVisible(chromedp.Search(`//a[text()="刘洋"]`)),
		chromedp.Click(chromedp.Search(`//a[text()="刘洋"]`)),
		chromedp.WaitVisible(chromedp.ID("transfer-form")),
		chromedp.SetValue(chromedp.ID("to_owner_id"), itoa(e.f.Buyer2.ID)),
		chromedp.SendKeys(chromedp.ID("note"), "接手华星项目 / taking over"),
		chromedp.Click(chromedp.ID("transfer")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatalf("transfer: %v", err)
	}
	screenshot(t, ctx, "contact")
	owner, err1 := chromedp.Run(ctx, chromedp.Text(chromedp.ID("owner")))
	history, err2 := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".history")))
	if err1 != nil || err2 != nil || strings.TrimSpace(owner) != "Cai Buyer" || !strings.Contains(history, "接手华星项目") {
		t.Fatalf("page shows owner %q, history %q (%v %v)", owner, history, err1, err2)
	}
	c, err := e.f.Dir.Contact(e.f.System(), e.f.ContactA.ID)
	if err != nil || c.Owner.ID != e.f.Buyer2.ID {
		t.Fatalf("stored owner = %d, %v", c.Owner.ID, err)
	}
	ts, _ := e.f.Dir.ListTransfers(e.f.System(), directory.TransferFilter{ContactID: e.f.ContactA.ID})
	if len(ts.Items) != 1 || ts.Items[0].State != "done" || ts.Items[0].From.ID != e.f.Buyer.ID {
		t.Fatalf("ledger = %+v", ts.Items)
	}
}

// On a phone-sized screen a partner user sees its own company and
// contacts, laid out without sideways scrolling.
func TestBrowserPartnerOnPhone(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	ctx := browser(t, 390, 844)
	err := chromedp.Do(ctx,
		signIn(base+"/", "liu@a.test"),
		// The home is the to-do list; the company is one tap from it.
		chromedp.WaitVisible(chromedp.ID("my-company")),
		chromedp.Click(chromedp.ID("my-company")),
		chromedp.WaitVisible(chromedp.ID("contacts")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "partner-phone")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "华星精密") || !strings.Contains(text, "孙丽") || strings.Contains(text, "Bravo") {
		t.Fatalf("partner page text:\n%s", text)
	}
	scrollW, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	clientW, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
	if scrollW > clientW+2 {
		t.Fatalf("page scrolls sideways on a phone: %d > %d", scrollW, clientW)
	}
}

// On a phone, a supplier's user uploads its certificate with an expiry
// date, sees it listed with its badge, and downloads it back intact.
func TestBrowserSupplierUploadsCertificate(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	file := t.TempDir() + "/ISO9001-证书.pdf"
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 390, 844)
	err := chromedp.Do(ctx,
		signIn(base+"/", "liu@a.test"),
		chromedp.WaitVisible(chromedp.ID("my-company")),
		chromedp.Click(chromedp.ID("my-company")),
		chromedp.WaitVisible(chromedp.ID("upload-file")),
		chromedp.SetValue(chromedp.ID("upload-kind"), "certificate"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("upload-kind").dispatchEvent(new Event("change"))`),
		chromedp.SendKeys(chromedp.ID("upload-title"), "ISO 9001 证书"),
		chromedp.SetValue(chromedp.ID("upload-expires"), "2030-06-30"),
		chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{file}),
		chromedp.Click(chromedp.ID("upload-submit")),
		chromedp.WaitVisible(chromedp.ID("versions")),
	)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	screenshot(t, ctx, "document-phone")
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("cert-status")))
	if err != nil || strings.TrimSpace(status) != "Valid" {
		t.Fatalf("certificate badge %q, %v", status, err)
	}
	// Download through the page's link, as the phone would.
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector("a.download").href).then(r => r.status + " " + r.headers.get("content-disposition") + " " + r.headers.get("content-length"))`,
		chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(got, "200 attachment;") || !strings.Contains(got, "ISO9001-%E8%AF%81%E4%B9%A6.pdf") || !strings.HasSuffix(got, fmt.Sprint(len(pdf))) {
		t.Fatalf("download = %q, %v", got, err)
	}
	page, err := e.f.Docs.List(e.f.System(), documents.Filter{PartnerID: e.f.PartnerA.ID})
	if err != nil || len(page.Items) != 1 || page.Items[0].Title != "ISO 9001 证书" || page.Items[0].Certificate.ExpiresOn == nil {
		t.Fatalf("stored = %+v, %v", page.Items, err)
	}
	recs, _ := e.f.Docs.Downloads(e.f.System(), page.Items[0].ID)
	if len(recs) != 1 || recs[0].User != "liu@a.test" {
		t.Fatalf("download record = %+v", recs)
	}
}

// On a phone, the supplier accepts an order with a later date; the buyer,
// in another browser, approves the change; the order shows revision 2
// with the promised date.
func TestBrowserAcknowledgeWithChangeAndApprove(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	o, err := e.f.Orders.Create(e.f.Ctx(e.f.Buyer), orders.OrderInput{PartnerID: e.f.PartnerA.ID, Direction: "upstream", Number: "PO-2026-0042",
		Currency: "CNY", Lines: []orders.LineInput{{ItemCode: "HX-220", Description: "外壳", Quantity: 500_000, UnitPrice: 125_000, RequiredDate: "2026-12-15"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	login := func(ctx context.Context, email string) error {
		return chromedp.Do(ctx,
			signIn(base+"/login", email),
			chromedp.WaitVisible(chromedp.CSS("header.top")),
		)
	}
	supplier := browser(t, 390, 844)
	if err := login(supplier, "liu@a.test"); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(supplier,
		chromedp.Navigate(base+"/orders"),
		chromedp.WaitVisible(chromedp.Search(`//a[contains(@class,"order-link") and text()="PO-2026-0042"]`)),
		chromedp.Click(chromedp.Search(`//a[text()="PO-2026-0042"]`)),
		chromedp.WaitVisible(chromedp.ID("ack-form")),
		chromedp.Click(chromedp.CSS("details.ack-change summary")),
		chromedp.Click(chromedp.ID("change_1")),
		chromedp.SetValue(chromedp.ID("promised_1"), "2026-12-22"),
		chromedp.Click(chromedp.ID("ack-submit")),
		chromedp.WaitVisible(chromedp.CSS(".change-request")),
	)
	if err != nil {
		t.Fatalf("supplier: %v", err)
	}
	screenshot(t, supplier, "ack-phone")

	buyer := browser(t, 1280, 900)
	if err := login(buyer, "buyer@co.test"); err != nil {
		t.Fatal(err)
	}
	got, _ := e.f.Orders.Order(e.f.System(), o.ID)
	err = chromedp.Do(buyer,
		chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, o.ID)),
		chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("approve-%d", got.ChangeRequests[0].ID))),
		chromedp.Click(chromedp.ID(fmt.Sprintf("approve-%d", got.ChangeRequests[0].ID))),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatalf("buyer: %v", err)
	}
	rev, _ := chromedp.Run(buyer, chromedp.Text(chromedp.ID("revision")))
	promised, _ := chromedp.Run(buyer, chromedp.Text(chromedp.CSS("td.promised")))
	status, _ := chromedp.Run(buyer, chromedp.Text(chromedp.ID("order-status")))
	if strings.TrimSpace(rev) != "r2" || strings.TrimSpace(promised) != "2026-12-22" || strings.TrimSpace(status) != "Acknowledged" {
		t.Fatalf("buyer sees revision %q, promised %q, status %q", rev, promised, status)
	}
	// The supplier's page shows the decision too.
	if err := chromedp.Do(supplier, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("revision"))); err != nil {
		t.Fatal(err)
	}
	srev, _ := chromedp.Run(supplier, chromedp.Text(chromedp.ID("revision")))
	state, _ := chromedp.Run(supplier, chromedp.Text(chromedp.CSS(".cr-state")))
	if strings.TrimSpace(srev) != "r2" || strings.TrimSpace(state) != "approved" {
		t.Fatalf("supplier sees %q / %q", srev, state)
	}
	screenshot(t, buyer, "order-approved")
}

func login(t *testing.T, ctx context.Context, base, next, email string) {
	t.Helper()
	if err := chromedp.Do(ctx, signIn(base+"/login?next="+next, email)); err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
}

// Two people in one group: the buyer approves a change-request card on a
// desktop and the supplier, on a phone, sees the card change without
// reloading; the supplier's reply reaches the buyer the same way.
func TestBrowserGroupCardsLive(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	vars := e.orderVars()
	grp, card := "/groups/"+vars["GRP"], "#post-"+vars["CRCARD"]
	buyer, supplier := browser(t, 1280, 900), browser(t, 390, 844)
	login(t, supplier, base, grp, e.f.UserA.Email)
	login(t, buyer, base, grp, e.f.Buyer.Email)
	for who, ctx := range map[string]context.Context{"supplier": supplier, "buyer": buyer} {
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#feed[data-live="true"]`)), chromedp.WaitVisible(chromedp.CSS(card))); err != nil {
			t.Fatalf("%s: feed not live: %v", who, err)
		}
	}
	// The supplier sees the card but has no button on it.
	n, err := chromedp.Run(supplier, chromedp.Evaluate[int](`document.querySelectorAll("`+card+` .card-button").length`))
	if err != nil || n != 0 {
		t.Fatalf("supplier buttons on a buyer's card: %d, %v", n, err)
	}
	screenshot(t, supplier, "group-phone-before")
	if err := chromedp.Do(buyer, chromedp.Click(chromedp.CSS(card+` button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+" .card-done"))); err != nil {
		t.Fatalf("buyer approves: %v", err)
	}
	if err := chromedp.Do(supplier, chromedp.WaitVisible(chromedp.CSS(card+" .card-done"))); err != nil {
		t.Fatalf("supplier never saw the card change: %v", err)
	}
	actor, err := chromedp.Run(supplier, chromedp.Text(chromedp.CSS(card+" .card-actor")))
	if err != nil || strings.TrimSpace(actor) != e.f.Buyer.Name {
		t.Fatalf("supplier sees actor %q, %v", actor, err)
	}
	screenshot(t, supplier, "group-phone-after")
	// The supplier answers from the phone; the buyer sees it live.
	err = chromedp.Do(supplier,
		chromedp.SendKeys(chromedp.CSS("#compose textarea"), "收到，周五发货 / shipping Friday"),
		chromedp.Click(chromedp.CSS("#compose button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(buyer, chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"post-body") and contains(text(),"shipping Friday")]`))); err != nil {
		t.Fatalf("buyer never saw the reply: %v", err)
	}
	o, _ := e.f.Orders.ChangeRequest(e.f.System(), mustAtoi(t, vars["CR"]))
	if o.State != "approved" {
		t.Fatalf("change request state %s", o.State)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
