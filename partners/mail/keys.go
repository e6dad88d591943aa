package mail

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/mailsetting"
	"github.com/tierlink/tierlink/ent/viewer"
)

// ErrBadToken is a token that is malformed, altered, or signed for
// another purpose.
var ErrBadToken = errors.New("mail: bad token")

// Keys signs and checks the tokens mail carries. The key is one row
// shared by every instance, so a link mailed by one works on all.
type Keys struct{ key []byte }

// LoadKeys reads the signing key, creating it on first start; two
// instances starting together both end up with the first one written.
func LoadKeys(ctx context.Context, c *ent.Client) (Keys, error) {
	sys := viewer.NewContext(ctx, viewer.System("mail"))
	if k, err := c.MailSetting.Query().Order(ent.Asc(mailsetting.FieldID)).First(sys); err == nil {
		return Keys{key: k.SigningKey}, nil
	} else if !ent.IsNotFound(err) {
		return Keys{}, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return Keys{}, err
	}
	// ON CONFLICT DO NOTHING answers sql.ErrNoRows when another
	// instance wrote the key first; theirs is read below.
	if err := c.MailSetting.Create().SetID(1).SetSigningKey(key).OnConflict().DoNothing().Exec(sys); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Keys{}, err
	}
	k, err := c.MailSetting.Get(sys, 1)
	if err != nil {
		return Keys{}, err
	}
	return Keys{key: k.SigningKey}, nil
}

// NewKeys wraps a key, for tests.
func NewKeys(key []byte) Keys { return Keys{key: key} }

// Sign returns fields joined and signed for purpose, URL-safe. Fields
// must not contain '.'.
func (k Keys) Sign(purpose string, fields ...string) string {
	body := base64.RawURLEncoding.EncodeToString([]byte(strings.Join(fields, "|")))
	return body + "." + base64.RawURLEncoding.EncodeToString(k.mac(purpose, body))
}

// Verify checks a token of Sign for purpose and returns its fields.
func (k Keys) Verify(purpose, tok string) ([]string, error) {
	body, sig, ok := strings.Cut(tok, ".")
	if !ok || len(k.key) == 0 {
		return nil, ErrBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.mac(purpose, body)) {
		return nil, ErrBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, ErrBadToken
	}
	return strings.Split(string(raw), "|"), nil
}

func (k Keys) mac(purpose, body string) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(body))
	return m.Sum(nil)
}
