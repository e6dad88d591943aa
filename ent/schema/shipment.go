package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Shipment is an advance ship notice: goods for one partner's orders on
// their way, posted by the supplier (upstream) or the company
// (downstream).
type Shipment struct{ ent.Schema }

// Mixin of the Shipment.
func (Shipment) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Shipment.
func (Shipment) Fields() []ent.Field {
	return []ent.Field{
		field.Int("partner_id").Immutable(),
		field.Enum("direction").Values("upstream", "downstream").Immutable(),
		field.String("number").Default("").Validate(maxRunes(64)),
		field.String("carrier").Default("").Validate(maxRunes(100)),
		field.String("tracking_number").Default("").Validate(maxRunes(100)),
		field.Time("ship_date").Optional().Nillable(),
		field.Time("eta").Optional().Nillable(),
		field.Int("packages").Default(0),
		field.Int64("weight_grams").Default(0),
		field.Enum("status").Values("created", "shipped", "in_transit", "delayed", "delivered", "received", "cancelled").Default("created"),
		field.String("created_by").Default("").Immutable(),
		field.Time("last_event_at").Optional().Nillable(),
		// The logistics partner carrying the goods, whose users may see
		// this shipment and post its movements.
		field.Int("carrier_partner_id").Optional().Nillable(),
	}
}

// Edges of the Shipment.
func (Shipment) Edges() []ent.Edge {
	return []ent.Edge{edge.To("lines", ShipmentLine.Type), edge.To("events", ShipmentEvent.Type)}
}

// Indexes of the Shipment.
func (Shipment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("partner_id", "id"), index.Fields("status", "last_event_at"), index.Fields("carrier_partner_id")}
}

// ShipmentLine is how much of one order line a shipment carries.
type ShipmentLine struct{ ent.Schema }

// Fields of the ShipmentLine.
func (ShipmentLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("shipment_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("order_line_id").Immutable(),
		// Thousandths of a unit, like order quantities.
		field.Int64("quantity").Immutable(),
		field.Int64("received").Default(0),
	}
}

// Edges of the ShipmentLine.
func (ShipmentLine) Edges() []ent.Edge {
	return []ent.Edge{edge.From("shipment", Shipment.Type).Ref("lines").Field("shipment_id").Unique().Required().Immutable()}
}

// Indexes of the ShipmentLine.
func (ShipmentLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_line_id"), index.Fields("order_id"), index.Fields("partner_id")}
}

// ShipmentEvent is one status update of a shipment.
type ShipmentEvent struct{ ent.Schema }

// Fields of the ShipmentEvent.
func (ShipmentEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("shipment_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.Enum("kind").Values("created", "shipped", "in_transit", "delayed", "delivered", "received", "cancelled").Immutable(),
		field.String("reason").Default("").Validate(maxRunes(500)).Immutable(),
		field.Time("new_eta").Optional().Nillable().Immutable(),
		field.String("location").Default("").Validate(maxRunes(200)).Immutable(),
		field.String("actor").Default("").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the ShipmentEvent.
func (ShipmentEvent) Edges() []ent.Edge {
	return []ent.Edge{edge.From("shipment", Shipment.Type).Ref("events").Field("shipment_id").Unique().Required().Immutable()}
}

// Indexes of the ShipmentEvent.
func (ShipmentEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("shipment_id", "id"), index.Fields("partner_id", "created_at")}
}

// IdempotencyKey remembers a request made with an Idempotency-Key, so a
// retry from a flaky phone connection replays the first answer instead
// of doing the work twice.
type IdempotencyKey struct{ ent.Schema }

// Fields of the IdempotencyKey.
func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("scope").Validate(notEmpty).Validate(maxRunes(64)).Immutable(),
		field.String("key").Validate(notEmpty).Validate(maxRunes(255)).Immutable(),
		field.String("request_hash").Validate(notEmpty).Immutable(),
		field.Enum("state").Values("in_flight", "committed", "done").Default("in_flight"),
		field.Int("status_code").Default(0),
		field.Bytes("response").Optional(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
	}
}

// Indexes of the IdempotencyKey.
func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scope", "key").Unique(), index.Fields("expires_at")}
}
