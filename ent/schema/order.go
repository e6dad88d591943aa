package schema

import (
	"encoding/json"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tierlink/tierlink/ent/schematype"
)

// Order is a purchase order to a supplier (upstream) or a sales or
// delivery order to a dealer or customer (downstream).
type Order struct{ ent.Schema }

// Mixin of the Order.
func (Order) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.Int("partner_id").Immutable(),
		field.Enum("direction").Values("upstream", "downstream").Immutable(),
		field.String("number").Validate(notEmpty).Validate(maxRunes(64)).Immutable(),
		field.String("currency").Validate(notEmpty).Validate(maxRunes(3)),
		field.Enum("status").Values("draft", "published", "changes_requested", "acknowledged", "rejected", "cancelled", "closed").Default("draft"),
		field.Int("revision").Default(1),
		field.Int("buyer_id"),
		field.String("notes").Default("").Validate(maxRunes(2000)),
		field.Time("published_at").Optional().Nillable(),
		// acknowledged_at is when the last pending line was answered; the
		// time from publish to it feeds responsiveness.
		field.Time("acknowledged_at").Optional().Nillable(),
	}
}

// Edges of the Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{edge.To("lines", OrderLine.Type)}
}

// Indexes of the Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("partner_id", "number").Unique(),
		index.Fields("status", "published_at"),
		index.Fields("partner_id", "id"),
		index.Fields("buyer_id"),
	}
}

// OrderLine is one item of an order.
type OrderLine struct{ ent.Schema }

// Fields of the OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Int("line_no").Immutable(),
		field.String("item_code").Validate(notEmpty).Validate(maxRunes(64)),
		field.String("description").Default("").Validate(maxRunes(500)),
		// Thousandths of a unit.
		field.Int64("quantity"),
		field.String("unit").Default("pcs").Validate(maxRunes(16)),
		// Ten-thousandths of the currency unit.
		field.Int64("unit_price"),
		field.Time("required_date"),
		field.Time("promised_date").Optional().Nillable(),
		field.Enum("ack_state").Values("pending", "accepted", "changes_requested", "rejected").Default("pending"),
		field.Time("ack_at").Optional().Nillable(),
		field.String("reject_reason").Default("").Validate(maxRunes(500)),
	}
}

// Edges of the OrderLine.
func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{edge.From("order", Order.Type).Ref("lines").Field("order_id").Unique().Required().Immutable()}
}

// Indexes of the OrderLine.
func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "line_no").Unique(), index.Fields("partner_id", "required_date")}
}

// OrderRevision keeps each published state of an order, so its history
// can be shown and old revisions compared.
type OrderRevision struct{ ent.Schema }

// Fields of the OrderRevision.
func (OrderRevision) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Int("revision").Immutable(),
		field.String("reason").Default("").Immutable(),
		field.JSON("snapshot", map[string]any{}).Immutable(),
		field.String("created_by").Default("").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the OrderRevision.
func (OrderRevision) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "revision").Unique(), index.Fields("partner_id")}
}

// Acknowledgement is a partner's answer to an order, line by line, with
// EDI 855 meanings: accept, accept with changes, reject.
type Acknowledgement struct{ ent.Schema }

// Fields of the Acknowledgement.
func (Acknowledgement) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Int("revision").Immutable(),
		field.Int("user_id").Optional().Nillable().Immutable(),
		field.String("user").Default("").Immutable(),
		field.JSON("lines", []map[string]any{}).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Acknowledgement.
func (Acknowledgement) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "id"), index.Fields("partner_id", "created_at")}
}

// ChangeRequest is an acknowledgement's proposed changes (dates,
// quantities, prices) awaiting the buyer's decision.
type ChangeRequest struct{ ent.Schema }

// Fields of the ChangeRequest.
func (ChangeRequest) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Int("acknowledgement_id").Immutable(),
		field.Int("revision").Immutable(),
		field.JSON("changes", []schematype.LineChange{}).Immutable(),
		field.Enum("state").Values("open", "approved", "rejected").Default("open"),
		field.Int("decided_by_id").Optional().Nillable(),
		field.String("decided_by").Default(""),
		field.Time("decided_at").Optional().Nillable(),
		field.String("decision_reason").Default("").Validate(maxRunes(1000)),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the ChangeRequest.
func (ChangeRequest) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "id"), index.Fields("state", "partner_id")}
}

// DomainEvent is one thing that happened, written in the same
// transaction as the change it describes; groups, digests, webhooks and
// scorecards read from here.
type DomainEvent struct{ ent.Schema }

// Fields of the DomainEvent.
func (DomainEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("partner_id").Immutable(),
		field.String("kind").Validate(notEmpty).Immutable(),
		field.String("subject_type").Validate(notEmpty).Immutable(),
		field.Int("subject_id").Immutable(),
		field.JSON("payload", json.RawMessage{}).Optional().Immutable(),
		field.String("actor").Default("").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the DomainEvent.
func (DomainEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("partner_id", "id"), index.Fields("kind", "id"), index.Fields("subject_type", "subject_id")}
}
