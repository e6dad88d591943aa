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

// Group joins staff and partner contacts around a partner (a partner
// group) or staff alone (an internal group), with a feed.
type Group struct{ ent.Schema }

// Mixin of the Group.
func (Group) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Group.
func (Group) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Validate(notEmpty).Validate(maxRunes(200)),
		field.String("purpose").Default("").Validate(maxRunes(1000)),
		field.Enum("kind").Values("partner", "internal").Immutable(),
		// The partner whose status the group follows: required for a
		// partner group, optional for an internal one.
		field.Int("partner_id").Optional().Nillable().Immutable(),
		field.Int("owner_id"),
		// last_seq numbers the feed: every post and every change to a
		// post takes the next value under this row's lock, so within a
		// group the numbers commit in order and a stream can resume
		// from the last one it saw without a gap.
		field.Int64("last_seq").Default(0),
		field.String("language").Default("zh-CN").Validate(maxRunes(16)),
		field.Bool("archived").Default(false),
		// The status digest: its schedule (a cron spec; empty means the
		// company default), whether an empty digest says "all on track"
		// or nothing, and the last tick handled, which makes each digest
		// go out once.
		field.Bool("digest_enabled").Default(true),
		field.String("digest_spec").Default("").Validate(maxRunes(200)),
		field.Bool("digest_quiet").Default(false),
		field.Time("digest_last_tick").Optional().Nillable(),
	}
}

// Edges of the Group.
func (Group) Edges() []ent.Edge {
	return []ent.Edge{edge.To("members", GroupMember.Type), edge.To("posts", Post.Type)}
}

// Indexes of the Group.
func (Group) Indexes() []ent.Index {
	return []ent.Index{index.Fields("partner_id"), index.Fields("owner_id")}
}

// GroupMember is one member of a group: a staff user or an external
// contact (whose partner is copied here, so the privacy rule for
// automatic status is one query).
type GroupMember struct{ ent.Schema }

// Fields of the GroupMember.
func (GroupMember) Fields() []ent.Field {
	return []ent.Field{
		field.Int("group_id").Immutable(),
		field.Int("user_id").Optional().Nillable().Immutable(),
		field.Int("contact_id").Optional().Nillable().Immutable(),
		field.Int("partner_id").Optional().Nillable().Immutable(),
		field.String("added_by").Default("").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the GroupMember.
func (GroupMember) Edges() []ent.Edge {
	return []ent.Edge{edge.From("group", Group.Type).Ref("members").Field("group_id").Unique().Required().Immutable()}
}

// Indexes of the GroupMember.
func (GroupMember) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("group_id", "user_id").Unique(),
		index.Fields("group_id", "contact_id").Unique(),
		index.Fields("contact_id"),
		index.Fields("user_id"),
	}
}

// Post is one entry of a group's feed: a member's message, a system post
// made from a domain event, or a card whose actions change real state.
type Post struct{ ent.Schema }

