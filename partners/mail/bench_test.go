package mail_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/mail/mailpittest"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// BenchmarkMailOutbox sends 10,000 notification mails through a real
// Mailpit twice in one run, each mail rendered from the catalogue in the
// recipient's language (half English, half Chinese) with HTML and text:
//
//   - direct: go-mail alone, 4 connections, rendering and sending each
//     mail (the least any sender must do);
//   - outbox: Enqueue in 100 transactions of 100 on SQLite (rendering
//     and writing each row, as the changes that cause mail do), then the
//     dispatcher drains the outbox (claims, a lease per row, 4 workers
//     with one connection each, a row marked sent after each 250).
//
// It reports mails/s of each and outbox_ns/direct_ns, the price of
// durability; Mailpit must hold all 10,000 after each phase.
func BenchmarkMailOutbox(b *testing.B) {
	const (
		n       = 10000
		perTx   = 100
		workers = 4
		from    = "Tierlink <portal@bench.test>"
	)
	mp := mailpittest.Start(b, mailpittest.NoCompression())
	srv, err := mail.ParseSMTPURL(mp.SMTPURL(), "", "")
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]mail.Message, n)
	for i := range msgs {
		msgs[i] = benchMessage(i)
	}
	for range b.N {
		if err := mp.DeleteAll(); err != nil {
			b.Fatal(err)
		}
		// Direct: go-mail only.
		start := time.Now()
		benchDirect(b, srv, from, msgs, workers)
		direct := time.Since(start)
		mp.WaitFor(b, "", n, time.Minute)
		if l, err := mp.Messages(0, 1); err != nil || l.Total != n {
			b.Fatalf("direct: Mailpit holds %d messages, want %d (%v)", l.Total, n, err)
		}
		if err := mp.DeleteAll(); err != nil {
			b.Fatal(err)
		}

		// Outbox: Enqueue in the callers' transactions, then drain.
		f := partnerstest.New(b, "sqlite3")
		ctx := f.System()
		o, err := mail.New(context.Background(), f.DB.Client, mail.Config{URL: mp.SMTPURL(), From: from})
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		for i := 0; i < n; i += perTx {
			if err := partners.WithTx(ctx, f.DB.Client, func(tx *ent.Tx) error {
				for _, m := range msgs[i : i+perTx] {
					if _, err := o.Enqueue(ctx, tx.Client(), m); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		enqueued := time.Since(start)
		done, err := o.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		outbox := time.Since(start)
		if done != n {
			b.Fatalf("dispatcher finished %d rows, want %d", done, n)
		}
		if sent := f.DB.Client.MailOutbox.Query().Where(mailoutbox.StateEQ(mailoutbox.StateSent)).CountX(ctx); sent != n {
			b.Fatalf("%d rows sent, want %d", sent, n)
		}
		mp.WaitFor(b, "", n, time.Minute)
		if l, err := mp.Messages(0, 1); err != nil || l.Total != n {
			b.Fatalf("outbox: Mailpit holds %d messages, want %d (%v)", l.Total, n, err)
		}

		b.ReportMetric(float64(n)/direct.Seconds(), "direct_mails/s")
		b.ReportMetric(float64(n)/outbox.Seconds(), "outbox_mails/s")
		b.ReportMetric(float64(n)/enqueued.Seconds(), "enqueue_mails/s")
		b.ReportMetric(float64(outbox)/float64(direct), "outbox_ns/direct_ns")
	}
}

// benchMessage is the i-th notification: an order to acknowledge, in
// its thread, with a button and an unsubscribe link, as a notification
// mail carries.
func benchMessage(i int) mail.Message {
	lang := i18n.English
	if i%2 == 1 {
		lang = i18n.Chinese
	}
	return mail.Message{Kind: mailoutbox.KindNotification, Thread: fmt.Sprintf("order:%d", i%500+1),
		To:          mail.Recipient{Addr: fmt.Sprintf("buyer%05d@partner.test", i), Name: fmt.Sprintf("Buyer %d", i), Lang: lang},
		Unsubscribe: fmt.Sprintf("http://127.0.0.1:8080/unsubscribe/tok%05d", i),
		Content: mail.Content{Subject: i18n.M("mail.test_subject"), Title: i18n.M("mail.test_title"),
			Paras:   []i18n.Message{i18n.M("mail.test_body").With("Name", "Ada Admin").With("Addr", fmt.Sprintf("buyer%05d@partner.test", i))},
			Buttons: []mail.Button{{Label: i18n.M("mail.test_button"), URL: fmt.Sprintf("http://127.0.0.1:8080/orders/%d", i%500+1)}},
			Footer:  []i18n.Message{i18n.M("mail.footer_auto")}}}
}

// benchDirect renders and sends msgs with go-mail over workers
// connections, as a program without an outbox would.
func benchDirect(b *testing.B, srv mail.SMTPServer, from string, msgs []mail.Message, workers int) {
	b.Helper()
	jobs := make(chan mail.Message)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := gomail.NewClient(srv.Host, gomail.WithPort(srv.Port), gomail.WithTimeout(15*time.Second),
				gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
				gomail.WithUsername(srv.User), gomail.WithPassword(srv.Password))
			if err != nil {
				errs <- err
				return
			}
			conn, err := c.DialToSMTPClientWithContext(context.Background())
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseWithSMTPClient(conn)
			seq := 0
			for m := range jobs {
				subject, text, html, err := mail.Render(m.To.Lang, m.Content)
				if err != nil {
					errs <- err
					return
				}
				g := gomail.NewMsg()
				if err := g.From(from); err != nil {
					errs <- err
					return
				}
				if err := g.AddToFormat(m.To.Name, m.To.Addr); err != nil {
					errs <- err
					return
				}
				g.Subject(subject)
				seq++
				g.SetMessageIDWithValue(fmt.Sprintf("direct.%d.%d@bench.test", w, seq))
				root := mail.ThreadRoot(m.Thread, "bench.test")
				g.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, root)
				g.SetGenHeaderPreformatted(gomail.HeaderReferences, root)
				g.SetDate()
				g.SetListUnsubscribe(m.Unsubscribe)
				g.SetListUnsubscribePost()
				g.SetBulk()
				g.SetBodyString(gomail.TypeTextPlain, text)
				g.AddAlternativeString(gomail.TypeTextHTML, html)
				if err := c.SendWithSMTPClient(conn, g); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, m := range msgs {
		select {
		case jobs <- m:
		case err := <-errs:
			b.Fatal(err)
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}
