package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WecomSetting is one WeCom connection setting an admin entered on
// /admin/wecom (corp id, agent id, secrets, callback token and key). A
// TIERLINK_WECOM_* variable of the same setting takes precedence. The
// secrets are write-only: stored here, never shown again.
type WecomSetting struct{ ent.Schema }

// Fields of the WecomSetting.
func (WecomSetting) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Validate(notEmpty).MaxLen(40).Immutable(),
		field.String("value").Sensitive().MaxLen(512),
		field.Time("updated_at").Default(time.Now),
		// updated_by is the admin who set it last.
		field.Int("updated_by").Optional().Nillable(),
	}
}

// Indexes of the WecomSetting.
func (WecomSetting) Indexes() []ent.Index {
	return []ent.Index{index.Fields("key").Unique()}
}

// Policy of the WecomSetting: read and written by the WeCom service as
// the system, which checks that the caller is an admin.
func (WecomSetting) Policy() ent.Policy { return systemOnly() }
