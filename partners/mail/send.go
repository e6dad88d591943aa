package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
)

// Dispatcher tuning. A lease outlives the slowest send (15 s timeouts
// on a few commands); rows whose lease ended are sent again with the
// same Message-ID.
const (
	Workers     = 4
	ClaimBatch  = 50
	Lease       = 2 * time.Minute
	Poll        = time.Second
	MaxAttempts = 12
)

// Backoff is the wait after failed attempt n (1-based): one minute
// doubling to an hour, ±10 %, so twelve attempts span about a day.
func Backoff(attempt int) time.Duration {
	d := time.Minute
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d + time.Duration((mrand.Float64()*0.2-0.1)*float64(d))
}

// Run sends due mail until ctx ends: every Poll, and at once on Wake.
// Without SMTP it only waits, and rows stay pending.
func (o *Outbox) Run(ctx context.Context) {
	if !o.Configured() {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(Poll)
	defer t.Stop()
	for {
		if _, err := o.RunOnce(ctx); err != nil && ctx.Err() == nil {
			o.log.Error("mail: outbox pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.wake:
		}
	}
}

// RunOnce sends the mail due now, claiming batches until none is left,
// and returns how many rows it finished (sent, dead or skipped). Each of
// the Workers keeps one SMTP connection for the pass.
func (o *Outbox) RunOnce(ctx context.Context) (int, error) {
	if !o.Configured() {
		return 0, nil
	}
	sys := viewer.NewContext(ctx, viewer.System("mail"))
	ws := make([]*worker, Workers)
	for i := range ws {
		ws[i] = &worker{o: o}
	}
	defer func() {
		for _, w := range ws {
			w.close()
		}
	}()
	total := 0
	for ctx.Err() == nil {
		rows, err := o.claim(sys)
		if err != nil {
			return total, err
		}
		if len(rows) == 0 {
			return total, nil
		}
		jobs := make(chan *ent.MailOutbox)
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for _, w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range jobs {
					if w.handle(sys, r) {
						mu.Lock()
						total++
						mu.Unlock()
					}
				}
			}()
		}
	feed:
		for _, r := range rows {
			select {
			case jobs <- r:
			case <-ctx.Done():
				break feed
			}
		}
		close(jobs)
		wg.Wait()
	}
	return total, ctx.Err()
}

// claim leases up to ClaimBatch due rows to this pass: pending rows
// whose time has come and sending rows whose lease ended (a process died
// between claim and 250). The conditional UPDATE makes two instances
// take disjoint rows; the rows are read back by the pass's owner tag.
func (o *Outbox) claim(ctx context.Context) ([]*ent.MailOutbox, error) {
	now := time.Now()
	due := mailoutbox.Or(
		mailoutbox.And(mailoutbox.StateEQ(mailoutbox.StatePending), mailoutbox.NextAttemptAtLTE(now)),
		mailoutbox.And(mailoutbox.StateEQ(mailoutbox.StateSending), mailoutbox.LeaseUntilLT(now)),
	)
	ids, err := o.db.MailOutbox.Query().Where(due).Order(ent.Asc(mailoutbox.FieldNextAttemptAt), ent.Asc(mailoutbox.FieldID)).
		Limit(ClaimBatch).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	owner := o.leaseOwner()
	if _, err := o.db.MailOutbox.Update().Where(mailoutbox.IDIn(ids...), due).
		SetState(mailoutbox.StateSending).SetLeaseOwner(owner).SetLeaseUntil(now.Add(Lease)).
		AddAttempts(1).Save(ctx); err != nil {
		return nil, err
	}
	return o.db.MailOutbox.Query().Where(mailoutbox.LeaseOwner(owner), mailoutbox.StateEQ(mailoutbox.StateSending)).
		Order(ent.Asc(mailoutbox.FieldID)).All(ctx)
}