// Fields of the Post.
func (Post) Fields() []ent.Field {
	return []ent.Field{
		field.Int("group_id").Immutable(),
		// seq is the group's feed number of the post's latest state; it
		// moves forward whenever the post changes (a card acted on).
		field.Int64("seq"),
		field.Enum("kind").Values("message", "system", "card").Immutable(),
		field.Int("author_id").Optional().Nillable().Immutable(),
		field.String("author").Default("").Immutable(),
		// Set when a partner user wrote the post: its contact and partner.
		field.Int("author_contact_id").Optional().Nillable().Immutable(),
		field.Int("author_partner_id").Optional().Nillable().Immutable(),
		field.Text("body").Default("").Immutable(),
		field.Text("body_zh").Default("").Immutable(),
		// message is a system post's text as catalogue keys and arguments
		// (partners/i18n.Lines), rendered in each reader's language when
		// read or sent; body and body_zh hold the text of older posts.
		field.JSON("message", json.RawMessage{}).Optional().Immutable(),
		field.JSON("mentions", []schematype.Mention{}).Optional().Immutable(),
		field.JSON("document_ids", []int{}).Optional().Immutable(),
		// The domain event a system post or card was made from.
		field.Int("event_id").Optional().Nillable().Immutable(),
		field.String("event_kind").Default("").Immutable(),
		field.Int("partner_id").Optional().Nillable().Immutable(),
		field.String("subject_type").Default("").Immutable(),
		field.Int("subject_id").Optional().Nillable().Immutable(),
		// Cards: what they act on and what happened.
		field.String("card_kind").Default("").Immutable(),
		field.Enum("card_state").Values("open", "done").Optional().Nillable(),
		field.String("card_outcome").Default(""),
		field.String("acted_by").Default(""),
		field.Time("acted_at").Optional().Nillable(),
		// Reply tracking: a staff post in a group with external members
		// awaits a reply; the first post by a partner contact after it
		// records when and who.
		field.Bool("awaits_reply").Default(false).Immutable(),
		field.Time("replied_at").Optional().Nillable(),
		field.Int("replied_by_contact_id").Optional().Nillable(),
		field.Int("replied_partner_id").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the Post.
func (Post) Edges() []ent.Edge {
	return []ent.Edge{edge.From("group", Group.Type).Ref("posts").Field("group_id").Unique().Required().Immutable()}
}

// Indexes of the Post.
func (Post) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("group_id", "seq").Unique(),
		index.Fields("subject_type", "subject_id", "card_state"),
		index.Fields("group_id", "awaits_reply", "replied_at"),
		// One system post per event per group, even if a projection is
		// retried.
		index.Fields("group_id", "event_id", "card_kind").Unique(),
	}
}

// Bridge mirrors a group's feed into an outside chat.
type Bridge struct{ ent.Schema }

// Mixin of the Bridge.
func (Bridge) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Bridge.
func (Bridge) Fields() []ent.Field {
	return []ent.Field{
		field.Int("group_id").Immutable(),
		field.Enum("kind").Values("wecom", "feishu", "dingtalk", "slack", "webhook").Immutable(),
		field.String("name").Validate(notEmpty).Validate(maxRunes(100)),
		field.String("url").Validate(notEmpty).Validate(maxRunes(2000)).Sensitive(),
		field.String("secret").Default("").Validate(maxRunes(500)).Sensitive(),
		field.Bool("enabled").Default(true),
		field.Bool("mirror_posts").Default(true),
		field.Bool("mirror_status").Default(true),
		// Messages per minute the far end accepts; overflow is merged
		// into one batch message.
		field.Int("rate_per_minute"),
		// A lease lets one instance deliver a bridge's messages at a
		// time, in order.
		field.String("lease_owner").Default(""),
		field.Time("lease_until").Optional().Nillable(),
		field.Time("paused_until").Optional().Nillable(),
	}
}

// Indexes of the Bridge.
func (Bridge) Indexes() []ent.Index {
	return []ent.Index{index.Fields("group_id")}
}

// Delivery is one message in the outbox of a bridge, written in the same
// transaction as the post it mirrors.
type Delivery struct{ ent.Schema }

// Fields of the Delivery.
func (Delivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("bridge_id").Immutable(),
		field.Int("group_id").Immutable(),
		field.Int("post_id").Optional().Nillable().Immutable(),
		// msg_id is the webhook-id: the same on every retry, so the far
		// end can drop a duplicate after a crash.
		field.String("msg_id").Validate(notEmpty).Validate(maxRunes(64)).Immutable(),
		field.String("title").Default("").Validate(maxRunes(300)).Immutable(),
		field.Text("text").Immutable(),
		field.String("link").Default("").Validate(maxRunes(2000)).Immutable(),
		field.Enum("state").Values("pending", "sent", "dead").Default("pending"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").Default(time.Now),
		field.String("last_error").Default("").Validate(maxRunes(1000)),
		field.Time("sent_at").Optional().Nillable(),
		// dead_at is when the outbox gave up, for the daily report.
		field.Time("dead_at").Optional().Nillable(),
		// Set when the message went out merged into a batch.
		field.String("batch_id").Default("").Validate(maxRunes(64)),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Delivery.
func (Delivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("bridge_id", "state", "id"),
		index.Fields("state", "next_attempt_at"),
		index.Fields("state", "dead_at"),
		index.Fields("post_id"),
		index.Fields("msg_id").Unique(),
	}
}
