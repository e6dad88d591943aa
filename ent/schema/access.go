package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Session is a server-side login session; the cookie holds a secret whose
// SHA-256 is the only thing stored.
type Session struct{ ent.Schema }

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_hash").Validate(notEmpty).Sensitive().Immutable(),
		field.Int("user_id").Immutable(),
		field.String("csrf_token").Validate(notEmpty).Sensitive().Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
		field.Time("last_seen_at").Default(time.Now),
		field.String("ip").Default("").Validate(maxRunes(64)),
		field.String("user_agent").Default("").Validate(maxRunes(300)),
	}
}

// Indexes of the Session.
func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_hash").Unique(), index.Fields("user_id"), index.Fields("expires_at")}
}

// APIToken is a bearer token for ERP integrations, stored hashed.
type APIToken struct{ ent.Schema }

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Validate(notEmpty).Validate(maxRunes(100)),
		field.String("prefix").Validate(notEmpty).Validate(maxRunes(16)).Immutable(),
		field.String("token_hash").Validate(notEmpty).Sensitive().Immutable(),
		field.Int("user_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Indexes of the APIToken.
func (APIToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_hash").Unique(), index.Fields("user_id")}
}

// Invitation lets a contact become a partner user through a single-use,
// expiring link.
type Invitation struct{ ent.Schema }

// Fields of the Invitation.
func (Invitation) Fields() []ent.Field {
	return []ent.Field{
		field.Int("contact_id").Immutable(),
		field.Int("partner_id").Immutable(),
		field.String("email").Validate(notEmpty).Validate(maxRunes(254)).Immutable(),
		// token_hash changes when the invitation is mailed or mailed
		// again: the token is minted at send time, so no usable link is
		// ever stored.
		field.String("token_hash").Validate(notEmpty).Sensitive(),
		field.Int("invited_by_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
		field.Int("user_id").Optional().Nillable(),
		field.Time("mailed_at").Optional().Nillable(),
	}
}

// Indexes of the Invitation.
func (Invitation) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_hash").Unique(), index.Fields("partner_id"), index.Fields("contact_id")}
}

// LoginThrottle counts failed logins per account and per client address;
// it lives in the database so every instance sees the same counters.
type LoginThrottle struct{ ent.Schema }

// Fields of the LoginThrottle.
func (LoginThrottle) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Validate(notEmpty).Validate(maxRunes(300)),
		field.Int("failures").Default(0),
		field.Time("window_start"),
		field.Time("locked_until").Optional().Nillable(),
	}
}

// Indexes of the LoginThrottle.
func (LoginThrottle) Indexes() []ent.Index {
	return []ent.Index{index.Fields("key").Unique()}
}

// AuditEntry is one line of the append-only audit trail.
type AuditEntry struct{ ent.Schema }

// Fields of the AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.String("actor").Default("").Immutable(),
		field.String("action").Validate(notEmpty).Immutable(),
		field.String("entity_type").Validate(notEmpty).Immutable(),
		field.Int("entity_id").Immutable(),
		field.Int("partner_id").Optional().Nillable().Immutable(),
		field.JSON("before", map[string]any{}).Optional().Immutable(),
		field.JSON("after", map[string]any{}).Optional().Immutable(),
		field.String("request_id").Default("").Immutable(),
	}
}

// Indexes of the AuditEntry.
func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("partner_id", "id"), index.Fields("entity_type", "entity_id", "id")}
}
