package accounts

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/apitoken"
	"github.com/tierlink/tierlink/ent/loginthrottle"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/session"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
)

// ThrottleLimits bound failed logins per account and per client address
// within a window; past a limit the key is locked for the lock time.
type ThrottleLimits struct {
	PerAccount int
	PerAddress int
	Window     time.Duration
	Lock       time.Duration
}

// DefaultThrottle allows 5 failures per account and 30 per address in 15
// minutes.
var DefaultThrottle = ThrottleLimits{PerAccount: 5, PerAddress: 30, Window: 15 * time.Minute, Lock: 15 * time.Minute}

// Session is an authenticated browser session.
type Session struct {
	Viewer viewer.Viewer
	CSRF   string
	Locale string
	Name   string
	// TimeZone is the zone the user reads times in: their own setting,
	// else their partner's; empty means the company's.
	TimeZone  string
	ExpiresAt time.Time
}

// Login checks a password and opens a new session. The session id is
// always freshly generated here, never taken from the client.
func (s *Service) Login(ctx context.Context, in LoginInput, ip, userAgent string) (token string, sess Session, err error) {
	if err := partners.Validate(in); err != nil {
		return "", Session{}, err
	}
	sys := system(ctx)
	email := strings.ToLower(strings.TrimSpace(in.Email))
	keys := []throttleKey{{"acct:" + email, s.Throttle.PerAccount}, {"addr:" + ip, s.Throttle.PerAddress}}
	if locked, err := s.locked(sys, keys); err != nil {
		return "", Session{}, err
	} else if locked {
		return "", Session{}, partners.Errorf(partners.ERateLimited, "too many failed logins; try again later")
	}
	u, err := s.client.User.Query().Where(user.Email(email)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return "", Session{}, err
	}
	hash := s.dummy()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	// Always hash, so a missing account takes as long as a wrong password.
	ok, _ := CheckPassword(in.Password, hash)
	if !ok || u == nil || !u.Active || u.PasswordHash == "" {
		if err := s.fail(sys, keys); err != nil {
			return "", Session{}, err
		}
		return "", Session{}, partners.Errorf(partners.EUnauthenticated, "wrong e-mail or password")
	}
	var csrf string
	now := s.now()
	err = partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		if _, err := c.LoginThrottle.Delete().Where(loginthrottle.Key(keys[0].key)).Exec(sys); err != nil {
			return err
		}
		var serr error
		token, csrf, serr = s.createSession(sys, c, u, now, ip, userAgent)
		return serr
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

// Authenticate resolves a session cookie value, sliding its expiry.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	sys := system(ctx)
	if token == "" || len(token) > 200 {
		return Session{}, partners.Errorf(partners.EUnauthenticated, "not logged in")
	}
	row, err := s.client.Session.Query().Where(session.TokenHash(hashToken(token))).Only(sys)
	if ent.IsNotFound(err) {
		return Session{}, partners.Errorf(partners.EUnauthenticated, "not logged in")
	} else if err != nil {
		return Session{}, err
	}
	now := s.now()
	if now.After(row.ExpiresAt) {
		return Session{}, partners.Errorf(partners.EUnauthenticated, "session expired; log in again")
	}
	u, err := s.client.User.Get(sys, row.UserID)
	if err != nil || !u.Active {
		return Session{}, partners.Errorf(partners.EUnauthenticated, "not logged in")
	}
	exp := row.ExpiresAt
	// Extend at most once a minute, so reads do not each become a write.
	if now.Sub(row.LastSeenAt) > time.Minute {
		exp = now.Add(s.SessionTTL)
		if err := s.client.Session.UpdateOne(row).SetLastSeenAt(now).SetExpiresAt(exp).Exec(sys); err != nil {
			return Session{}, err
		}
	}
	zone, err := s.readerZone(sys, u)
	if err != nil {
		return Session{}, err
	}
	return Session{Viewer: toViewer(u), CSRF: row.CsrfToken, Locale: u.Locale, Name: u.Name, TimeZone: zone, ExpiresAt: exp}, nil
}

