package schema

import (
	"encoding/json"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// JobRun is one run of a scheduled job in the run ledger. The unique
// (job, tick) pair is how instances agree who runs a tick: each tries to
// insert the row and only one insert can win, on SQLite and PostgreSQL
// alike, with no session lock to lose behind a connection pooler.
type JobRun struct{ ent.Schema }

// Fields of the JobRun.
func (JobRun) Fields() []ent.Field {
	return []ent.Field{
		field.String("job").Validate(notEmpty).Validate(maxRunes(64)).Immutable(),
		// The scheduled time the run is for (for a manual run, the time
		// it was asked for).
		field.Time("tick").Immutable(),
		field.Enum("trigger").Values("schedule", "catch_up", "manual").Immutable(),
		field.String("instance").Default("").Validate(maxRunes(128)).Immutable(),
		field.Time("started_at").Default(time.Now).Immutable(),
		field.Time("ended_at").Optional().Nillable(),
		// abandoned marks a run whose instance died before it ended.
		field.Enum("outcome").Values("running", "ok", "failed", "abandoned").Default("running"),
		field.String("error").Default("").Validate(maxRunes(2000)),
		field.Int("items").Default(0),
		// A short report for people: what a run found and did, in
		// English (for logs, and the only report of runs recorded
		// before messages were kept).
		field.Text("report").Default(""),
		// The report as catalogue messages, one a line
		// (partners/i18n.Lines), rendered in each reader's language.
		field.JSON("message", json.RawMessage{}).Optional(),
		field.String("requested_by").Default("").Validate(maxRunes(200)).Immutable(),
	}
}

// Indexes of the JobRun.
func (JobRun) Indexes() []ent.Index {
	return []ent.Index{index.Fields("job", "tick").Unique(), index.Fields("outcome", "started_at")}
}

// JobState is what people changed about a job: paused or not. It is kept
// in the database so every instance obeys it.
type JobState struct{ ent.Schema }

// Fields of the JobState.
func (JobState) Fields() []ent.Field {
	return []ent.Field{
		field.String("job").Validate(notEmpty).Validate(maxRunes(64)).Immutable(),
		field.Bool("paused").Default(false),
		field.String("changed_by").Default("").Validate(maxRunes(200)),
		field.Time("changed_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the JobState.
func (JobState) Indexes() []ent.Index {
	return []ent.Index{index.Fields("job").Unique()}
}

// Notice records that a reminder, escalation or warning was sent, under
// a key naming what it was about (an order's revision and level, a
// certificate's expiry and step…). The unique key makes each notice go
// out once however often, and on however many instances, the job runs.
type Notice struct{ ent.Schema }

// Fields of the Notice.
func (Notice) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Validate(notEmpty).Validate(maxRunes(200)).Immutable(),
		field.String("kind").Validate(notEmpty).Validate(maxRunes(32)).Immutable(),
		field.Int("partner_id").Optional().Nillable().Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Notice.
func (Notice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("key").Unique(), index.Fields("created_at")}
}