// leaseOwner tags one claim: the instance name plus a random suffix, so
// the read-back finds exactly the rows this claim took.
func (o *Outbox) leaseOwner() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := o.cfg.Instance
	if len(name) > 48 {
		name = name[:48]
	}
	return name + "/" + hex.EncodeToString(b[:])
}

// worker sends rows over its own SMTP connection, dialled lazily and
// dropped after any error that may have left it in a bad state.
type worker struct {
	o    *Outbox
	c    *gomail.Client
	conn *smtp.Client
}

func (w *worker) close() {
	if w.conn != nil {
		_ = w.c.CloseWithSMTPClient(w.conn)
		w.conn = nil
	}
}

// handle sends one claimed row and records the outcome; true when the
// row is finished (sent, dead or skipped).
func (w *worker) handle(ctx context.Context, r *ent.MailOutbox) bool {
	o := w.o
	text, htmlBody := r.Text, r.HTML
	if r.SecretKind != "" {
		link, err := o.issue(ctx, r)
		if errors.Is(err, ErrSkip) {
			o.finish(ctx, r, mailoutbox.StateSkipped, 0, "nothing to send: "+err.Error())
			return true
		}
		if err != nil {
			return o.failed(ctx, r, false, 0, "issuing the link: "+err.Error())
		}
		text = strings.ReplaceAll(text, LinkPlaceholder, link)
		htmlBody = strings.ReplaceAll(htmlBody, LinkPlaceholder, html.EscapeString(link))
	}
	m, err := o.message(r, text, htmlBody)
	if err != nil {
		return o.failed(ctx, r, true, 0, "building the message: "+err.Error())
	}
	err = w.send(ctx, m)
	if m.IsDelivered() {
		// The 250 came; a failed RSET after it does not unsend it.
		o.sent(ctx, r)
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		switch {
		case code >= 500 && (se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPData || se.Reason == gomail.ErrSMTPDataClose):
			o.bounce(ctx, r, code, errText(se))
			return o.failed(ctx, r, true, code, errText(se))
		case code >= 500:
			return o.failed(ctx, r, true, code, errText(se))
		case code == 0 && (se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded):
			return o.failed(ctx, r, true, 0, errText(se))
		}
		return o.failed(ctx, r, false, code, errText(se))
	}
	if err == nil {
		err = errors.New("not delivered")
	}
	return o.failed(ctx, r, false, 0, err.Error())
}

// send writes m on the worker's connection, dialling when there is
// none. A reused connection that turns out dead (the server closed it
// while idle) is redialled once before the attempt counts as failed.
func (w *worker) send(ctx context.Context, m *gomail.Msg) error {
	for try := 0; ; try++ {
		fresh := false
		if w.conn == nil {
			if err := w.dial(ctx); err != nil {
				return err
			}
			fresh = true
		}
		err := w.c.SendWithSMTPClient(w.conn, m)
		if err == nil {
			return nil
		}
		var se *gomail.SendError
		clean := errors.As(err, &se) && se.ErrorCode() != 0 &&
			(se.Reason == gomail.ErrSMTPMailFrom || se.Reason == gomail.ErrSMTPRcptTo)
		if !clean {
			// go-mail RSETs after a refused MAIL or RCPT; after anything
			// else the session may be mid-DATA, so start over.
			w.close()
		}
		stale := errors.As(err, &se) && se.Reason == gomail.ErrConnCheck
		if !stale || fresh || try > 0 || m.IsDelivered() {
			return err
		}
	}
}

func (w *worker) dial(ctx context.Context) error {
	if w.c == nil {
		c, err := w.o.newClient()
		if err != nil {
			return err
		}
		w.c = c
	}
	conn, err := w.c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", w.o.srv.addr(), err)
	}
	w.conn = conn
	return nil
}

