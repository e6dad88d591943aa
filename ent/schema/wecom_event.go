package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WecomEvent is one callback WeCom posted, stored verified and decrypted
// before it is answered, and applied afterwards by the event worker. The
// callback is answered within WeCom's five seconds because storing is one
// insert; applying (which calls WeCom back) happens after, in order of
// event time per contact, retried with back-off until it succeeds.
type WecomEvent struct{ ent.Schema }

// Fields of the WecomEvent.
func (WecomEvent) Fields() []ent.Field {
	return []ent.Field{
		// identity is the callback's dedup key (callback.Event.Identity):
		// WeCom resends a callback it got no quick answer to, and a resend
		// inserts nothing.
		field.String("identity").Validate(notEmpty).MaxLen(128).Immutable(),
		// kind is the change type of a change_external_contact event
		// (add_external_contact, edit_external_contact,
		// del_external_contact, del_follow_user, transfer_fail), or
		// template_card_event, or other. A string, not an enum, so that
		// later kinds need no migration.
		field.String("kind").Validate(notEmpty).MaxLen(64).Immutable(),
		// external_userid and userid are the contact and the member the
		// event is about (userid is the clicking member for a card event,
		// the taker for transfer_fail).
		field.String("external_userid").Default("").MaxLen(128).Immutable(),
		field.String("userid").Default("").MaxLen(64).Immutable(),
		// fail_reason is transfer_fail's FailReason (customer_refused,
		// customer_limit_exceed); the transfer slice reads it.
		field.String("fail_reason").Default("").MaxLen(64).Immutable(),
		// event_time is the event's CreateTime: events of one contact are
		// applied in its order, and an older one never undoes a newer.
		field.Time("event_time").Immutable(),
		// payload is the decrypted event XML, kept whole.
		field.Text("payload").Immutable(),
		// state: pending until applied; ignored for events nothing
		// applies (other messages); dead after too many failed attempts.
		field.Enum("state").Values("pending", "applied", "ignored", "dead").Default("pending"),
		// result says what applying did (upserted, follow_removed,
		// contact_removed, superseded, gone, unknown_contact, recorded).
		field.String("result").Default("").MaxLen(64),
		field.Int("attempts").Default(0),
		field.String("last_error").Default("").Validate(maxRunes(1000)),
		field.Time("next_attempt_at").Default(time.Now),
		field.Time("received_at").Default(time.Now).Immutable(),
		field.Time("applied_at").Optional().Nillable(),
	}
}

// Indexes of the WecomEvent.
func (WecomEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("identity").Unique(),
		// The worker's queue, in event order.
		index.Fields("state", "event_time"),
		// An older event is checked against what was applied for the
		// same follow.
		index.Fields("external_userid", "userid", "event_time"),
		// Other slices read their kinds (transfer_fail).
		index.Fields("kind", "state"),
	}
}

// WecomLease lets one instance at a time apply WeCom events, so that the
// events of a contact are applied in order however many instances run.
type WecomLease struct{ ent.Schema }

// Fields of the WecomLease.
func (WecomLease) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Validate(notEmpty).MaxLen(64).Immutable(),
		field.String("owner").Default("").MaxLen(200),
		field.Time("until"),
	}
}

// Indexes of the WecomLease.
func (WecomLease) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name").Unique()}
}
