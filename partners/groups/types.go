// Package groups is where coordination happens: shared groups of staff
// and partner contacts with a feed of messages, system posts made from
// domain events, and cards that act on real state; a live stream of the
// feed; and the bridges that mirror it into outside chats.
package groups

import (
	"time"

	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/ent/delivery"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners/i18n"
)

// GroupInput creates a group.
type GroupInput struct {
	Name      string     `json:"name" validate:"required,max=200"`
	Purpose   string     `json:"purpose" validate:"max=1000"`
	Kind      group.Kind `json:"kind" validate:"required,oneof=partner internal"`
	PartnerID int        `json:"partner_id" validate:"omitempty,min=1"`
	OwnerID   int        `json:"owner_id" validate:"omitempty,min=1"`
	Language  string     `json:"language" validate:"omitempty,oneof=en zh-CN"`
	// UserIDs and ContactIDs are the first members.
	UserIDs    []int `json:"user_ids" validate:"max=200,dive,min=1"`
	ContactIDs []int `json:"contact_ids" validate:"max=200,dive,min=1"`
	// AllContacts adds every contact of the group's partner as well
	// (partner groups only).
	AllContacts bool `json:"all_contacts"`
}

// GroupPatch changes a group; empty fields stay as they are.
type GroupPatch struct {
	Name     *string `json:"name" validate:"omitempty,min=1,max=200"`
	Purpose  *string `json:"purpose" validate:"omitempty,max=1000"`
	OwnerID  *int    `json:"owner_id" validate:"omitempty,min=1"`
	Language *string `json:"language" validate:"omitempty,oneof=en zh-CN"`
	Archived *bool   `json:"archived"`
	// DigestEnabled, DigestSchedule and DigestQuiet set the group's
	// status digest: on or off, its cron spec ("" for the company
	// default), and whether an empty digest posts nothing instead of
	// "all on track".
	DigestEnabled  *bool   `json:"digest_enabled"`
	DigestSchedule *string `json:"digest_schedule" validate:"omitempty,max=200"`
	DigestQuiet    *bool   `json:"digest_quiet"`
}

// Group is a group as shown.
type Group struct {
	ID        int        `json:"id"`
	Name      string     `json:"name"`
	Purpose   string     `json:"purpose"`
	Kind      group.Kind `json:"kind"`
	PartnerID *int       `json:"partner_id"`
	OwnerID   int        `json:"owner_id"`
	Language  string     `json:"language"`
	Archived  bool       `json:"archived"`
	LastSeq   int64      `json:"last_seq"`
	Members   int        `json:"members"`
	// ReceivesStatus tells whether status about the group's partner is
	// posted automatically: never when contacts of another partner are
	// members.
	ReceivesStatus bool      `json:"receives_status"`
	Digest         Digest    `json:"digest"`
	CreatedAt      time.Time `json:"created_at"`

	// PartnerName is the partner's name in a list of groups, read for
	// the whole page at once.
	PartnerName string `json:"partner_name,omitempty"`
}

// Digest is a group's status digest setting.
type Digest struct {
	Enabled bool `json:"enabled"`
	// Schedule is the group's own cron spec, "" for the company default
	// (DefaultSchedule).
	Schedule        string     `json:"schedule"`
	DefaultSchedule string     `json:"default_schedule"`
	Quiet           bool       `json:"quiet"`
	LastTick        *time.Time `json:"last_tick"`
	Next            *time.Time `json:"next"`
}

// Announcement is a post Tierlink makes on its own, outside any domain
// event: a digest, a reminder, a warning.
type Announcement struct {
	Kind        string // digest, ack_reminder, ack_escalation, stale_shipment, certificate_expiry
	PartnerID   int
	SubjectType string // order, shipment, document, partner
	SubjectID   int
	CardKind    string // a card to act on, or "" for a plain post
	Mentions    []Mention
	AwaitsReply bool
	// Message is the text by catalogue key, rendered in each reader's
	// language.
	Message i18n.Lines
}

// Filter lists groups.
type Filter struct {
	PartnerID int        `query:"partner_id" validate:"omitempty,min=1"`
	Kind      group.Kind `query:"kind" validate:"omitempty,oneof=partner internal"`
	Archived  bool       `query:"archived"`
	Cursor    string     `query:"cursor" validate:"max=200"`
	Limit     int        `query:"limit" validate:"omitempty,min=1,max=200"`
}

