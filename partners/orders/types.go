// Package orders is upstream purchase orders and downstream delivery
// orders: publishing, the partner's line-by-line acknowledgement (EDI 855:
// accept, accept with changes, reject), change requests the buyer
// decides, and every revision kept.
package orders

import (
	"time"

	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
)

// LineInput is one line of a new order.
type LineInput struct {
	ItemCode     string `json:"item_code" validate:"required,max=64"`
	Description  string `json:"description" validate:"max=500"`
	Quantity     Qty    `json:"quantity" validate:"gt=0"`
	Unit         string `json:"unit" validate:"omitempty,max=16"`
	UnitPrice    Price  `json:"unit_price" validate:"gte=0"`
	RequiredDate string `json:"required_date" validate:"required,datetime=2006-01-02"`
}

// OrderInput creates a draft order. Its direction follows from the
// partner's kind (suppliers upstream, customers downstream): left out, it
// is taken from it; given, it must agree with it.
type OrderInput struct {
	PartnerID int             `json:"partner_id" validate:"required,min=1"`
	Direction order.Direction `json:"direction" validate:"omitempty,oneof=upstream downstream"`
	Number    string          `json:"number" validate:"required,max=64,partnercode"`
	Currency  string          `json:"currency" validate:"required,len=3,alpha"`
	Notes     string          `json:"notes" validate:"max=2000"`
	Lines     []LineInput     `json:"lines" validate:"required,min=1,max=500,dive"`
}

// Line is an order line as shown.
type Line struct {
	LineNo       int                `json:"line_no"`
	ItemCode     string             `json:"item_code"`
	Description  string             `json:"description"`
	Quantity     Qty                `json:"quantity"`
	Unit         string             `json:"unit"`
	UnitPrice    Price              `json:"unit_price"`
	RequiredDate time.Time          `json:"required_date"`
	PromisedDate *time.Time         `json:"promised_date"`
	AckState     orderline.AckState `json:"ack_state"`
	AckAt        *time.Time         `json:"ack_at"`
	RejectReason string             `json:"reject_reason,omitempty"`
}

// Order is an order as shown, with its lines.
type Order struct {
	ID             int             `json:"id"`
	PartnerID      int             `json:"partner_id"`
	Direction      order.Direction `json:"direction"`
	Number         string          `json:"number"`
	Currency       string          `json:"currency"`
	Status         order.Status    `json:"status"`
	Revision       int             `json:"revision"`
	BuyerID        int             `json:"buyer_id"`
	Notes          string          `json:"notes"`
	PublishedAt    *time.Time      `json:"published_at"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at"`
	Lines          []Line          `json:"lines"`
	ChangeRequests []ChangeRequest `json:"change_requests,omitempty"`
	Revisions      []Revision      `json:"revisions,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`

	// PartnerName is the partner's name, so a list needs no read per row.
	PartnerName string `json:"partner_name"`
	// Actions is what the caller may do to the order now (see Allowed).
	Actions []Action `json:"actions"`
}

// AckAction is a partner's answer to one order line.
type AckAction string

// Answers to a line.
const (
	AckAccept AckAction = "accept"
	AckChange AckAction = "change"
	AckReject AckAction = "reject"
)

// Verdict is the buyer's decision on a change request.
type Verdict string

// Decisions on a change request.
const (
	VerdictApprove Verdict = "approve"
	VerdictReject  Verdict = "reject"
)

// AckLine answers one line.
type AckLine struct {
	LineNo       int       `json:"line_no" validate:"required,min=1"`
	Action       AckAction `json:"action" validate:"required,oneof=accept change reject"`
	PromisedDate string    `json:"promised_date" validate:"omitempty,datetime=2006-01-02"`
	Quantity     *Qty      `json:"quantity"`
	UnitPrice    *Price    `json:"unit_price"`
	Reason       string    `json:"reason" validate:"max=500"`
}

// AckInput acknowledges some or all pending lines of an order.
type AckInput struct {
	Lines []AckLine `json:"lines" validate:"required,min=1,max=500,dive"`
}

