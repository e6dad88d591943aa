package accounts

import (
	"context"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/passwordreset"
	"github.com/tierlink/tierlink/ent/session"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
)

// ResetTTL is how long a password reset link works once it is sent.
const ResetTTL = 30 * time.Minute

// ResetLimits bound password-reset requests per address asked for and
// per client; every request counts, whether or not the address exists.
type ResetLimits struct {
	PerAddress, PerClient FailureLimit
}

// DefaultResetLimits allow 5 requests per address and 30 per client an
// hour.
var DefaultResetLimits = ResetLimits{
	PerAddress: FailureLimit{Max: 5, Window: time.Hour, Lock: time.Hour},
	PerClient:  FailureLimit{Max: 30, Window: time.Hour, Lock: time.Hour},
}

// ForgotInput asks for a password reset link.
type ForgotInput struct {
	Email string `json:"email" form:"email" validate:"required,email,max=254"`
}

// ResetInput sets a new password with a reset link's token.
type ResetInput struct {
	Token    string `json:"token" form:"token" validate:"required,max=100"`
	Password string `json:"password" form:"password" validate:"required,min=12,max=256"`
}

// ResetLink is a reset link an admin hands over by hand; shown once.
type ResetLink struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RequestReset asks for a reset link for in.Email, from client (an IP
// address). It answers the same whether or not the address belongs to
// an active user, and does the same work: one password_resets row and
// one outbox row in every case; the mail's issuer skips a row with no
// user, so nothing is ever sent to an unknown address. Over the limits
// it is ERateLimited, again the same for every address.
func (s *Service) RequestReset(ctx context.Context, in ForgotInput, client, lang string) error {
	if err := partners.Validate(in); err != nil {
		return err
	}
	sys := system(ctx)
	email := strings.ToLower(strings.TrimSpace(in.Email))
	keys := []throttleKey{{"reset-acct:" + email, s.Reset.PerAddress.Max}, {"reset-addr:" + client, s.Reset.PerClient.Max}}
	if locked, err := s.locked(sys, keys); err != nil {
		return err
	} else if locked {
		return partners.Errorf(partners.ERateLimited, "too many reset requests; try again later")
	}
	if err := s.countFailures(sys, keys[:1], s.Reset.PerAddress.Window, s.Reset.PerAddress.Lock); err != nil {
		return err
	}
	if err := s.countFailures(sys, keys[1:], s.Reset.PerClient.Window, s.Reset.PerClient.Lock); err != nil {
		return err
	}
	if !s.Mailing() {
		// Nothing can be sent: the page tells the reader to ask an
		// administrator, whatever the address.
		return nil
	}
	err := partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		u, err := c.User.Query().Where(user.Email(email), user.Active(true)).Only(sys)
		if err != nil && !ent.IsNotFound(err) {
			return err
		}
		to := mail.Recipient{Addr: email, Lang: lang}
		now := s.now()
		q := c.PasswordReset.Create().SetEmail(email).SetClient(trunc(client, 64)).SetCreatedAt(now).SetExpiresAt(now.Add(ResetTTL))
		if u != nil {
			q.SetUserID(u.ID)
			to = mail.Recipient{Addr: u.Email, Name: u.Name, Lang: u.Locale, UserID: u.ID}
			if to.Lang == "" {
				to.Lang = lang
			}
		}
		r, err := q.Save(sys)
		if err != nil {
			return err
		}
		_, err = s.Mail.Enqueue(sys, c, mail.Message{Kind: mailoutbox.KindPasswordReset, Security: true, To: to,
			Content: mail.Content{
				Subject: i18n.M("account_mail.reset_subject"),
				Title:   i18n.M("account_mail.reset_title"),
				Paras:   []i18n.Message{i18n.M("account_mail.reset_body"), i18n.M("account_mail.reset_expiry").With("Minutes", int(ResetTTL.Minutes()))},
				Buttons: []mail.Button{{Label: i18n.M("account_mail.reset_button"), URL: mail.LinkPlaceholder}},
				Footer:  []i18n.Message{i18n.M("account_mail.reset_not_you")},
			},
			Secret: mail.SecretRef{Kind: SecretReset, ID: r.ID}})
		return err
	})
	if err != nil {
		return err
	}
	s.Mail.Wake()
	return nil
}