// newClient is a go-mail client for the configured server; one per
// worker, since a client keeps per-dial auth state.
func (o *Outbox) newClient() (*gomail.Client, error) {
	s := o.srv
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTimeout(15 * time.Second),
		gomail.WithTLSConfig(&tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12})}
	switch s.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.User != "" {
		auth := gomail.SMTPAuthPlain
		switch s.Auth {
		case "login":
			auth = gomail.SMTPAuthLogin
		case "cram-md5":
			auth = gomail.SMTPAuthCramMD5
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(s.User), gomail.WithPassword(s.Password))
	}
	if o.from != nil {
		if _, d, ok := strings.Cut(o.from.Address, "@"); ok {
			opts = append(opts, gomail.WithHELO(heloName(d)))
		}
	}
	return gomail.NewClient(s.Host, opts...)
}

// heloName is the sender's domain when it is a plain host name.
func heloName(d string) string {
	if d == "" || strings.ContainsAny(d, "[]: ") {
		return "localhost"
	}
	return d
}

// message builds the mail of row r with its (secret-filled) bodies.
func (o *Outbox) message(r *ent.MailOutbox, text, htmlBody string) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if o.from == nil {
		return nil, errors.New("no sender (TIERLINK_MAIL_FROM)")
	}
	if err := m.FromFormat(o.from.Name, o.from.Address); err != nil {
		return nil, err
	}
	if err := m.AddToFormat(r.ToName, r.ToAddr); err != nil {
		return nil, err
	}
	m.Subject(r.Subject)
	m.SetMessageIDWithValue(r.MessageID)
	m.SetDate()
	m.SetUserAgent("Tierlink")
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	if r.Lang != "" {
		m.SetGenHeader(gomail.HeaderContentLang, r.Lang)
	}
	if root := ThreadRoot(r.ThreadKey, o.Domain()); root != "" {
		m.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, root)
		m.SetGenHeaderPreformatted(gomail.HeaderReferences, root)
	}
	if r.ReplyTo != "" {
		if err := m.ReplyTo(r.ReplyTo); err != nil {
			return nil, err
		}
	}
	if !r.Security {
		m.SetBulk()
		if r.UnsubscribeURL != "" {
			// SetListUnsubscribeOneClick refuses http://, which a
			// loopback install uses; the two headers are the same.
			m.SetListUnsubscribe(r.UnsubscribeURL)
			m.SetListUnsubscribePost()
		}
	}
	m.SetBodyString(gomail.TypeTextPlain, text)
	m.AddAlternativeString(gomail.TypeTextHTML, htmlBody)
	return m, nil
}

