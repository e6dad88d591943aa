package portal

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/auditentry"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
)

// The admin's mail pages and the outbox API (web_mail_admin.go,
// api_mail.go): what they show, what they change, and who may.

func init() {
	for k, v := range mailAdminMatrix {
		matrix[k] = v
	}
	walkPaths["/admin/mail"] = walkPath{fill: fixed("/admin/mail")}
	// Protocol names, the same on Chinese pages.
	for _, w := range []string{"SMTP", "STARTTLS", "TLS", "smtps"} {
		allowWords[w] = true
	}
}

var mailAdminMatrix = map[string]matrixRow{
	"GET /api/v1/mail/outbox": {path: "/api/v1/mail/outbox", setup: deadMailSetup, want: "401 403 403 200 403 403"},
	"POST /api/v1/mail/outbox/:id/retry": {path: "/api/v1/mail/outbox/{DEADMAIL}/retry", setup: deadMailSetup,
		want: "401 403 403 200 403 403"},
	"GET /admin/mail":       {path: "/admin/mail", setup: deadMailSetup, want: "303 403 403 200 403 403"},
	"POST /admin/mail/test": {path: "/admin/mail/test", body: jsonBody("x=1"), want: "303 403 403 303 403 403"},
	"POST /admin/mail/:id/retry": {path: "/admin/mail/{DEADMAIL}/retry", setup: deadMailSetup, body: jsonBody("x=1"),
		want: "303 403 403 303 403 403"},
}

func deadMailSetup(e *env, vars map[string]string) {
	vars["DEADMAIL"] = fmt.Sprint(e.mailRow(mailoutbox.StateDead, "gone@partner-a.test"))
}