// Change is one proposed line change.
type Change struct {
	LineNo       int        `json:"line_no"`
	PromisedDate *time.Time `json:"promised_date,omitempty"`
	Quantity     *Qty       `json:"quantity,omitempty"`
	UnitPrice    *Price     `json:"unit_price,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	// Was is the line as it stands, what the change would replace;
	// filled in listings of change requests.
	Was *LineWas `json:"was,omitempty"`
}

// LineWas is an order line as it stands, beside a proposed change.
type LineWas struct {
	ItemCode string `json:"item_code"`
	Unit     string `json:"unit"`
	// Date is the promised date if one was agreed, else the required date.
	Date      time.Time `json:"date"`
	Quantity  Qty       `json:"quantity"`
	UnitPrice Price     `json:"unit_price"`
}

// ChangeRequest is a change request as shown.
type ChangeRequest struct {
	ID             int                 `json:"id"`
	OrderID        int                 `json:"order_id"`
	Revision       int                 `json:"revision"`
	Changes        []Change            `json:"changes"`
	State          changerequest.State `json:"state"`
	DecidedBy      string              `json:"decided_by,omitempty"`
	DecidedAt      *time.Time          `json:"decided_at"`
	DecisionReason string              `json:"decision_reason,omitempty"`
	CreatedAt      time.Time           `json:"created_at"`

	// OrderNumber and PartnerName name the order and its partner, so a
	// list needs no read per row.
	OrderNumber string `json:"order_number"`
	PartnerName string `json:"partner_name"`
	// Currency is the order's, for the prices.
	Currency string `json:"currency,omitempty"`
}

// ChangeRequestFilter narrows and pages a change-request listing.
type ChangeRequestFilter struct {
	// OrderID limits the listing to one order; it comes from the path.
	OrderID int                 `query:"-"`
	State   changerequest.State `query:"state" validate:"omitempty,oneof=open approved rejected"`
	Cursor  string              `query:"cursor" validate:"max=200"`
	Limit   int                 `query:"limit" validate:"omitempty,min=1,max=200"`
}

// ChangeRequestPage is one page of change requests, newest first.
type ChangeRequestPage struct {
	Items      []ChangeRequest `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// AckRecordLine is one line of an acknowledgement as the partner sent it.
type AckRecordLine struct {
	LineNo int `json:"line_no"`
	// Action is accept, change or reject.
	Action AckAction `json:"action"`
	// PromisedDate is the date proposed by a change, as YYYY-MM-DD.
	PromisedDate string `json:"promised_date,omitempty"`
	Quantity     *Qty   `json:"quantity"`
	UnitPrice    *Price `json:"unit_price"`
	Reason       string `json:"reason,omitempty"`
}

// Acknowledgement is one answer a partner gave to an order.
type Acknowledgement struct {
	ID int `json:"id"`
	// Revision is the order revision the answer was given to.
	Revision int             `json:"revision"`
	User     string          `json:"user"`
	Lines    []AckRecordLine `json:"lines"`
	At       time.Time       `json:"at"`
}

// AckFilter pages an order's acknowledgements.
type AckFilter struct {
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// AckPage is one page of an order's acknowledgements, oldest first.
type AckPage struct {
	Items      []Acknowledgement `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// Decision approves or rejects a change request.
type Decision struct {
	Decision Verdict `json:"decision" validate:"required,oneof=approve reject"`
	Reason   string  `json:"reason" validate:"max=1000"`
}

// Revision is one kept revision of an order.
type Revision struct {
	Revision int `json:"revision"`
	// Reason is the reason as stored; Code and ChangeRequestID read it.
	Reason          string         `json:"reason"`
	Code            RevisionReason `json:"code"`
	ChangeRequestID int            `json:"change_request_id,omitempty"`
	Snapshot        map[string]any `json:"snapshot"`
	CreatedBy       string         `json:"created_by"`
	// CreatedByName is the person's name, for showing; CreatedBy is the
	// label recorded (an e-mail address, or a job's name).
	CreatedByName string    `json:"created_by_name"`
	CreatedAt     time.Time `json:"created_at"`
}

// Filter narrows an order listing.
type Filter struct {
	PartnerID int             `query:"partner_id" validate:"omitempty,min=1"`
	Direction order.Direction `query:"direction" validate:"omitempty,oneof=upstream downstream"`
	Status    order.Status    `query:"status" validate:"omitempty,oneof=draft published changes_requested acknowledged rejected cancelled closed"`
	Q         string          `query:"q" validate:"max=64"`
	Cursor    string          `query:"cursor" validate:"max=200"`
	Limit     int             `query:"limit" validate:"omitempty,min=1,max=200"`
}

// Page is one page of orders, newest first.
type Page struct {
	Items      []Order `json:"items"`
	NextCursor string  `json:"next_cursor,omitempty"`
}
