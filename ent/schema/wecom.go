package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// The WeCom (企业微信) side of the directory. A WeCom external contact
// is kept in its own table rather than as columns on Contact because a
// Contact always has a partner and an owner, while a WeCom contact may
// have neither yet (an unmatched corp, no follower who is a Tierlink
// user). Once it has both, it is linked to exactly one directory Contact,
// which stays the one contact model every other part of Tierlink uses.

// WecomToken is one cached WeCom access token, shared by every instance
// so that they do not each fetch (and invalidate) their own.
type WecomToken struct{ ent.Schema }

// Fields of the WecomToken.
func (WecomToken) Fields() []ent.Field {
	return []ent.Field{
		// key names the corp and which secret the token was issued for,
		// e.g. "ww1234:contact".
		field.String("key").Validate(notEmpty).MaxLen(200).Immutable(),
		field.String("token").Sensitive().MaxLen(1024),
		field.Time("expires_at"),
		// version grows with each refresh: a refresh writes only if the
		// version it read is still there (compare-and-set).
		field.Int("version").Default(1),
		field.Time("updated_at").Default(time.Now),
	}
}

// Indexes of the WecomToken.
func (WecomToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("key").Unique()}
}

// WecomContact is one external contact (外部联系人) as WeCom reports it.
type WecomContact struct{ ent.Schema }

// Fields of the WecomContact.
func (WecomContact) Fields() []ent.Field {
	return []ent.Field{
		field.String("external_userid").Validate(notEmpty).MaxLen(128).Immutable(),
		// kind is WeCom's type: 1 a WeChat user, 2 a WeCom user.
		field.Enum("kind").Values("wechat", "wecom"),
		field.String("name").Default("").Validate(maxRunes(200)),
		field.String("position").Default("").Validate(maxRunes(200)),
		field.String("corp_name").Default("").Validate(maxRunes(200)),
		field.String("corp_full_name").Default("").Validate(maxRunes(400)),
		// remark, tags and added_at are the owner's follow's (or, with no
		// owner, the earliest follow's); every follow keeps its own.
		field.String("remark").Default("").Validate(maxRunes(200)),
		field.Strings("tags").Default([]string{}),
		field.Time("added_at").Optional().Nillable(),
		// partner_id is empty while the contact is unmatched.
		field.Int("partner_id").Optional().Nillable(),
		// match says how the partner was found: mapping, corp_full_name,
		// corp_name, remark_corp_name or manual.
		field.String("match").Default("").MaxLen(32),
		// contact_id links the directory contact once there is a partner
		// and an owner.
		field.Int("contact_id").Optional().Nillable(),
		// removed_at marks a contact WeCom no longer reports (no staff
		// member follows it); it is never deleted.
		field.Time("removed_at").Optional().Nillable(),
		// seen_sync_id is the last sync run that saw the contact; a
		// finished run marks every contact it did not see as removed.
		field.Int("seen_sync_id").Default(0),
		field.Time("created_at").Default(time.Now).Immutable(),
		// updated_at moves only when WeCom's data or the link changed.
		field.Time("updated_at").Default(time.Now),
	}
}

// Edges of the WecomContact.
func (WecomContact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("partner", Partner.Type).Field("partner_id").Unique(),
		edge.To("contact", Contact.Type).Field("contact_id").Unique(),
		edge.To("follows", WecomFollow.Type),
	}
}

// Indexes of the WecomContact.
func (WecomContact) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("external_userid").Unique(),
		index.Fields("contact_id").Unique(),
		// The unmatched inbox: no partner, not removed.
		index.Fields("partner_id", "removed_at"),
		index.Fields("seen_sync_id"),
	}
}

// WecomFollow is one staff member following an external contact
// (follow_user / follow_info), with that member's remark and tags.
type WecomFollow struct{ ent.Schema }

// Fields of the WecomFollow.
func (WecomFollow) Fields() []ent.Field {
	return []ent.Field{
		field.Int("wecom_contact_id").Immutable(),
		field.String("userid").Validate(notEmpty).MaxLen(64).Immutable(),
		field.String("remark").Default("").Validate(maxRunes(200)),
		field.String("description").Default("").Validate(maxRunes(400)),
		field.String("remark_corp_name").Default("").Validate(maxRunes(200)),
		field.Strings("tags").Default([]string{}),
		field.Int("add_way").Default(0),
		field.String("oper_userid").Default("").MaxLen(64),
		field.Time("added_at"),
		field.Time("removed_at").Optional().Nillable(),
		field.Int("seen_sync_id").Default(0),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now),
	}
}

// Edges of the WecomFollow.
func (WecomFollow) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("contact", WecomContact.Type).Ref("follows").Field("wecom_contact_id").Unique().Required().Immutable(),
	}
}

// Indexes of the WecomFollow.
func (WecomFollow) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("wecom_contact_id", "userid").Unique(),
		index.Fields("userid"),
		index.Fields("seen_sync_id"),
	}
}

// WecomCorpMapping maps a corp name as WeCom shows it to a partner, for
// corps whose WeCom name differs from the partner's name in Tierlink.
type WecomCorpMapping struct{ ent.Schema }

// Fields of the WecomCorpMapping.
func (WecomCorpMapping) Fields() []ent.Field {
	return []ent.Field{
		// corp_name is stored folded (trimmed, lower case) so a lookup
		// is one equality.
		field.String("corp_name").Validate(notEmpty).Validate(maxRunes(400)),
		field.Int("partner_id"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the WecomCorpMapping.
func (WecomCorpMapping) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("partner", Partner.Type).Field("partner_id").Unique().Required(),
	}
}

// Indexes of the WecomCorpMapping.
func (WecomCorpMapping) Indexes() []ent.Index {
	return []ent.Index{index.Fields("corp_name").Unique()}
}

// WecomSync is one run of the contact sync and its progress, so that a
// run killed half-way resumes from its cursor instead of starting over.
type WecomSync struct{ ent.Schema }

// Fields of the WecomSync.
func (WecomSync) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("state").Values("running", "done", "failed").Default("running"),
		// follow_users is get_follow_user_list's answer, read once per run.
		field.Strings("follow_users").Default([]string{}),
		// batch is the index of the batch of ≤100 userids being read, and
		// cursor batch/get_by_user's next_cursor within it.
		field.Int("batch").Default(0),
		field.String("cursor").Default("").MaxLen(1024),
		field.Int("pages").Default(0),
		field.Int("contacts").Default(0),
		field.Int("created").Default(0),
		field.Int("changed").Default(0),
		field.Int("removed").Default(0),
		field.String("error").Default("").Validate(maxRunes(2000)),
		field.Time("started_at").Default(time.Now).Immutable(),
		field.Time("heartbeat_at").Default(time.Now),
		field.Time("finished_at").Optional().Nillable(),
	}
}

// Indexes of the WecomSync.
func (WecomSync) Indexes() []ent.Index {
	return []ent.Index{index.Fields("state")}
}
