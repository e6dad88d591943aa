package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WecomTransfer is one contact's hand-over carried out in WeCom for one
// entry on the ownership ledger (a ContactTransfer). The row is written
// in the hand-over's own transaction, before WeCom is called, and gets
// its request_key before the call that carries it; a retry after a crash
// asks WeCom (transfer_result) what that request did instead of sending
// it again, so no contact is transferred twice.
type WecomTransfer struct{ ent.Schema }

// Fields of the WecomTransfer.
func (WecomTransfer) Fields() []ent.Field {
	return []ent.Field{
		// transfer_id is the ledger entry; contact_id its contact.
		field.Int("transfer_id").Immutable(),
		field.Int("contact_id").Immutable(),
		field.String("external_userid").Validate(notEmpty).MaxLen(128).Immutable(),
		// handover_userid and takeover_userid are the WeCom members; empty
		// when the staff user is not linked to one (state skipped).
		field.String("handover_userid").Default("").MaxLen(64).Immutable(),
		field.String("takeover_userid").Default("").MaxLen(64).Immutable(),
		// kind is which WeCom API carries it: onjob (在职继承,
		// transfer_customer) or resigned (离职继承,
		// resigned/transfer_customer).
		field.Enum("kind").Values("onjob", "resigned").Immutable(),
		// message is transfer_success_msg (the hand-over note, at most
		// 200 characters; onjob only).
		field.String("message").Default("").Validate(maxRunes(200)).Immutable(),
		// state: queued (not sent yet), sending (in a request whose
		// answer is not recorded), blocked (WeCom's rules refuse it until
		// possible_at), skipped (a member is not linked), waiting
		// (accepted; completes after 24 h), done, refused (by the
		// customer), taker_limit (the taker is over their limit),
		// no_record (WeCom has no record of it), failed (another
		// errcode).
		field.Enum("state").Values("queued", "sending", "blocked", "skipped", "waiting", "done", "refused",
			"taker_limit", "no_record", "failed").Default("queued"),
		// errcode is WeCom's per-contact answer to the transfer call;
		// status transfer_result's last status (1..5), 0 before either.
		field.Int("errcode").Default(0),
		field.Int("status").Default(0),
		// request_key names the request that carried the row; set
		// before the call.
		field.String("request_key").Default("").MaxLen(64),
		// possible_at is when a blocked transfer becomes possible.
		field.Time("possible_at").Optional().Nillable(),
		field.Time("requested_at").Optional().Nillable(),
		// completes_at is WeCom's takeover_time: when a waiting transfer
		// completes, or when it did.
		field.Time("completes_at").Optional().Nillable(),
		field.Time("checked_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now),
	}
}

// Indexes of the WecomTransfer.
func (WecomTransfer) Indexes() []ent.Index {
	return []ent.Index{
		// One row per ledger entry and API: a departure WeCom refuses
		// because the leaver is still a member (40097) gets an on-job
		// row beside its refused one.
		index.Fields("transfer_id", "kind").Unique(),
		// The dispatcher and the poller work by state.
		index.Fields("state", "id"),
		// The 90-day rule counts a contact's transfers.
		index.Fields("external_userid", "requested_at"),
		index.Fields("contact_id", "id"),
		index.Fields("request_key"),
	}
}

// WecomGroupTransfer is one customer group (客户群) of a leaver handed to
// the heir in WeCom (groupchat/transfer, or groupchat/onjob_transfer
// while WeCom still lists the owner as a member), with WeCom's answer.
// A departure first writes a marker row (chat_id empty, state pending)
// in its own transaction; the transfer job lists the leaver's groups,
// records one row per group and closes the marker, so a crash between
// the two resumes and a group already moved is never moved again.
type WecomGroupTransfer struct{ ent.Schema }

// Fields of the WecomGroupTransfer.
func (WecomGroupTransfer) Fields() []ent.Field {
	return []ent.Field{
		// batch is the ledger batch (the departure) it belongs to.
		field.String("batch").Validate(notEmpty).MaxLen(64).Immutable(),
		field.String("chat_id").Default("").MaxLen(128).Immutable(),
		field.String("from_userid").MaxLen(64).Immutable(),
		field.String("to_userid").MaxLen(64).Immutable(),
		field.Enum("kind").Values("onjob", "resigned").Default("resigned"),
		field.Enum("state").Values("pending", "done", "failed").Default("pending"),
		field.Int("errcode").Default(0),
		field.String("errmsg").Default("").Validate(maxRunes(400)),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now),
	}
}

// Indexes of the WecomGroupTransfer.
func (WecomGroupTransfer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("batch", "chat_id").Unique(),
		index.Fields("state", "id"),
	}
}

// Policy of the WecomTransfer: the WeCom mirror's (policy.go).
func (WecomTransfer) Policy() ent.Policy { return wecomPolicy() }

// Policy of the WecomGroupTransfer: the WeCom mirror's (policy.go).
func (WecomGroupTransfer) Policy() ent.Policy { return wecomPolicy() }
