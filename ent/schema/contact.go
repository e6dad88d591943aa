package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Contact is a fixed external contact at a partner. It belongs to the
// company, and always has exactly one internal owner.
type Contact struct{ ent.Schema }

// Mixin of the Contact.
func (Contact) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Contact.
func (Contact) Fields() []ent.Field {
	return []ent.Field{
		field.Int("partner_id").Immutable(),
		field.String("name").Validate(notEmpty).Validate(maxRunes(200)),
		// sort_key and search_text are derived from the name (and title,
		// e-mail, phone) as on Partner; see the comments there.
		field.String("sort_key").MaxLen(800),
		field.String("search_text"),
		field.String("title").Default("").Validate(maxRunes(200)),
		field.String("email").Default("").Validate(maxRunes(254)),
		field.String("phone").Default("").Validate(maxRunes(64)),
		field.String("language").Default("zh-CN").Validate(maxRunes(16)),
		field.Int("owner_id"),
		// email_bouncing_at is set when the mail server refused this
		// address for good (a 5xx); notifications skip it until a later
		// send succeeds or the address changes.
		field.Time("email_bouncing_at").Optional().Nillable(),
		field.String("email_bounce_reason").Default("").Validate(maxRunes(500)),
		// mail_opt_out is set by the unsubscribe link in an order notice
		// to a contact without a login.
		field.Bool("mail_opt_out").Default(false),
	}
}

// Edges of the Contact.
func (Contact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("partner", Partner.Type).Ref("contacts").Field("partner_id").Unique().Required().Immutable(),
		edge.From("owner", User.Type).Ref("contacts").Field("owner_id").Unique().Required(),
		edge.To("transfers", ContactTransfer.Type),
	}
}

// Indexes of the Contact.
func (Contact) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("partner_id", "sort_key", "id"),
		index.Fields("owner_id"),
		// Covers the per-partner owner counts of every directory page
		// and the owner filter, without touching table rows.
		index.Fields("partner_id", "owner_id"),
		index.Fields("sort_key", "id"),
		index.Fields("partner_id", "email"),
	}
}
