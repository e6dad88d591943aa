package accounts

import (
	"context"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
)

// createSession stores a new session of u through c (a transaction's
// client) and returns its token and CSRF token. The session id is always
// freshly generated here, never taken from the client.
func (s *Service) createSession(ctx context.Context, c *ent.Client, u *ent.User, now time.Time, ip, userAgent string) (token, csrf string, err error) {
	token, csrf = randomToken(32), randomToken(24)
	if err := c.Session.Create().SetTokenHash(hashToken(token)).SetUserID(u.ID).SetCsrfToken(csrf).
		SetCreatedAt(now).SetLastSeenAt(now).SetExpiresAt(now.Add(s.SessionTTL)).SetIP(trunc(ip, 64)).
		SetUserAgent(trunc(userAgent, 300)).Exec(ctx); err != nil {
		return "", "", err
	}
	return token, csrf, c.User.UpdateOne(u).SetLastLoginAt(now).Exec(ctx)
}

// SignInWeCom opens a session for a staff user WeCom vouched for (the
// workbench sign-in, partners/wecom): no password, the same session as
// Login's, and an audit entry saying how the user signed in. Only an
// active staff user may sign in this way.
func (s *Service) SignInWeCom(ctx context.Context, userID int, ip, userAgent string) (token string, sess Session, err error) {
	sys := system(ctx)
	u, err := s.client.User.Get(sys, userID)
	if ent.IsNotFound(err) || (err == nil && !u.Active) {
		return "", Session{}, partners.Errorf(partners.EUnauthenticated, "no active user to sign in")
	}
	if err != nil {
		return "", Session{}, err
	}
	if u.PartnerID != nil || !viewer.Role(u.Role).Staff() {
		return "", Session{}, partners.Errorf(partners.EForbidden, "only staff sign in through WeCom")
	}
	var csrf string
	now := s.now()
	// The entry names the user as the actor: they signed themselves in.
	v := toViewer(u)
	if sv, ok := viewer.FromContext(ctx); ok {
		v.RequestID = sv.RequestID
	}
	as := viewer.NewContext(ctx, v)
	err = partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		var err error
		if token, csrf, err = s.createSession(sys, c, u, now, ip, userAgent); err != nil {
			return err
		}
		return partners.Audit(as, c, partners.AuditRecord{Action: "user.wecom_signin", EntityType: "user", EntityID: u.ID,
			After: map[string]any{"via": "wecom"}})
	})
	if err != nil {
		return "", Session{}, err
	}
	zone, err := s.readerZone(sys, u)
	if err != nil {
		return "", Session{}, err
	}
	return token, Session{Viewer: toViewer(u), CSRF: csrf, Locale: u.Locale, Name: u.Name, TimeZone: zone, ExpiresAt: now.Add(s.SessionTTL)}, nil
}
