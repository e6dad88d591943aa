package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/emailchange"
	"github.com/tierlink/tierlink/ent/invitation"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/passwordreset"
	"github.com/tierlink/tierlink/ent/session"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// withMail gives f's accounts a configured outbox (nothing is sent:
// the tests mint links as the dispatcher would, with IssueLink) and a
// clock the test moves.
func withMail(t *testing.T, f *partnerstest.Fixture) (*mail.Outbox, *time.Time) {
	t.Helper()
	out, err := mail.New(context.Background(), f.DB.Client, mail.Config{URL: "smtp://127.0.0.1:1/?tls=none", From: "Tierlink <noreply@co.test>"})
	if err != nil {
		t.Fatal(err)
	}
	f.Acc.UseMail(out, "http://portal.test/")
	now := time.Now()
	f.Acc.SetClock(func() time.Time { return now })
	return out, &now
}

// outboxRows are the queued mails of kind, oldest first.
func outboxRows(t *testing.T, f *partnerstest.Fixture, kind mailoutbox.Kind) []*ent.MailOutbox {
	t.Helper()
	rows, err := f.DB.Client.MailOutbox.Query().Where(mailoutbox.KindEQ(kind)).Order(ent.Asc(mailoutbox.FieldID)).All(f.System())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// issue mints the link of an outbox row as the dispatcher does at send.
func issue(t *testing.T, f *partnerstest.Fixture, row *ent.MailOutbox) string {
	t.Helper()
	if row.SecretRef == nil || !strings.Contains(row.Text, mail.LinkPlaceholder) {
		t.Fatalf("row %d holds no late-bound link: %+v", row.ID, row)
	}
	link, err := f.Acc.IssueLink(context.Background(), row.SecretKind, *row.SecretRef)
	if err != nil {
		t.Fatalf("issue %s %d: %v", row.SecretKind, *row.SecretRef, err)
	}
	if !strings.HasPrefix(link, "http://portal.test/") {
		t.Fatalf("link %q", link)
	}
	return link
}

func tokenOf(link string) string { return link[strings.LastIndex(link, "/")+1:] }

func sessionsOf(t *testing.T, f *partnerstest.Fixture, id int) int {
	t.Helper()
	n, err := f.DB.Client.Session.Query().Where(session.UserID(id)).Count(f.System())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestResetPassword(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := context.Background()
		_, now := withMail(t, f)
		for range 2 {
			if _, _, err := f.Acc.Login(ctx, accounts.LoginInput{Email: f.UserA.Email, Password: partnerstest.Password}, "10.0.0.1", "t"); err != nil {
				t.Fatal(err)
			}
		}
		if n := sessionsOf(t, f, f.UserA.ID); n != 2 {
			t.Fatalf("sessions before = %d", n)
		}
		if err := f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: strings.ToUpper(f.UserA.Email)}, "10.0.0.9", "en"); err != nil {
			t.Fatal(err)
		}
		rows := outboxRows(t, f, mailoutbox.KindPasswordReset)
		if len(rows) != 1 || rows[0].ToAddr != f.UserA.Email || !rows[0].Security || rows[0].SecretKind != accounts.SecretReset ||
			rows[0].UserID == nil || *rows[0].UserID != f.UserA.ID {
			t.Fatalf("outbox = %+v", rows)
		}
		// Expiry runs from the send, for 30 minutes.
		tok := tokenOf(issue(t, f, rows[0]))
		if where := f.TablesHolding(t, tok); len(where) > 0 {
			t.Fatalf("the plain token is stored in %v", where)
		}
		*now = now.Add(30*time.Minute + time.Second)
		partnerstest.WantCode(t, f.Acc.PendingReset(ctx, tok), partners.ENotFound)
		partnerstest.WantCode(t, f.Acc.ResetPassword(ctx, accounts.ResetInput{Token: tok, Password: "a brand new password"}), partners.ENotFound)

		// A second request; its link works just before 30 minutes.
		if err := f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: f.UserA.Email}, "10.0.0.9", "en"); err != nil {
			t.Fatal(err)
		}
		rows = outboxRows(t, f, mailoutbox.KindPasswordReset)
		tok = tokenOf(issue(t, f, rows[1]))
		*now = now.Add(29 * time.Minute)
		if err := f.Acc.PendingReset(ctx, tok); err != nil {
			t.Fatal(err)
		}
		// Bad input changes nothing.
		partnerstest.WantField(t, f.Acc.ResetPassword(ctx, accounts.ResetInput{Token: tok, Password: "short"}), partners.EInvalid, "password")
		if err := f.Acc.ResetPassword(ctx, accounts.ResetInput{Token: tok, Password: "a brand new password"}); err != nil {
			t.Fatal(err)
		}
		if n := sessionsOf(t, f, f.UserA.ID); n != 0 {
			t.Fatalf("%d sessions survived the reset", n)
		}
		if n, _ := f.DB.Client.PasswordReset.Query().Where(passwordreset.UserID(f.UserA.ID), passwordreset.UsedAtIsNil()).Count(f.System()); n != 0 {
			t.Fatalf("%d resets of the user still open", n)
		}
		// Single use.
		partnerstest.WantCode(t, f.Acc.ResetPassword(ctx, accounts.ResetInput{Token: tok, Password: "yet another password"}), partners.ENotFound)
		if _, _, err := f.Acc.Login(ctx, accounts.LoginInput{Email: f.UserA.Email, Password: partnerstest.Password}, "10.0.0.2", "t"); partners.ErrorCode(err) != partners.EUnauthenticated {
			t.Fatalf("old password: %v", err)
		}
		if _, _, err := f.Acc.Login(ctx, accounts.LoginInput{Email: f.UserA.Email, Password: "a brand new password"}, "10.0.0.2", "t"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		if where := f.TablesHolding(t, tok); len(where) > 0 {
			t.Fatalf("the plain token is stored in %v", where)
		}
	})
}

