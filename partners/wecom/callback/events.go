package callback

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"strconv"
	"strings"
	"time"
)

// EventType says which typed event a callback carried.
type EventType string

// Event types.
const (
	TypeExternalContact EventType = "change_external_contact"
	TypeTemplateCard    EventType = "template_card_event"
	// TypeUnknown is any other message or event (or a
	// change_external_contact with a ChangeType not listed below). It is
	// kept, with its plaintext, not dropped.
	TypeUnknown EventType = "unknown"
)

// ChangeType is the kind of change in a change_external_contact event
// (https://developer.work.weixin.qq.com/document/path/92130).
type ChangeType string

// Change types decoded into ExternalContactChange.
const (
	AddExternalContact  ChangeType = "add_external_contact"
	EditExternalContact ChangeType = "edit_external_contact"
	DelExternalContact  ChangeType = "del_external_contact"
	DelFollowUser       ChangeType = "del_follow_user"
	TransferFail        ChangeType = "transfer_fail"
)

func (t ChangeType) known() bool {
	switch t {
	case AddExternalContact, EditExternalContact, DelExternalContact, DelFollowUser, TransferFail:
		return true
	}
	return false
}

// FailReason says why WeCom could not complete a transfer.
type FailReason string

// Fail reasons of a transfer_fail event.
const (
	// CustomerRefused: the customer declined the new follower.
	CustomerRefused FailReason = "customer_refused"
	// CustomerLimitExceed: the taker has reached WeCom's contact limit.
	CustomerLimitExceed FailReason = "customer_limit_exceed"
)

// DeleteByTransfer is the Source of a del_external_contact that WeCom
// generated because a transfer removed the previous follower.
const DeleteByTransfer = "DELETE_BY_TRANSFER"

// Event is one decoded callback: *ExternalContactChange,
// *TemplateCardEvent or *UnknownEvent.
type Event interface {
	// Type says which of the three it is.
	Type() EventType
	// Identity is the key to deduplicate on: WeCom resends the same
	// callback when an answer is slow, and every resend has the same
	// identity. Which fields form it is documented on each type.
	Identity() string
	// Created is the event's CreateTime.
	Created() time.Time
	// Plaintext is the decrypted XML the event was decoded from.
	Plaintext() []byte
}

// Header holds the fields every WeCom event has.
type Header struct {
	// ToUserName is the corp id.
	ToUserName string
	// FromUserName is "sys" for contact changes and the acting member's
	// userid for card events.
	FromUserName string
	// CreateTime is in Unix seconds.
	CreateTime int64
	MsgType    string
	Event      string
	// AgentID is the app's agent id, where WeCom sends it.
	AgentID string

	plaintext []byte
}

// Created is CreateTime as a time.
func (h *Header) Created() time.Time { return time.Unix(h.CreateTime, 0) }

// Plaintext is the decrypted XML.
func (h *Header) Plaintext() []byte { return h.plaintext }

// ExternalContactChange is a change_external_contact event with one of
// the five ChangeTypes above.
//
// Identity: ChangeType, UserID, ExternalUserID and CreateTime. WeCom
// recommends FromUserName + CreateTime for events, but FromUserName is
// always "sys" here, so the member and the contact take its place.
type ExternalContactChange struct {
	Header
	ChangeType ChangeType
	// UserID is the member; for transfer_fail, the taker.
	UserID string
	// ExternalUserID is the external contact.
	ExternalUserID string
	// State is the 「联系我」 state or customer channel (add only).
	State string
	// WelcomeCode lets the member send a welcome message (add only).
	WelcomeCode string
	// Source is DeleteByTransfer when a transfer removed the member
	// (del_external_contact only).
	Source string
	// FailReason is set on transfer_fail.
	FailReason FailReason
}

// Type is TypeExternalContact.
func (e *ExternalContactChange) Type() EventType { return TypeExternalContact }

// Identity is documented on the type.
func (e *ExternalContactChange) Identity() string {
	return identity(TypeExternalContact, string(e.ChangeType), e.UserID, e.ExternalUserID, strconv.FormatInt(e.CreateTime, 10))
}

// TemplateCardEvent is a click on a template card
// (https://developer.work.weixin.qq.com/document/path/90240).
//
// Identity: FromUserName (who clicked), TaskID, EventKey and CreateTime:
// WeCom's recommended FromUserName + CreateTime, with the card and the
// button added so that one member's clicks on two cards in the same
// second stay apart. ResponseCode is left out: it is a credential for
// update_template_card, not part of what happened.
type TemplateCardEvent struct {
	Header
	// EventKey is the key of the button clicked.
	EventKey string
	// TaskID is the task_id the card was sent with.
	TaskID string
	// CardType is button_interaction, vote_interaction, … .
	CardType string
	// ResponseCode may be used once, within 72 hours, to update the card.
	ResponseCode  string
	SelectedItems []SelectedItem
}

// SelectedItem is one question's answer on a vote or multiple-choice
// card.
type SelectedItem struct {
	QuestionKey string
	OptionIDs   []string
}

// Type is TypeTemplateCard.
func (e *TemplateCardEvent) Type() EventType { return TypeTemplateCard }

