package database

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
)

// relayChannel is the PostgreSQL NOTIFY channel instances talk on.
const relayChannel = "tierlink_relay"

// Relay passes short messages between the instances sharing a
// PostgreSQL database with LISTEN/NOTIFY, so that what one instance
// commits wakes the others at once (a live feed, an outbox). On SQLite
// there is one instance and the relay does nothing. Messages are hints:
// one lost while a listener reconnects costs nothing but a delay, since
// onConnect lets the receiver look again at everything it follows.
type Relay struct {
	db       *DB
	instance string
	log      *slog.Logger

	mu      sync.Mutex
	pending map[string]bool
	wake    chan struct{}
}

// NewRelay returns the relay of db for the named instance.
func NewRelay(db *DB, instance string, log *slog.Logger) *Relay {
	return &Relay{db: db, instance: instance, log: log, pending: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// Enabled tells whether there are other instances to tell.
func (r *Relay) Enabled() bool { return r.db.Dialect == dialect.Postgres }

// Publish queues msg for the other instances; it never blocks, and the
// same message queued twice before it is sent goes once.
func (r *Relay) Publish(msg string) {
	if !r.Enabled() {
		return
	}
	r.mu.Lock()
	r.pending[msg] = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// maxPayload keeps NOTIFY payloads under PostgreSQL's 8,000-byte limit.
const maxPayload = 7000

// Run sends queued messages and delivers the other instances' messages
// to onMessage until ctx ends; onConnect runs each time the listener
// (re)connects. It returns at once on SQLite.
func (r *Relay) Run(ctx context.Context, onMessage func(msg string), onConnect func()) {
	if !r.Enabled() {
		return
	}
	go r.send(ctx)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := r.listen(ctx, onMessage, onConnect)
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("relay listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (r *Relay) listen(ctx context.Context, onMessage func(string), onConnect func()) error {
	conn, err := pgx.Connect(ctx, r.db.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+relayChannel); err != nil {
		return err
	}
	onConnect()
	prefix := r.instance + "|"
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if strings.HasPrefix(n.Payload, prefix) {
			continue // our own
		}
		_, body, ok := strings.Cut(n.Payload, "|")
		if !ok {
			continue
		}
		for msg := range strings.SplitSeq(body, ",") {
			if msg != "" {
				onMessage(msg)
			}
		}
	}
}

// send drains the queue into NOTIFYs, several messages to a payload.
func (r *Relay) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		r.mu.Lock()
		msgs := make([]string, 0, len(r.pending))
		for m := range r.pending {
			msgs = append(msgs, m)
		}
		clear(r.pending)
		r.mu.Unlock()
		for len(msgs) > 0 {
			var b strings.Builder
			b.WriteString(r.instance + "|")
			for len(msgs) > 0 && b.Len()+len(msgs[0])+1 < maxPayload {
				b.WriteString(msgs[0] + ",")
				msgs = msgs[1:]
			}
			if _, err := r.db.Writer.ExecContext(ctx, "SELECT pg_notify($1, $2)", relayChannel, b.String()); err != nil {
				if errors.Is(err, context.Canceled) {
					return
				}
				r.log.Warn("relay could not notify the other instances", "err", err)
			}
		}
	}
}
