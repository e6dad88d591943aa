package accounts

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/apitoken"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/invitation"
	"github.com/tierlink/tierlink/ent/session"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
)

// Service manages accounts and authentication.
type Service struct {
	client *ent.Client
	dir    *directory.Service
	now    func() time.Time
	// Params are the argon2id costs for new password hashes.
	Params Argon2Params
	// SessionTTL is how long an idle session lives.
	SessionTTL time.Duration
	// InvitationTTL is how long an invitation link works.
	InvitationTTL time.Duration
	// Throttle limits failed logins.
	Throttle ThrottleLimits
	// Mail queues account mail (invitations, resets, e-mail changes);
	// nil or not configured means links are shown to copy (UseMail).
	Mail *mail.Outbox
	// Reset limits password-reset requests (reset.go).
	Reset     ResetLimits
	base      string
	dummyHash string
	dummyOnce sync.Once
}

// New returns an accounts service.
func New(client *ent.Client, dir *directory.Service) *Service {
	s := &Service{client: client, dir: dir, now: time.Now, Params: OWASPParams,
		SessionTTL: 12 * time.Hour, InvitationTTL: 7 * 24 * time.Hour, Throttle: DefaultThrottle, Reset: DefaultResetLimits}
	return s
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func system(ctx context.Context) context.Context { return partners.AsSystem(ctx, "accounts") }

// mobileRE is what a mobile number may look like as typed.
var mobileRE = regexp.MustCompile(`^\+?[0-9][0-9 ().-]{3,30}$`)

// CreateUser adds a staff user.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (User, error) {
	if err := partners.Validate(in); err != nil {
		return User{}, err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	var id int
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		if n, err := c.User.Query().Where(user.Email(email)).Count(system(ctx)); err != nil {
			return err
		} else if n > 0 {
			return &partners.Error{Code: partners.EConflict, Message: "a user with this e-mail exists",
				Fields: []partners.FieldError{{Field: "email", Reason: "is already used by another account"}}}
		}
		u, err := c.User.Create().SetEmail(email).SetName(in.Name).SetRole(in.Role).SetLocale(in.Locale).
			SetPasswordHash(HashPassword(in.Password, s.Params)).Save(ctx)
		if err != nil {
			return err
		}
		id = u.ID
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "user.create", EntityType: "user", EntityID: u.ID,
			After: map[string]any{"email": u.Email, "name": u.Name, "role": u.Role}})
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, id)
}

// User returns one user with the number of contacts they own.
func (s *Service) User(ctx context.Context, id int) (User, error) {
	u, err := s.client.User.Get(ctx, id)
	if err != nil {
		return User{}, err
	}
	out := toUser(u)
	if u.Role != user.RolePartner {
		n, err := s.client.Contact.Query().Where(contact.OwnerID(id)).Count(ctx)
		if err != nil {
			return User{}, err
		}
		out.OwnedContacts = n
	}
	return out, nil
}