// readerZone is the zone u reads times in: their own setting, else for a
// partner user their partner's zone; empty leaves it to the company's.
func (s *Service) readerZone(ctx context.Context, u *ent.User) (string, error) {
	if u.TimeZone != "" || u.PartnerID == nil {
		return u.TimeZone, nil
	}
	p, err := s.client.Partner.Query().Where(partner.ID(*u.PartnerID)).Select(partner.FieldTimeZone).Only(ctx)
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return p.TimeZone, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.client.Session.Delete().Where(session.TokenHash(hashToken(token))).Exec(system(ctx))
	return err
}

// PurgeSessions deletes expired sessions and stale throttle rows.
func (s *Service) PurgeSessions(ctx context.Context) (int, error) {
	sys := system(ctx)
	n, err := s.client.Session.Delete().Where(session.ExpiresAtLT(s.now())).Exec(sys)
	if err != nil {
		return n, err
	}
	_, err = s.client.LoginThrottle.Delete().Where(loginthrottle.WindowStartLT(s.now().Add(-24 * time.Hour))).Exec(sys)
	return n, err
}

// CreateToken makes an API token for the caller (or, for the CLI, the
// user in ctx's viewer).
func (s *Service) CreateToken(ctx context.Context, in TokenInput) (NewToken, error) {
	if err := partners.Validate(in); err != nil {
		return NewToken{}, err
	}
	v, _ := viewer.FromContext(ctx)
	if v.UserID == 0 {
		return NewToken{}, partners.Errorf(partners.EUnauthenticated, "log in first")
	}
	prefix := randomToken(6)[:8]
	secret := "tl_" + prefix + "_" + randomToken(32)
	var t *ent.APIToken
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		t, err = tx.APIToken.Create().SetName(in.Name).SetPrefix(prefix).SetTokenHash(hashToken(secret)).
			SetUserID(v.UserID).SetCreatedAt(s.now()).Save(ctx)
		if err != nil {
			return err
		}
		return partners.Audit(ctx, tx.Client(), partners.AuditRecord{Action: "token.create", EntityType: "token", EntityID: t.ID,
			After: map[string]any{"name": t.Name, "prefix": prefix, "user_id": v.UserID}})
	})
	if err != nil {
		return NewToken{}, err
	}
	return NewToken{Token: toToken(t), Secret: secret}, nil
}

// ListTokens lists the caller's tokens (an admin's: everyone's), newest
// first, a page at a time.
func (s *Service) ListTokens(ctx context.Context, f TokenFilter) (TokenPage, error) {
	if err := partners.Validate(f); err != nil {
		return TokenPage{}, err
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return TokenPage{}, err
	}
	q := s.client.APIToken.Query()
	if before != 0 {
		q.Where(apitoken.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Desc(apitoken.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return TokenPage{}, err
	}
	var page TokenPage
	rows, page.NextCursor = partners.Trim(rows, limit, func(t *ent.APIToken) int { return t.ID })
	page.Items = make([]Token, 0, len(rows))
	for _, r := range rows {
		page.Items = append(page.Items, toToken(r))
	}
	return page, nil
}

// RevokeToken revokes a token; revoking twice is harmless.
func (s *Service) RevokeToken(ctx context.Context, id int) (Token, error) {
	var t *ent.APIToken
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		t, err = tx.APIToken.Get(ctx, id)
		if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		if t, err = tx.APIToken.UpdateOne(t).SetRevokedAt(s.now()).Save(ctx); err != nil {
			return err
		}
		return partners.Audit(ctx, tx.Client(), partners.AuditRecord{Action: "token.revoke", EntityType: "token", EntityID: id})
	})
	if err != nil {
		return Token{}, err
	}
	return toToken(t), nil
}

