package accounts

import (
	"context"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/emailchange"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
)

// EmailChangeTTL is how long the confirmation link of a new e-mail
// address works once it is sent.
const EmailChangeTTL = 24 * time.Hour

// EmailChangeInput asks to change the caller's e-mail address.
type EmailChangeInput struct {
	Email string `json:"email" form:"email" validate:"required,email,max=254"`
}

// EmailConfirmInput confirms a new e-mail address with the token mailed
// to it.
type EmailConfirmInput struct {
	Token string `json:"token" form:"token" validate:"required,max=100"`
}

// RequestEmailChange asks to change the caller's e-mail address: the
// address changes only when the link mailed to the new address is
// opened, and the old address is told. Whether the new address is taken
// is judged at confirmation, so the request tells nobody which addresses
// have accounts. It needs mail.
func (s *Service) RequestEmailChange(ctx context.Context, in EmailChangeInput) error {
	if err := partners.Validate(in); err != nil {
		return err
	}
	v, _ := viewer.FromContext(ctx)
	if v.UserID == 0 {
		return partners.Errorf(partners.EUnauthenticated, "log in first")
	}
	if !s.Mailing() {
		return partners.Fail(partners.EConflict, i18n.M("account_mail.problem_no_mail"))
	}
	sys := system(ctx)
	email := strings.ToLower(strings.TrimSpace(in.Email))
	err := partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		u, err := c.User.Get(sys, v.UserID)
		if err != nil {
			return err
		}
		if email == u.Email {
			return partners.InvalidBecause("email", partners.R("email_unchanged"))
		}
		now := s.now()
		// A newer request replaces any still waiting.
		if _, err := c.EmailChange.Update().Where(emailchange.UserID(u.ID), emailchange.UsedAtIsNil()).SetUsedAt(now).Save(sys); err != nil {
			return err
		}
		r, err := c.EmailChange.Create().SetUserID(u.ID).SetNewEmail(email).SetCreatedAt(now).SetExpiresAt(now.Add(EmailChangeTTL)).Save(sys)
		if err != nil {
			return err
		}
		if _, err := s.Mail.Enqueue(sys, c, mail.Message{Kind: mailoutbox.KindEmailChange, Security: true,
			To: mail.Recipient{Addr: email, Name: u.Name, Lang: u.Locale},
			Content: mail.Content{
				Subject: i18n.M("account_mail.confirm_subject"),
				Title:   i18n.M("account_mail.confirm_title"),
				Paras:   []i18n.Message{i18n.M("account_mail.confirm_body").With("Email", email), i18n.M("account_mail.confirm_expiry").With("Hours", int(EmailChangeTTL.Hours()))},
				Buttons: []mail.Button{{Label: i18n.M("account_mail.confirm_button"), URL: mail.LinkPlaceholder}},
				Footer:  []i18n.Message{i18n.M("account_mail.not_you")},
			},
			Secret: mail.SecretRef{Kind: SecretEmailChange, ID: r.ID}}); err != nil {
			return err
		}
		if _, err := s.Mail.Enqueue(sys, c, mail.Message{Kind: mailoutbox.KindEmailChangeNotice, Security: true,
			To: mail.Recipient{Addr: u.Email, Name: u.Name, Lang: u.Locale, UserID: u.ID},
			Content: mail.Content{
				Subject: i18n.M("account_mail.notice_subject"),
				Title:   i18n.M("account_mail.notice_title"),
				Paras:   []i18n.Message{i18n.M("account_mail.notice_body").With("Email", email)},
				Footer:  []i18n.Message{i18n.M("account_mail.notice_not_you")},
			}}); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "user.email_change_request", EntityType: "user", EntityID: u.ID,
			PartnerID: u.PartnerID, After: map[string]any{"new_email": email}})
	})
	if err != nil {
		return err
	}
	s.Mail.Wake()
	return nil
}

// issueEmailChange mints the confirmation token as its mail is sent.
func (s *Service) issueEmailChange(ctx context.Context, c *ent.Client, ref int) (string, error) {
	sys := system(ctx)
	r, err := c.EmailChange.Get(sys, ref)
	if ent.IsNotFound(err) {
		return "", mail.ErrSkip
	} else if err != nil {
		return "", err
	}
	if r.UsedAt != nil {
		return "", mail.ErrSkip
	}
	token := randomToken(32)
	if err := c.EmailChange.UpdateOneID(r.ID).SetTokenHash(hashToken(token)).SetExpiresAt(s.now().Add(EmailChangeTTL)).Exec(sys); err != nil {
		return "", err
	}
	return s.base + "/email/confirm/" + token, nil
}

// PendingEmailChange returns the new address a confirmation token would
// set, while the token still works.
func (s *Service) PendingEmailChange(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 100 {
		return "", errConfirmLink()
	}
	r, err := s.client.EmailChange.Query().Where(emailchange.TokenHash(hashToken(token))).Only(system(ctx))
	if err != nil || r.UsedAt != nil || !s.now().Before(r.ExpiresAt) {
		return "", errConfirmLink()
	}
	return r.NewEmail, nil
}

func errConfirmLink() error {
	return partners.Fail(partners.ENotFound, i18n.M("account_mail.problem_confirm_link"))
}

// ConfirmEmailChange sets the new address of a confirmation token, once,
// before it expires; an address another account took meanwhile is
// refused. The bounce mark of the old address goes with it.
func (s *Service) ConfirmEmailChange(ctx context.Context, in EmailConfirmInput) (User, error) {
	if err := partners.Validate(in); err != nil {
		return User{}, err
	}
	sys := system(ctx)
	var id int
	err := partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		now := s.now()
		r, err := c.EmailChange.Query().Where(emailchange.TokenHash(hashToken(in.Token))).Only(sys)
		if ent.IsNotFound(err) {
			return errConfirmLink()
		} else if err != nil {
			return err
		}
		n, err := c.EmailChange.Update().Where(emailchange.ID(r.ID), emailchange.UsedAtIsNil(), emailchange.ExpiresAtGT(now)).
			SetUsedAt(now).Save(sys)
		if err != nil {
			return err
		}
		if n != 1 {
			return errConfirmLink()
		}
		if taken, err := c.User.Query().Where(user.Email(r.NewEmail), user.IDNEQ(r.UserID)).Exist(sys); err != nil {
			return err
		} else if taken {
			return partners.Fail(partners.EConflict, i18n.M("account_mail.problem_email_taken"))
		}
		u, err := c.User.Get(sys, r.UserID)
		if err != nil {
			return err
		}
		if !u.Active {
			return errConfirmLink()
		}
		if err := c.User.UpdateOne(u).SetEmail(r.NewEmail).ClearEmailBouncingAt().SetEmailBounceReason("").Exec(sys); err != nil {
			return err
		}
		id = u.ID
		return partners.Audit(sys, c, partners.AuditRecord{Action: "user.email_change", EntityType: "user", EntityID: u.ID,
			PartnerID: u.PartnerID, Before: map[string]any{"email": u.Email}, After: map[string]any{"email": r.NewEmail}})
	})
	if err != nil {
		return User{}, err
	}
	return s.User(sys, id)
}