func TestResetUnknownAddressSendsNothing(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := context.Background()
		withMail(t, f)
		if err := f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: "nobody@nowhere.test"}, "10.0.0.9", "zh-CN"); err != nil {
			t.Fatal(err)
		}
		rows := outboxRows(t, f, mailoutbox.KindPasswordReset)
		if len(rows) != 1 || rows[0].UserID != nil || rows[0].Lang != "zh-CN" {
			t.Fatalf("outbox = %+v", rows)
		}
		r, err := f.DB.Client.PasswordReset.Get(f.System(), *rows[0].SecretRef)
		if err != nil || r.UserID != nil || r.Email != "nobody@nowhere.test" {
			t.Fatalf("reset row %+v %v", r, err)
		}
		if _, err := f.Acc.IssueLink(ctx, rows[0].SecretKind, *rows[0].SecretRef); !errors.Is(err, mail.ErrSkip) {
			t.Fatalf("issuer for an unknown address: %v, want ErrSkip", err)
		}
	})
}

func TestResetThrottle(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	ctx := context.Background()
	withMail(t, f)
	for _, addr := range []string{f.UserA.Email, "nobody@nowhere.test"} {
		for i := range 5 {
			if err := f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: addr}, fmt.Sprintf("10.1.0.%d", i), "en"); err != nil {
				t.Fatalf("%s request %d: %v", addr, i, err)
			}
		}
		partnerstest.WantCode(t, f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: addr}, "10.1.1.1", "en"), partners.ERateLimited)
	}
	// Per client: the 31st request from one address is refused, whatever
	// it asks for.
	for i := range 30 {
		if err := f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: fmt.Sprintf("u%d@x.test", i)}, "10.2.0.1", "en"); err != nil {
			t.Fatalf("client request %d: %v", i, err)
		}
	}
	partnerstest.WantCode(t, f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: f.Buyer.Email}, "10.2.0.1", "en"), partners.ERateLimited)
	partnerstest.WantCode(t, f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: "other@x.test"}, "10.2.0.1", "en"), partners.ERateLimited)
	// A refused request writes nothing.
	if n := len(outboxRows(t, f, mailoutbox.KindPasswordReset)); n != 40 {
		t.Fatalf("outbox rows = %d, want 40", n)
	}
}

