package partners

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/idempotencykey"
	"github.com/tierlink/tierlink/ent/viewer"
)

type idemKey struct{}

// IdempotencyClaim is an Idempotency-Key a request carries.
type IdempotencyClaim struct {
	Scope, Key, Hash string
	ExpiresAt        time.Time
}

// ErrIdempotencyTaken is returned by WithTx when another request with the
// same key committed first; the work was rolled back.
var ErrIdempotencyTaken = errors.New("idempotency key already used")

// WithIdempotencyKey returns ctx carrying a request's key; WithTx records
// it, as committed, in the same transaction as the request's work.
func WithIdempotencyKey(ctx context.Context, c IdempotencyClaim) context.Context {
	return context.WithValue(ctx, idemKey{}, c)
}

// WithTx runs fn in a transaction, committing if it returns nil and rolling
// back on error or panic. Inside fn use only tx's client: on SQLite the one
// writer connection is held by the transaction.
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			tx.Rollback() //nolint:errcheck // the panic matters more
			panic(v)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	// A request made with an Idempotency-Key records the key in the same
	// transaction as its work. The (scope, key) unique index lets only one
	// of two concurrent duplicates commit; the other rolls back whole.
	if claim, ok := ctx.Value(idemKey{}).(IdempotencyClaim); ok {
		sys := viewer.NewContext(ctx, viewer.System("idempotency"))
		err := tx.IdempotencyKey.Create().SetScope(claim.Scope).SetKey(claim.Key).SetRequestHash(claim.Hash).
			SetState(idempotencykey.StateCommitted).SetExpiresAt(claim.ExpiresAt).Exec(sys)
		if err != nil {
			tx.Rollback() //nolint:errcheck // the claim's error matters more
			if ent.IsConstraintError(err) {
				return ErrIdempotencyTaken
			}
			return fmt.Errorf("record idempotency key: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// AsSystem returns ctx acting as the system under label, keeping the
// request id of whoever asked, for the few reads and writes a service
// makes beyond its caller's reach (sessions, download records).
func AsSystem(ctx context.Context, label string) context.Context {
	v, _ := viewer.FromContext(ctx)
	sys := viewer.System(label)
	sys.RequestID = v.RequestID
	return viewer.NewContext(ctx, sys)
}

// PurgeIdempotencyKeys removes keys past their expiry.
func PurgeIdempotencyKeys(ctx context.Context, c *ent.Client, now time.Time) (int, error) {
	return c.IdempotencyKey.Delete().Where(idempotencykey.ExpiresAtLT(now)).Exec(AsSystem(ctx, "idempotency-purge"))
}
