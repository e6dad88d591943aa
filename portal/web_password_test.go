package portal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/session"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// Account mail routes (slice M2). Without mail (the matrix's env) the
// reset form says to ask an administrator and e-mail changes are 409.
var accountMailMatrix = map[string]matrixRow{
	"POST /api/v1/password/forgot": {path: "/api/v1/password/forgot", body: func(_ *env, w who) string {
		return fmt.Sprintf(`{"email":"%s@x.test"}`, w)
	}, want: "202 202 202 202 202 202"},
	"POST /api/v1/password/reset": {path: "/api/v1/password/reset",
		body: jsonBody(`{"token":"nope","password":"a long enough password"}`), want: "404 404 404 404 404 404"},
	"POST /api/v1/password/email": {path: "/api/v1/password/email",
		body: jsonBody(`{"email":"new@x.test"}`), want: "401 409 409 409 409 409"},
	"POST /api/v1/password/email/confirm": {path: "/api/v1/password/email/confirm",
		body: jsonBody(`{"token":"nope"}`), want: "404 404 404 404 404 404"},
	"POST /api/v1/invitations/:id/resend": {path: "/api/v1/invitations/{INVID}/resend", setup: invitationID, want: "401 403 200 200 403 403"},

	"GET /password/forgot": {path: "/password/forgot", want: "200 200 200 200 200 200"},
	"POST /password/forgot": {path: "/password/forgot", body: func(_ *env, w who) string {
		return fmt.Sprintf("email=%s@x.test", w)
	}, want: "200 200 200 200 200 200"},
	"GET /password/reset/:token":  {path: "/password/reset/nope", want: "404 404 404 404 404 404"},
	"POST /password/reset/:token": {path: "/password/reset/nope", body: jsonBody("password=a+long+enough+password"), want: "404 404 404 404 404 404"},
	"POST /staff/:id/reset-link":  {path: "/staff/{B2}/reset-link", body: jsonBody("x=1"), want: "303 403 403 200 403 403"},
	"POST /settings/email":        {path: "/settings/email", body: jsonBody("email=new%40x.test"), want: "303 409 409 409 409 409"},
	"GET /email/confirm/:token":   {path: "/email/confirm/nope", want: "404 404 404 404 404 404"},
	"POST /email/confirm/:token":  {path: "/email/confirm/nope", body: jsonBody("x=1"), want: "404 404 404 404 404 404"},
}

func init() {
	for k, v := range accountMailMatrix {
		matrix[k] = v
	}
	for k, v := range accountMailWalk {
		walkPaths[k] = v
	}
}

// accountMailWalk fills the page walk's paths of the account mail pages.
var accountMailWalk = map[string]walkPath{
	"/password/forgot": {fill: fixed("/password/forgot")},
	"/password/reset/:token": {fill: func(e *demoEnv, ids *demoIDs, _ who) []variant {
		l, err := e.f.Acc.ResetLinkFor(e.f.Ctx(e.users[wAdmin]), ids.staffUser)
		if err != nil {
			panic(err)
		}
		return []variant{{"an admin's reset link", "/password/reset/" + l.Token}}
	}},
	"/email/confirm/:token": {fill: func(e *demoEnv, ids *demoIDs, _ who) []variant {
		tok := fmt.Sprintf("walk-%d", time.Now().UnixNano())
		h := sha256.Sum256([]byte(tok))
		if err := e.f.DB.Client.EmailChange.Create().SetUserID(ids.staffUser).SetNewEmail("a.rather.long.new.address@demo.tierlink.local").
			SetTokenHash(hex.EncodeToString(h[:])).SetExpiresAt(time.Now().Add(time.Hour)).Exec(e.f.System()); err != nil {
			panic(err)
		}
		return []variant{{"a pending e-mail change", "/email/confirm/" + tok}}
	}},
}

