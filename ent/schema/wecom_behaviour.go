package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WecomBehaviour is one WeCom member's figures for one day as WeCom
// reports them: 联系客户统计 (externalcontact/get_user_behavior_data,
// asked for that member alone, since WeCom sums every userid of a
// request into one series) and 群聊数据统计 by owner
// (externalcontact/groupchat/statistic). Days are WeCom's own, counted
// in China Standard Time, and written as YYYY-MM-DD so that a day never
// shifts with a reader's zone. One row per member and day: the daily job
// upserts, so reading a day again changes nothing.
type WecomBehaviour struct{ ent.Schema }

// Fields of the WecomBehaviour.
func (WecomBehaviour) Fields() []ent.Field {
	return []ent.Field{
		field.String("userid").Validate(notEmpty).MaxLen(64).Immutable(),
		field.String("day").Validate(notEmpty).MaxLen(10).Immutable(),
		// The behaviour figures: chats the member started or answered
		// (chat_cnt), messages they sent (message_cnt), new contact
		// requests (new_apply_cnt), new contacts (new_contact_cnt) and
		// contacts who deleted or blocked them (negative_feedback_cnt).
		field.Int("chat_cnt").Default(0),
		field.Int("message_cnt").Default(0),
		field.Int("new_apply_cnt").Default(0),
		field.Int("new_contact_cnt").Default(0),
		field.Int("negative_feedback_cnt").Default(0),
		// reply_percentage (0–100) and avg_reply_time (minutes) are
		// WeCom's own averages over the day's chats, and only sent on a
		// day with chats: nil otherwise, never a zero that is not one.
		field.Float("reply_percentage").Optional().Nillable(),
		field.Int("avg_reply_time").Optional().Nillable(),
		// The customer-group figures of the groups the member owns.
		field.Int("new_chat_cnt").Default(0),
		field.Int("chat_total").Default(0),
		field.Int("chat_has_msg").Default(0),
		field.Int("new_member_cnt").Default(0),
		field.Int("member_total").Default(0),
		field.Int("member_has_msg").Default(0),
		field.Int("msg_total").Default(0),
		// complete is set once both reads stored the day: a day read
		// only in part is read again by the next run.
		field.Bool("complete").Default(false),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now),
	}
}

// Indexes of the WecomBehaviour.
func (WecomBehaviour) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("userid", "day").Unique(),
		// The owners' page sums a period for every member.
		index.Fields("day"),
	}
}

// Policy of the WecomBehaviour: the WeCom mirror's (policy.go).
func (WecomBehaviour) Policy() ent.Policy { return wecomPolicy() }
