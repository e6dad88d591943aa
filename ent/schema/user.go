package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is a person who logs in: company staff, or a partner contact that
// was invited and is then bound to that contact's partner.
type User struct{ ent.Schema }

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").Validate(notEmpty).Validate(maxRunes(254)),
		field.String("name").Validate(notEmpty).Validate(maxRunes(200)),
		field.Enum("role").Values("admin", "buyer", "viewer", "partner"),
		field.String("password_hash").Optional().Sensitive(),
		field.String("locale").Default("").Validate(maxRunes(16)),
		// time_zone is the IANA zone the user reads times in; empty
		// follows their partner's zone, then the company's.
		field.String("time_zone").Default("").Validate(maxRunes(64)),
		field.Bool("active").Default(true),
		field.Time("deactivated_at").Optional().Nillable(),
		field.Int("partner_id").Optional().Nillable().Immutable(),
		field.Int("contact_id").Optional().Nillable().Immutable(),
		field.Time("last_login_at").Optional().Nillable(),
		// wecom_userid links a staff user to their WeCom member (企业微信
		// userid), matched by e-mail or mobile on sync or set by hand.
		field.String("wecom_userid").Optional().Nillable().MaxLen(64),
		// mobile is the staff user's mobile number as they entered it;
		// the WeCom sync links a member by it when the e-mail does not
		// match (both compared normalised: digits only, no +86).
		field.String("mobile").Default("").Validate(maxRunes(32)),
		// email_bouncing_at is set when the mail server refused this
		// address for good (a 5xx); notifications skip it until a later
		// send succeeds or the address changes.
		field.Time("email_bouncing_at").Optional().Nillable(),
		field.String("email_bounce_reason").Default("").Validate(maxRunes(500)),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("contacts", Contact.Type),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("email").Unique(),
		index.Fields("role", "active"),
		index.Fields("partner_id"),
		index.Fields("wecom_userid").Unique(),
	}
}
