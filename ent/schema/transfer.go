package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ContactTransfer is one entry on the ownership ledger: a contact handed
// from one staff owner to another, now or at a scheduled time.
type ContactTransfer struct{ ent.Schema }

// Fields of the ContactTransfer.
func (ContactTransfer) Fields() []ent.Field {
	return []ent.Field{
		field.Int("contact_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Int("from_owner_id").Immutable(),
		field.Int("to_owner_id").Immutable(),
		field.Enum("reason").Values("reassignment", "departure", "import").Immutable(),
		field.String("note").Default("").Validate(maxRunes(2000)).Immutable(),
		field.String("batch").Validate(notEmpty).Immutable(),
		field.Time("effective_at").Immutable(),
		field.Enum("state").Values("pending", "done", "failed", "cancelled").Default("pending"),
		field.String("failure_reason").Default(""),
		field.Int("requested_by_id").Optional().Nillable().Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("completed_at").Optional().Nillable(),
	}
}

// Edges of the ContactTransfer.
func (ContactTransfer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("contact", Contact.Type).Ref("transfers").Field("contact_id").Unique().Required().Immutable(),
	}
}

// Indexes of the ContactTransfer.
func (ContactTransfer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("contact_id", "id"),
		index.Fields("state", "effective_at"),
		index.Fields("batch"),
		index.Fields("partner_id", "id"),
	}
}
