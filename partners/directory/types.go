// Package directory is the partner directory: partners, their fixed
// external contacts, and the ledger of who inside the company owns each.
package directory

import (
	"time"

	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/partner"
)

// Partner kinds and statuses, as stored.
var (
	Kinds    = []partner.Kind{partner.KindSupplier, partner.KindCustomer, partner.KindLogistics, partner.KindService}
	Statuses = []partner.Status{partner.StatusProspect, partner.StatusActive, partner.StatusSuspended, partner.StatusOffboarded}
)

// UserRef names a staff user briefly.
type UserRef struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Active bool   `json:"active"`
}

// PartnerRef names a partner briefly.
type PartnerRef struct {
	ID   int    `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// Partner is a partner as shown to callers.
type Partner struct {
	ID          int            `json:"id"`
	Code        string         `json:"code"`
	Name        string         `json:"name"`
	Kind        partner.Kind   `json:"kind"`
	Tier        *int           `json:"tier"`
	Tags        []string       `json:"tags"`
	Categories  []string       `json:"categories"`
	Status      partner.Status `json:"status"`
	Address     string         `json:"address"`
	TimeZone    string         `json:"time_zone"`
	AckSLAHours int            `json:"ack_sla_hours"`
	// OverDeliveryPct is how far past an ordered quantity shipments may go.
	OverDeliveryPct int `json:"over_delivery_pct"`
	// BlockOnLapsedCertificate refuses new orders while a mandatory
	// certificate of the partner has expired.
	BlockOnLapsedCertificate bool `json:"block_on_lapsed_certificate"`
	// MailContacts e-mails order notices to the partner's contacts who
	// have no login.
	MailContacts bool      `json:"mail_contacts"`
	ContactCount int       `json:"contact_count"`
	Owners       []UserRef `json:"owners"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// PartnerInput creates a partner.
type PartnerInput struct {
	Code                     string         `json:"code" validate:"required,max=32,partnercode"`
	Name                     string         `json:"name" validate:"required,max=200"`
	Kind                     partner.Kind   `json:"kind" validate:"required,oneof=supplier customer logistics service"`
	Tier                     *int           `json:"tier" validate:"omitempty,min=1,max=3"`
	Tags                     []string       `json:"tags" validate:"max=20,dive,required,max=40"`
	Categories               []string       `json:"categories" validate:"max=50,dive,required,max=80"`
	Status                   partner.Status `json:"status" validate:"omitempty,oneof=prospect active suspended offboarded"`
	Address                  string         `json:"address" validate:"max=500"`
	TimeZone                 string         `json:"time_zone" validate:"omitempty,max=64,timezone"`
	AckSLAHours              int            `json:"ack_sla_hours" validate:"omitempty,min=1,max=720"`
	OverDeliveryPct          int            `json:"over_delivery_pct" validate:"min=0,max=100"`
	BlockOnLapsedCertificate bool           `json:"block_on_lapsed_certificate"`
	MailContacts             bool           `json:"mail_contacts"`
}

// PartnerPatch changes some fields of a partner; absent fields stay.
type PartnerPatch struct {
	Name                     *string         `json:"name" validate:"omitempty,min=1,max=200"`
	Kind                     *partner.Kind   `json:"kind" validate:"omitempty,oneof=supplier customer logistics service"`
	Tier                     *int            `json:"tier" validate:"omitempty,min=0,max=3"`
	Tags                     *[]string       `json:"tags" validate:"omitempty,max=20,dive,required,max=40"`
	Categories               *[]string       `json:"categories" validate:"omitempty,max=50,dive,required,max=80"`
	Status                   *partner.Status `json:"status" validate:"omitempty,oneof=prospect active suspended offboarded"`
	Address                  *string         `json:"address" validate:"omitempty,max=500"`
	TimeZone                 *string         `json:"time_zone" validate:"omitempty,max=64,timezone"`
	AckSLAHours              *int            `json:"ack_sla_hours" validate:"omitempty,min=1,max=720"`
	OverDeliveryPct          *int            `json:"over_delivery_pct" validate:"omitempty,min=0,max=100"`
	BlockOnLapsedCertificate *bool           `json:"block_on_lapsed_certificate"`
	MailContacts             *bool           `json:"mail_contacts"`
}

// PartnerFilter narrows and pages a partner search.
type PartnerFilter struct {
	Q        string         `query:"q" validate:"max=100"`
	Kind     partner.Kind   `query:"kind" validate:"omitempty,oneof=supplier customer logistics service"`
	Tier     int            `query:"tier" validate:"omitempty,min=1,max=3"`
	Status   partner.Status `query:"status" validate:"omitempty,oneof=prospect active suspended offboarded"`
	Tag      string         `query:"tag" validate:"max=40"`
	Category string         `query:"category" validate:"max=80"`
	OwnerID  int            `query:"owner_id" validate:"omitempty,min=1"`
	Cursor   string         `query:"cursor" validate:"max=600"`
	Limit    int            `query:"limit" validate:"omitempty,min=1,max=200"`
}

// PartnerPage is one page of partners in name order.
type PartnerPage struct {
	Items      []Partner `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// Contact is a contact as shown to callers.
type Contact struct {
	ID        int        `json:"id"`
	Partner   PartnerRef `json:"partner"`
	Name      string     `json:"name"`
	Title     string     `json:"title"`
	Email     string     `json:"email"`
	Phone     string     `json:"phone"`
	Language  string     `json:"language"`
	Owner     UserRef    `json:"owner"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// ContactInput creates a contact.
type ContactInput struct {
	PartnerID int    `json:"partner_id" validate:"required,min=1"`
	Name      string `json:"name" validate:"required,max=200"`
	Title     string `json:"title" validate:"max=200"`
	Email     string `json:"email" validate:"omitempty,max=254,email"`
	Phone     string `json:"phone" validate:"max=64"`
	Language  string `json:"language" validate:"omitempty,oneof=zh-CN en"`
	OwnerID   int    `json:"owner_id" validate:"required,min=1"`
}

// ContactPatch changes some fields of a contact. The owner is not here:
// ownership only moves through a transfer, so the ledger sees every move.
type ContactPatch struct {
	Name     *string `json:"name" validate:"omitempty,min=1,max=200"`
	Title    *string `json:"title" validate:"omitempty,max=200"`
	Email    *string `json:"email" validate:"omitempty,max=254,email"`
	Phone    *string `json:"phone" validate:"omitempty,max=64"`
	Language *string `json:"language" validate:"omitempty,oneof=zh-CN en"`
}

// ContactFilter narrows and pages a contact search.
type ContactFilter struct {
	Q         string `query:"q" validate:"max=100"`
	PartnerID int    `query:"partner_id" validate:"omitempty,min=1"`
	OwnerID   int    `query:"owner_id" validate:"omitempty,min=1"`
	Cursor    string `query:"cursor" validate:"max=600"`
	Limit     int    `query:"limit" validate:"omitempty,min=1,max=500"`
}

// ContactPage is one page of contacts in name order.
type ContactPage struct {
	Items      []Contact `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// Transfer is one entry on the ownership ledger.
type Transfer struct {
	ID            int                    `json:"id"`
	Batch         string                 `json:"batch"`
	ContactID     int                    `json:"contact_id"`
	ContactName   string                 `json:"contact_name"`
	PartnerID     int                    `json:"partner_id"`
	From          UserRef                `json:"from"`
	To            UserRef                `json:"to"`
	Reason        contacttransfer.Reason `json:"reason"`
	Note          string                 `json:"note"`
	EffectiveAt   time.Time              `json:"effective_at"`
	State         contacttransfer.State  `json:"state"`
	FailureReason string                 `json:"failure_reason,omitempty"`
	RequestedByID *int                   `json:"requested_by_id"`
	CreatedAt     time.Time              `json:"created_at"`
	CompletedAt   *time.Time             `json:"completed_at"`
}

// TransferInput hands one or many contacts to another staff owner.
type TransferInput struct {
	ContactIDs  []int                  `json:"contact_ids" validate:"required,min=1,max=10000,dive,min=1"`
	ToOwnerID   int                    `json:"to_owner_id" validate:"required,min=1"`
	Reason      contacttransfer.Reason `json:"reason" validate:"omitempty,oneof=reassignment departure"`
	Note        string                 `json:"note" validate:"max=2000"`
	EffectiveAt *time.Time             `json:"effective_at"`
}

// TransferFilter narrows a ledger listing.
type TransferFilter struct {
	State     contacttransfer.State `query:"state" validate:"omitempty,oneof=pending done failed cancelled"`
	PartnerID int                   `query:"partner_id" validate:"omitempty,min=1"`
	ContactID int                   `query:"contact_id" validate:"omitempty,min=1"`
	OwnerID   int                   `query:"owner_id" validate:"omitempty,min=1"`
	Cursor    string                `query:"cursor" validate:"max=200"`
	Limit     int                   `query:"limit" validate:"omitempty,min=1,max=500"`
}

// TransferPage is one page of the ledger, newest first.
type TransferPage struct {
	Items      []Transfer `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}
