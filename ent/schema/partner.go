package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Partner is an outside company the manufacturer works with.
type Partner struct{ ent.Schema }

// Mixin of the Partner.
func (Partner) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Partner.
func (Partner) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Validate(notEmpty).Validate(maxRunes(32)),
		field.String("name").Validate(notEmpty).Validate(maxRunes(200)),
		// sort_key orders Chinese names by pinyin and Latin names
		// case-insensitively, with special letters folded (Weiß as weiss,
		// Ørsted as orsted), so one ORDER BY serves both. It is indexed,
		// so its limit is in bytes, keeping index entries small on every
		// dialect; partners.SortKey cuts its key to fit, since a name
		// within its own limit must never be refused for its sort key.
		field.String("sort_key").MaxLen(800),
		// search_text holds the lowercased name, the name with accents
		// and special letters folded (ß → ss, ø → o, ł → l), pinyin and
		// initials, so "hxjm" finds 华星精密 and "weiss" finds Weiß with
		// one LIKE. It is derived from fields that have limits of their
		// own and may be several times their length (pinyin spells one
		// character in up to six letters), so it has no limit of its own.
		// Rows written before a change to the folding are brought up to
		// date by partners.RefreshNameKeys.
		field.String("search_text"),
		field.Enum("kind").Values("supplier", "customer", "logistics", "service"),
		field.Int("tier").Optional().Nillable().Min(1).Max(3),
		field.Strings("tags").Default([]string{}),
		field.Strings("categories").Default([]string{}),
		field.Enum("status").Values("prospect", "active", "suspended", "offboarded").Default("active"),
		field.String("address").Default("").Validate(maxRunes(500)),
		field.String("time_zone").Default("Asia/Shanghai").Validate(maxRunes(64)),
		field.Int("ack_sla_hours").Default(24).Min(1).Max(24 * 30),
		// How far past an ordered quantity a shipment may go, in percent.
		field.Int("over_delivery_pct").Default(0).Min(0).Max(100),
		// Refuse new orders while one of the partner's mandatory
		// certificates has lapsed.
		field.Bool("block_on_lapsed_certificate").Default(false),
		// mail_contacts sends order notices by e-mail to the partner's
		// contacts who have no login (they cannot act, only read).
		field.Bool("mail_contacts").Default(false),
	}
}

// Edges of the Partner.
func (Partner) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("contacts", Contact.Type),
	}
}

// Indexes of the Partner.
func (Partner) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("code").Unique(),
		index.Fields("sort_key", "id"),
		index.Fields("kind", "sort_key", "id"),
	}
}
