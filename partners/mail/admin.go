package mail

import (
	"context"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// The admin's view of the outbox: how sending is configured, what waits,
// what died and which addresses bounce. Every method is for admins only;
// none shows a mail's text (a row of security mail holds a placeholder,
// not a link, but its text is still nobody's business), only its subject.

// SendingStatus says how mail is sent, never with the password.
type SendingStatus struct {
	// Configured is false when TIERLINK_SMTP_URL is unset: mail queues
	// and waits, and the portal shows links to copy.
	Configured bool `json:"configured"`
	// Server is the SMTP server as host:port, without its user or
	// password.
	Server string `json:"server,omitempty"`
	// TLS is how the connection is protected: mandatory (STARTTLS),
	// opportunistic, none or implicit (smtps://).
	TLS string `json:"tls,omitempty"`
	// Auth is the sign-in mechanism (plain, login, cram-md5), empty
	// without a user.
	Auth string `json:"auth,omitempty"`
	// From is the sender every mail carries.
	From string `json:"from,omitempty"`
}

// Status is how mail is configured; only admins may see it.
func (o *Outbox) Status(ctx context.Context) (SendingStatus, error) {
	if err := requireMailAdmin(ctx); err != nil {
		return SendingStatus{}, err
	}
	st := SendingStatus{Configured: o.Configured()}
	if o.from != nil {
		st.From = o.from.String()
	}
	if st.Configured {
		st.Server = net.JoinHostPort(o.srv.Host, strconv.Itoa(o.srv.Port))
		st.TLS, st.Auth = string(o.srv.TLS), o.srv.Auth
		if o.srv.User != "" && st.Auth == "" {
			st.Auth = "plain"
		}
	}
	return st, nil
}

// OutboxFilter narrows the outbox listing.
type OutboxFilter struct {
	State  string `query:"state" validate:"omitempty,oneof=pending sending sent dead skipped"`
	Cursor string `query:"cursor" validate:"omitempty,max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// OutboxItem is one outbox row as an admin sees it: whom, what about
// (the subject only) and how delivery went.
type OutboxItem struct {
	ID            int        `json:"id"`
	Kind          string     `json:"kind"`
	Security      bool       `json:"security"`
	To            string     `json:"to"`
	ToName        string     `json:"to_name,omitempty"`
	Lang          string     `json:"lang,omitempty"`
	UserID        *int       `json:"user_id,omitempty"`
	ContactID     *int       `json:"contact_id,omitempty"`
	Subject       string     `json:"subject"`
	Thread        string     `json:"thread,omitempty"`
	MessageID     string     `json:"message_id"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastError     string     `json:"last_error,omitempty"`
	SMTPCode      int        `json:"smtp_code,omitempty"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	DeadAt        *time.Time `json:"dead_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// OutboxPage is one page of the outbox, newest first.
type OutboxPage struct {
	Items      []OutboxItem `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// List pages the outbox newest first, of one state or all.
func (o *Outbox) List(ctx context.Context, f OutboxFilter) (OutboxPage, error) {
	if err := requireMailAdmin(ctx); err != nil {
		return OutboxPage{}, err
	}
	if err := partners.Validate(f); err != nil {
		return OutboxPage{}, err
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return OutboxPage{}, err
	}
	q := o.db.MailOutbox.Query()
	if f.State != "" {
		q.Where(mailoutbox.StateEQ(mailoutbox.State(f.State)))
	}
	if before != 0 {
		q.Where(mailoutbox.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	// The text and HTML are never read: a page of 200 rows stays small
	// and nothing here can show them.
	rows, err := q.Select(outboxColumns...).Order(ent.Desc(mailoutbox.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return OutboxPage{}, err
	}
	var p OutboxPage
	rows, p.NextCursor = partners.Trim(rows, limit, func(r *ent.MailOutbox) int { return r.ID })
	p.Items = make([]OutboxItem, 0, len(rows))
	for _, r := range rows {
		p.Items = append(p.Items, toOutboxItem(r))
	}
	return p, nil
}

// outboxColumns are the columns an admin listing reads: all but the
// text, the HTML and the lease.
var outboxColumns = []string{mailoutbox.FieldID, mailoutbox.FieldKind, mailoutbox.FieldSecurity, mailoutbox.FieldToAddr,
	mailoutbox.FieldToName, mailoutbox.FieldLang, mailoutbox.FieldUserID, mailoutbox.FieldContactID, mailoutbox.FieldSubject,
	mailoutbox.FieldThreadKey, mailoutbox.FieldMessageID, mailoutbox.FieldState, mailoutbox.FieldAttempts,
	mailoutbox.FieldNextAttemptAt, mailoutbox.FieldLastError, mailoutbox.FieldSMTPCode, mailoutbox.FieldSentAt,
	mailoutbox.FieldDeadAt, mailoutbox.FieldCreatedAt}

// OutboxCounts is how many rows the outbox holds in each state.
type OutboxCounts struct {
	Pending int `json:"pending"`
	Sending int `json:"sending"`
	Sent    int `json:"sent"`
	Dead    int `json:"dead"`
	Skipped int `json:"skipped"`
}

// Counts counts the outbox by state.
func (o *Outbox) Counts(ctx context.Context) (OutboxCounts, error) {
	if err := requireMailAdmin(ctx); err != nil {
		return OutboxCounts{}, err
	}
	var rows []struct {
		State string `json:"state"`
		Count int    `json:"count"`
	}
	if err := o.db.MailOutbox.Query().GroupBy(mailoutbox.FieldState).Aggregate(ent.Count()).Scan(ctx, &rows); err != nil {
		return OutboxCounts{}, err
	}
	var c OutboxCounts
	for _, r := range rows {
		switch mailoutbox.State(r.State) {
		case mailoutbox.StatePending:
			c.Pending = r.Count
		case mailoutbox.StateSending:
			c.Sending = r.Count
		case mailoutbox.StateSent:
			c.Sent = r.Count
		case mailoutbox.StateDead:
			c.Dead = r.Count
		case mailoutbox.StateSkipped:
			c.Skipped = r.Count
		}
	}
	return c, nil
}

// BouncingAddress is an address a permanent failure (5xx) marked: the user or
// contact it belongs to, since when and the server's answer.
type BouncingAddress struct {
	// Type is "user" or "contact".
	Type      string    `json:"type"`
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	PartnerID *int      `json:"partner_id,omitempty"`
	Since     time.Time `json:"since"`
	Reason    string    `json:"reason,omitempty"`
}

// maxBouncing caps the bouncing list; an install with more has a bigger
// problem than a list can show.
const maxBouncing = 200

// Bouncing lists the users and contacts whose address bounces, the most
// recent first.
func (o *Outbox) Bouncing(ctx context.Context) ([]BouncingAddress, error) {
	if err := requireMailAdmin(ctx); err != nil {
		return nil, err
	}
	us, err := o.db.User.Query().Where(user.EmailBouncingAtNotNil()).
		Order(ent.Desc(user.FieldEmailBouncingAt)).Limit(maxBouncing).All(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := o.db.Contact.Query().Where(contact.EmailBouncingAtNotNil()).
		Order(ent.Desc(contact.FieldEmailBouncingAt)).Limit(maxBouncing).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BouncingAddress, 0, len(us)+len(cs))
	for _, u := range us {
		out = append(out, BouncingAddress{Type: "user", ID: u.ID, Name: u.Name, Email: u.Email, PartnerID: u.PartnerID,
			Since: *u.EmailBouncingAt, Reason: u.EmailBounceReason})
	}
	for _, c := range cs {
		pid := c.PartnerID
		out = append(out, BouncingAddress{Type: "contact", ID: c.ID, Name: c.Name, Email: c.Email, PartnerID: &pid,
			Since: *c.EmailBouncingAt, Reason: c.EmailBounceReason})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Since.After(out[j].Since) })
	if len(out) > maxBouncing {
		out = out[:maxBouncing]
	}
	return out, nil
}

// Retry puts a dead letter back in the outbox for a fresh round of
// attempts, now, and records who did in the audit trail. Only a dead row
// can be retried: a pending, sending, sent or skipped one is a conflict.
func (o *Outbox) Retry(ctx context.Context, id int) (OutboxItem, error) {
	if err := requireMailAdmin(ctx); err != nil {
		return OutboxItem{}, err
	}
	var out *ent.MailOutbox
	err := partners.WithTx(ctx, o.db, func(tx *ent.Tx) error {
		c := tx.Client()
		row, err := c.MailOutbox.Get(ctx, id)
		if err != nil {
			return err
		}
		if row.State != mailoutbox.StateDead {
			return partners.Fail(partners.EConflict, i18n.M("problem.retry_not_dead").With("State", row.State))
		}
		// Conditional on still being dead: two admins pressing Retry at
		// once queue it once.
		n, err := c.MailOutbox.Update().Where(mailoutbox.ID(id), mailoutbox.StateEQ(mailoutbox.StateDead)).
			SetState(mailoutbox.StatePending).SetAttempts(0).SetNextAttemptAt(time.Now()).
			ClearDeadAt().ClearLeaseUntil().SetLeaseOwner("").Save(asMailSystem(ctx))
		if err != nil {
			return err
		}
		if n == 0 {
			return partners.Fail(partners.EConflict, i18n.M("problem.retry_not_dead").With("State", mailoutbox.StatePending))
		}
		if err := partners.Audit(ctx, c, partners.AuditRecord{Action: "mail_outbox.retry", EntityType: "mail_outbox", EntityID: id,
			Before: map[string]any{"name": row.ToAddr, "state": string(row.State), "attempts": row.Attempts, "last_error": row.LastError},
			After:  map[string]any{"name": row.ToAddr, "state": string(mailoutbox.StatePending), "attempts": 0}}); err != nil {
			return err
		}
		out, err = c.MailOutbox.Get(ctx, id)
		return err
	})
	if err != nil {
		return OutboxItem{}, err
	}
	o.Wake()
	return toOutboxItem(out), nil
}

// SendTest queues a test mail to to, through the outbox like any other,
// so the admin page then shows whether the server took it. It is sent
// as security mail: without List-Unsubscribe, and even to an address
// marked bouncing, since checking that address is what a test is for.
func (o *Outbox) SendTest(ctx context.Context, to Recipient) (OutboxItem, error) {
	if err := requireMailAdmin(ctx); err != nil {
		return OutboxItem{}, err
	}
	if strings.TrimSpace(to.Addr) == "" {
		return OutboxItem{}, partners.Errorf(partners.EInvalid, "no address to send the test mail to")
	}
	// Named as the admin who asked: the session's label, else the name
	// the mail goes to.
	v, _ := viewer.FromContext(ctx)
	who := v.Label
	if who == "" {
		who = to.Name
	}
	content := Content{
		Subject: i18n.M("mail.test_subject"),
		Title:   i18n.M("mail.test_title"),
		Paras:   []i18n.Message{i18n.M("mail.test_body").With("Name", who).With("Addr", to.Addr)},
		Footer:  []i18n.Message{i18n.M("mail.test_footer")},
	}
	var out *ent.MailOutbox
	err := partners.WithTx(ctx, o.db, func(tx *ent.Tx) error {
		id, err := o.Enqueue(ctx, tx.Client(), Message{Kind: mailoutbox.KindTest, To: to, Content: content, Security: true})
		if err != nil {
			return err
		}
		out, err = tx.Client().MailOutbox.Get(ctx, id)
		return err
	})
	if err != nil {
		return OutboxItem{}, err
	}
	o.Wake()
	return toOutboxItem(out), nil
}

func toOutboxItem(r *ent.MailOutbox) OutboxItem {
	return OutboxItem{ID: r.ID, Kind: string(r.Kind), Security: r.Security, To: r.ToAddr, ToName: r.ToName, Lang: r.Lang,
		UserID: r.UserID, ContactID: r.ContactID, Subject: r.Subject, Thread: r.ThreadKey, MessageID: r.MessageID,
		State: string(r.State), Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt, LastError: r.LastError,
		SMTPCode: r.SMTPCode, SentAt: r.SentAt, DeadAt: r.DeadAt, CreatedAt: r.CreatedAt}
}

func requireMailAdmin(ctx context.Context) error {
	if v, _ := viewer.FromContext(ctx); !v.IsAdmin() {
		return partners.Errorf(partners.EForbidden, "only administrators may manage mail")
	}
	return nil
}

// asMailSystem is ctx acting as the mail system, for the writes the outbox
// policy keeps to it.
func asMailSystem(ctx context.Context) context.Context {
	return viewer.NewContext(ctx, viewer.System("mail"))
}