// Identity is documented on the type.
func (e *TemplateCardEvent) Identity() string {
	return identity(TypeTemplateCard, e.FromUserName, e.TaskID, e.EventKey, strconv.FormatInt(e.CreateTime, 10))
}

// UnknownEvent is any callback this package does not type. Its
// plaintext is kept.
//
// Identity: MsgId where the message has one (WeCom's own key for
// messages); otherwise a hash of the whole plaintext, which a resend
// repeats byte for byte.
type UnknownEvent struct {
	Header
	// ChangeType is set for a change_external_contact of another kind.
	ChangeType string
	// MsgID is set for messages (MsgType text, image, …).
	MsgID string
}

// Type is TypeUnknown.
func (e *UnknownEvent) Type() EventType { return TypeUnknown }

// Identity is documented on the type.
func (e *UnknownEvent) Identity() string {
	if e.MsgID != "" {
		return identity(TypeUnknown, "msg", e.MsgID)
	}
	return identity(TypeUnknown, "xml", string(e.plaintext))
}

// identity hashes the fields, separated by NUL (which XML text cannot
// contain), into a fixed-length key fit for a unique index.
func identity(t EventType, fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return string(t) + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// rawEvent has every field of every event type decoded here.
type rawEvent struct {
	XMLName        xml.Name
	ToUserName     string `xml:"ToUserName"`
	FromUserName   string `xml:"FromUserName"`
	CreateTime     string `xml:"CreateTime"`
	MsgType        string `xml:"MsgType"`
	Event          string `xml:"Event"`
	AgentID        string `xml:"AgentID"`
	MsgID          string `xml:"MsgId"`
	ChangeType     string `xml:"ChangeType"`
	UserID         string `xml:"UserID"`
	ExternalUserID string `xml:"ExternalUserID"`
	State          string `xml:"State"`
	WelcomeCode    string `xml:"WelcomeCode"`
	Source         string `xml:"Source"`
	FailReason     string `xml:"FailReason"`
	EventKey       string `xml:"EventKey"`
	TaskID         string `xml:"TaskId"`
	CardType       string `xml:"CardType"`
	ResponseCode   string `xml:"ResponseCode"`
	SelectedItems  []struct {
		QuestionKey string   `xml:"QuestionKey"`
		OptionIDs   []string `xml:"OptionIds>OptionId"`
	} `xml:"SelectedItems>SelectedItem"`
}

// DecodeEvent decodes decrypted callback XML into a typed event. A
// change_external_contact of a listed ChangeType or a
// template_card_event missing a field its identity needs is malformed;
// anything else that is well-formed <xml> becomes an UnknownEvent.
func DecodeEvent(plaintext []byte) (Event, error) {
	var r rawEvent
	if err := xml.Unmarshal(plaintext, &r); err != nil || r.XMLName.Local != "xml" || r.XMLName.Space != "" {
		return nil, fail(ErrBadXML, "event")
	}
	h := Header{ToUserName: r.ToUserName, FromUserName: r.FromUserName, MsgType: r.MsgType,
		Event: r.Event, AgentID: r.AgentID, plaintext: plaintext}
	if s := strings.TrimSpace(r.CreateTime); s != "" {
		t, err := strconv.ParseInt(s, 10, 64)
		if err != nil || t < 0 {
			return nil, fail(ErrBadXML, "CreateTime")
		}
		h.CreateTime = t
	}
	missing := func(field string) error {
		return fail(ErrMissingField, field)
	}
	switch {
	case r.MsgType == "event" && r.Event == string(TypeExternalContact) && ChangeType(r.ChangeType).known():
		e := &ExternalContactChange{Header: h, ChangeType: ChangeType(r.ChangeType), UserID: r.UserID,
			ExternalUserID: r.ExternalUserID, State: r.State, WelcomeCode: r.WelcomeCode, Source: r.Source,
			FailReason: FailReason(r.FailReason)}
		switch {
		case strings.TrimSpace(r.CreateTime) == "":
			return nil, missing("CreateTime")
		case e.UserID == "":
			return nil, missing("UserID")
		case e.ExternalUserID == "":
			return nil, missing("ExternalUserID")
		case e.ChangeType == TransferFail && e.FailReason == "":
			return nil, missing("FailReason")
		}
		return e, nil
	case r.MsgType == "event" && r.Event == string(TypeTemplateCard):
		e := &TemplateCardEvent{Header: h, EventKey: r.EventKey, TaskID: r.TaskID, CardType: r.CardType,
			ResponseCode: r.ResponseCode}
		for _, it := range r.SelectedItems {
			e.SelectedItems = append(e.SelectedItems, SelectedItem{QuestionKey: it.QuestionKey, OptionIDs: it.OptionIDs})
		}
		switch {
		case strings.TrimSpace(r.CreateTime) == "":
			return nil, missing("CreateTime")
		case e.FromUserName == "":
			return nil, missing("FromUserName")
		case e.TaskID == "":
			return nil, missing("TaskId")
		case e.EventKey == "":
			return nil, missing("EventKey")
		}
		return e, nil
	}
	e := &UnknownEvent{Header: h, MsgID: r.MsgID}
	if r.Event == string(TypeExternalContact) {
		e.ChangeType = r.ChangeType
	}
	return e, nil
}
