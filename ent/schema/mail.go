package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// MailOutbox is one e-mail to send: written in the transaction of the
// change that causes it, so a committed change always gets its mail and
// a rolled-back one never does, then sent by the mail dispatcher with
// retries and back-off until it is sent or dead.
type MailOutbox struct{ ent.Schema }

// Fields of the MailOutbox.
func (MailOutbox) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("invitation", "password_reset", "email_change", "email_change_notice",
			"notification", "digest", "test").Immutable(),
		// security mail (reset, invitation, address change) never carries
		// List-Unsubscribe or Precedence: bulk, and goes to a bouncing
		// address too.
		field.Bool("security").Default(false).Immutable(),
		field.String("to_addr").Validate(notEmpty).Validate(maxRunes(254)).Immutable(),
		field.String("to_name").Default("").Validate(maxRunes(200)).Immutable(),
		field.String("lang").Default("").MaxLen(16).Immutable(),
		field.Int("user_id").Optional().Nillable().Immutable(),
		field.Int("contact_id").Optional().Nillable().Immutable(),
		field.String("subject").Validate(maxRunes(998)).Immutable(),
		field.Text("text").Immutable(),
		field.Text("html").Immutable(),
		// thread_key names the conversation ("order:12", "group:3"); the
		// message's In-Reply-To and References point at its root.
		field.String("thread_key").Default("").MaxLen(64).Immutable(),
		field.String("reply_to").Default("").MaxLen(254).Immutable(),
		field.String("unsubscribe_url").Default("").MaxLen(2000).Immutable(),
		// secret_kind and secret_ref name the token the dispatcher mints
		// at send time (reset, invitation, email_change); the stored text
		// holds only a placeholder, so the table never holds a usable link.
		field.String("secret_kind").Default("").MaxLen(32).Immutable(),
		field.Int("secret_ref").Optional().Nillable().Immutable(),
		// message_id is fixed at insert, so a retry after a lost 250
		// carries the same Message-ID and the receiver can drop it.
		field.String("message_id").Validate(notEmpty).MaxLen(250).Immutable(),
		field.Enum("state").Values("pending", "sending", "sent", "dead", "skipped").Default("pending"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").Default(time.Now),
		field.String("lease_owner").Default("").MaxLen(64),
		field.Time("lease_until").Optional().Nillable(),
		field.String("last_error").Default("").Validate(maxRunes(1000)),
		field.Int("smtp_code").Default(0),
		field.Time("sent_at").Optional().Nillable(),
		field.Time("dead_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the MailOutbox.
func (MailOutbox) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("message_id").Unique(),
		index.Fields("state", "next_attempt_at"),
		index.Fields("state", "lease_until"),
		index.Fields("state", "dead_at"),
		index.Fields("user_id"),
		index.Fields("contact_id"),
	}
}

// MailSetting is the one row of mail secrets shared by every instance:
// the key that signs action links, unsubscribe links and reply addresses.
type MailSetting struct{ ent.Schema }

// Fields of the MailSetting.
func (MailSetting) Fields() []ent.Field {
	return []ent.Field{
		// id is always 1: every instance inserts the same row and the
		// first one wins.
		field.Int("id").Immutable(),
		field.Bytes("signing_key").Sensitive(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// PasswordReset is one request to reset a password. A row is written
// whether or not the address belongs to anyone, so the request does the
// same work either way; user_id is empty when it does not.
type PasswordReset struct{ ent.Schema }

// Fields of the PasswordReset.
func (PasswordReset) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Optional().Nillable().Immutable(),
		field.String("email").Validate(maxRunes(254)).Immutable(),
		// token_hash is the SHA-256 of the token, set when the mail is
		// sent (or the admin's link is made).
		field.String("token_hash").Optional().Nillable().Sensitive(),
		field.String("client").Default("").MaxLen(64).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Indexes of the PasswordReset.
func (PasswordReset) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_hash").Unique(), index.Fields("user_id")}
}

// EmailChange is a user's request to change their e-mail address,
// waiting for the confirmation link sent to the new address.
type EmailChange struct{ ent.Schema }

// Fields of the EmailChange.
func (EmailChange) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("new_email").Validate(notEmpty).Validate(maxRunes(254)).Immutable(),
		field.String("token_hash").Optional().Nillable().Sensitive(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Indexes of the EmailChange.
func (EmailChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_hash").Unique(), index.Fields("user_id")}
}

// NotificationPref is a user's choice for one kind of notification mail;
// no row means immediately.
type NotificationPref struct{ ent.Schema }

// Fields of the NotificationPref.
func (NotificationPref) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Enum("kind").Values("order_ack", "change_request", "receipt", "shipment_update",
			"certificate_expiry", "mention").Immutable(),
		field.Enum("mode").Values("immediately", "digest", "off").Default("immediately"),
	}
}

// Indexes of the NotificationPref.
func (NotificationPref) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "kind").Unique()}
}

// DigestItem is a notification waiting for its user's daily digest;
// digest_message_id is set in the transaction that queues the digest.
type DigestItem struct{ ent.Schema }

// Fields of the DigestItem.
func (DigestItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("kind").Validate(notEmpty).MaxLen(32).Immutable(),
		field.Int("post_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.String("digest_message_id").Optional().Nillable().MaxLen(250),
	}
}

// Indexes of the DigestItem.
func (DigestItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "digest_message_id")}
}

// MailInbound is one e-mail received by the reply listener: the record
// that it was posted (once, keyed by its Message-ID) or why it was refused.
type MailInbound struct{ ent.Schema }

// Fields of the MailInbound.
func (MailInbound) Fields() []ent.Field {
	return []ent.Field{
		field.String("message_id_hash").Validate(notEmpty).MaxLen(64).Immutable(),
		field.String("envelope_from").Default("").MaxLen(254),
		field.String("header_from").Default("").MaxLen(254),
		field.String("rcpt").Default("").MaxLen(254),
		field.Int("group_id").Optional().Nillable(),
		field.Int("contact_id").Optional().Nillable(),
		field.Int("user_id").Optional().Nillable(),
		field.Int64("size").Default(0),
		field.Enum("state").Values("processing", "posted", "refused").Default("processing"),
		field.String("reason").Default("").MaxLen(64),
		field.Int("post_id").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the MailInbound.
func (MailInbound) Indexes() []ent.Index {
	return []ent.Index{index.Fields("message_id_hash").Unique(), index.Fields("state", "created_at")}
}