// issueReset mints a reset's token as its mail is sent: only its hash is
// stored, and the link works for ResetTTL from now. A request for an
// address nobody has (or used meanwhile) is skipped.
func (s *Service) issueReset(ctx context.Context, c *ent.Client, ref int) (string, error) {
	sys := system(ctx)
	r, err := c.PasswordReset.Get(sys, ref)
	if ent.IsNotFound(err) {
		return "", mail.ErrSkip
	} else if err != nil {
		return "", err
	}
	if r.UserID == nil || r.UsedAt != nil {
		return "", mail.ErrSkip
	}
	token := randomToken(32)
	if err := c.PasswordReset.UpdateOneID(r.ID).SetTokenHash(hashToken(token)).SetExpiresAt(s.now().Add(ResetTTL)).Exec(sys); err != nil {
		return "", err
	}
	return s.base + "/password/reset/" + token, nil
}

// ResetLinkFor makes a reset link for user id that an admin hands over
// by hand (when no mail can be sent): it works once, for ResetTTL, and
// only its hash is stored.
func (s *Service) ResetLinkFor(ctx context.Context, id int) (ResetLink, error) {
	v, _ := viewer.FromContext(ctx)
	if !v.IsAdmin() {
		return ResetLink{}, partners.Errorf(partners.EForbidden, "only admins may make reset links")
	}
	sys := system(ctx)
	token := randomToken(32)
	now := s.now()
	err := partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		u, err := c.User.Get(sys, id)
		if err != nil {
			return err
		}
		if !u.Active {
			return partners.Fail(partners.EConflict, i18n.M("account_mail.problem_reset_inactive"))
		}
		if err := c.PasswordReset.Create().SetUserID(u.ID).SetEmail(u.Email).SetClient(trunc("admin:"+itoa(v.UserID), 64)).
			SetTokenHash(hashToken(token)).SetCreatedAt(now).SetExpiresAt(now.Add(ResetTTL)).Exec(sys); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "user.reset_link", EntityType: "user", EntityID: u.ID,
			PartnerID: u.PartnerID})
	})
	if err != nil {
		return ResetLink{}, err
	}
	return ResetLink{Token: token, ExpiresAt: now.Add(ResetTTL)}, nil
}

// PendingReset reports whether a reset token still works, for the page
// that asks for the new password.
func (s *Service) PendingReset(ctx context.Context, token string) error {
	if token == "" || len(token) > 100 {
		return errResetLink()
	}
	r, err := s.client.PasswordReset.Query().Where(passwordreset.TokenHash(hashToken(token))).Only(system(ctx))
	if err != nil || r.UsedAt != nil || r.UserID == nil || !s.now().Before(r.ExpiresAt) {
		return errResetLink()
	}
	return nil
}

func errResetLink() error {
	return partners.Fail(partners.ENotFound, i18n.M("account_mail.problem_reset_link"))
}

// ResetPassword sets a new password with a reset token. In one
// transaction it uses the token up (once, before it expires), sets the
// password, ends every session of the user and marks the user's other
// reset requests used.
func (s *Service) ResetPassword(ctx context.Context, in ResetInput) error {
	if err := partners.Validate(in); err != nil {
		return err
	}
	sys := system(ctx)
	hash := HashPassword(in.Password, s.Params)
	return partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		now := s.now()
		r, err := c.PasswordReset.Query().Where(passwordreset.TokenHash(hashToken(in.Token))).Only(sys)
		if ent.IsNotFound(err) {
			return errResetLink()
		} else if err != nil {
			return err
		}
		if r.UserID == nil {
			return errResetLink()
		}
		// The guard makes the token single-use even when two resets race.
		n, err := c.PasswordReset.Update().Where(passwordreset.ID(r.ID), passwordreset.UsedAtIsNil(), passwordreset.ExpiresAtGT(now)).
			SetUsedAt(now).Save(sys)
		if err != nil {
			return err
		}
		if n != 1 {
			return errResetLink()
		}
		u, err := c.User.Get(sys, *r.UserID)
		if err != nil {
			return err
		}
		if !u.Active || u.Email != r.Email {
			// Deactivated, or the address changed since the request.
			return errResetLink()
		}
		if err := c.User.UpdateOne(u).SetPasswordHash(hash).Exec(sys); err != nil {
			return err
		}
		if _, err := c.Session.Delete().Where(session.UserID(u.ID)).Exec(sys); err != nil {
			return err
		}
		if _, err := c.PasswordReset.Update().Where(passwordreset.UserID(u.ID), passwordreset.UsedAtIsNil()).SetUsedAt(now).Save(sys); err != nil {
			return err
		}
		return partners.Audit(sys, c, partners.AuditRecord{Action: "user.password_reset", EntityType: "user", EntityID: u.ID,
			PartnerID: u.PartnerID})
	})
}