func invitationID(e *env, vars map[string]string) {
	inv, err := e.f.Acc.CreateInvitation(e.f.Ctx(e.f.Buyer), accounts.InvitationInput{ContactID: e.f.ContactA2.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	vars["INVID"] = fmt.Sprint(inv.ID)
}

// mailEnv is a test server whose accounts send mail: the outbox is
// configured (to a port nothing listens on; nothing is sent), and links
// are minted by sendAccountMail as the dispatcher would.
func mailEnv(t *testing.T) *env {
	t.Helper()
	f := partnerstest.New(t, dialect.SQLite)
	out, err := mail.New(context.Background(), f.DB.Client, mail.Config{URL: "smtp://127.0.0.1:1/?tls=none", From: "Tierlink <noreply@co.test>"})
	if err != nil {
		t.Fatal(err)
	}
	f.Acc.UseMail(out, "http://127.0.0.1:8080")
	return newEnvWith(t, f)
}

// sentLinks stands in for the dispatcher: it mints the link of every
// pending account mail of kind to addr and returns them, oldest first;
// skipped rows (an unknown address) give no link.
func sentLinks(t *testing.T, e *env, kind mailoutbox.Kind, addr string) (links []string, skipped int) {
	t.Helper()
	rows, err := e.f.DB.Client.MailOutbox.Query().Where(mailoutbox.KindEQ(kind), mailoutbox.ToAddr(addr), mailoutbox.StateEQ(mailoutbox.StatePending)).
		Order(ent.Asc(mailoutbox.FieldID)).All(e.f.System())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		link, err := e.f.Acc.IssueLink(context.Background(), r.SecretKind, *r.SecretRef)
		if errors.Is(err, mail.ErrSkip) {
			skipped++
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		links = append(links, link)
	}
	if err := e.f.DB.Client.MailOutbox.Update().Where(mailoutbox.KindEQ(kind), mailoutbox.ToAddr(addr)).
		SetState(mailoutbox.StateSent).Exec(e.f.System()); err != nil {
		t.Fatal(err)
	}
	return links, skipped
}

func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestPasswordPagesWithoutMail(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	resp, b := e.call(anon, "GET", "/password/forgot", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="forgot-ask-admin"`) || strings.Contains(string(b), `name="email"`) {
		t.Fatalf("forgot page without mail: %d\n%s", resp.StatusCode, b)
	}
	_, b = e.call(anon, "GET", "/login", "")
	if !strings.Contains(string(b), `href="/password/forgot"`) {
		t.Fatal("the login page has no forgotten-password link")
	}
	// The admin's link to copy: shown once, works once, for 30 minutes.
	_, b = e.call(wAdmin, "GET", fmt.Sprintf("/staff/%d", e.f.UserA.ID), "")
	if !strings.Contains(string(b), `id="reset-link"`) {
		t.Fatal("no reset-link button on the user page")
	}
	resp, b = e.call(wAdmin, "POST", fmt.Sprintf("/staff/%d/reset-link", e.f.UserA.ID), "x=1")
	m := regexp.MustCompile(`id="reset-url" value="([^"]+)"`).FindSubmatch(b)
	if resp.StatusCode != 200 || m == nil || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset link page: %d %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), b)
	}
	path := pathOf(t, string(m[1]))
	if resp, _ := e.call(anon, "GET", path, ""); resp.StatusCode != 200 {
		t.Fatalf("reset page: %d", resp.StatusCode)
	}
	// Bad input: a short password is refused beside the field, and the
	// token still works.
	resp, b = e.call(anon, "POST", path, "password=short")
	if resp.StatusCode != 422 || !strings.Contains(string(b), `name="password"`) {
		t.Fatalf("short password: %d\n%s", resp.StatusCode, b)
	}
	resp, _ = e.call(anon, "POST", path, "password=set+by+the+admin+link")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?msg=password_reset_done" {
		t.Fatalf("reset: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := e.call(anon, "POST", path, "password=set+by+the+admin+link"); resp.StatusCode != 404 {
		t.Fatalf("second use: %d", resp.StatusCode)
	}
	// The partner user's session died with the change.
	if resp, _ := e.call(wPartner, "GET", "/api/v1/me", ""); resp.StatusCode != 401 {
		t.Fatalf("old session after reset: %d", resp.StatusCode)
	}
	// The settings page offers no e-mail change without mail.
	_, b = e.call(wBuyer, "GET", "/settings", "")
	if strings.Contains(string(b), `action="/settings/email"`) {
		t.Fatal("e-mail change offered without mail")
	}
}

