package wecom

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	workctx "github.com/silenceper/wechat/v2/work/context"
	"github.com/silenceper/wechat/v2/work/oauth"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners"
)

// Sign-in from the WeCom workbench: the app's entry opens a Tierlink page
// inside WeCom, which sends the browser through WeCom's OAuth2 page
// (scope snsapi_base, silent) and back with a code; auth/getuserinfo
// turns the code into the member's userid, and the staff user linked to
// that userid is signed in.

// DefaultAuthorizeBase is the host of WeCom's OAuth2 authorize page.
const DefaultAuthorizeBase = "https://open.weixin.qq.com"

// StateLifetime is how long a sign-in started in a browser may take to
// come back: WeCom's code itself lives five minutes.
const StateLifetime = 10 * time.Minute

// codeOK is the shape of an OAuth code. The SDK puts the code into the
// request URL unescaped, so anything else is refused before the call.
var codeOK = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,512}$`)

// errInvalidCode is WeCom's answer for a code that is unknown, used or
// older than five minutes.
const errInvalidCode = 40029

// SignInConfigured reports whether staff can sign in through WeCom: the
// corp, the app's agent id and the app's secret are set.
func (c Config) SignInConfigured() bool {
	return c.CorpID != "" && c.AgentID != "" && c.AgentSecret != ""
}

// AuthorizeURL is WeCom's OAuth2 page for a silent (snsapi_base) sign-in
// that returns to redirectURI with a code and state. Written here rather
// than with the SDK's Oauth.GetTargetURL, which fixes the host, sends a
// literal "STATE" and leaves out the agentid.
func (c Config) AuthorizeURL(redirectURI, state string) string {
	base := strings.TrimSuffix(c.AuthorizeBase, "/")
	if base == "" {
		base = DefaultAuthorizeBase
	}
	q := url.Values{}
	q.Set("appid", c.CorpID)
	q.Set("redirect_uri", redirectURI)
	q.Set("response_type", "code")
	q.Set("scope", "snsapi_base")
	q.Set("state", state)
	q.Set("agentid", c.AgentID)
	// WeCom documents the parameters in this order; url.Values would sort
	// them, which it accepts too, but the order keeps the link readable.
	var b strings.Builder
	b.WriteString(base + "/connect/oauth2/authorize?")
	for i, k := range []string{"appid", "redirect_uri", "response_type", "scope", "state", "agentid"} {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + url.QueryEscape(q.Get(k)))
	}
	b.WriteString("#wechat_redirect")
	return b.String()
}

// Refusal says why a sign-in through WeCom was refused; each has its own
// page text (page.wecom_refused_<reason>).
type Refusal string

// The refusals.
const (
	RefusedNotConfigured Refusal = "not_configured"
	// RefusedBadState: the state is missing, forged, expired or from
	// another browser.
	RefusedBadState Refusal = "bad_state"
	// RefusedBadCode: the code is missing, malformed, used or expired
	// (WeCom errcode 40029).
	RefusedBadCode Refusal = "bad_code"
	// RefusedNotMember: WeCom vouched for a visitor who is not a member
	// of the corp (an openid, not a userid).
	RefusedNotMember Refusal = "not_member"
	// RefusedUnknownUser: no staff user is linked to the member's userid.
	RefusedUnknownUser Refusal = "unknown_user"
	// RefusedInactive: the linked user is deactivated.
	RefusedInactive Refusal = "inactive"
	// RefusedPartnerUser: the linked user is a partner's; the workbench
	// is the company's staff's.
	RefusedPartnerUser Refusal = "partner_user"
	// RefusedUnavailable: WeCom could not be asked (down, or refused the
	// app's credentials).
	RefusedUnavailable Refusal = "unavailable"
)

// Refusals lists every refusal, for pages and tests.
var Refusals = []Refusal{RefusedNotConfigured, RefusedBadState, RefusedBadCode, RefusedNotMember,
	RefusedUnknownUser, RefusedInactive, RefusedPartnerUser, RefusedUnavailable}

// Valid reports whether r is one of the refusals.
func (r Refusal) Valid() bool {
	for _, x := range Refusals {
		if r == x {
			return true
		}
	}
	return false
}

// SignInError is a refused sign-in and why; pages explain it by Reason.
type SignInError struct {
	Reason Refusal
	// UserID is the WeCom userid WeCom vouched for, when there was one.
	UserID string
	err    error
}

func (e *SignInError) Error() string {
	s := "wecom sign-in refused: " + string(e.Reason)
	if e.UserID != "" {
		s += " (userid " + e.UserID + ")"
	}
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *SignInError) Unwrap() error { return e.err }

// Refused returns the refusal err carries, or "".
func Refused(err error) Refusal {
	var e *SignInError
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func refuse(r Refusal, userID string, err error) error {
	return &SignInError{Reason: r, UserID: userID, err: err}
}

// Config returns the WeCom configuration the service uses.
func (s *Service) Config() Config { return s.api.Config() }

// stateKey is the key the sign-in state is signed with: derived from the
// app's secret, so every instance agrees and nobody without the secret
// can make one.
func (s *Service) stateKey() []byte {
	h := sha256.Sum256([]byte("tierlink wecom sign-in state\x00" + s.api.Config().AgentSecret))
	return h[:]
}

// SignInState is a sign-in started in a browser: State goes to WeCom in
// the authorize URL and comes back with the code; Cookie binds it to the
// browser (signed, with its expiry and where to go after).
type SignInState struct {
	State  string
	Cookie string
}

// StartSignIn makes the state of a new sign-in that ends at next (a path
// on this site, already checked by the caller).
func (s *Service) StartSignIn(next string) (SignInState, error) {
	if !s.Config().SignInConfigured() {
		return SignInState{}, refuse(RefusedNotConfigured, "", nil)
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return SignInState{}, err
	}
	state := hex.EncodeToString(b)
	body := state + "." + strconv.FormatInt(s.now().Add(StateLifetime).Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString([]byte(next))
	return SignInState{State: state, Cookie: body + "." + s.sign(body)}, nil
}

func (s *Service) sign(body string) string {
	m := hmac.New(sha256.New, s.stateKey())
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckState checks the state WeCom sent back against the browser's
// cookie and returns where the sign-in goes after. A missing, forged,
// expired or mismatched state is RefusedBadState.
func (s *Service) CheckState(cookie, state string) (next string, err error) {
	if !s.Config().SignInConfigured() {
		return "", refuse(RefusedNotConfigured, "", nil)
	}
	parts := strings.Split(cookie, ".")
	if len(parts) != 4 || state == "" {
		return "", refuse(RefusedBadState, "", errors.New("no sign-in state in this browser"))
	}
	body := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(s.sign(body)), []byte(parts[3])) {
		return "", refuse(RefusedBadState, "", errors.New("the state cookie's signature is wrong"))
	}
	if !hmac.Equal([]byte(parts[0]), []byte(state)) {
		return "", refuse(RefusedBadState, "", errors.New("the state does not match this browser's"))
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return "", refuse(RefusedBadState, "", errors.New("the sign-in took too long"))
	}
	n, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", refuse(RefusedBadState, "", err)
	}
	return string(n), nil
}

// SignInUser turns an OAuth code into the staff user it signs in: WeCom
// names the member (auth/getuserinfo with the app's secret), and the
// active staff user linked to that userid is the one. Every other
// outcome is a *SignInError.
func (s *Service) SignInUser(ctx context.Context, code string) (userID int, err error) {
	if !s.Config().SignInConfigured() {
		return 0, refuse(RefusedNotConfigured, "", nil)
	}
	if !codeOK.MatchString(code) {
		return 0, refuse(RefusedBadCode, "", errors.New("no code, or not a WeCom code"))
	}
	var info *oauth.GetUserInfoResponse
	err = s.api.Do(ctx, AgentSecret, "auth/getuserinfo", func(sdk *workctx.Context) error {
		var err error
		info, err = oauth.NewOauth(sdk).GetUserInfo(code)
		return err
	})
	switch {
	case Code(err) == errInvalidCode:
		return 0, refuse(RefusedBadCode, "", redact("auth/getuserinfo", err))
	case err != nil:
		return 0, refuse(RefusedUnavailable, "", err)
	case info.UserID == "":
		// An openid (and perhaps an external_userid): someone outside
		// the corp.
		return 0, refuse(RefusedNotMember, "", fmt.Errorf("openid %q", info.OpenID))
	}
	sys := partners.AsSystem(ctx, "wecom sign-in")
	u, err := s.db.User.Query().Where(user.WecomUserid(info.UserID)).Only(sys)
	switch {
	case ent.IsNotFound(err):
		return 0, refuse(RefusedUnknownUser, info.UserID, nil)
	case err != nil:
		return 0, err
	case u.PartnerID != nil || u.Role == user.RolePartner:
		return 0, refuse(RefusedPartnerUser, info.UserID, nil)
	case !u.Active:
		return 0, refuse(RefusedInactive, info.UserID, nil)
	}
	return u.ID, nil
}