// mailRow queues a notification to addr and moves it to state, as the
// dispatcher would after a 550.
func (e *env) mailRow(state mailoutbox.State, addr string) int {
	e.t.Helper()
	sys := e.f.System()
	id, err := e.srv.deps.Mail.Enqueue(sys, e.f.DB.Client, mail.Message{Kind: mailoutbox.KindNotification,
		To: mail.Recipient{Addr: addr, Lang: "en"}, Content: mail.Content{Subject: i18n.M("mail.test_subject"),
			Title: i18n.M("mail.test_title")}})
	if err != nil {
		e.t.Fatal(err)
	}
	u := e.f.DB.Client.MailOutbox.UpdateOneID(id).SetState(state)
	switch state {
	case mailoutbox.StateDead:
		u.SetAttempts(1).SetDeadAt(time.Now()).SetLastError("550 5.1.1 no such mailbox").SetSMTPCode(550)
	case mailoutbox.StateSent:
		u.SetAttempts(1).SetSentAt(time.Now())
	}
	if err := u.Exec(sys); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestMailAdminPage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	dead := e.mailRow(mailoutbox.StateDead, "gone@partner-a.test")
	e.mailRow(mailoutbox.StateSent, "ok@partner-a.test")
	e.mailRow(mailoutbox.StatePending, "later@partner-a.test")
	sys := e.f.System()
	if err := e.f.DB.Client.Contact.UpdateOneID(e.f.ContactA.ID).SetEmailBouncingAt(time.Now()).
		SetEmailBounceReason("550 5.1.1 mailbox unavailable").Exec(sys); err != nil {
		t.Fatal(err)
	}

	t.Run("NotConfigured", func(t *testing.T) {
		for _, c := range []struct{ lang, title, off string }{
			{"en", "Mail", "Mail is not configured."},
			{"zh-CN", "邮件", "尚未配置邮件。"},
		} {
			page := e.pageIn(t, wAdmin, "/admin/mail", c.lang)
			for _, want := range []string{"<h1>" + c.title + "</h1>", `id="mail-not-configured"`, c.off, "TIERLINK_SMTP_URL",
				`id="mail-count-pending">1<`, `id="mail-count-sent">1<`, `id="mail-count-dead">1<`,
				fmt.Sprintf(`action="/admin/mail/%d/retry"`, dead), "gone@partner-a.test", "550 5.1.1 no such mailbox",
				fmt.Sprintf(`id="bouncing-contact-%d"`, e.f.ContactA.ID), "550 5.1.1 mailbox unavailable",
				`action="/admin/mail/test"`, `id="mail-test-to">admin@co.test<`, `href="/admin/mail"`} {
				if !strings.Contains(page, want) {
					t.Errorf("%s: page lacks %q", c.lang, want)
				}
			}
			// Only dead letters are listed with a retry.
			if strings.Contains(page, "ok@partner-a.test") || strings.Contains(page, "later@partner-a.test") {
				t.Errorf("%s: a mail that is not dead is listed", c.lang)
			}
		}
	})

	t.Run("ConfiguredNeverShowsThePassword", func(t *testing.T) {
		o, err := mail.New(context.Background(), e.f.DB.Client, mail.Config{URL: "smtp://mailer:hunter2secret@smtp.co.test:587/?tls=mandatory",
			From: "Tierlink <portal@co.test>"})
		if err != nil {
			t.Fatal(err)
		}
		old := e.srv.deps.Mail
		e.srv.deps.Mail = o
		defer func() { e.srv.deps.Mail = old }()
		page := e.pageIn(t, wAdmin, "/admin/mail", "en")
		for _, want := range []string{`id="mail-configured"`, `id="mail-server"><code>smtp.co.test:587</code>`, "portal@co.test",
			"STARTTLS required", "with a user name and password (the password is never shown) <code>plain</code>"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		for _, never := range []string{"hunter2secret", "mailer:", "mail-not-configured"} {
			if strings.Contains(page, never) {
				t.Errorf("page shows %q", never)
			}
		}
	})
}

func TestMailAdminRetryAndTest(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	sys := e.f.System()
	db := e.f.DB.Client

	t.Run("RetryPage", func(t *testing.T) {
		id := e.mailRow(mailoutbox.StateDead, "gone@partner-a.test")
		resp, b := e.call(wAdmin, "POST", fmt.Sprintf("/admin/mail/%d/retry", id), "x=1")
		if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "msg=mail_admin_retried") {
			t.Fatalf("status %d, location %q\n%.300s", resp.StatusCode, resp.Header.Get("Location"), b)
		}
		r := db.MailOutbox.GetX(sys, id)
		if r.State != mailoutbox.StatePending || r.Attempts != 0 || r.DeadAt != nil || r.NextAttemptAt.After(time.Now()) {
			t.Fatalf("after retry: state %s, attempts %d, dead_at %v, next %v", r.State, r.Attempts, r.DeadAt, r.NextAttemptAt)
		}
		a, err := db.AuditEntry.Query().Where(auditentry.Action("mail_outbox.retry"), auditentry.EntityID(id)).Only(sys)
		if err != nil {
			t.Fatalf("no audit entry: %v", err)
		}
		if a.ActorID == nil || *a.ActorID != e.f.Admin.ID || a.EntityType != "mail_outbox" {
			t.Fatalf("audit entry %+v", a)
		}
		// A second press finds it pending: refused, and it stays queued once.
		resp, _ = e.call(wAdmin, "POST", fmt.Sprintf("/admin/mail/%d/retry", id), "x=1")
		if resp.StatusCode != 409 {
			t.Fatalf("second retry: status %d, want 409", resp.StatusCode)
		}
		if n := db.AuditEntry.Query().Where(auditentry.Action("mail_outbox.retry"), auditentry.EntityID(id)).CountX(sys); n != 1 {
			t.Fatalf("%d audit entries, want 1", n)
		}
	})

	t.Run("TestMail", func(t *testing.T) {
		for _, c := range []struct{ lang, subject string }{{"en", "[Tierlink] Test mail"}, {"zh-CN", "[Tierlink] 测试邮件"}} {
			r := e.req(wAdmin, "POST", "/admin/mail/test", "x=1")
			r.Header.Set("Accept-Language", c.lang)
			resp := e.do(r)
			if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "msg=mail_admin_test_queued") {
				t.Fatalf("%s: status %d, location %q", c.lang, resp.StatusCode, resp.Header.Get("Location"))
			}
			row, err := db.MailOutbox.Query().Where(mailoutbox.KindEQ(mailoutbox.KindTest)).Order(mailoutbox.ByID()).All(sys)
			if err != nil || len(row) == 0 {
				t.Fatalf("%s: no test mail queued: %v", c.lang, err)
			}
			last := row[len(row)-1]
			if last.ToAddr != "admin@co.test" || last.UserID == nil || *last.UserID != e.f.Admin.ID || last.State != mailoutbox.StatePending ||
				last.Subject != c.subject || !last.Security || last.UnsubscribeURL != "" {
				t.Fatalf("%s: test mail %+v", c.lang, last)
			}
		}
		page := e.pageIn(t, wAdmin, "/admin/mail?msg=mail_admin_test_queued", "en")
		if !strings.Contains(page, "Test mail queued.") {
			t.Fatal("no confirmation after the test mail")
		}
	})
}