// Page is a page of groups, newest first.
type Page struct {
	Items      []Group `json:"items"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// MemberInput adds a staff user or a contact.
type MemberInput struct {
	UserID    int `json:"user_id" validate:"required_without=ContactID,excluded_with=ContactID,omitempty,min=1"`
	ContactID int `json:"contact_id" validate:"required_without=UserID,excluded_with=UserID,omitempty,min=1"`
}

// Member is a member as shown.
type Member struct {
	ID        int       `json:"id"`
	GroupID   int       `json:"group_id"`
	UserID    *int      `json:"user_id,omitempty"`
	ContactID *int      `json:"contact_id,omitempty"`
	PartnerID *int      `json:"partner_id,omitempty"`
	Name      string    `json:"name"`
	Side      string    `json:"side"` // staff or partner
	AddedAt   time.Time `json:"added_at"`
}

// MemberList is all of a group's members.
type MemberList struct {
	Items []Member `json:"items"`
}

// MemberFilter pages a group's members.
type MemberFilter struct {
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// MemberPage is one page of a group's members, in the order they were
// added.
type MemberPage struct {
	Items      []Member `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// PostInput is a member's message.
type PostInput struct {
	Body        string `json:"body" validate:"max=10000"`
	DocumentIDs []int  `json:"document_ids" validate:"max=20,dive,min=1"`
}

// Mention is a member named with @ in a message.
type Mention struct {
	Type string `json:"type"` // user or contact
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// DocRef is a document shared in a post.
type DocRef struct {
	ID    int           `json:"id"`
	Title string        `json:"title"`
	Kind  document.Kind `json:"kind"`
}

// CardAction is a button on a card and which side may press it.
type CardAction struct {
	Name string `json:"name"`
	Side string `json:"side"` // staff or partner
}

// Card is the actionable part of a card post.
type Card struct {
	Kind        string         `json:"kind"` // order_ack, change_request, receipt
	State       post.CardState `json:"state"`
	Outcome     string         `json:"outcome,omitempty"`
	ActedBy     string         `json:"acted_by,omitempty"`
	ActedAt     *time.Time     `json:"acted_at,omitempty"`
	SubjectType string         `json:"subject_type"`
	SubjectID   int            `json:"subject_id"`
	Link        string         `json:"link"`
	Actions     []CardAction   `json:"actions"`
	// Changes say what a change-request card asks, line by line, so the
	// buyer does not approve blind.
	Changes []CardChange `json:"changes,omitempty"`
}

// CardChange is one asked change of one line: Field is promised_date,
// quantity or unit_price; Old and New are formatted values.
type CardChange struct {
	LineNo   int    `json:"line_no"`
	ItemCode string `json:"item_code"`
	Field    string `json:"field"`
	Old      string `json:"old"`
	New      string `json:"new"`
	Reason   string `json:"reason,omitempty"`
}

// Post is a feed entry as shown and as streamed. A system post's or
// card's Body is in the reader's language (the request's, else English):
// the text is rendered from the catalogue when read, so a client never
// picks between languages itself.
type Post struct {
	ID      int `json:"id"`
	GroupID int `json:"group_id"`
	// Seq is the feed number; a card that changes takes a new one, so
	// that streams resuming by number see the change.
	Seq        int64     `json:"seq" doc:"The post's feed number: unique within the group, and the highest number is the latest change. A card that changes state (approved, rejected, acknowledged, expired) takes a new, higher number, so a client that follows the feed by number (after=, or the stream's Last-Event-ID) receives the changed card again and should replace the post with the same id in place; to show posts in the order they were written, sort by created_at, then id."`
	Kind       post.Kind `json:"kind"` // message, system, card
	Author     string    `json:"author"`
	AuthorSide string    `json:"author_side"` // staff, partner, system
	Body       string    `json:"body"`
	Mentions   []Mention `json:"mentions,omitempty"`
	Documents  []DocRef  `json:"documents,omitempty"`
	Card       *Card     `json:"card,omitempty"`
	EventKind  string    `json:"event_kind,omitempty"`
	// Link is where a system post's subject is shown.
	Link      string     `json:"link,omitempty"`
	RepliedAt *time.Time `json:"replied_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// PostFilter pages a feed backwards from a cursor (newest first) or,
// with after, forwards from a feed number (oldest first).
type PostFilter struct {
	After  int64  `query:"after" validate:"omitempty,min=0"`
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=500"`
}

// PostPage is a page of posts.
type PostPage struct {
	Items      []Post `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ActionInput presses a card's button.
type ActionInput struct {
	Action string `json:"action" validate:"required,oneof=approve reject acknowledge confirm_receipt"`
	Reason string `json:"reason" validate:"max=1000"`
}

// ActionResult is the card after the action.
type ActionResult struct {
	Card Post `json:"card"`
}

// BridgeInput connects a group to an outside chat.
type BridgeInput struct {
	Kind          bridge.Kind `json:"kind" validate:"required,oneof=wecom feishu dingtalk slack webhook"`
	Name          string      `json:"name" validate:"required,max=100"`
	URL           string      `json:"url" validate:"required,max=2000"`
	Secret        string      `json:"secret" validate:"max=500"`
	MirrorPosts   *bool       `json:"mirror_posts"`
	MirrorStatus  *bool       `json:"mirror_status"`
	RatePerMinute int         `json:"rate_per_minute" validate:"omitempty,min=1,max=6000"`
}

// BridgePatch changes a bridge.
type BridgePatch struct {
	Name          *string `json:"name" validate:"omitempty,min=1,max=100"`
	Enabled       *bool   `json:"enabled"`
	MirrorPosts   *bool   `json:"mirror_posts"`
	MirrorStatus  *bool   `json:"mirror_status"`
	RatePerMinute *int    `json:"rate_per_minute" validate:"omitempty,min=1,max=6000"`
}

// Bridge is a bridge as shown: the URL is masked, since it is itself a
// credential (WeCom and Slack put the key in it), and the secret is only
// said to exist — except when a webhook bridge is created and Tierlink
// generated the secret, which is shown that once.
type Bridge struct {
	ID            int         `json:"id"`
	GroupID       int         `json:"group_id"`
	Kind          bridge.Kind `json:"kind"`
	Name          string      `json:"name"`
	URL           string      `json:"url"`
	HasSecret     bool        `json:"has_secret"`
	Secret        string      `json:"secret,omitempty"`
	Enabled       bool        `json:"enabled"`
	MirrorPosts   bool        `json:"mirror_posts"`
	MirrorStatus  bool        `json:"mirror_status"`
	RatePerMinute int         `json:"rate_per_minute"`
	Pending       int         `json:"pending"`
	Dead          int         `json:"dead"`
	CreatedAt     time.Time   `json:"created_at"`
}

// BridgeFilter pages a group's bridges.
type BridgeFilter struct {
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// BridgeList is one page of a group's bridges, oldest first.
type BridgeList struct {
	Items      []Bridge `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// DeliveryFilter pages a bridge's delivery log, newest first.
type DeliveryFilter struct {
	State  delivery.State `query:"state" validate:"omitempty,oneof=pending sent dead"`
	PostID int            `query:"post_id" validate:"omitempty,min=1"`
	Cursor string         `query:"cursor" validate:"max=200"`
	Limit  int            `query:"limit" validate:"omitempty,min=1,max=200"`
}

// Delivery is one outbox entry as shown.
type Delivery struct {
	ID       int    `json:"id"`
	BridgeID int    `json:"bridge_id"`
	PostID   *int   `json:"post_id"`
	MsgID    string `json:"msg_id"`
	// Text is what the delivery says, people by name: a post's delivery
	// as its post reads now in the group's language (older deliveries
	// stored addresses), any other as stored, addresses named.
	Text          string         `json:"text"`
	State         delivery.State `json:"state"`
	Attempts      int            `json:"attempts"`
	NextAttemptAt time.Time      `json:"next_attempt_at"`
	LastError     string         `json:"last_error,omitempty"`
	SentAt        *time.Time     `json:"sent_at,omitempty"`
	BatchID       string         `json:"batch_id,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
}

// DeliveryPage is a page of the delivery log.
type DeliveryPage struct {
	Items      []Delivery `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}
