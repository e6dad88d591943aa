package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ScorecardSnapshot keeps a partner's scorecard for one closed period as
// it was computed, so that history does not shift when old data is
// corrected; a recompute replaces it on request.
type ScorecardSnapshot struct{ ent.Schema }

// Fields of the ScorecardSnapshot.
func (ScorecardSnapshot) Fields() []ent.Field {
	return []ent.Field{
		field.Int("partner_id").Immutable(),
		field.Enum("period_kind").Values("week", "month", "quarter").Immutable(),
		field.Time("period_start").Immutable(),
		field.Time("period_end").Immutable(),
		field.JSON("metrics", map[string]any{}),
		field.Float("score").Optional().Nillable(),
		field.String("standing").Default(""),
		field.Time("computed_at").Default(time.Now),
	}
}

// Indexes of the ScorecardSnapshot.
func (ScorecardSnapshot) Indexes() []ent.Index {
	return []ent.Index{index.Fields("partner_id", "period_kind", "period_start").Unique(), index.Fields("period_kind", "period_start")}
}