func TestResetLinkByAdmin(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := context.Background()
		// Without mail: the admin's link.
		if _, err := f.Acc.ResetLinkFor(f.Ctx(f.Buyer), f.UserA.ID); partners.ErrorCode(err) != partners.EForbidden {
			t.Fatalf("buyer: %v", err)
		}
		l, err := f.Acc.ResetLinkFor(f.Ctx(f.Admin), f.UserA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if where := f.TablesHolding(t, l.Token); len(where) > 0 {
			t.Fatalf("the plain token is stored in %v", where)
		}
		if time.Until(l.ExpiresAt) > 30*time.Minute || time.Until(l.ExpiresAt) < 29*time.Minute {
			t.Fatalf("expires %v", l.ExpiresAt)
		}
		if err := f.Acc.ResetPassword(ctx, accounts.ResetInput{Token: l.Token, Password: "set by the admin link"}); err != nil {
			t.Fatal(err)
		}
		partnerstest.WantCode(t, f.Acc.ResetPassword(ctx, accounts.ResetInput{Token: l.Token, Password: "set by the admin link"}), partners.ENotFound)
		// No mail configured: the request does nothing but count.
		if err := f.Acc.RequestReset(ctx, accounts.ForgotInput{Email: f.UserA.Email}, "10.0.0.1", "en"); err != nil {
			t.Fatal(err)
		}
		if n := len(outboxRows(t, f, mailoutbox.KindPasswordReset)); n != 0 {
			t.Fatalf("queued %d resets without mail", n)
		}
	})
}

func TestEmailChange(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.UserA)
		_, now := withMail(t, f)
		partnerstest.WantField(t, f.Acc.RequestEmailChange(ctx, accounts.EmailChangeInput{Email: "not an address"}), partners.EInvalid, "email")
		partnerstest.WantField(t, f.Acc.RequestEmailChange(ctx, accounts.EmailChangeInput{Email: f.UserA.Email}), partners.EInvalid, "email")
		if err := f.Acc.RequestEmailChange(ctx, accounts.EmailChangeInput{Email: "New.Me@A.test"}); err != nil {
			t.Fatal(err)
		}
		confirm := outboxRows(t, f, mailoutbox.KindEmailChange)
		notice := outboxRows(t, f, mailoutbox.KindEmailChangeNotice)
		if len(confirm) != 1 || confirm[0].ToAddr != "new.me@a.test" || len(notice) != 1 || notice[0].ToAddr != f.UserA.Email ||
			!notice[0].Security || !strings.Contains(notice[0].Text, "new.me@a.test") {
			t.Fatalf("confirm %+v notice %+v", confirm, notice)
		}
		tok := tokenOf(issue(t, f, confirm[0]))
		if where := f.TablesHolding(t, tok); len(where) > 0 {
			t.Fatalf("the plain token is stored in %v", where)
		}
		if got, err := f.Acc.PendingEmailChange(context.Background(), tok); err != nil || got != "new.me@a.test" {
			t.Fatalf("pending %q %v", got, err)
		}
		// Bounce mark on the old address goes with the change.
		if err := f.DB.Client.User.UpdateOneID(f.UserA.ID).SetEmailBouncingAt(*now).SetEmailBounceReason("550").Exec(f.System()); err != nil {
			t.Fatal(err)
		}
		u, err := f.Acc.ConfirmEmailChange(context.Background(), accounts.EmailConfirmInput{Token: tok})
		if err != nil || u.Email != "new.me@a.test" {
			t.Fatalf("confirm %+v %v", u, err)
		}
		stored, _ := f.DB.Client.User.Get(f.System(), f.UserA.ID)
		if stored.Email != "new.me@a.test" || stored.EmailBouncingAt != nil || stored.EmailBounceReason != "" {
			t.Fatalf("user %+v", stored)
		}
		if _, err := f.Acc.ConfirmEmailChange(context.Background(), accounts.EmailConfirmInput{Token: tok}); partners.ErrorCode(err) != partners.ENotFound {
			t.Fatalf("second use: %v", err)
		}

		// An address taken meanwhile is refused at confirmation; an
		// expired link is refused.
		if err := f.Acc.RequestEmailChange(f.Ctx(f.Buyer), accounts.EmailChangeInput{Email: "late@a.test"}); err != nil {
			t.Fatal(err)
		}
		tok = tokenOf(issue(t, f, outboxRows(t, f, mailoutbox.KindEmailChange)[1]))
		if err := f.DB.Client.User.Update().Where(user.ID(f.Viewer.ID)).SetEmail("late@a.test").Exec(f.System()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Acc.ConfirmEmailChange(context.Background(), accounts.EmailConfirmInput{Token: tok}); partners.ErrorCode(err) != partners.EConflict {
			t.Fatalf("taken: %v", err)
		}
		*now = now.Add(25 * time.Hour)
		if _, err := f.Acc.ConfirmEmailChange(context.Background(), accounts.EmailConfirmInput{Token: tok}); partners.ErrorCode(err) != partners.ENotFound {
			t.Fatalf("expired: %v", err)
		}
		if n, _ := f.DB.Client.EmailChange.Query().Where(emailchange.UsedAtNotNil()).Count(f.System()); n != 1 {
			t.Fatalf("used changes = %d", n)
		}
	})
}