func TestMailOutboxAPI(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	sys := e.f.System()
	dead := e.mailRow(mailoutbox.StateDead, "gone@partner-a.test")
	sent := e.mailRow(mailoutbox.StateSent, "ok@partner-a.test")
	for i := 0; i < 3; i++ {
		e.mailRow(mailoutbox.StatePending, fmt.Sprintf("p%d@partner-a.test", i))
	}

	t.Run("ListByState", func(t *testing.T) {
		resp, b := e.call(wAdmin, "GET", "/api/v1/mail/outbox?state=dead", "")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d\n%s", resp.StatusCode, b)
		}
		p := decode[mail.OutboxPage](t, b)
		if len(p.Items) != 1 || p.Items[0].ID != dead || p.Items[0].SMTPCode != 550 || p.Items[0].Subject != "[Tierlink] Test mail" {
			t.Fatalf("dead page %+v", p)
		}
		if strings.Contains(string(b), `"text"`) || strings.Contains(string(b), `"html"`) {
			t.Fatalf("the listing shows a mail's text: %s", b)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		seen := map[int]bool{}
		next := "/api/v1/mail/outbox?limit=2"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			_, b := e.call(wAdmin, "GET", next, "")
			p := decode[mail.OutboxPage](t, b)
			for _, it := range p.Items {
				if seen[it.ID] {
					t.Fatalf("row %d on two pages", it.ID)
				}
				seen[it.ID] = true
			}
			next = ""
			if p.NextCursor != "" {
				next = "/api/v1/mail/outbox?limit=2&cursor=" + p.NextCursor
			}
		}
		if len(seen) != 5 {
			t.Fatalf("paged through %d rows, want 5", len(seen))
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		for _, c := range []struct{ path, field string }{
			{"/api/v1/mail/outbox?state=lost", "state"},
			{"/api/v1/mail/outbox?limit=0", "limit"},
			{"/api/v1/mail/outbox?limit=201", "limit"},
			{"/api/v1/mail/outbox?cursor=%21%21", "cursor"},
			{"/api/v1/mail/outbox?color=red", "color"},
		} {
			resp, b := e.call(wAdmin, "GET", c.path, "")
			if resp.StatusCode != 422 || !strings.Contains(string(b), `"field":"`+c.field+`"`) {
				t.Errorf("%s: status %d, want 422 on %s\n%.300s", c.path, resp.StatusCode, c.field, b)
			}
		}
	})

	t.Run("RetryRefusals", func(t *testing.T) {
		for _, c := range []struct {
			path string
			want int
		}{
			{"/api/v1/mail/outbox/999999/retry", 404},
			{"/api/v1/mail/outbox/0/retry", 404},
			{"/api/v1/mail/outbox/abc/retry", 404},
			{fmt.Sprintf("/api/v1/mail/outbox/%d/retry", sent), 409},
		} {
			resp, b := e.call(wAdmin, "POST", c.path, "")
			if resp.StatusCode != c.want {
				t.Errorf("%s: status %d, want %d\n%.300s", c.path, resp.StatusCode, c.want, b)
			}
		}
		if r := e.f.DB.Client.MailOutbox.GetX(sys, sent); r.State != mailoutbox.StateSent {
			t.Fatalf("a sent mail became %s", r.State)
		}
	})

	t.Run("Retry", func(t *testing.T) {
		resp, b := e.call(wAdmin, "POST", fmt.Sprintf("/api/v1/mail/outbox/%d/retry", dead), "")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d\n%s", resp.StatusCode, b)
		}
		if it := decode[mail.OutboxItem](t, b); it.State != "pending" || it.Attempts != 0 || it.DeadAt != nil {
			t.Fatalf("answer %+v", it)
		}
		if r := e.f.DB.Client.MailOutbox.GetX(sys, dead); r.State != mailoutbox.StatePending || r.Attempts != 0 {
			t.Fatalf("stored: state %s, attempts %d", r.State, r.Attempts)
		}
	})
}

// The admin pages say when mail is not configured, and link the mail
// page; nobody else sees it, and it goes once SMTP is set.
func TestMailOffBanner(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for _, c := range []struct{ lang, text string }{{"en", "Mail is not configured"}, {"zh-CN", "尚未配置邮件"}} {
		page := e.pageIn(t, wAdmin, "/admin/jobs", c.lang)
		if !strings.Contains(page, `id="mail-off-banner"`) || !strings.Contains(page, c.text) {
			t.Errorf("%s: /admin/jobs has no banner", c.lang)
		}
	}
	if page := e.pageIn(t, wBuyer, "/admin/jobs", "en"); strings.Contains(page, "mail-off-banner") {
		t.Error("a buyer sees the mail banner")
	}
	if page := e.pageIn(t, wAdmin, "/orders", "en"); strings.Contains(page, "mail-off-banner") {
		t.Error("the banner shows outside the admin pages")
	}
	if page := e.pageIn(t, wAdmin, "/admin/mail", "en"); strings.Contains(page, "mail-off-banner") {
		t.Error("the mail page repeats the banner")
	}
	o, err := mail.New(context.Background(), e.f.DB.Client, mail.Config{URL: "smtp://127.0.0.1:2525/?tls=none", From: "portal@co.test"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.deps.Mail = o
	if page := e.pageIn(t, wAdmin, "/admin/jobs", "en"); strings.Contains(page, "mail-off-banner") {
		t.Error("the banner stays once mail is configured")
	}
}
