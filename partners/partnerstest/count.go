package partnerstest

import (
	"context"
	"sync/atomic"

	"entgo.io/ent/dialect"
	"github.com/tierlink/tierlink/ent"
)

// CountingDriver counts the statements sent to the database, so a test
// can hold a list to a fixed number of queries however many rows it has.
type CountingDriver struct {
	dialect.Driver
	n atomic.Int64
}

// Count is how many statements went through d so far.
func (d *CountingDriver) Count() int64 { return d.n.Load() }

// Counting wraps f's database in a CountingDriver and returns an ent
// client over it (hooks and privacy included) with the driver.
func (f *Fixture) Counting() (*ent.Client, *CountingDriver) {
	cd := &CountingDriver{Driver: f.DB.Driver()}
	return ent.NewClient(ent.Driver(cd)), cd
}

func (d *CountingDriver) Exec(ctx context.Context, q string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *CountingDriver) Query(ctx context.Context, q string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *CountingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: &d.n}, nil
}

// countingTx counts the statements of a transaction into its driver's count.
type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

func (t *countingTx) Exec(ctx context.Context, q string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *countingTx) Query(ctx context.Context, q string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Query(ctx, q, args, v)
}
