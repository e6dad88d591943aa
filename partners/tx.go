package partners

import (
	"context"
	"fmt"

	"github.com/tierlink/tierlink/ent"
)

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
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
