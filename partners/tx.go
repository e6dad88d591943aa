package partners

import (
	"context"
	"fmt"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/idempotencykey"
	"github.com/tierlink/tierlink/ent/viewer"
)

type idemKey struct{}

// WithIdempotencyKey returns ctx carrying the id of the idempotency key a
// request claimed; WithTx marks it committed with the request's work.
func WithIdempotencyKey(ctx context.Context, id int) context.Context {
	return context.WithValue(ctx, idemKey{}, id)
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
	// A request made with an Idempotency-Key is marked as applied in the
	// same transaction as its work, so a retry can never apply it twice.
	if id, ok := ctx.Value(idemKey{}).(int); ok {
		sys := viewer.NewContext(ctx, viewer.System("idempotency"))
		if err := tx.IdempotencyKey.UpdateOneID(id).SetState(idempotencykey.StateCommitted).Exec(sys); err != nil && !ent.IsNotFound(err) {
			tx.Rollback() //nolint:errcheck // the marking error matters more
			return fmt.Errorf("mark idempotency key: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
