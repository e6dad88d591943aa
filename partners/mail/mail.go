package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/i18n"
)

// LinkPlaceholder stands in a Button's URL (and so in the stored text)
// for the link of a late-bound secret; the dispatcher replaces it with a
// token minted at send time, so the outbox never holds a usable link.
const LinkPlaceholder = "tierlink:link"

// ErrSkip, from a SecretIssuer, marks the row skipped instead of sent: a
// reset asked for an address nobody has, an invitation already used.
var ErrSkip = errors.New("mail: nothing to send")

// Recipient is who a mail goes to, in which language, and which user or
// contact the address belongs to (so a bounce can be marked on them).
type Recipient struct {
	Addr, Name, Lang  string
	UserID, ContactID int
}

// Button is one link drawn as a button in HTML and as a line in text.
type Button struct {
	Label i18n.Message
	URL   string
}

// Content is what a mail says, as catalogue messages, so it is rendered
// in the recipient's language from the one catalogue.
type Content struct {
	Subject, Title i18n.Message
	Paras          []i18n.Message
	Buttons        []Button
	Footer         []i18n.Message
	// ReplyMarker puts the "reply above this line" marker first, so the
	// inbound listener can cut the quoted mail from a reply.
	ReplyMarker bool
}

// SecretRef names the token the dispatcher mints when it sends the mail.
type SecretRef struct {
	// Kind is the issuer registered with Outbox.Register.
	Kind string
	ID   int
}

// Message is one mail to queue.
type Message struct {
	Kind    mailoutbox.Kind
	To      Recipient
	Content Content
	// Security mail gets no List-Unsubscribe and no Precedence: bulk, and
	// is sent to a bouncing address too.
	Security bool
	// Thread is "order:12", "shipment:7", "group:3" or empty; mails of
	// one thread share In-Reply-To and References.
	Thread      string
	ReplyTo     string
	Unsubscribe string
	Secret      SecretRef
}

// Enqueue renders m in its recipient's language and writes it to the
// outbox through c, the caller's transaction client, so the mail commits
// or rolls back with the change that causes it. It returns the row id.
// The dispatcher polls; call Wake after the commit to send at once.
func (o *Outbox) Enqueue(ctx context.Context, c *ent.Client, m Message) (int, error) {
	if strings.TrimSpace(m.To.Addr) == "" {
		return 0, errors.New("mail: no recipient address")
	}
	subject, text, html, err := Render(m.To.Lang, m.Content)
	if err != nil {
		return 0, err
	}
	sys := viewer.NewContext(ctx, viewer.System("mail"))
	q := c.MailOutbox.Create().SetKind(m.Kind).SetSecurity(m.Security).
		SetToAddr(m.To.Addr).SetToName(m.To.Name).SetLang(i18n.For(m.To.Lang).Lang()).
		SetSubject(subject).SetText(text).SetHTML(html).
		SetThreadKey(m.Thread).SetReplyTo(m.ReplyTo).SetUnsubscribeURL(m.Unsubscribe).
		SetMessageID(o.newMessageID())
	if m.To.UserID != 0 {
		q.SetUserID(m.To.UserID)
	}
	if m.To.ContactID != 0 {
		q.SetContactID(m.To.ContactID)
	}
	if m.Secret.Kind != "" {
		q.SetSecretKind(m.Secret.Kind).SetSecretRef(m.Secret.ID)
	}
	if !m.Security {
		// Only security mail goes to an address known to bounce; the
		// rest is kept, skipped, so an admin can still retry it.
		reason, err := bouncing(sys, c, m.To)
		if err != nil {
			return 0, err
		}
		if reason != "" {
			q.SetState(mailoutbox.StateSkipped).SetLastError(clip("address bouncing: "+reason, 1000))
		}
	}
	row, err := q.Save(sys)
	if err != nil {
		return 0, err
	}
	return row.ID, nil
}

// bouncing is the bounce reason of r's user or contact while their
// address is still r.Addr; empty when it is not bouncing.
func bouncing(ctx context.Context, c *ent.Client, r Recipient) (string, error) {
	if r.UserID != 0 {
		u, err := c.User.Query().Where(user.ID(r.UserID), user.EmailEqualFold(r.Addr), user.EmailBouncingAtNotNil()).Only(ctx)
		if err == nil {
			return orUnknown(u.EmailBounceReason), nil
		} else if !ent.IsNotFound(err) {
			return "", err
		}
	}
	if r.ContactID != 0 {
		k, err := c.Contact.Query().Where(contact.ID(r.ContactID), contact.EmailEqualFold(r.Addr), contact.EmailBouncingAtNotNil()).Only(ctx)
		if err == nil {
			return orUnknown(k.EmailBounceReason), nil
		} else if !ent.IsNotFound(err) {
			return "", err
		}
	}
	return "", nil
}

func orUnknown(reason string) string {
	if reason == "" {
		return "refused earlier"
	}
	return reason
}

// newMessageID is a Message-ID without its angle brackets, fixed at
// insert so every attempt sends the same one.
func (o *Outbox) newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "tl." + hex.EncodeToString(b[:]) + "@" + o.Domain()
}

// ThreadRoot is the Message-ID (with brackets) every mail of thread
// refers to, so mail clients show one conversation per order, shipment
// or group; empty for no thread.
func ThreadRoot(thread, domain string) string {
	if thread == "" {
		return ""
	}
	return "<" + strings.ReplaceAll(thread, ":", ".") + "@" + domain + ">"
}
