package wecom

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/silenceper/wechat/v2/credential"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/wecomtoken"
	"github.com/tierlink/tierlink/partners"
)

// RefreshEarly is how long before its expiry a token is replaced, so no
// call starts with a token about to lapse.
const RefreshEarly = 5 * time.Minute

// TokenStore keeps access tokens in the database, shared by every
// instance. WeCom hands out the same token for repeated gettoken calls
// within its validity, so two instances refreshing at once fetch the
// same token; the version compare-and-set keeps the row consistent even
// when they do not.
type TokenStore struct {
	db  *ent.Client
	now func() time.Time
}

// NewTokenStore returns a store over db.
func NewTokenStore(db *ent.Client) *TokenStore { return &TokenStore{db: db, now: time.Now} }

// SetClock replaces the store's clock, for tests.
func (s *TokenStore) SetClock(now func() time.Time) { s.now = now }

// Get returns the token stored under key while it has more than
// RefreshEarly to live, else fetches one for corpID with secret and
// stores it.
func (s *TokenStore) Get(ctx context.Context, key, corpID, secret string) (string, error) {
	sys := partners.AsSystem(ctx, "wecom token")
	row, err := s.db.WecomToken.Query().Where(wecomtoken.Key(key)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return "", err
	}
	if row != nil && s.now().Add(RefreshEarly).Before(row.ExpiresAt) {
		return row.Token, nil
	}
	res, err := credential.GetTokenFromServerContext(ctx, "https://"+wecomHost+"/cgi-bin/gettoken?corpid="+
		url.QueryEscape(corpID)+"&corpsecret="+url.QueryEscape(secret))
	if err != nil {
		if res.ErrCode != 0 {
			return "", &APIError{API: "gettoken", Code: res.ErrCode, Msg: secretInURL.ReplaceAllString(res.ErrMsg, "$1=…")}
		}
		return "", redact("gettoken", err)
	}
	if res.AccessToken == "" || res.ExpiresIn <= 0 {
		return "", fmt.Errorf("wecom gettoken: no token in the answer")
	}
	now := s.now()
	exp := now.Add(time.Duration(res.ExpiresIn) * time.Second)
	if row == nil {
		err := s.db.WecomToken.Create().SetKey(key).SetToken(res.AccessToken).SetExpiresAt(exp).SetUpdatedAt(now).Exec(sys)
		if err == nil || !ent.IsConstraintError(err) {
			return res.AccessToken, err
		}
		// Another instance stored one first: theirs stands.
		return s.stored(sys, key, res.AccessToken)
	}
	n, err := s.db.WecomToken.Update().Where(wecomtoken.Key(key), wecomtoken.Version(row.Version)).
		SetToken(res.AccessToken).SetExpiresAt(exp).SetUpdatedAt(now).AddVersion(1).Save(sys)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return s.stored(sys, key, res.AccessToken)
	}
	return res.AccessToken, nil
}

// stored returns the token another instance wrote under key, or mine if
// theirs is gone or already stale.
func (s *TokenStore) stored(ctx context.Context, key, mine string) (string, error) {
	row, err := s.db.WecomToken.Query().Where(wecomtoken.Key(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return mine, nil
	}
	if err != nil {
		return "", err
	}
	if s.now().Add(RefreshEarly).Before(row.ExpiresAt) {
		return row.Token, nil
	}
	return mine, nil
}

// Invalidate drops the token under key if it is still token, after WeCom
// refused it; a newer token another instance stored meanwhile is kept.
func (s *TokenStore) Invalidate(ctx context.Context, key, token string) error {
	sys := partners.AsSystem(ctx, "wecom token")
	_, err := s.db.WecomToken.Delete().Where(wecomtoken.Key(key), wecomtoken.Token(token)).Exec(sys)
	return err
}