// ListUsers lists accounts in name order, a page at a time, with how
// many contacts each owns. The cursor names the last user shown (an id,
// so it stays short however long names are); the next page goes on after
// that user's place in (name, id) order.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) (UserPage, error) {
	if err := partners.Validate(f); err != nil {
		return UserPage{}, err
	}
	q := s.client.User.Query()
	if f.Role != "" {
		q.Where(user.RoleEQ(f.Role))
	}
	if f.Active != nil {
		q.Where(user.Active(*f.Active))
	}
	if t := strings.TrimSpace(f.Q); t != "" {
		q.Where(user.Or(user.NameContainsFold(t), user.EmailContainsFold(t)))
	}
	lastID, err := partners.BeforeID(f.Cursor) // the last user shown
	if err != nil {
		return UserPage{}, err
	}
	if lastID != 0 {
		last, err := s.client.User.Get(ctx, lastID)
		if ent.IsNotFound(err) {
			return UserPage{}, partners.Invalid("cursor", "is not a cursor this server issued")
		}
		if err != nil {
			return UserPage{}, err
		}
		q.Where(user.Or(user.NameGT(last.Name), user.And(user.Name(last.Name), user.IDGT(last.ID))))
	}
	limit := partners.Limit(f.Limit, 50)
	us, err := q.Order(ent.Asc(user.FieldName), ent.Asc(user.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return UserPage{}, err
	}
	var page UserPage
	us, page.NextCursor = partners.Trim(us, limit, func(u *ent.User) int { return u.ID })
	ids := make([]int, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	var counts []struct {
		OwnerID int `json:"owner_id"`
		Count   int `json:"count"`
	}
	if err := s.client.Contact.Query().Where(contact.OwnerIDIn(ids...)).GroupBy(contact.FieldOwnerID).Aggregate(ent.Count()).Scan(ctx, &counts); err != nil {
		return UserPage{}, err
	}
	owned := map[int]int{}
	for _, c := range counts {
		owned[c.OwnerID] = c.Count
	}
	page.Items = make([]User, 0, len(us))
	for _, u := range us {
		o := toUser(u)
		o.OwnedContacts = owned[u.ID]
		page.Items = append(page.Items, o)
	}
	return page, nil
}

// UpdateMe changes the caller's own name or language.
func (s *Service) UpdateMe(ctx context.Context, in MeInput) (User, error) {
	if err := partners.Validate(in); err != nil {
		return User{}, err
	}
	v, _ := viewer.FromContext(ctx)
	if v.UserID == 0 {
		return User{}, partners.Errorf(partners.EUnauthenticated, "log in first")
	}
	q := s.client.User.UpdateOneID(v.UserID)
	if in.Locale != nil {
		l := *in.Locale
		if l == "auto" {
			l = ""
		}
		q.SetLocale(l)
	}
	if in.Name != nil {
		q.SetName(*in.Name)
	}
	if in.TimeZone != nil {
		// "Local" is the server's zone, not a place; UTC and every IANA
		// name the validator accepted are fine.
		if *in.TimeZone == "Local" {
			return User{}, partners.Invalid("time_zone", "must be an IANA time zone such as Asia/Shanghai")
		}
		z := *in.TimeZone
		if z == "auto" {
			z = ""
		}
		q.SetTimeZone(z)
	}
	if in.Mobile != nil {
		m := strings.TrimSpace(*in.Mobile)
		if m != "" && !mobileRE.MatchString(m) {
			return User{}, partners.InvalidBecause("mobile", partners.R("phone_number"))
		}
		q.SetMobile(m)
	}
	// A user may change their own settings whatever their role: the
	// check above pins the row to the caller.
	if err := q.Exec(system(ctx)); err != nil {
		return User{}, err
	}
	return s.User(ctx, v.UserID)
}

// Deactivate ends a user's access. A staff user who owns contacts is
// refused unless heirs are named; then every contact moves on the ledger,
// the account is closed and its sessions and tokens die, all in one
// transaction, so no contact is ever left without an active owner.
func (s *Service) Deactivate(ctx context.Context, id int, in DeactivateInput) (DeactivateResult, error) {
	if err := partners.Validate(in); err != nil {
		return DeactivateResult{}, err
	}
	v, _ := viewer.FromContext(ctx)
	if v.UserID == id {
		e := partners.Fail(partners.EConflict, i18n.M("problem.deactivate_self"))
		e.Fields = []partners.FieldError{partners.Because("id", partners.R("self_deactivate"))}
		return DeactivateResult{}, e
	}
	var res DeactivateResult
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		u, err := c.User.Get(ctx, id)
		if err != nil {
			return err
		}
		if !u.Active {
			return partners.Fail(partners.EConflict, i18n.M("problem.already_deactivated"))
		}
		owned, err := c.Contact.Query().Where(contact.OwnerID(id)).All(ctx)
		if err != nil {
			return err
		}
		byHeir := map[int][]int{}
		partnerHeir := map[int]int{}
		// Every heir and partner named must be one, even when the leaver
		// owns nothing for them to take over.
		for i, h := range in.Heirs {
			field := "heirs[" + itoa(i) + "]."
			if h.ToOwnerID == id {
				return partners.Invalid(field+"to_owner_id", "must be someone other than the user leaving")
			}
			if _, err := c.Partner.Get(ctx, h.PartnerID); err != nil {
				return partners.Ref(field+"partner_id", "must be a partner", err)
			}
			if _, err := directory.ActiveStaff(ctx, c, h.ToOwnerID, field+"to_owner_id"); err != nil {
				return err
			}
			partnerHeir[h.PartnerID] = h.ToOwnerID
		}
		if in.HeirID == id {
			return partners.Invalid("heir_id", "must be someone other than the user leaving")
		}
		if in.HeirID != 0 {
			if _, err := directory.ActiveStaff(ctx, c, in.HeirID, "heir_id"); err != nil {
				return err
			}
		}
		for _, ct := range owned {
			heir := partnerHeir[ct.PartnerID]
			if heir == 0 {
				heir = in.HeirID
			}
			if heir == 0 {
				return &partners.Error{Code: partners.EConflict,
					Message: "the user owns " + itoa(len(owned)) + " contacts; name an heir to hand them over",
					Fields:  []partners.FieldError{{Field: "heir_id", Reason: "is required while the user owns contacts"}}}
			}
			byHeir[heir] = append(byHeir[heir], ct.ID)
		}
		batch := ""
		for heir, ids := range byHeir {
			if batch == "" {
				batch = newBatchID()
			}
			field := "heir_id"
			if heir != in.HeirID {
				field = "heirs.to_owner_id"
			}
			if _, err := s.dir.HandOver(ctx, c, directory.Handover{ContactIDs: ids, ToOwnerID: heir,
				Reason: contacttransfer.ReasonDeparture, Note: in.Note, EffectiveAt: s.now(), Batch: batch}); err != nil {
				if pe, ok := err.(*partners.Error); ok && len(pe.Fields) > 0 && pe.Fields[0].Field == "to_owner_id" {
					pe.Fields[0].Field = field
				}
				return err
			}
			res.Moved += len(ids)
		}
		res.Batch = batch
		// Groups go with the contacts; those left (internal groups) go
		// to the heir, and a leaver who owns groups needs one.
		if n, err := c.Group.Query().Where(group.OwnerID(id)).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			if in.HeirID == 0 {
				return &partners.Error{Code: partners.EConflict,
					Message: "the user owns " + itoa(n) + " groups; name an heir to hand them over",
					Fields:  []partners.FieldError{{Field: "heir_id", Reason: "is required while the user owns groups"}}}
			}
			if err := directory.MoveGroups(ctx, c, id, in.HeirID, 0); err != nil {
				return err
			}
		}
		// Scheduled hand-overs to or from the leaver can no longer apply.
		n, err := c.ContactTransfer.Update().Where(contacttransfer.StateEQ(contacttransfer.StatePending),
			contacttransfer.Or(contacttransfer.ToOwnerID(id), contacttransfer.FromOwnerID(id))).
			SetState(contacttransfer.StateFailed).SetFailureReason(u.Name + " was deactivated").SetCompletedAt(s.now()).Save(ctx)
		if err != nil {
			return err
		}
		res.Cancelled = n
		if err := c.User.UpdateOne(u).SetActive(false).SetDeactivatedAt(s.now()).Exec(ctx); err != nil {
			return err
		}
		sys := system(ctx)
		if _, err := c.Session.Delete().Where(session.UserID(id)).Exec(sys); err != nil {
			return err
		}
		if _, err := c.APIToken.Update().Where(apitoken.UserID(id), apitoken.RevokedAtIsNil()).SetRevokedAt(s.now()).Save(sys); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "user.deactivate", EntityType: "user", EntityID: id,
			Before: map[string]any{"active": true}, After: map[string]any{"active": false, "moved_contacts": res.Moved, "batch": batch}})
	})
	if err != nil {
		return DeactivateResult{}, err
	}
	res.User, err = s.User(ctx, id)
	return res, err
}

