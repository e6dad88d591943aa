package main

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/mail/mailpittest"
)

// Killing the server (SIGKILL) while a thousand mails wait in the outbox
// loses none: after a restart every mail arrives, and none twice by
// Message-ID. SMTP cannot do exactly-once (a 250 can be lost with the
// process), so the outbox keeps one Message-ID per row for every attempt
// and Mailpit runs with --ignore-duplicate-ids, as a receiving server
// that drops a repeated Message-ID would: only the mails in flight at the
// kill, at most one per worker, may be sent twice, and those are counted
// as ignored.
func TestKillWithMailPending(t *testing.T) {
	const (
		n       = 1000
		workers = 4 // the dispatcher's SMTP connections
		from    = "Tierlink <portal@crash.test>"
	)
	mp := mailpittest.Start(t, mailpittest.IgnoreDuplicateIDs())
	bin := buildBinary(t)
	dir := t.TempDir()
	env := []string{"TIERLINK_DATA_DIR=" + dir, "TIERLINK_LOG_LEVEL=warn",
		"TIERLINK_SMTP_URL=" + mp.SMTPURL(), "TIERLINK_MAIL_FROM=" + from}
	prepare(t, env) // the schema, through the CLI

	// The thousand rows are written straight to the database before the
	// server starts, in ten transactions of a hundred as changes would
	// write them, so the kill finds them all pending or sending.
	ids := enqueueMail(t, filepath.Join(dir, "tierlink.db"), from, n)

	p := startServe(t, bin, env)
	deadline := time.Now().Add(time.Minute)
	for {
		info, err := mp.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Messages >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d mails arrived in a minute:\n%s", info.Messages, p.logs)
		}
		time.Sleep(2 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	info, err := mp.Info()
	if err != nil {
		t.Fatal(err)
	}
	before := info.Messages
	if before >= n {
		t.Fatalf("all %d mails arrived before the kill; the test proves nothing", before)
	}
	t.Logf("%d of %d mails arrived before the kill", before, n)

	// The rows the killed process had claimed stay "sending" until their
	// lease ends; then they are sent again with the same Message-ID (the
	// ones whose 250 was lost arrive twice and Mailpit drops the repeat).
	// So every row is marked sent only a lease after the kill.
	start := time.Now()
	startServe(t, bin, env)
	mp.WaitFor(t, "", n, 3*time.Minute)
	waitAllSent(t, filepath.Join(dir, "tierlink.db"), n, mail.Lease+time.Minute)
	t.Logf("every row sent %v after the restart", time.Since(start).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond) // a late repeat would show here

	got := map[string]int{}
	for start := 0; ; start += 500 {
		l, err := mp.Messages(start, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range l.Messages {
			got[m.MessageID]++
		}
		if len(l.Messages) < 500 {
			break
		}
	}
	total := 0
	for _, c := range got {
		total += c
	}
	if total != n {
		t.Fatalf("Mailpit holds %d messages, want %d", total, n)
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("Message-ID %s arrived %d times, want once", id, got[id])
		}
	}
	info, err = mp.Info()
	if err != nil {
		t.Fatal(err)
	}
	if ign := info.RuntimeStats.SMTPIgnored; ign > workers {
		t.Fatalf("Mailpit dropped %d repeated Message-IDs; at most the %d in flight at the kill may repeat", ign, workers)
	}
	t.Logf("all %d arrived once by Message-ID; %d repeat(s) sent after the kill and dropped by Message-ID",
		n, info.RuntimeStats.SMTPIgnored)
}

// enqueueMail writes n notifications to the outbox of the database at
// path, in transactions of a hundred, and returns their Message-IDs.
func enqueueMail(t *testing.T, path, from string, n int) []string {
	t.Helper()
	ctx := viewer.NewContext(context.Background(), viewer.System("test"))
	db, err := database.Open(ctx, database.Target{Dialect: dialect.SQLite, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out, err := mail.New(ctx, db.Client, mail.Config{From: from})
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < n; b += 100 {
		err := partners.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			for i := b; i < b+100 && i < n; i++ {
				lang := "en"
				if i%2 == 1 {
					lang = "zh-CN"
				}
				if _, err := out.Enqueue(ctx, tx.Client(), mail.Message{Kind: mailoutbox.KindNotification,
					To:     mail.Recipient{Addr: fmt.Sprintf("buyer%04d@partner.test", i), Name: fmt.Sprintf("Buyer %d", i), Lang: lang},
					Thread: fmt.Sprintf("order:%d", i%50+1),
					Content: mail.Content{Subject: i18n.M("mail.test_subject"), Title: i18n.M("mail.test_title"),
						Paras: []i18n.Message{i18n.M("mail.test_body").With("Name", "crash test").With("Addr", fmt.Sprint(i))}}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ids, err := db.Client.MailOutbox.Query().Select(mailoutbox.FieldMessageID).Strings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n {
		t.Fatalf("%d rows queued, want %d", len(ids), n)
	}
	return ids
}

// waitAllSent waits until every one of the n rows is marked sent.
func waitAllSent(t *testing.T, path string, n int, timeout time.Duration) {
	t.Helper()
	ctx := viewer.NewContext(context.Background(), viewer.System("test"))
	db, err := database.Open(ctx, database.Target{Dialect: dialect.SQLite, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(timeout)
	for {
		sent, err := db.Client.MailOutbox.Query().Where(mailoutbox.StateEQ(mailoutbox.StateSent)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sent == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows marked sent", sent, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