// issue calls the row's secret issuer in a transaction of its own; the
// token it stores (hashed) commits before the mail goes out.
func (o *Outbox) issue(ctx context.Context, r *ent.MailOutbox) (string, error) {
	o.mu.Lock()
	fn := o.issuers[r.SecretKind]
	o.mu.Unlock()
	if fn == nil {
		return "", fmt.Errorf("no issuer for %q", r.SecretKind)
	}
	ref := 0
	if r.SecretRef != nil {
		ref = *r.SecretRef
	}
	tx, err := o.db.Tx(ctx)
	if err != nil {
		return "", err
	}
	link, err := fn(ctx, tx.Client(), ref)
	if err != nil {
		_ = tx.Rollback()
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	if link == "" {
		return "", errors.New("the issuer gave no link")
	}
	return link, nil
}

// sent marks r sent and clears a bounce mark on its address.
func (o *Outbox) sent(ctx context.Context, r *ent.MailOutbox) {
	ctx = context.WithoutCancel(ctx)
	if err := o.db.MailOutbox.UpdateOneID(r.ID).SetState(mailoutbox.StateSent).SetSentAt(time.Now()).
		SetSMTPCode(250).SetLastError("").SetLeaseOwner("").ClearLeaseUntil().Exec(ctx); err != nil {
		o.log.Error("mail: marking a row sent", "id", r.ID, "err", err)
	}
	if r.UserID != nil {
		if err := o.db.User.Update().Where(user.ID(*r.UserID), user.EmailEqualFold(r.ToAddr), user.EmailBouncingAtNotNil()).
			ClearEmailBouncingAt().SetEmailBounceReason("").Exec(ctx); err != nil {
			o.log.Warn("mail: clearing a bounce", "user_id", *r.UserID, "err", err)
		}
	}
	if r.ContactID != nil {
		if err := o.db.Contact.Update().Where(contact.ID(*r.ContactID), contact.EmailEqualFold(r.ToAddr), contact.EmailBouncingAtNotNil()).
			ClearEmailBouncingAt().SetEmailBounceReason("").Exec(ctx); err != nil {
			o.log.Warn("mail: clearing a bounce", "contact_id", *r.ContactID, "err", err)
		}
	}
}

// bounce marks r's user or contact as bouncing, only while their
// address is still the one refused.
func (o *Outbox) bounce(ctx context.Context, r *ent.MailOutbox, code int, reason string) {
	ctx = context.WithoutCancel(ctx)
	now := time.Now()
	reason = clip(fmt.Sprintf("%d %s", code, reason), 500)
	if r.UserID != nil {
		if err := o.db.User.Update().Where(user.ID(*r.UserID), user.EmailEqualFold(r.ToAddr)).
			SetEmailBouncingAt(now).SetEmailBounceReason(reason).Exec(ctx); err != nil {
			o.log.Warn("mail: marking a bounce", "user_id", *r.UserID, "err", err)
		}
	}
	if r.ContactID != nil {
		if err := o.db.Contact.Update().Where(contact.ID(*r.ContactID), contact.EmailEqualFold(r.ToAddr)).
			SetEmailBouncingAt(now).SetEmailBounceReason(reason).Exec(ctx); err != nil {
			o.log.Warn("mail: marking a bounce", "contact_id", *r.ContactID, "err", err)
		}
	}
}

// failed records a failed attempt: dead when final or out of attempts,
// else pending again after Backoff. It reports whether the row is
// finished.
func (o *Outbox) failed(ctx context.Context, r *ent.MailOutbox, final bool, code int, msg string) bool {
	ctx = context.WithoutCancel(ctx)
	attempts := r.Attempts // already counted at claim
	q := o.db.MailOutbox.Update().Where(mailoutbox.ID(r.ID), mailoutbox.LeaseOwner(r.LeaseOwner)).
		SetLastError(clip(msg, 1000)).SetSMTPCode(code).SetLeaseOwner("").ClearLeaseUntil()
	dead := final || attempts >= MaxAttempts
	if dead {
		q.SetState(mailoutbox.StateDead).SetDeadAt(time.Now())
		o.log.Warn("mail: dead letter", "id", r.ID, "kind", r.Kind, "code", code, "attempts", attempts, "err", msg)
	} else {
		q.SetState(mailoutbox.StatePending).SetNextAttemptAt(time.Now().Add(Backoff(attempts)))
		o.log.Info("mail: will retry", "id", r.ID, "code", code, "attempts", attempts, "err", msg)
	}
	if err := q.Exec(ctx); err != nil {
		o.log.Error("mail: recording a failure", "id", r.ID, "err", err)
	}
	return dead
}

// finish ends r in state without a send (skipped).
func (o *Outbox) finish(ctx context.Context, r *ent.MailOutbox, state mailoutbox.State, code int, msg string) {
	if err := o.db.MailOutbox.Update().Where(mailoutbox.ID(r.ID), mailoutbox.LeaseOwner(r.LeaseOwner)).
		SetState(state).SetSMTPCode(code).SetLastError(clip(msg, 1000)).SetLeaseOwner("").ClearLeaseUntil().
		Exec(context.WithoutCancel(ctx)); err != nil {
		o.log.Error("mail: finishing a row", "id", r.ID, "err", err)
	}
}

// errText is a SendError's text without go-mail's wrapping noise.
func errText(se *gomail.SendError) string {
	s := se.Error()
	if e := se.EnhancedStatusCode(); e != "" && !strings.Contains(s, e) {
		s = e + " " + s
	}
	return s
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
