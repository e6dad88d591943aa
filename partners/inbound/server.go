package inbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
)

// DefaultMaxBytes is the largest mail accepted when Config.MaxBytes is 0.
const DefaultMaxBytes = 25 << 20

// Config is the listener's.
type Config struct {
	// Addr is host:port to listen on; empty turns the listener off.
	Addr string
	// Domain is the domain of the reply addresses (reply+…@Domain); mail
	// to any other domain is refused at RCPT.
	Domain string
	// MaxBytes is the largest mail accepted (SIZE, and 552 past it).
	MaxBytes int64
	// TLS, when set, is offered through STARTTLS.
	TLS *tls.Config
	// SpoolDir holds mail while it is read (the system's temporary
	// directory if empty).
	SpoolDir string
}

// Server receives replies over SMTP. It offers no AUTH: it accepts only
// mail to its own signed reply addresses, so it is no relay.
type Server struct {
	cfg  Config
	db   *ent.Client
	keys mail.Keys
	grps *groups.Service
	docs *documents.Service
	log  *slog.Logger
	smtp *smtp.Server
	now  func() time.Time

	// delivering is read-held by each mail being posted; Shutdown takes
	// it to wait for them. closed (under it) refuses what comes after.
	delivering sync.RWMutex
	closed     bool
	lnMu       sync.Mutex
	lns        []net.Listener
	stopping   atomic.Bool
}

// New returns a listener delivering into db's groups; keys check the
// reply addresses, docs stores attachments under the upload rules.
func New(cfg Config, db *ent.Client, keys mail.Keys, grps *groups.Service, docs *documents.Service, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	cfg.Domain = strings.ToLower(strings.TrimSpace(cfg.Domain))
	s := &Server{cfg: cfg, db: db, keys: keys, grps: grps, docs: docs, log: log.With("component", "inbound-mail"), now: time.Now}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		remote := ""
		if a := c.Conn().RemoteAddr(); a != nil {
			remote = a.String()
		}
		return &session{s: s, remote: remote}, nil
	}))
	srv.Addr = cfg.Addr
	srv.Domain = cfg.Domain
	srv.MaxMessageBytes = cfg.MaxBytes
	srv.MaxRecipients = 1
	srv.MaxLineLength = 2000
	srv.ReadTimeout, srv.WriteTimeout = 60*time.Second, 60*time.Second
	srv.TLSConfig = cfg.TLS
	srv.ErrorLog = errorLog{s.log}
	s.smtp = srv
	return s
}

// SetClock replaces the clock, for tests.
func (s *Server) SetClock(now func() time.Time) { s.now = now }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.lnMu.Lock()
	if s.stopping.Load() {
		s.lnMu.Unlock()
		return ln.Close()
	}
	s.lns = append(s.lns, ln)
	s.lnMu.Unlock()
	err := s.smtp.Serve(ln)
	if s.stopping.Load() || errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting, lets each mail being posted finish (until
// ctx ends), then closes every connection. go-smtp's own Shutdown would
// also wait for idle clients, which may hold a connection for minutes.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	s.lnMu.Lock()
	for _, ln := range s.lns {
		ln.Close()
	}
	s.lnMu.Unlock()
	locked := make(chan struct{})
	go func() {
		s.delivering.Lock()
		s.closed = true
		s.delivering.Unlock()
		close(locked)
	}()
	var err error
	select {
	case <-locked:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if cerr := s.smtp.Close(); cerr != nil && !errors.Is(cerr, smtp.ErrServerClosed) && !errors.Is(cerr, net.ErrClosed) && err == nil {
		err = cerr
	}
	return err
}

// begin marks a mail as being delivered; false once shutting down.
func (s *Server) begin() bool {
	s.delivering.RLock()
	if s.closed {
		s.delivering.RUnlock()
		return false
	}
	return true
}

func (s *Server) end() { s.delivering.RUnlock() }

type errorLog struct{ l *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	e.l.Warn("smtp", "msg", strings.TrimSpace(fmt.Sprintf(format, v...)))
}
func (e errorLog) Println(v ...any) { e.l.Warn("smtp", "msg", strings.TrimSpace(fmt.Sprintln(v...))) }
