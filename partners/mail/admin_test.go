package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/auditentry"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// The admin side of the outbox (admin.go): who may use it, what it
// shows and what a retry stores.

func newAdminOutbox(t *testing.T, f *partnerstest.Fixture, cfg mail.Config) *mail.Outbox {
	t.Helper()
	o, err := mail.New(context.Background(), f.DB.Client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// queued writes a notification to addr and moves it to state, as the
// dispatcher would.
func queued(t *testing.T, f *partnerstest.Fixture, o *mail.Outbox, state mailoutbox.State, addr string) int {
	t.Helper()
	sys := f.System()
	id, err := o.Enqueue(sys, f.DB.Client, mail.Message{Kind: mailoutbox.KindNotification, To: mail.Recipient{Addr: addr, Lang: "en"},
		Content: mail.Content{Subject: i18n.M("mail.test_subject"), Title: i18n.M("mail.test_title")}})
	if err != nil {
		t.Fatal(err)
	}
	u := f.DB.Client.MailOutbox.UpdateOneID(id).SetState(state)
	if state == mailoutbox.StateDead {
		u.SetAttempts(12).SetDeadAt(time.Now()).SetLastError("451 4.3.0 try later").SetSMTPCode(451).
			SetLeaseOwner("gone-instance").SetLeaseUntil(time.Now().Add(-time.Hour))
	}
	if err := u.Exec(sys); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAdminOnlyForAdmins(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	o := newAdminOutbox(t, f, mail.Config{})
	id := queued(t, f, o, mailoutbox.StateDead, "gone@partner-a.test")
	for _, who := range []struct {
		name string
		ctx  context.Context
	}{{"Buyer", f.Ctx(f.Buyer)}, {"Viewer", f.Ctx(f.Viewer)}, {"PartnerUser", f.Ctx(f.UserA)}, {"NoViewer", context.Background()}} {
		t.Run(who.name, func(t *testing.T) {
			ctx := who.ctx
			calls := map[string]func() error{
				"Status":   func() error { _, err := o.Status(ctx); return err },
				"List":     func() error { _, err := o.List(ctx, mail.OutboxFilter{}); return err },
				"Counts":   func() error { _, err := o.Counts(ctx); return err },
				"Bouncing": func() error { _, err := o.Bouncing(ctx); return err },
				"Retry":    func() error { _, err := o.Retry(ctx, id); return err },
				"SendTest": func() error { _, err := o.SendTest(ctx, mail.Recipient{Addr: "x@co.test"}); return err },
			}
			for name, call := range calls {
				if err := call(); partners.ErrorCode(err) != partners.EForbidden {
					t.Errorf("%s: %v, want forbidden", name, err)
				}
			}
		})
	}
	r := f.DB.Client.MailOutbox.GetX(f.System(), id)
	if r.State != mailoutbox.StateDead {
		t.Fatalf("a refused retry left the row %s", r.State)
	}
	if n := f.DB.Client.MailOutbox.Query().CountX(f.System()); n != 1 {
		t.Fatalf("a refused test mail queued a row: %d rows", n)
	}
}

func TestAdminRetry(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	o := newAdminOutbox(t, f, mail.Config{})
	admin, sys := f.Ctx(f.Admin), f.System()
	dead := queued(t, f, o, mailoutbox.StateDead, "gone@partner-a.test")

	t.Run("OK", func(t *testing.T) {
		before := time.Now()
		it, err := o.Retry(admin, dead)
		if err != nil {
			t.Fatal(err)
		}
		if it.State != "pending" || it.Attempts != 0 {
			t.Fatalf("answer %+v", it)
		}
		r := f.DB.Client.MailOutbox.GetX(sys, dead)
		if r.State != mailoutbox.StatePending || r.Attempts != 0 || r.DeadAt != nil || r.LeaseUntil != nil || r.LeaseOwner != "" ||
			r.NextAttemptAt.Before(before.Add(-time.Second)) || r.NextAttemptAt.After(time.Now()) {
			t.Fatalf("stored %+v", r)
		}
		// The last error stays, so the page can still say what went wrong.
		if r.LastError != "451 4.3.0 try later" {
			t.Fatalf("last error %q", r.LastError)
		}
		a, err := f.DB.Client.AuditEntry.Query().Where(auditentry.EntityType("mail_outbox"), auditentry.EntityID(dead)).Only(sys)
		if err != nil {
			t.Fatal(err)
		}
		if a.Action != "mail_outbox.retry" || a.ActorID == nil || *a.ActorID != f.Admin.ID || a.Before["state"] != "dead" ||
			a.After["state"] != "pending" || a.After["name"] != "gone@partner-a.test" {
			t.Fatalf("audit entry %+v", a)
		}
		lines, err := partners.DescribeAudit(admin, f.DB.Client, []partners.AuditOut{{Action: a.Action, EntityType: a.EntityType,
			EntityID: a.EntityID, ActorID: a.ActorID, Before: a.Before, After: a.After}})
		if err != nil {
			t.Fatal(err)
		}
		if s := i18n.For("en").Render(lines[0].Sentence); !strings.Contains(s, "gone@partner-a.test") || !strings.Contains(s, "again") {
			t.Fatalf("audit sentence %q", s)
		}
	})

	t.Run("NotDeadIsConflict", func(t *testing.T) {
		for _, st := range []mailoutbox.State{mailoutbox.StatePending, mailoutbox.StateSending, mailoutbox.StateSent, mailoutbox.StateSkipped} {
			id := queued(t, f, o, st, "x@partner-a.test")
			before := f.Snapshot(t)
			_, err := o.Retry(admin, id)
			partnerstest.WantCode(t, err, partners.EConflict)
			f.Unchanged(t, before)
		}
		// dead was retried above and is pending now.
		_, err := o.Retry(admin, dead)
		partnerstest.WantCode(t, err, partners.EConflict)
	})

	t.Run("UnknownIsNotFound", func(t *testing.T) {
		_, err := o.Retry(admin, 999999)
		if !ent.IsNotFound(err) && partners.ErrorCode(err) != partners.ENotFound {
			t.Fatalf("%v, want not found", err)
		}
	})
}

func TestAdminListCountsBouncing(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	o := newAdminOutbox(t, f, mail.Config{})
	admin, sys := f.Ctx(f.Admin), f.System()
	queued(t, f, o, mailoutbox.StatePending, "a@partner-a.test")
	queued(t, f, o, mailoutbox.StatePending, "b@partner-a.test")
	dead := queued(t, f, o, mailoutbox.StateDead, "c@partner-a.test")
	queued(t, f, o, mailoutbox.StateSent, "d@partner-a.test")
	queued(t, f, o, mailoutbox.StateSkipped, "e@partner-a.test")

	c, err := o.Counts(admin)
	if err != nil {
		t.Fatal(err)
	}
	if c != (mail.OutboxCounts{Pending: 2, Dead: 1, Sent: 1, Skipped: 1}) {
		t.Fatalf("counts %+v", c)
	}
	p, err := o.List(admin, mail.OutboxFilter{State: "dead"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].ID != dead || p.Items[0].To != "c@partner-a.test" || p.Items[0].SMTPCode != 451 ||
		p.Items[0].Subject != "[Tierlink] Test mail" || p.Items[0].MessageID == "" {
		t.Fatalf("dead list %+v", p)
	}
	_, err = o.List(admin, mail.OutboxFilter{State: "lost"})
	partnerstest.WantField(t, err, partners.EInvalid, "state")

	old, recent := time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	if err := f.DB.Client.User.UpdateOneID(f.UserA.ID).SetEmailBouncingAt(old).SetEmailBounceReason("550 5.1.1 unknown").Exec(sys); err != nil {
		t.Fatal(err)
	}
	if err := f.DB.Client.Contact.UpdateOneID(f.ContactB.ID).SetEmailBouncingAt(recent).SetEmailBounceReason("552 5.2.2 full").Exec(sys); err != nil {
		t.Fatal(err)
	}
	b, err := o.Bouncing(admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 2 || b[0].Type != "contact" || b[0].ID != f.ContactB.ID || b[0].Reason != "552 5.2.2 full" ||
		b[0].PartnerID == nil || *b[0].PartnerID != f.PartnerB.ID ||
		b[1].Type != "user" || b[1].ID != f.UserA.ID || b[1].Email != f.UserA.Email {
		t.Fatalf("bouncing %+v", b)
	}
}

func TestAdminStatusNeverShowsThePassword(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	admin := f.Ctx(f.Admin)
	for _, c := range []struct {
		name string
		cfg  mail.Config
		want mail.SendingStatus
	}{
		{"NotConfigured", mail.Config{}, mail.SendingStatus{}},
		{"UserInURL", mail.Config{URL: "smtps://mailer:s3cr3t-pass@smtp.co.test:465", From: "Tierlink <portal@co.test>"},
			mail.SendingStatus{Configured: true, Server: "smtp.co.test:465", TLS: "implicit", Auth: "plain", From: `"Tierlink" <portal@co.test>`}},
		{"UserInVariables", mail.Config{URL: "smtp://smtp.co.test/?tls=opportunistic", User: "mailer", Password: "s3cr3t-pass", From: "portal@co.test"},
			mail.SendingStatus{Configured: true, Server: "smtp.co.test:587", TLS: "opportunistic", Auth: "plain", From: "<portal@co.test>"}},
		{"NoAuth", mail.Config{URL: "smtp://127.0.0.1:1025/?tls=none", From: "portal@co.test"},
			mail.SendingStatus{Configured: true, Server: "127.0.0.1:1025", TLS: "none", From: "<portal@co.test>"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := newAdminOutbox(t, f, c.cfg).Status(admin)
			if err != nil {
				t.Fatal(err)
			}
			if st != c.want {
				t.Fatalf("status %+v, want %+v", st, c.want)
			}
			if strings.Contains(st.Server+st.From, "s3cr3t") || strings.Contains(st.Server, "mailer") {
				t.Fatalf("status shows a credential: %+v", st)
			}
		})
	}
}

func TestAdminSendTest(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	o := newAdminOutbox(t, f, mail.Config{From: "Tierlink <portal@co.test>"})
	admin, sys := f.Ctx(f.Admin), f.System()
	for _, c := range []struct{ lang, subject, body string }{
		{"en", "[Tierlink] Test mail", "sent this test from the mail settings page"},
		{"zh-CN", "[Tierlink] 测试邮件", "在邮件设置页发送了这封测试邮件"},
	} {
		it, err := o.SendTest(admin, mail.Recipient{Addr: f.Admin.Email, Name: f.Admin.Name, Lang: c.lang, UserID: f.Admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		r := f.DB.Client.MailOutbox.GetX(sys, it.ID)
		if r.Kind != mailoutbox.KindTest || r.State != mailoutbox.StatePending || r.ToAddr != f.Admin.Email || !r.Security ||
			r.Subject != c.subject || !strings.Contains(r.Text, c.body) || !strings.Contains(r.Text, f.Admin.Email) ||
			!strings.HasSuffix(r.MessageID, "@co.test") || r.UserID == nil || *r.UserID != f.Admin.ID {
			t.Fatalf("%s: row %+v", c.lang, r)
		}
	}
	_, err := o.SendTest(admin, mail.Recipient{Addr: "  "})
	partnerstest.WantCode(t, err, partners.EInvalid)
}