// ReasonSelfDeactivate is the field reason refusing an admin's
// deactivation of their own account.
const ReasonSelfDeactivate = "is your own account: another admin must deactivate it"

// Reactivate lets a deactivated user log in again. Their contacts stay
// with the heirs they went to (hand them back with a transfer), and
// their old sessions and tokens stay dead: they log in afresh.
func (s *Service) Reactivate(ctx context.Context, id int) (User, error) {
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		u, err := c.User.Get(ctx, id)
		if err != nil {
			return err
		}
		if u.Active {
			return partners.Errorf(partners.EConflict, "the user is already active")
		}
		if err := c.User.UpdateOne(u).SetActive(true).ClearDeactivatedAt().Exec(ctx); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "user.reactivate", EntityType: "user", EntityID: id,
			Before: map[string]any{"active": false}, After: map[string]any{"active": true}})
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, id)
}

func toUser(u *ent.User) User {
	return User{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Locale: u.Locale, TimeZone: u.TimeZone, Active: u.Active,
		PartnerID: u.PartnerID, ContactID: u.ContactID, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt, DeactivatedAt: u.DeactivatedAt,
		WecomUserID: u.WecomUserid, Mobile: u.Mobile}
}

// CreateInvitation invites a contact (who must have an e-mail) to log in.
func (s *Service) CreateInvitation(ctx context.Context, in InvitationInput) (NewInvitation, error) {
	if err := partners.Validate(in); err != nil {
		return NewInvitation{}, err
	}
	v, _ := viewer.FromContext(ctx)
	token := randomToken(32)
	var inv *ent.Invitation
	var mailed bool
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		ct, err := c.Contact.Get(ctx, in.ContactID)
		if err != nil {
			return partners.Ref("contact_id", "no such contact", err)
		}
		if ct.Email == "" {
			return partners.Invalid("contact_id", "the contact has no e-mail address to log in with")
		}
		// Write first: privacy decides who may invite before anything
		// about existing accounts is revealed; a conflict rolls it back.
		inv, err = c.Invitation.Create().SetContactID(ct.ID).SetPartnerID(ct.PartnerID).SetEmail(ct.Email).
			SetTokenHash(hashToken(token)).SetInvitedByID(v.UserID).SetCreatedAt(s.now()).
			SetExpiresAt(s.now().Add(s.InvitationTTL)).Save(ctx)
		if err != nil {
			return err
		}
		// A contact who already logs in (even under a changed e-mail)
		// gets no second account.
		if n, err := c.User.Query().Where(user.Or(user.Email(ct.Email), user.ContactID(ct.ID))).Count(system(ctx)); err != nil {
			return err
		} else if n > 0 {
			return partners.Errorf(partners.EConflict, "the contact can already log in")
		}
		if mailed, err = s.mailInvitation(ctx, c, inv, ct); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "invitation.create", EntityType: "invitation",
			EntityID: inv.ID, PartnerID: &ct.PartnerID, After: map[string]any{"contact_id": ct.ID, "email": ct.Email}})
	})
	if err != nil {
		return NewInvitation{}, err
	}
	if mailed {
		// The mailed link is minted at send; this token never works.
		s.Mail.Wake()
		return NewInvitation{Invitation: toInvitation(inv), Mailed: true}, nil
	}
	return NewInvitation{Invitation: toInvitation(inv), Token: token}, nil
}

