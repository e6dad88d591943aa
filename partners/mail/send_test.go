package mail_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/mail/mailpittest"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

type env struct {
	f   *partnerstest.Fixture
	mp  *mailpittest.Server
	out *mail.Outbox
	sys context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	mp := mailpittest.Start(t, mailpittest.EnableChaos())
	f := partnerstest.New(t, dialect.SQLite)
	e := &env{f: f, mp: mp, sys: viewer.NewContext(context.Background(), viewer.System("test"))}
	e.out = e.outbox(t, "a")
	return e
}

func (e *env) outbox(t *testing.T, instance string) *mail.Outbox {
	t.Helper()
	o, err := mail.New(context.Background(), e.f.DB.Client, mail.Config{URL: e.mp.SMTPURL(), From: "Tierlink 采购 <noreply@co.test>", Instance: instance})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// enqueue queues m in a transaction, as a service does.
func (e *env) enqueue(t *testing.T, m mail.Message) int {
	t.Helper()
	tx, err := e.f.DB.Client.Tx(e.sys)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.out.Enqueue(e.sys, tx.Client(), m)
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) row(t *testing.T, id int) *ent.MailOutbox {
	t.Helper()
	r, err := e.f.DB.Client.MailOutbox.Get(e.sys, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) runOnce(t *testing.T) int {
	t.Helper()
	n, err := e.out.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// due makes a retrying row due now, as if its back-off had passed.
func (e *env) due(t *testing.T, id int) {
	t.Helper()
	if err := e.f.DB.Client.MailOutbox.UpdateOneID(id).SetNextAttemptAt(time.Now().Add(-time.Second)).Exec(e.sys); err != nil {
		t.Fatal(err)
	}
}

func (e *env) chaos(t *testing.T, code int) {
	t.Helper()
	c := mailpittest.Chaos{}
	if code != 0 {
		c.Recipient = mailpittest.ChaosTrigger{ErrorCode: code, Probability: 100}
	}
	if err := e.mp.SetChaos(c); err != nil {
		t.Fatal(err)
	}
}

func one(t *testing.T, h map[string][]string, name string) string {
	t.Helper()
	if len(h[name]) != 1 {
		t.Fatalf("header %s = %q, want one value (headers %v)", name, h[name], h)
	}
	return h[name][0]
}

// TestSendThroughMailpit sends a notification in English and a security
// mail in Chinese and reads both back from a real SMTP server.
func TestSendThroughMailpit(t *testing.T) {
	e := newEnv(t)
	unsub := "http://127.0.0.1:8080/mail/unsubscribe/tok"
	nid := e.enqueue(t, mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1:8080/orders/12"),
		To:     mail.Recipient{Addr: e.f.Buyer.Email, Name: e.f.Buyer.Name, Lang: "en", UserID: e.f.Buyer.ID},
		Thread: "order:12", ReplyTo: "reply+abc@co.test", Unsubscribe: unsub})
	sid := e.enqueue(t, mail.Message{Kind: mailoutbox.KindPasswordReset, Security: true, Content: testContent("http://127.0.0.1:8080/x"),
		To: mail.Recipient{Addr: e.f.ContactA.Email, Name: e.f.ContactA.Name, Lang: "zh-CN", ContactID: e.f.ContactA.ID}})
	if got := e.runOnce(t); got != 2 {
		t.Fatalf("RunOnce = %d, want 2", got)
	}
	for _, id := range []int{nid, sid} {
		r := e.row(t, id)
		if r.State != mailoutbox.StateSent || r.SentAt == nil || r.SMTPCode != 250 || r.Attempts != 1 || r.LeaseOwner != "" || r.LeaseUntil != nil {
			t.Errorf("row %d = state %s sent_at %v code %d attempts %d lease %q %v", id, r.State, r.SentAt, r.SMTPCode, r.Attempts, r.LeaseOwner, r.LeaseUntil)
		}
	}

	n := e.row(t, nid)
	got := e.mp.WaitFor(t, "message-id:"+n.MessageID, 1, 10*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d messages with the notification's Message-ID", len(got))
	}
	if !strings.HasPrefix(n.MessageID, "tl.") || !strings.HasSuffix(n.MessageID, "@co.test") {
		t.Errorf("Message-ID %q", n.MessageID)
	}
	m, err := e.mp.Message(got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "[Tierlink] Test mail" || m.From.Address != "noreply@co.test" || m.From.Name != "Tierlink 采购" ||
		m.To[0].Address != e.f.Buyer.Email || len(m.ReplyTo) != 1 || m.ReplyTo[0].Address != "reply+abc@co.test" {
		t.Errorf("notification = subject %q from %+v to %+v reply-to %+v", m.Subject, m.From, m.To, m.ReplyTo)
	}
	if !strings.Contains(m.Text, "Mail from Tierlink works") || !strings.Contains(m.HTML, `<html lang="en">`) || !strings.Contains(m.HTML, "http://127.0.0.1:8080/orders/12") {
		t.Errorf("notification bodies:\n%s\n%s", m.Text, m.HTML)
	}
	h, err := e.mp.Headers(got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if v := one(t, h, "Message-Id"); v != "<"+n.MessageID+">" {
		t.Errorf("Message-Id = %q", v)
	}
	for _, k := range []string{"In-Reply-To", "References"} {
		if v := one(t, h, k); v != "<order.12@co.test>" {
			t.Errorf("%s = %q, want <order.12@co.test>", k, v)
		}
	}
	if v := one(t, h, "List-Unsubscribe"); v != "<"+unsub+">" {
		t.Errorf("List-Unsubscribe = %q", v)
	}
	if v := one(t, h, "List-Unsubscribe-Post"); v != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", v)
	}
	if v := one(t, h, "Precedence"); v != "bulk" {
		t.Errorf("Precedence = %q", v)
	}
	if v := one(t, h, "Content-Language"); v != "en" {
		t.Errorf("Content-Language = %q", v)
	}
	if ct := one(t, h, "Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q", ct)
	}

	s := e.row(t, sid)
	got = e.mp.WaitFor(t, "message-id:"+s.MessageID, 1, 10*time.Second)
	m, err = e.mp.Message(got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "[Tierlink] 测试邮件" || !strings.Contains(m.Text, "—— 请在此行以上回复 ——") || !strings.Contains(m.HTML, `<html lang="zh-CN">`) ||
		!strings.Contains(m.HTML, "Tierlink 邮件发送正常") || m.To[0].Name != e.f.ContactA.Name {
		t.Errorf("security mail = %q to %+v\n%s\n%s", m.Subject, m.To, m.Text, m.HTML)
	}
	h, err = e.mp.Headers(got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "Precedence", "X-Auto-Response-Suppress", "In-Reply-To", "References", "Reply-To"} {
		if len(h[k]) != 0 {
			t.Errorf("security mail has %s: %q", k, h[k])
		}
	}
	if v := one(t, h, "Content-Language"); v != "zh-CN" {
		t.Errorf("Content-Language = %q", v)
	}
	if info, err := e.mp.Info(); err != nil || info.Messages != 2 {
		t.Errorf("Mailpit holds %+v, %v; want 2 messages", info, err)
	}
}

// TestTemporaryFailureRetries: a 451 at RCPT leaves the row pending
// with a back-off of about a minute; once the server accepts, it is
// sent with the same Message-ID.
func TestTemporaryFailureRetries(t *testing.T) {
	e := newEnv(t)
	e.chaos(t, 451)
	id := e.enqueue(t, mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1/x"),
		To: mail.Recipient{Addr: e.f.UserA.Email, Lang: "en", UserID: e.f.UserA.ID}})
	before := time.Now()
	if got := e.runOnce(t); got != 0 {
		t.Fatalf("RunOnce = %d, want 0 finished", got)
	}
	r := e.row(t, id)
	wait := r.NextAttemptAt.Sub(before)
	if r.State != mailoutbox.StatePending || r.Attempts != 1 || r.SMTPCode != 451 || r.LastError == "" || wait < 50*time.Second || wait > 70*time.Second {
		t.Fatalf("after 451: state %s attempts %d code %d err %q next in %s", r.State, r.Attempts, r.SMTPCode, r.LastError, wait)
	}
	// Not due yet: nothing happens.
	e.chaos(t, 0)
	if got := e.runOnce(t); got != 0 || e.row(t, id).State != mailoutbox.StatePending {
		t.Fatalf("a row not yet due was handled")
	}
	e.due(t, id)
	if got := e.runOnce(t); got != 1 {
		t.Fatalf("RunOnce = %d, want 1", got)
	}
	r = e.row(t, id)
	if r.State != mailoutbox.StateSent || r.Attempts != 2 || r.SMTPCode != 250 || r.LastError != "" {
		t.Fatalf("after retry: state %s attempts %d code %d err %q", r.State, r.Attempts, r.SMTPCode, r.LastError)
	}
	e.mp.WaitFor(t, "message-id:"+r.MessageID, 1, 10*time.Second)
	if info, _ := e.mp.Info(); info.Messages != 1 {
		t.Errorf("Mailpit holds %d messages, want 1", info.Messages)
	}
	u, err := e.f.DB.Client.User.Get(e.sys, e.f.UserA.ID)
	if err != nil || u.EmailBouncingAt != nil {
		t.Errorf("a 451 marked the user bouncing: %v %v", u.EmailBouncingAt, err)
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		attempt int
		base    time.Duration
	}{{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {6, 32 * time.Minute}, {7, time.Hour}, {12, time.Hour}, {40, time.Hour}} {
		for range 20 {
			d := mail.Backoff(c.attempt)
			if d < c.base*9/10 || d > c.base*11/10 {
				t.Fatalf("Backoff(%d) = %s, want %s ±10%%", c.attempt, d, c.base)
			}
		}
	}
}

// TestAttemptsRunOut: the twelfth failed attempt makes the row dead.
func TestAttemptsRunOut(t *testing.T) {
	e := newEnv(t)
	e.chaos(t, 421)
	id := e.enqueue(t, mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1/x"),
		To: mail.Recipient{Addr: "nobody@b.test", Lang: "en"}})
	if err := e.f.DB.Client.MailOutbox.UpdateOneID(id).SetAttempts(mail.MaxAttempts - 1).Exec(e.sys); err != nil {
		t.Fatal(err)
	}
	if got := e.runOnce(t); got != 1 {
		t.Fatalf("RunOnce = %d, want 1", got)
	}
	if r := e.row(t, id); r.State != mailoutbox.StateDead || r.DeadAt == nil || r.Attempts != mail.MaxAttempts || r.SMTPCode != 421 {
		t.Fatalf("state %s dead_at %v attempts %d code %d", r.State, r.DeadAt, r.Attempts, r.SMTPCode)
	}
}

// TestPermanentFailureBounces: a 550 at RCPT makes the row dead at once
// and marks the user bouncing; later notifications to the address are
// skipped, security mail still goes, and a row put back to pending is
// sent and clears the mark.
func TestPermanentFailureBounces(t *testing.T) {
	e := newEnv(t)
	e.chaos(t, 550)
	to := mail.Recipient{Addr: e.f.UserA.Email, Lang: "en", UserID: e.f.UserA.ID}
	id := e.enqueue(t, mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1/x"), To: to})
	// The contact's row goes to an address that is not the contact's:
	// its bounce must not mark the contact.
	other := e.enqueue(t, mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1/x"),
		To: mail.Recipient{Addr: "old-address@b.test", Lang: "en", ContactID: e.f.ContactB.ID}})
	if got := e.runOnce(t); got != 2 {
		t.Fatalf("RunOnce = %d, want 2", got)
	}
	r := e.row(t, id)
	if r.State != mailoutbox.StateDead || r.DeadAt == nil || r.Attempts != 1 || r.SMTPCode != 550 {
		t.Fatalf("after 550: state %s dead_at %v attempts %d code %d", r.State, r.DeadAt, r.Attempts, r.SMTPCode)
	}
	u, err := e.f.DB.Client.User.Get(e.sys, e.f.UserA.ID)
	if err != nil || u.EmailBouncingAt == nil || !strings.Contains(u.EmailBounceReason, "550") {
		t.Fatalf("user not marked bouncing: %v %q %v", u.EmailBouncingAt, u.EmailBounceReason, err)
	}
	if e.row(t, other).State != mailoutbox.StateDead {
		t.Errorf("the other row is not dead")
	}
	c, err := e.f.DB.Client.Contact.Get(e.sys, e.f.ContactB.ID)
	if err != nil || c.EmailBouncingAt != nil {
		t.Errorf("a bounce of another address marked the contact: %v %v", c.EmailBouncingAt, err)
	}

	e.chaos(t, 0)
	later := e.enqueue(t, mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1/x"), To: to})
	if r := e.row(t, later); r.State != mailoutbox.StateSkipped || !strings.Contains(r.LastError, "bouncing") {
		t.Fatalf("notification to a bouncing address: state %s err %q", r.State, r.LastError)
	}
	sec := e.enqueue(t, mail.Message{Kind: mailoutbox.KindPasswordReset, Security: true, Content: testContent("http://127.0.0.1/x"), To: to})
	if r := e.row(t, sec); r.State != mailoutbox.StatePending {
		t.Fatalf("security mail to a bouncing address: state %s", r.State)
	}
	// What the admin retry does: back to pending, attempts reset.
	if err := e.f.DB.Client.MailOutbox.UpdateOneID(id).SetState(mailoutbox.StatePending).SetAttempts(0).
		SetNextAttemptAt(time.Now()).ClearDeadAt().Exec(e.sys); err != nil {
		t.Fatal(err)
	}
	if got := e.runOnce(t); got != 2 {
		t.Fatalf("RunOnce = %d, want 2 (the retried row and the security mail)", got)
	}
	if r := e.row(t, id); r.State != mailoutbox.StateSent || r.Attempts != 1 {
		t.Fatalf("retried row: state %s attempts %d", r.State, r.Attempts)
	}
	e.mp.WaitFor(t, "message-id:"+r.MessageID, 1, 10*time.Second)
	u, err = e.f.DB.Client.User.Get(e.sys, e.f.UserA.ID)
	if err != nil || u.EmailBouncingAt != nil || u.EmailBounceReason != "" {
		t.Fatalf("a successful send did not clear the bounce: %v %q %v", u.EmailBouncingAt, u.EmailBounceReason, err)
	}
}

// TestLateBoundSecret: the issuer runs once per attempt, its link goes
// into the text and (escaped) into the HTML, and no table ever holds it.
func TestLateBoundSecret(t *testing.T) {
	e := newEnv(t)
	var (
		calls  atomic.Int32
		mu     sync.Mutex
		tokens []string
	)
	e.out.Register("reset", func(ctx context.Context, c *ent.Client, ref int) (string, error) {
		calls.Add(1)
		if ref == 0 {
			return "", mail.ErrSkip
		}
		var b [16]byte
		_, _ = rand.Read(b[:])
		tok := hex.EncodeToString(b[:])
		mu.Lock()
		tokens = append(tokens, tok)
		mu.Unlock()
		return fmt.Sprintf("http://127.0.0.1:8080/password/reset?ref=%d&token=%s", ref, tok), nil
	})
	e.chaos(t, 451)
	id := e.enqueue(t, mail.Message{Kind: mailoutbox.KindPasswordReset, Security: true, Content: testContent(mail.LinkPlaceholder),
		To: mail.Recipient{Addr: e.f.UserA.Email, Lang: "zh-CN", UserID: e.f.UserA.ID}, Secret: mail.SecretRef{Kind: "reset", ID: 7}})
	skip := e.enqueue(t, mail.Message{Kind: mailoutbox.KindPasswordReset, Security: true, Content: testContent(mail.LinkPlaceholder),
		To: mail.Recipient{Addr: "nobody@co.test", Lang: "en"}, Secret: mail.SecretRef{Kind: "reset", ID: 0}})
	e.runOnce(t)
	if n := calls.Load(); n != 2 {
		t.Fatalf("issuer called %d times, want 2 (one per row)", n)
	}
	if r := e.row(t, skip); r.State != mailoutbox.StateSkipped {
		t.Fatalf("ErrSkip row: state %s", r.State)
	}
	e.chaos(t, 0)
	e.due(t, id)
	e.runOnce(t)
	if n := calls.Load(); n != 3 {
		t.Fatalf("issuer called %d times, want 3 (once more for the retry)", n)
	}
	r := e.row(t, id)
	if r.State != mailoutbox.StateSent {
		t.Fatalf("state %s", r.State)
	}
	got := e.mp.WaitFor(t, "message-id:"+r.MessageID, 1, 10*time.Second)
	m, err := e.mp.Message(got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	link := "http://127.0.0.1:8080/password/reset?ref=7&token=" + tokens[1]
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="http://127.0.0.1:8080/password/reset?ref=7&amp;token=`+tokens[1]+`"`) {
		t.Fatalf("the link is not in the mail:\n%s\n%s", m.Text, m.HTML)
	}
	if strings.Contains(m.Text+m.HTML, mail.LinkPlaceholder) {
		t.Errorf("the placeholder was sent")
	}
	if info, _ := e.mp.Info(); info.Messages != 1 {
		t.Errorf("Mailpit holds %d messages, want 1 (the skipped row sends nothing)", info.Messages)
	}
	for _, tok := range tokens {
		if where := e.f.TablesHolding(t, tok); len(where) != 0 {
			t.Errorf("token stored in %v", where)
		}
	}
	// The check can find things: the row's Message-ID is in the table.
	if where := e.f.TablesHolding(t, r.MessageID); len(where) != 1 || where[0] != "mail_outboxes" {
		t.Errorf("the Message-ID found in %v, want mail_outboxes", where)
	}
}

// TestTwoOutboxesSendOnce: two instances draining one database send
// every row exactly once.
func TestTwoOutboxesSendOnce(t *testing.T) {
	e := newEnv(t)
	b := e.outbox(t, "b")
	const n = 60
	for i := range n {
		e.enqueue(t, mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1/x"),
			To: mail.Recipient{Addr: fmt.Sprintf("r%d@b.test", i), Lang: "en"}})
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, o := range []*mail.Outbox{e.out, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := o.RunOnce(context.Background())
			if err != nil {
				t.Error(err)
			}
			counts[i] = c
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != n {
		t.Fatalf("the outboxes finished %v rows, want %d in all", counts, n)
	}
	sent, err := e.f.DB.Client.MailOutbox.Query().Where(mailoutbox.StateEQ(mailoutbox.StateSent), mailoutbox.Attempts(1)).Count(e.sys)
	if err != nil || sent != n {
		t.Fatalf("%d rows sent on the first attempt, want %d (%v)", sent, n, err)
	}
	e.mp.WaitFor(t, "", n, 10*time.Second)
	info, err := e.mp.Info()
	if err != nil || info.Messages != n || info.RuntimeStats.SMTPAccepted != n {
		t.Fatalf("Mailpit: %+v, %v; want exactly %d", info, err, n)
	}
	ids := map[string]bool{}
	l, err := e.mp.Messages(0, 2*n)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range l.Messages {
		if ids[m.MessageID] {
			t.Errorf("Message-ID %s twice", m.MessageID)
		}
		ids[m.MessageID] = true
	}
}

// TestUnconfiguredKeepsRows: without SMTP, rows wait as pending.
func TestUnconfiguredKeepsRows(t *testing.T) {
	f := partnerstest.New(t, dialect.SQLite)
	o, err := mail.New(context.Background(), f.DB.Client, mail.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Configured() {
		t.Fatal("configured without a URL")
	}
	sys := viewer.NewContext(context.Background(), viewer.System("test"))
	id, err := o.Enqueue(sys, f.DB.Client, mail.Message{Kind: mailoutbox.KindTest, Content: testContent("http://127.0.0.1/x"), To: mail.Recipient{Addr: "x@co.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := o.RunOnce(context.Background()); n != 0 || err != nil {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	r, err := f.DB.Client.MailOutbox.Get(sys, id)
	if err != nil || r.State != mailoutbox.StatePending || r.Attempts != 0 || r.Lang != "en" {
		t.Fatalf("row = %+v, %v", r, err)
	}
}

// TestExpiredLeaseResends: a row left sending by a process that died
// before its 250 is sent again after its lease, with the same
// Message-ID; a row whose lease still runs is left alone.
func TestExpiredLeaseResends(t *testing.T) {
	e := newEnv(t)
	msg := mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1/x"), To: mail.Recipient{Addr: "r@b.test", Lang: "en"}}
	dead, live := e.enqueue(t, msg), e.enqueue(t, msg)
	c := e.f.DB.Client.MailOutbox
	if err := c.UpdateOneID(dead).SetState(mailoutbox.StateSending).SetAttempts(1).SetLeaseOwner("gone/1").SetLeaseUntil(time.Now().Add(-time.Second)).Exec(e.sys); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateOneID(live).SetState(mailoutbox.StateSending).SetAttempts(1).SetLeaseOwner("other/1").SetLeaseUntil(time.Now().Add(time.Minute)).Exec(e.sys); err != nil {
		t.Fatal(err)
	}
	if got := e.runOnce(t); got != 1 {
		t.Fatalf("RunOnce = %d, want 1", got)
	}
	r := e.row(t, dead)
	if r.State != mailoutbox.StateSent || r.Attempts != 2 {
		t.Fatalf("expired row: state %s attempts %d", r.State, r.Attempts)
	}
	e.mp.WaitFor(t, "message-id:"+r.MessageID, 1, 10*time.Second)
	if l := e.row(t, live); l.State != mailoutbox.StateSending || l.LeaseOwner != "other/1" {
		t.Fatalf("a row under another's lease was touched: %s %q", l.State, l.LeaseOwner)
	}
}

// TestShutdownReleasesRows: rows claimed when the context ends go back
// to pending with no attempt spent, both those in a worker's hands and
// those not yet handed out. The server here accepts and never greets.
func TestShutdownReleasesRows(t *testing.T) {
	f := partnerstest.New(t, dialect.SQLite)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	o, err := mail.New(context.Background(), f.DB.Client, mail.Config{URL: "smtp://" + ln.Addr().String() + "?tls=none", From: "noreply@co.test"})
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.NewContext(context.Background(), viewer.System("test"))
	for range 10 {
		if _, err := o.Enqueue(sys, f.DB.Client, mail.Message{Kind: mailoutbox.KindNotification, Content: testContent("http://127.0.0.1/x"),
			To: mail.Recipient{Addr: "r@b.test", Lang: "en"}}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := o.RunOnce(ctx); done <- err }()
	var held []net.Conn
	for range mail.Workers {
		select {
		case c := <-conns:
			held = append(held, c)
		case <-time.After(10 * time.Second):
			t.Fatal("the workers did not connect")
		}
	}
	cancel()
	// The server hangs up: the workers' greetings fail after the cancel.
	for _, c := range held {
		c.Close()
	}
	var err2 error
	select {
	case err2 = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("RunOnce did not return after cancel")
	}
	if !errors.Is(err2, context.Canceled) {
		t.Fatalf("RunOnce: %v", err2)
	}
	rows, err := f.DB.Client.MailOutbox.Query().All(sys)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.State != mailoutbox.StatePending || r.Attempts != 0 || r.LeaseOwner != "" || r.NextAttemptAt.After(time.Now()) {
			t.Errorf("row %d after shutdown: state %s attempts %d lease %q next %s", r.ID, r.State, r.Attempts, r.LeaseOwner, r.NextAttemptAt)
		}
	}
}
