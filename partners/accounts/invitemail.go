package accounts

import (
	"context"
	"strings"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/invitation"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
)

// Secret kinds of the account mail, registered by UseMail.
const (
	SecretInvitation  = "invitation"
	SecretReset       = "reset"
	SecretEmailChange = "email_change"
)

// UseMail sends account mail through out and registers the issuers that
// mint the links of invitations, resets and e-mail changes when their
// mail is sent. base is the portal's public URL, which links start with.
// Without it (or with out not configured) links are shown to copy.
func (s *Service) UseMail(out *mail.Outbox, base string) {
	s.Mail = out
	s.base = strings.TrimRight(base, "/")
	if out == nil {
		return
	}
	out.Register(SecretInvitation, s.issueInvitation)
	out.Register(SecretReset, s.issueReset)
	out.Register(SecretEmailChange, s.issueEmailChange)
}

// Mailing reports whether account links go out by mail rather than
// being shown to copy.
func (s *Service) Mailing() bool { return s.Mail.Configured() }

// mailInvitation queues the invitation mail of inv in the caller's
// transaction when mail is configured; false means the link is shown.
func (s *Service) mailInvitation(ctx context.Context, c *ent.Client, inv *ent.Invitation, ct *ent.Contact) (bool, error) {
	if !s.Mailing() {
		return false, nil
	}
	inviter := ""
	if v, _ := viewer.FromContext(ctx); v.UserID != 0 {
		if u, err := c.User.Get(system(ctx), v.UserID); err == nil {
			inviter = u.Name
		}
	}
	p, err := c.Partner.Get(system(ctx), ct.PartnerID)
	if err != nil {
		return false, err
	}
	_, err = s.Mail.Enqueue(ctx, c, mail.Message{
		Kind: mailoutbox.KindInvitation, Security: true,
		To: mail.Recipient{Addr: ct.Email, Name: ct.Name, Lang: ct.Language, ContactID: ct.ID},
		Content: mail.Content{
			Subject: i18n.M("account_mail.invite_subject").With("Partner", p.Name),
			Title:   i18n.M("account_mail.invite_title"),
			Paras: []i18n.Message{
				i18n.M("account_mail.invite_body").With("Inviter", inviter).With("Partner", p.Name),
				i18n.M("account_mail.invite_expiry").With("Days", int(s.InvitationTTL.Hours()/24)),
			},
			Buttons: []mail.Button{{Label: i18n.M("account_mail.invite_button"), URL: mail.LinkPlaceholder}},
			Footer:  []i18n.Message{i18n.M("account_mail.not_you")},
		},
		Secret: mail.SecretRef{Kind: SecretInvitation, ID: inv.ID},
	})
	return err == nil, err
}

// issueInvitation mints the invitation's link as its mail is sent: a new
// token whose hash replaces the one stored, so only the latest mail's
// link works. A used or expired invitation is not sent.
func (s *Service) issueInvitation(ctx context.Context, c *ent.Client, ref int) (string, error) {
	sys := system(ctx)
	inv, err := c.Invitation.Get(sys, ref)
	if ent.IsNotFound(err) {
		return "", mail.ErrSkip
	} else if err != nil {
		return "", err
	}
	now := s.now()
	if inv.UsedAt != nil || now.After(inv.ExpiresAt) {
		return "", mail.ErrSkip
	}
	token := randomToken(32)
	if err := c.Invitation.UpdateOneID(inv.ID).SetTokenHash(hashToken(token)).SetMailedAt(now).Exec(sys); err != nil {
		return "", err
	}
	return s.base + "/invite/" + token, nil
}

// ResendInvitation gives an unused invitation a new expiry and sends it
// again; without mail it returns a new link to copy instead (the old one
// stops working).
func (s *Service) ResendInvitation(ctx context.Context, id int) (NewInvitation, error) {
	v, _ := viewer.FromContext(ctx)
	if !v.CanEdit() {
		return NewInvitation{}, partners.Errorf(partners.EForbidden, "only buyers and admins may invite")
	}
	token := randomToken(32)
	var inv *ent.Invitation
	var mailed bool
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		var err error
		inv, err = c.Invitation.Get(ctx, id)
		if err != nil {
			return err
		}
		if inv.UsedAt != nil {
			return partners.Fail(partners.EConflict, i18n.M("account_mail.problem_invitation_used"))
		}
		ct, err := c.Contact.Query().Where(contact.ID(inv.ContactID)).Only(ctx)
		if err != nil {
			return err
		}
		if ct.Email != inv.Email {
			// The contact's address changed since: invite it afresh.
			return partners.Fail(partners.EConflict, i18n.M("account_mail.problem_invitation_email_changed"))
		}
		n, err := c.Invitation.Update().Where(invitation.ID(inv.ID), invitation.UsedAtIsNil()).
			SetExpiresAt(s.now().Add(s.InvitationTTL)).SetTokenHash(hashToken(token)).Save(system(ctx))
		if err != nil {
			return err
		}
		if n != 1 {
			return partners.Fail(partners.EConflict, i18n.M("account_mail.problem_invitation_used"))
		}
		if inv, err = c.Invitation.Get(system(ctx), inv.ID); err != nil {
			return err
		}
		if mailed, err = s.mailInvitation(ctx, c, inv, ct); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "invitation.resend", EntityType: "invitation",
			EntityID: inv.ID, PartnerID: &inv.PartnerID, After: map[string]any{"contact_id": ct.ID, "mailed": mailed}})
	})
	if err != nil {
		return NewInvitation{}, err
	}
	if mailed {
		s.Mail.Wake()
		return NewInvitation{Invitation: toInvitation(inv), Mailed: true}, nil
	}
	return NewInvitation{Invitation: toInvitation(inv), Token: token}, nil
}

// IssueLink mints the link of a secret of kind for row ref in its own
// transaction, as the outbox's dispatcher does when it sends the mail
// (tests and tools use it to stand in for the dispatcher).
func (s *Service) IssueLink(ctx context.Context, kind string, ref int) (string, error) {
	issue := map[string]mail.SecretIssuer{SecretInvitation: s.issueInvitation, SecretReset: s.issueReset,
		SecretEmailChange: s.issueEmailChange}[kind]
	if issue == nil {
		return "", partners.Errorf(partners.ENotFound, "no such secret kind")
	}
	var link string
	err := partners.WithTx(system(ctx), s.client, func(tx *ent.Tx) error {
		var err error
		link, err = issue(ctx, tx.Client(), ref)
		return err
	})
	return link, err
}