// ListInvitations lists invitations newest first, a page at a time.
func (s *Service) ListInvitations(ctx context.Context, f InvitationFilter) (InvitationPage, error) {
	if err := partners.Validate(f); err != nil {
		return InvitationPage{}, err
	}
	q := s.client.Invitation.Query()
	if f.PartnerID != 0 {
		q.Where(invitation.PartnerID(f.PartnerID))
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return InvitationPage{}, err
	}
	if before != 0 {
		q.Where(invitation.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Desc(invitation.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return InvitationPage{}, err
	}
	var page InvitationPage
	rows, page.NextCursor = partners.Trim(rows, limit, func(r *ent.Invitation) int { return r.ID })
	page.Items = make([]Invitation, 0, len(rows))
	for _, r := range rows {
		page.Items = append(page.Items, toInvitation(r))
	}
	return page, nil
}

// PendingInvitation returns the invitation a token opens, if it still
// works, for the accept page.
func (s *Service) PendingInvitation(ctx context.Context, token string) (Invitation, error) {
	inv, err := s.client.Invitation.Query().Where(invitation.TokenHash(hashToken(token))).Only(system(ctx))
	if err != nil || inv.UsedAt != nil || s.now().After(inv.ExpiresAt) {
		return Invitation{}, partners.Errorf(partners.ENotFound, "this invitation link is invalid, used or expired")
	}
	return toInvitation(inv), nil
}

// AcceptInvitation creates the partner user an invitation allows; the
// token works once.
func (s *Service) AcceptInvitation(ctx context.Context, token string, in AcceptInput) (User, error) {
	if err := partners.Validate(in); err != nil {
		return User{}, err
	}
	sys := system(ctx)
	var id int
	err := partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		inv, err := c.Invitation.Query().Where(invitation.TokenHash(hashToken(token))).Only(sys)
		if err != nil || inv.UsedAt != nil || s.now().After(inv.ExpiresAt) {
			return partners.Errorf(partners.ENotFound, "this invitation link is invalid, used or expired")
		}
		if n, err := c.User.Query().Where(user.Email(inv.Email)).Count(sys); err != nil {
			return err
		} else if n > 0 {
			return partners.Errorf(partners.EConflict, "an account with this e-mail already exists")
		}
		u, err := c.User.Create().SetEmail(inv.Email).SetName(in.Name).SetRole(user.RolePartner).
			SetPartnerID(inv.PartnerID).SetContactID(inv.ContactID).SetPasswordHash(HashPassword(in.Password, s.Params)).Save(sys)
		if err != nil {
			return err
		}
		// The used_at IS NULL guard makes the token single-use even when
		// two accepts race.
		n, err := c.Invitation.Update().Where(invitation.ID(inv.ID), invitation.UsedAtIsNil()).
			SetUsedAt(s.now()).SetUserID(u.ID).Save(sys)
		if err != nil {
			return err
		}
		if n != 1 {
			return partners.Errorf(partners.ENotFound, "this invitation link is invalid, used or expired")
		}
		id = u.ID
		pid := inv.PartnerID
		return partners.Audit(sys, c, partners.AuditRecord{Action: "invitation.accept", EntityType: "user", EntityID: u.ID,
			PartnerID: &pid, After: map[string]any{"email": u.Email, "contact_id": inv.ContactID}})
	})
	if err != nil {
		return User{}, err
	}
	return s.User(sys, id)
}

func toInvitation(r *ent.Invitation) Invitation {
	return Invitation{ID: r.ID, ContactID: r.ContactID, PartnerID: r.PartnerID, Email: r.Email, CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt, UsedAt: r.UsedAt, UserID: r.UserID}
}