func TestPasswordResetByMail(t *testing.T) {
	e := mailEnv(t)
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			_, b := e.call(anon, "GET", "/password/forgot?lang="+lang, "")
			if !strings.Contains(string(b), `name="email"`) || !strings.Contains(string(b), `lang="`+lang+`"`) {
				t.Fatalf("forgot page:\n%s", b)
			}
			// Bad input is refused beside the field.
			resp, b := e.call(anon, "POST", "/password/forgot", "email=not-an-address")
			if resp.StatusCode != 422 || !strings.Contains(string(b), "field-error") {
				t.Fatalf("bad address: %d\n%s", resp.StatusCode, b)
			}
			resp, b = e.call(anon, "POST", "/password/forgot?lang="+lang, "email="+url.QueryEscape(e.f.Buyer.Email))
			if resp.StatusCode != 200 || !strings.Contains(string(b), `id="forgot-sent"`) {
				t.Fatalf("forgot: %d\n%s", resp.StatusCode, b)
			}
			links, _ := sentLinks(t, e, mailoutbox.KindPasswordReset, e.f.Buyer.Email)
			if len(links) != 1 {
				t.Fatalf("links %v", links)
			}
			pw := "new password for " + lang
			resp, _ = e.call(anon, "POST", pathOf(t, links[0]), "password="+url.QueryEscape(pw))
			if resp.StatusCode != 303 {
				t.Fatalf("reset: %d", resp.StatusCode)
			}
			resp, _ = e.call(anon, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"email":%q,"password":%q}`, e.f.Buyer.Email, pw))
			if resp.StatusCode != 200 {
				t.Fatalf("login with the new password: %d", resp.StatusCode)
			}
		})
	}
	// The API: the same 202 for any address; a bad body is 422.
	for _, body := range []string{`{"email":"nobody@x.test"}`, fmt.Sprintf(`{"email":%q}`, e.f.Viewer.Email)} {
		resp, b := e.call(anon, "POST", "/api/v1/password/forgot", body)
		if resp.StatusCode != 202 || string(b) != `{"mailing":true}` {
			t.Fatalf("forgot API: %d %s", resp.StatusCode, b)
		}
	}
	for _, body := range []string{`{}`, `{"email":"x"}`, `{"email":"a@b.test","extra":1}`} {
		if resp, _ := e.call(anon, "POST", "/api/v1/password/forgot", body); resp.StatusCode != 422 {
			t.Fatalf("forgot API %s: %d", body, resp.StatusCode)
		}
	}
	links, _ := sentLinks(t, e, mailoutbox.KindPasswordReset, e.f.Viewer.Email)
	tok := links[0][strings.LastIndex(links[0], "/")+1:]
	for _, body := range []string{`{"token":"` + tok + `","password":"short"}`, `{"password":"a long enough password"}`} {
		if resp, _ := e.call(anon, "POST", "/api/v1/password/reset", body); resp.StatusCode != 422 {
			t.Fatalf("reset API %s: %d", body, resp.StatusCode)
		}
	}
	if resp, _ := e.call(anon, "POST", "/api/v1/password/reset", `{"token":"`+tok+`","password":"a long enough password"}`); resp.StatusCode != 204 {
		t.Fatalf("reset API: %d", resp.StatusCode)
	}
	if n, _ := e.f.DB.Client.Session.Query().Where(session.UserID(e.f.Viewer.ID)).Count(e.f.System()); n != 0 {
		t.Fatalf("%d sessions after reset", n)
	}
	// The user page offers no link to copy while mail is sent.
	_, b := e.call(wAdmin, "GET", fmt.Sprintf("/staff/%d", e.f.UserA.ID), "")
	if strings.Contains(string(b), `id="reset-link"`) {
		t.Fatal("reset-link button shown while mail is sent")
	}
}

// TestResetNoEnumeration: 40 requests for a known and 40 for an unknown
// address, each from its own client address, get the same status and
// the same page (less its CSRF token) in the same time class; mail is
// minted only for the known address.
func TestResetNoEnumeration(t *testing.T) {
	e := mailEnv(t)
	e.srv.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	// 40 requests for one address are over its limit of 5; the limit is
	// TestResetThrottle's, this test is about the answer.
	e.f.Acc.Reset.PerAddress.Max = 1000
	strip := regexp.MustCompile(`name="_csrf" value="[^"]*"|[0-9a-f]{16,}`)
	type result struct {
		status int
		body   string
		took   time.Duration
	}
	run := func(addr string, i int, api bool) result {
		path, body := "/password/forgot", "email="+url.QueryEscape(addr)
		if api {
			path, body = "/api/v1/password/forgot", fmt.Sprintf(`{"email":%q}`, addr)
		}
		r := e.req(anon, "POST", path, body)
		r.Header.Set("X-Forwarded-For", fmt.Sprintf("10.9.%d.%d", i/200, i%200))
		start := time.Now()
		resp := e.do(r)
		took := time.Since(start)
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		return result{resp.StatusCode, strip.ReplaceAllString(sb.String(), ""), took}
	}
	known, unknown := e.f.Buyer.Email, "no.such.person@co.test"
	for _, api := range []bool{false, true} {
		var tk, tu []time.Duration
		var first result
		for i := range 40 {
			// Interleaved, so load on the machine falls on both alike.
			k, u := run(known, 2*i, api), run(unknown, 2*i+1, api)
			if i == 0 {
				first = k
			}
			for _, r := range []result{k, u} {
				if r.status != first.status || r.body != first.body {
					t.Fatalf("api=%v request %d: %d vs %d; bodies equal %v\n%s\n---\n%s", api, i, r.status, first.status, r.body == first.body, r.body, first.body)
				}
			}
			tk, tu = append(tk, k.took), append(tu, u.took)
		}
		wantStatus := 200
		if api {
			wantStatus = 202
		}
		if first.status != wantStatus {
			t.Fatalf("api=%v status %d", api, first.status)
		}
		mk, mu := median(tk), median(tu)
		if d := mk - mu; d.Abs() > mu/4+5*time.Millisecond {
			t.Errorf("api=%v median time known %v, unknown %v", api, mk, mu)
		}
		t.Logf("api=%v median known %v unknown %v", api, mk, mu)
	}
	links, skipped := sentLinks(t, e, mailoutbox.KindPasswordReset, known)
	if len(links) != 80 || skipped != 0 {
		t.Fatalf("known: %d links, %d skipped", len(links), skipped)
	}
	links, skipped = sentLinks(t, e, mailoutbox.KindPasswordReset, unknown)
	if len(links) != 0 || skipped != 80 {
		t.Fatalf("unknown: %d links, %d skipped", len(links), skipped)
	}
	// Over the limits the answer is again one for both (the lowered
	// limit locks at the next request counted).
	e.f.Acc.Reset.PerAddress.Max = 5
	for _, addr := range []string{known, unknown} {
		run(addr, 998, true)
		if r := run(addr, 999, true); r.status != 429 {
			t.Fatalf("%s over the limit: %d", addr, r.status)
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestEmailChangePages(t *testing.T) {
	e := mailEnv(t)
	_, b := e.call(wPartner, "GET", "/settings", "")
	if !strings.Contains(string(b), `action="/settings/email"`) {
		t.Fatal("no e-mail change form on the settings page")
	}
	resp, b := e.call(wPartner, "POST", "/settings/email", "email=bad")
	if resp.StatusCode != 422 || !strings.Contains(string(b), "field-error") {
		t.Fatalf("bad address: %d\n%s", resp.StatusCode, b)
	}
	resp, _ = e.call(wPartner, "POST", "/settings/email", "email=moved%40a.test")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/settings?msg=email_change_sent" {
		t.Fatalf("change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	links, _ := sentLinks(t, e, mailoutbox.KindEmailChange, "moved@a.test")
	if len(links) != 1 {
		t.Fatalf("links %v", links)
	}
	if n, _ := e.f.DB.Client.MailOutbox.Query().Where(mailoutbox.KindEQ(mailoutbox.KindEmailChangeNotice), mailoutbox.ToAddr(e.f.UserA.Email)).Count(e.f.System()); n != 1 {
		t.Fatalf("notices to the old address: %d", n)
	}
	path := pathOf(t, links[0])
	// Opening the link (a mail scanner does) changes nothing.
	resp, b = e.call(anon, "GET", path, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), "moved@a.test") {
		t.Fatalf("confirm page: %d\n%s", resp.StatusCode, b)
	}
	if u, _ := e.f.Acc.User(e.f.System(), e.f.UserA.ID); u.Email != e.f.UserA.Email {
		t.Fatal("the GET changed the address")
	}
	resp, _ = e.call(anon, "POST", path, "x=1")
	if resp.StatusCode != 303 {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if u, _ := e.f.Acc.User(e.f.System(), e.f.UserA.ID); u.Email != "moved@a.test" {
		t.Fatalf("address %s", u.Email)
	}
	if resp, _ := e.call(anon, "POST", path, "x=1"); resp.StatusCode != 404 {
		t.Fatalf("second use: %d", resp.StatusCode)
	}
	// The API twin.
	if resp, _ := e.call(wBuyer, "POST", "/api/v1/password/email", `{"email":"nope"}`); resp.StatusCode != 422 {
		t.Fatalf("API bad address: %d", resp.StatusCode)
	}
	if resp, _ := e.call(wBuyer, "POST", "/api/v1/password/email", `{"email":"buyer.new@co.test"}`); resp.StatusCode != 202 {
		t.Fatalf("API change: %d", resp.StatusCode)
	}
	links, _ = sentLinks(t, e, mailoutbox.KindEmailChange, "buyer.new@co.test")
	tok := links[0][strings.LastIndex(links[0], "/")+1:]
	resp, b = e.call(anon, "POST", "/api/v1/password/email/confirm", `{"token":"`+tok+`"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "buyer.new@co.test") {
		t.Fatalf("API confirm: %d %s", resp.StatusCode, b)
	}
}

func TestInvitationMailedPagesAndAPI(t *testing.T) {
	e := mailEnv(t)
	resp, _ := e.call(wBuyer, "POST", fmt.Sprintf("/contacts/%d/invite", e.f.ContactA2.ID), "x=1")
	if resp.StatusCode != 303 || !strings.HasSuffix(resp.Header.Get("Location"), "?msg=password_invite_mailed") {
		t.Fatalf("invite page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	links, _ := sentLinks(t, e, mailoutbox.KindInvitation, e.f.ContactA2.Email)
	if len(links) != 1 {
		t.Fatalf("links %v", links)
	}
	if resp, _ := e.call(anon, "GET", pathOf(t, links[0]), ""); resp.StatusCode != 200 {
		t.Fatalf("invitation link: %d", resp.StatusCode)
	}
	resp, b := e.call(wBuyer, "POST", "/api/v1/invitations", fmt.Sprintf(`{"contact_id":%d}`, e.f.ContactA2.ID))
	got := decode[map[string]any](t, b)
	if resp.StatusCode != 201 || got["mailed"] != true || got["url"] != nil || got["token"] != nil {
		t.Fatalf("invitation API: %d %s", resp.StatusCode, b)
	}
	id := int(got["id"].(float64))
	resp, b = e.call(wBuyer, "POST", fmt.Sprintf("/api/v1/invitations/%d/resend", id), "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"mailed":true`) {
		t.Fatalf("resend: %d %s", resp.StatusCode, b)
	}
	if resp, _ := e.call(wBuyer, "POST", "/api/v1/invitations/999999/resend", ""); resp.StatusCode != 404 {
		t.Fatalf("resend unknown: %d", resp.StatusCode)
	}
	if resp, _ := e.call(wBuyer, "POST", "/api/v1/invitations/x/resend", ""); resp.StatusCode != 422 && resp.StatusCode != 404 {
		t.Fatalf("resend bad id: %d", resp.StatusCode)
	}
}

// The pages that end at the login page (a password reset, an accepted
// invitation) say so there: the login page takes their msg and shows it,
// instead of refusing it as an unknown parameter.
func TestLoginShowsTheFlashOfWhereItCameFrom(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for msg, want := range map[string]string{"password_reset_done": "password_reset_done", "account_created": "account_created"} {
		resp, b := e.call(anon, "GET", "/login?msg="+msg, "")
		text := i18n.For("en").T("page."+want, nil)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `class="flash"`) || !strings.Contains(string(b), html.EscapeString(text)) {
			t.Fatalf("/login?msg=%s: %d, want the flash %q\n%.2000s", msg, resp.StatusCode, text, b)
		}
	}
}