func TestInvitationMail(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		buyer := f.Ctx(f.Buyer)
		ct, err := f.Dir.CreateContact(buyer, directoryContact(f))
		if err != nil {
			t.Fatal(err)
		}
		_, now := withMail(t, f)
		inv, err := f.Acc.CreateInvitation(buyer, accounts.InvitationInput{ContactID: ct.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !inv.Mailed || inv.Token != "" {
			t.Fatalf("invitation %+v: want mailed, no token", inv)
		}
		rows := outboxRows(t, f, mailoutbox.KindInvitation)
		if len(rows) != 1 || rows[0].ToAddr != "late@a.test" || rows[0].ContactID == nil || *rows[0].ContactID != ct.ID || !rows[0].Security {
			t.Fatalf("outbox %+v", rows)
		}
		first := tokenOf(issue(t, f, rows[0]))
		if _, err := f.Acc.PendingInvitation(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		stored, _ := f.DB.Client.Invitation.Get(f.System(), inv.ID)
		if stored.MailedAt == nil {
			t.Fatal("mailed_at not set")
		}
		// Resend: a new mail, the expiry moved on, and only the newest
		// link works.
		*now = now.Add(6 * 24 * time.Hour)
		if _, err := f.Acc.ResendInvitation(f.Ctx(f.UserA), inv.ID); partners.ErrorCode(err) != partners.EForbidden {
			t.Fatalf("partner resend: %v", err)
		}
		again, err := f.Acc.ResendInvitation(buyer, inv.ID)
		if err != nil || !again.Mailed || !again.ExpiresAt.After(inv.ExpiresAt) {
			t.Fatalf("resend %+v %v", again, err)
		}
		rows = outboxRows(t, f, mailoutbox.KindInvitation)
		if len(rows) != 2 {
			t.Fatalf("outbox rows %d", len(rows))
		}
		second := tokenOf(issue(t, f, rows[1]))
		if _, err := f.Acc.PendingInvitation(context.Background(), first); err == nil {
			t.Fatal("the older link still works")
		}
		if _, err := f.Acc.AcceptInvitation(context.Background(), second, accounts.AcceptInput{Name: "Late", Password: "a long enough password"}); err != nil {
			t.Fatal(err)
		}
		// Used: no more mail, and resending is refused.
		if _, err := f.Acc.IssueLink(context.Background(), accounts.SecretInvitation, inv.ID); !errors.Is(err, mail.ErrSkip) {
			t.Fatalf("issue after use: %v", err)
		}
		if _, err := f.Acc.ResendInvitation(buyer, inv.ID); partners.ErrorCode(err) != partners.EConflict {
			t.Fatalf("resend used: %v", err)
		}
		for _, tok := range []string{first, second} {
			if where := f.TablesHolding(t, tok); len(where) > 0 {
				t.Fatalf("the plain token is stored in %v", where)
			}
		}
		if n, _ := f.DB.Client.Invitation.Query().Where(invitation.ID(inv.ID), invitation.UsedAtNotNil()).Count(f.System()); n != 1 {
			t.Fatalf("used invitations %d", n)
		}
	})
}

func TestInvitationWithoutMailShowsLink(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	buyer := f.Ctx(f.Buyer)
	ct, err := f.Dir.CreateContact(buyer, directoryContact(f))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := f.Acc.CreateInvitation(buyer, accounts.InvitationInput{ContactID: ct.ID})
	if err != nil || inv.Mailed || inv.Token == "" {
		t.Fatalf("invitation %+v %v", inv, err)
	}
	again, err := f.Acc.ResendInvitation(buyer, inv.ID)
	if err != nil || again.Mailed || again.Token == "" || again.Token == inv.Token {
		t.Fatalf("resend %+v %v", again, err)
	}
	if _, err := f.Acc.PendingInvitation(context.Background(), inv.Token); err == nil {
		t.Fatal("the replaced link still works")
	}
	if _, err := f.Acc.PendingInvitation(context.Background(), again.Token); err != nil {
		t.Fatal(err)
	}
	if n := len(outboxRows(t, f, mailoutbox.KindInvitation)); n != 0 {
		t.Fatalf("queued %d invitations without mail", n)
	}
}
