package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WecomCard is one staff member's WeCom template card about a card in
// Tierlink (a change request to decide, a receipt to confirm, an
// escalation): the outbox row that sends it, then the row that updates
// it once the card is settled. It is written in the transaction that
// opens the card, and marked for its update in the transaction that
// closes it, so neither a card nor its result can be lost between
// Tierlink and WeCom.
type WecomCard struct{ ent.Schema }

// Mixin of the WecomCard.
func (WecomCard) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the WecomCard.
func (WecomCard) Fields() []ent.Field {
	return []ent.Field{
		// post_id is the card post a click acts on (through the same
		// service as the portal's button).
		field.Int("post_id").Immutable(),
		// card_kind is the post's card kind, or ack_escalation.
		field.String("card_kind").Validate(notEmpty).MaxLen(32).Immutable(),
		field.String("subject_type").Validate(notEmpty).MaxLen(32).Immutable(),
		field.Int("subject_id").Immutable(),
		// user_id is the staff recipient, userid their WeCom member and
		// language the language the card is written in.
		field.Int("user_id").Immutable(),
		field.String("userid").Validate(notEmpty).MaxLen(64).Immutable(),
		field.String("language").Default("").MaxLen(16).Immutable(),
		// task_id is unique per card and recipient; a click names it.
		field.String("task_id").Validate(notEmpty).MaxLen(128).Immutable(),
		// state: queued until sent; sent; closing once the card is
		// settled and the WeCom card awaits its update; closed when
		// updated; replaced when a fresh message stated the result
		// instead (the response_code was used or expired); skipped when
		// the card was settled before it was ever sent; dead after too
		// many failed attempts.
		field.Enum("state").Values("queued", "sent", "closing", "closed", "replaced", "skipped", "dead").Default("queued"),
		field.String("msgid").Default("").MaxLen(128),
		// response_code updates the WeCom card once, within 72 hours of
		// code_issued_at; each click brings a fresh one.
		field.String("response_code").Default("").MaxLen(256).Sensitive(),
		field.Time("code_issued_at").Optional().Nillable(),
		field.Bool("code_used").Default(false),
		// outcome, acted_by and acted_at are the settled card's result.
		field.String("outcome").Default("").MaxLen(32),
		field.String("acted_by").Default("").MaxLen(200),
		field.Time("acted_at").Optional().Nillable(),
		field.Int("attempts").Default(0),
		field.String("last_error").Default("").Validate(maxRunes(1000)),
		field.Time("next_attempt_at").Default(time.Now),
	}
}

// Indexes of the WecomCard.
func (WecomCard) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("task_id").Unique(),
		// The dispatcher's queue.
		index.Fields("state", "next_attempt_at"),
		// Closing a card finds its WeCom cards.
		index.Fields("subject_type", "subject_id", "state"),
		index.Fields("post_id"),
	}
}

// Policy of the WecomCard: only the card outbox and the click handler,
// acting as the system, read and write it.
func (WecomCard) Policy() ent.Policy { return systemOnly() }
