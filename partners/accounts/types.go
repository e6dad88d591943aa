package accounts

import (
	"time"

	"github.com/tierlink/tierlink/ent/user"
)

// User is an account as shown to callers.
type User struct {
	ID     int       `json:"id"`
	Email  string    `json:"email"`
	Name   string    `json:"name"`
	Role   user.Role `json:"role"`
	Locale string    `json:"locale"`
	// TimeZone is the IANA zone the user reads times in; empty follows
	// their partner's zone, then the company's.
	TimeZone      string     `json:"time_zone"`
	Active        bool       `json:"active"`
	PartnerID     *int       `json:"partner_id"`
	ContactID     *int       `json:"contact_id"`
	OwnedContacts int        `json:"owned_contacts"`
	CreatedAt     time.Time  `json:"created_at"`
	LastLoginAt   *time.Time `json:"last_login_at"`
	DeactivatedAt *time.Time `json:"deactivated_at"`
	// WecomUserID is the staff user's WeCom userid, once linked.
	WecomUserID *string `json:"wecom_userid"`
	// Mobile is the staff user's mobile number, as entered; the WeCom
	// sync links a member by it when the e-mail does not match.
	Mobile string `json:"mobile"`
}

// UserInput creates a staff user.
type UserInput struct {
	Email string    `json:"email" validate:"required,max=254,email"`
	Name  string    `json:"name" validate:"required,max=200"`
	Role  user.Role `json:"role" validate:"required,oneof=admin buyer viewer"`
	// Password is required: with no e-mail to set one later, a user
	// created without one could never log in.
	Password string `json:"password" validate:"required,min=12,max=256"`
	Locale   string `json:"locale" validate:"omitempty,oneof=zh-CN en"`
}

// UserFilter narrows a user listing.
type UserFilter struct {
	Role   user.Role `query:"role" validate:"omitempty,oneof=admin buyer viewer partner"`
	Active *bool     `query:"active"`
	Q      string    `query:"q" validate:"max=100"`
	Cursor string    `query:"cursor" validate:"max=200"`
	Limit  int       `query:"limit" validate:"omitempty,min=1,max=200"`
}

// UserPage is one page of users in name order.
type UserPage struct {
	Items      []User `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// MeInput changes the caller's own settings.
type MeInput struct {
	Locale *string `json:"locale" validate:"omitempty,oneof=zh-CN en auto"`
	Name   *string `json:"name" validate:"omitempty,min=1,max=200"`
	// TimeZone is an IANA zone such as Asia/Shanghai, or auto to follow
	// the partner's zone, then the company's (like locale's auto).
	TimeZone *string `json:"time_zone" validate:"omitempty,max=64,timezone|eq=auto"`
	// Mobile is the user's mobile number (empty clears it); the WeCom
	// sync links a staff user to their WeCom member by it.
	Mobile *string `json:"mobile" validate:"omitempty,max=32"`
}

// PartnerHeir names who takes over one partner's contacts.
type PartnerHeir struct {
	PartnerID int `json:"partner_id" validate:"required,min=1"`
	ToOwnerID int `json:"to_owner_id" validate:"required,min=1"`
}

// DeactivateInput deactivates a user, naming heirs for their contacts.
type DeactivateInput struct {
	HeirID int           `json:"heir_id" validate:"omitempty,min=1"`
	Heirs  []PartnerHeir `json:"heirs" validate:"max=1000,dive"`
	Note   string        `json:"note" validate:"max=2000"`
}

// DeactivateResult says what a deactivation did.
type DeactivateResult struct {
	User      User   `json:"user"`
	Moved     int    `json:"moved_contacts"`
	Batch     string `json:"batch,omitempty"`
	Cancelled int    `json:"cancelled_transfers"`
}

// LoginInput is a password login.
type LoginInput struct {
	Email    string `json:"email" form:"email" validate:"required,max=254"`
	Password string `json:"password" form:"password" validate:"required,max=256"`
}

// Token is an API token as listed; the secret is shown only at creation.
type Token struct {
	ID         int        `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	UserID     int        `json:"user_id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// TokenFilter pages a token listing.
type TokenFilter struct {
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// TokenPage is one page of tokens, newest first.
type TokenPage struct {
	Items      []Token `json:"items"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// TokenInput creates an API token for the caller.
type TokenInput struct {
	Name string `json:"name" validate:"required,max=100"`
}

// NewToken is a freshly created token with its secret.
type NewToken struct {
	Token
	Secret string `json:"token"`
}

// Invitation is an invitation as listed to staff.
type Invitation struct {
	ID        int        `json:"id"`
	ContactID int        `json:"contact_id"`
	PartnerID int        `json:"partner_id"`
	Email     string     `json:"email"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at"`
	UserID    *int       `json:"user_id"`
}

// InvitationFilter narrows an invitation listing.
type InvitationFilter struct {
	PartnerID int    `query:"partner_id" validate:"omitempty,min=1"`
	Cursor    string `query:"cursor" validate:"max=200"`
	Limit     int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// InvitationPage is one page of invitations, newest first.
type InvitationPage struct {
	Items      []Invitation `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// InvitationInput invites a contact to log in.
type InvitationInput struct {
	ContactID int `json:"contact_id" validate:"required,min=1"`
}

// NewInvitation is a freshly created invitation with its one-time link
// token, shown once.
type NewInvitation struct {
	Invitation
	// Token is empty when the link was mailed instead (Mailed).
	Token  string `json:"token,omitempty"`
	Mailed bool   `json:"mailed"`
}

// AcceptInput turns an invitation into a partner user account.
type AcceptInput struct {
	Name     string `json:"name" form:"name" validate:"required,max=200"`
	Password string `json:"password" form:"password" validate:"required,min=12,max=256"`
}
