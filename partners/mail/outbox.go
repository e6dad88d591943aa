package mail

import (
	"context"
	"log/slog"
	"net/mail"
	"strings"
	"sync"

	"github.com/tierlink/tierlink/ent"
)

// SecretIssuer mints the token of a late-bound secret when its mail is
// sent, in its own transaction on c, stores only the token's hash, and
// returns the link. ErrSkip marks the row skipped.
type SecretIssuer func(ctx context.Context, c *ent.Client, ref int) (url string, err error)

// Config is how the portal sends mail (TIERLINK_SMTP_URL and friends).
type Config struct {
	// URL is smtp:// or smtps://; empty means mail is not configured:
	// rows still queue, and the portal shows links to copy instead.
	URL string
	// User and Password override the URL's user info when set.
	User, Password string
	// From is the sender, "Name <addr>" or "addr".
	From string
	// Instance names this process in row leases.
	Instance string
	Logger   *slog.Logger
}

// Outbox queues mail and sends it.
type Outbox struct {
	db   *ent.Client
	cfg  Config
	keys Keys
	from *mail.Address
	srv  SMTPServer
	log  *slog.Logger

	mu      sync.Mutex
	issuers map[string]SecretIssuer
	wake    chan struct{}
}

// New returns the outbox of db, loading (or creating) the signing key.
func New(ctx context.Context, db *ent.Client, cfg Config) (*Outbox, error) {
	keys, err := LoadKeys(ctx, db)
	if err != nil {
		return nil, err
	}
	o := &Outbox{db: db, cfg: cfg, keys: keys, log: cfg.Logger, issuers: map[string]SecretIssuer{}, wake: make(chan struct{}, 1)}
	if o.log == nil {
		o.log = slog.Default()
	}
	if cfg.From != "" {
		if o.from, err = mail.ParseAddress(cfg.From); err != nil {
			return nil, &ConfigError{"TIERLINK_MAIL_FROM", "is not an address like Name <noreply@example.com>"}
		}
	}
	if cfg.URL != "" {
		if o.srv, err = ParseSMTPURL(cfg.URL, cfg.User, cfg.Password); err != nil {
			return nil, err
		}
		if o.from == nil {
			return nil, &ConfigError{"TIERLINK_MAIL_FROM", "needs a sender address when TIERLINK_SMTP_URL is set"}
		}
	}
	if o.cfg.Instance == "" {
		o.cfg.Instance = "tierlink"
	}
	return o, nil
}

// Configured reports whether mail can be sent; without it the portal
// shows links to copy.
func (o *Outbox) Configured() bool { return o != nil && o.cfg.URL != "" }

// Keys signs and checks the tokens mail carries.
func (o *Outbox) Keys() Keys { return o.keys }

// Domain is the sender's domain: Message-IDs, thread roots and reply
// addresses are under it.
func (o *Outbox) Domain() string {
	if o.from != nil {
		if _, d, ok := strings.Cut(o.from.Address, "@"); ok && d != "" {
			return strings.ToLower(d)
		}
	}
	return "tierlink.localhost"
}

// Register sets the issuer of a secret kind.
func (o *Outbox) Register(kind string, fn SecretIssuer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.issuers[kind] = fn
}

// Wake asks the dispatcher to look for due mail now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Server is the SMTP server mail goes to, without its password, for
// the admin page; the zero value when mail is not configured.
func (o *Outbox) Server() SMTPServer {
	s := o.srv
	s.Password = ""
	return s
}

// Addr is the server's host:port.
func (s SMTPServer) Addr() string { return s.addr() }
