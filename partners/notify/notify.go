// Package notify turns feed posts (cards to act on, status posts,
// mentions) into notification mail, by each user's choice of at once, a
// daily digest, or off, and carries out the one-click actions those
// mails link to.
package notify

import (
	"net/url"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
)

// Service queues notification mail and answers its links. (Slice M3.)
type Service struct {
	db   *ent.Client
	grps *groups.Service
	out  *mail.Outbox
	base *url.URL
}

// New returns the notification service; it installs the hook that queues
// mail in the transaction of each post.
func New(db *ent.Client, grps *groups.Service, out *mail.Outbox, base *url.URL) *Service {
	return &Service{db: db, grps: grps, out: out, base: base}
}