// AuthenticateToken resolves a bearer token to its user's viewer.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (viewer.Viewer, error) {
	sys := system(ctx)
	if !strings.HasPrefix(secret, "tl_") || len(secret) > 200 {
		return viewer.Viewer{}, partners.Errorf(partners.EUnauthenticated, "invalid API token")
	}
	t, err := s.client.APIToken.Query().Where(apitoken.TokenHash(hashToken(secret))).Only(sys)
	if err != nil || t.RevokedAt != nil {
		return viewer.Viewer{}, partners.Errorf(partners.EUnauthenticated, "invalid or revoked API token")
	}
	u, err := s.client.User.Get(sys, t.UserID)
	if err != nil || !u.Active {
		return viewer.Viewer{}, partners.Errorf(partners.EUnauthenticated, "invalid or revoked API token")
	}
	if now := s.now(); t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.client.APIToken.UpdateOne(t).SetLastUsedAt(now).Exec(sys); err != nil {
			return viewer.Viewer{}, err
		}
	}
	return toViewer(u), nil
}

// ViewerFor returns the viewer of a user, for the CLI acting as someone.
func (s *Service) ViewerFor(ctx context.Context, email string) (viewer.Viewer, error) {
	u, err := s.client.User.Query().Where(user.Email(strings.ToLower(email))).Only(system(ctx))
	if ent.IsNotFound(err) {
		return viewer.Viewer{}, partners.Errorf(partners.ENotFound, "no user with e-mail %s", email)
	}
	if err != nil {
		return viewer.Viewer{}, err
	}
	return toViewer(u), nil
}

func toViewer(u *ent.User) viewer.Viewer {
	v := viewer.Viewer{UserID: u.ID, Role: viewer.Role(u.Role), Label: u.Email}
	if u.PartnerID != nil {
		v.PartnerID = *u.PartnerID
	}
	if u.ContactID != nil {
		v.ContactID = *u.ContactID
	}
	return v
}

func toToken(t *ent.APIToken) Token {
	return Token{ID: t.ID, Name: t.Name, Prefix: t.Prefix, UserID: t.UserID, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

type throttleKey struct {
	key   string
	limit int
}

func (s *Service) locked(ctx context.Context, keys []throttleKey) (bool, error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	rows, err := s.client.LoginThrottle.Query().Where(loginthrottle.KeyIn(names...)).All(ctx)
	if err != nil {
		return false, err
	}
	now := s.now()
	for _, r := range rows {
		if r.LockedUntil != nil && now.Before(*r.LockedUntil) {
			return true, nil
		}
	}
	return false, nil
}

// fail counts a failed login against every key, in the database, so all
// instances share the counters. Each step is one atomic statement, so
// concurrent failures are all counted.
func (s *Service) fail(ctx context.Context, keys []throttleKey) error {
	return s.countFailures(ctx, keys, s.Throttle.Window, s.Throttle.Lock)
}

// countFailures counts a failure against every key with the given
// window and lock time.
func (s *Service) countFailures(ctx context.Context, keys []throttleKey, window, lock time.Duration) error {
	now := s.now()
	return partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		for _, k := range keys {
			key := trunc(k.key, 300)
			if err := tx.LoginThrottle.Create().SetKey(key).SetFailures(0).SetWindowStart(now).
				OnConflictColumns(loginthrottle.FieldKey).Ignore().Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.LoginThrottle.Update().Where(loginthrottle.Key(key), loginthrottle.WindowStartLT(now.Add(-window))).
				SetFailures(0).SetWindowStart(now).ClearLockedUntil().Save(ctx); err != nil {
				return err
			}
			if _, err := tx.LoginThrottle.Update().Where(loginthrottle.Key(key)).AddFailures(1).Save(ctx); err != nil {
				return err
			}
			if _, err := tx.LoginThrottle.Update().Where(loginthrottle.Key(key), loginthrottle.FailuresGTE(k.limit)).
				SetLockedUntil(now.Add(lock)).Save(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) dummy() string {
	s.dummyOnce.Do(func() { s.dummyHash = HashPassword(randomToken(16), s.Params) })
	return s.dummyHash
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }

func newBatchID() string { return randomToken(6) }
