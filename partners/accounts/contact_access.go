package accounts

import (
	"context"
	"time"

	"github.com/tierlink/tierlink/ent/invitation"
	"github.com/tierlink/tierlink/ent/user"
)

// ContactAccess says whether a contact can already log in, or has an
// invitation still waiting to be accepted.
type ContactAccess struct {
	// HasLogin is true when a partner user was made from the contact.
	HasLogin bool `json:"has_login"`
	// InvitedAt is when the newest invitation still open was sent.
	InvitedAt *time.Time `json:"invited_at,omitempty"`
}

// CanInvite reports whether an invitation may be sent: never to a contact
// who can log in already (CreateInvitation refuses it too).
func (a ContactAccess) CanInvite() bool { return !a.HasLogin }

// ContactsAccess reports, for each of ids, whether the contact has a login
// or an open invitation, in two queries however many contacts there are.
func (s *Service) ContactsAccess(ctx context.Context, ids []int) (map[int]ContactAccess, error) {
	out := make(map[int]ContactAccess, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// Read as the system: whether a login exists is what the caller, staff
	// on the partner's page, asks; the user rows themselves stay hidden.
	users, err := s.client.User.Query().Where(user.ContactIDIn(ids...)).All(system(ctx))
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		a := out[*u.ContactID]
		a.HasLogin = true
		out[*u.ContactID] = a
	}
	invs, err := s.client.Invitation.Query().
		Where(invitation.ContactIDIn(ids...), invitation.UsedAtIsNil(), invitation.ExpiresAtGT(s.now())).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		a := out[inv.ContactID]
		if a.InvitedAt == nil || inv.CreatedAt.After(*a.InvitedAt) {
			at := inv.CreatedAt
			a.InvitedAt = &at
		}
		out[inv.ContactID] = a
	}
	return out, nil
}
