package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// workRecord names, on an Idempotency-Key, the record its work created
// (or acted on), written in the work's own transaction. A crash between
// that commit and the saved answer leaves a key that is committed but
// unanswered; a retry then rebuilds the answer from this record instead
// of waiting for an answer that will never come. It also keeps the key
// from expiring into a second application of the work while the record
// exists (see partners.PurgeIdempotencyKeys).
type workRecord struct{ mixin.Schema }

// Fields of the workRecord.
func (workRecord) Fields() []ent.Field {
	return []ent.Field{
		// The ent type of the record, like "Shipment"; empty when the
		// request committed no work (its answer was a refusal).
		field.String("record_type").Default("").MaxLen(64),
		field.Int("record_id").Optional().Nillable(),
	}
}

// Mixin of the IdempotencyKey.
func (IdempotencyKey) Mixin() []ent.Mixin { return []ent.Mixin{workRecord{}} }
