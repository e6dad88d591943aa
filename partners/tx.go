package partners

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/acknowledgement"
	"github.com/tierlink/tierlink/ent/idempotencykey"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/predicate"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/ent/viewer"
)

type idemKey struct{}

// IdempotencyClaim is an Idempotency-Key a request carries.
type IdempotencyClaim struct {
	Scope, Key, Hash string
	ExpiresAt        time.Time
	// RecordType is the ent type of the record the request's work
	// creates ("Shipment"): the first one created in the work's
	// transaction is named on the key, so that a retry can be answered
	// from it even if the answer itself was never saved.
	RecordType string
	// RecordID, when set, names the record up front instead (a card the
	// request acts on).
	RecordID int
}

// IdempotentWork follows one request's key through its work: which
// record the work named and whether the key committed with it.
type IdempotentWork struct {
	Claim IdempotencyClaim
	// RecordID is the record named on the key, once the work created it.
	RecordID int
	// Committed is true once the key committed with the work.
	Committed bool
}

// ErrIdempotencyTaken is returned by WithTx when another request with the
// same key committed first; the work was rolled back.
var ErrIdempotencyTaken = errors.New("idempotency key already used")

// WithIdempotencyKey returns ctx carrying a request's key, and the work
// record WithTx fills in: it records the key, as committed and naming
// the work's record, in the same transaction as the request's work.
func WithIdempotencyKey(ctx context.Context, c IdempotencyClaim) (context.Context, *IdempotentWork) {
	w := &IdempotentWork{Claim: c, RecordID: c.RecordID}
	return context.WithValue(ctx, idemKey{}, w), w
}

// idempotencyHooked holds the clients whose creations are watched for
// the record an idempotent request's work creates.
var idempotencyHooked sync.Map

// WatchIdempotentWork makes client note, for a request made with an
// Idempotency-Key, the first record of the claimed type its work creates
// (see IdempotencyClaim.RecordType). Calling it again is harmless.
func WatchIdempotentWork(client *ent.Client) {
	if _, loaded := idempotencyHooked.LoadOrStore(client, true); loaded {
		return
	}
	client.Use(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			w, ok := ctx.Value(idemKey{}).(*IdempotentWork)
			if !ok || w.Committed || w.RecordID != 0 || !m.Op().Is(ent.OpCreate) || m.Type() != w.Claim.RecordType {
				return next.Mutate(ctx, m)
			}
			v, err := next.Mutate(ctx, m)
			if err == nil {
				if created, ok := m.(interface{ ID() (int, bool) }); ok {
					w.RecordID, _ = created.ID()
				}
			}
			return v, err
		})
	})
}

// WithTx runs fn in a transaction, committing if it returns nil and rolling
// back on error or panic. Inside fn use only tx's client: on SQLite the one
// writer connection is held by the transaction.
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) (err error) {
	w, _ := ctx.Value(idemKey{}).(*IdempotentWork)
	if w != nil && !w.Committed && w.Claim.RecordID == 0 {
		w.RecordID = 0 // a record noted in a rolled-back attempt is gone
	}
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
	// transaction as its work, naming the record the work created. The
	// (scope, key) unique index lets only one of two concurrent
	// duplicates commit; the other rolls back whole.
	if w != nil && !w.Committed {
		claim := w.Claim
		sys := viewer.NewContext(ctx, viewer.System("idempotency"))
		q := tx.IdempotencyKey.Create().SetScope(claim.Scope).SetKey(claim.Key).SetRequestHash(claim.Hash).
			SetState(idempotencykey.StateCommitted).SetExpiresAt(claim.ExpiresAt)
		if w.RecordID != 0 {
			q.SetRecordType(claim.RecordType).SetRecordID(w.RecordID)
		}
		if err := q.Exec(sys); err != nil {
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
	if w != nil {
		w.Committed = true
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

// idempotentRecordTables are the tables of the records an idempotent
// request's work may name on its key.
var idempotentRecordTables = map[string]string{
	ent.TypeShipment:        shipment.Table,
	ent.TypeShipmentEvent:   shipmentevent.Table,
	ent.TypePost:            post.Table,
	ent.TypeAcknowledgement: acknowledgement.Table,
}

// IdempotentRecordType reports whether keys may name records of type t.
func IdempotentRecordType(t string) bool { _, ok := idempotentRecordTables[t]; return ok }

// PurgeIdempotencyKeys forgets keys past their expiry, except that a key
// naming a record its work created is kept, without its saved answer,
// for as long as that record exists: a retry of it, however late, is
// answered from the record rather than applied a second time. A key
// that names no record (a refusal, or work from before records were
// named) or whose record is gone is deleted.
func PurgeIdempotencyKeys(ctx context.Context, c *ent.Client, now time.Time) (int, error) {
	sys := AsSystem(ctx, "idempotency-purge")
	expired := idempotencykey.ExpiresAtLT(now)
	preds := []predicate.IdempotencyKey{idempotencykey.RecordIDIsNil()}
	for typ, table := range idempotentRecordTables {
		preds = append(preds, idempotencykey.And(idempotencykey.RecordType(typ), func(s *sql.Selector) {
			t := sql.Table(table)
			s.Where(sql.Not(sql.Exists(sql.Select(t.C("id")).From(t).Where(sql.ColumnsEQ(t.C("id"), s.C(idempotencykey.FieldRecordID))))))
		}))
	}
	known := make([]string, 0, len(idempotentRecordTables))
	for typ := range idempotentRecordTables {
		known = append(known, typ)
	}
	preds = append(preds, idempotencykey.RecordTypeNotIn(known...))
	n, err := c.IdempotencyKey.Delete().Where(expired, idempotencykey.Or(preds...)).Exec(sys)
	if err != nil {
		return n, err
	}
	// The rest name a record that exists: drop the saved answer, which a
	// retry rebuilds from the record.
	_, err = c.IdempotencyKey.Update().Where(expired, idempotencykey.StateEQ(idempotencykey.StateDone)).
		SetState(idempotencykey.StateCommitted).SetStatusCode(0).ClearResponse().Save(sys)
	return n, err
}
