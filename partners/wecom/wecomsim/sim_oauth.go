package wecomsim

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// WeCom's web sign-in (OAuth2 inside the WeCom client), as documented
// ("构造网页授权链接", "获取访问用户身份"):
//   - GET /connect/oauth2/authorize?appid=CORPID&redirect_uri=URI&
//     response_type=code&scope=snsapi_base&state=STATE&agentid=AGENTID
//     (on open.weixin.qq.com; point the authorize base at URL() in tests)
//     redirects the browser to URI?code=CODE&state=STATE. The simulator
//     signs in whoever AuthorizeAs named: a member, or, with no member
//     named, a non-member with an openid.
//   - GET /cgi-bin/auth/getuserinfo?access_token&code: a member's code
//     answers {errcode 0, userid}; a non-member's {errcode 0, openid}
//     (and external_userid when the visitor is one of the corp's external
//     contacts). A code works once and for five minutes; an unknown, used
//     or expired code answers 40029.

// Errcodes of the web sign-in.
const (
	ErrInvalidCode = 40029
	// CodeLifetime is how long an OAuth code may be exchanged.
	CodeLifetime = 5 * time.Minute
)

type oauthCode struct {
	userID, openID, externalUserID string
	expires                        time.Time
	used                           bool
}

// oauthSim is one simulator's sign-in state; guarded by the server's mu.
type oauthSim struct {
	codes map[string]*oauthCode
	// as is who the authorize endpoint signs in ("" a non-member).
	as string
	// authorized records the authorize requests, for tests.
	authorized []url.Values
}

// oauthOf keeps each server's sign-in state beside it, so that the
// sign-in adds no field to Server (several slices extend the simulator).
var oauthOf sync.Map // *Server → *oauthSim

func (s *Server) oauth() *oauthSim {
	o, _ := oauthOf.LoadOrStore(s, &oauthSim{codes: map[string]*oauthCode{}})
	return o.(*oauthSim)
}

func (s *Server) routeOAuth(mux *http.ServeMux) {
	mux.HandleFunc("GET /connect/oauth2/authorize", s.authorize)
	mux.HandleFunc("GET /cgi-bin/auth/getuserinfo", s.authed(s.getUserInfo))
}

// AuthorizeAs makes the authorize endpoint sign in the member userID, as
// when that member opens the app in WeCom; "" signs in a WeChat user who
// is not a member.
func (s *Server) AuthorizeAs(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth().as = userID
}

// Authorized returns the query of every authorize request received.
func (s *Server) Authorized() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.oauth().authorized...)
}

// IssueCode returns a fresh OAuth code for the member userID, as WeCom
// hands one to the app's redirect_uri.
func (s *Server) IssueCode(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(&oauthCode{userID: userID})
}

// IssueVisitorCode returns a fresh OAuth code for a visitor who is not a
// member: a WeChat user with openID, and externalUserID when they are
// one of the corp's external contacts.
func (s *Server) IssueVisitorCode(openID, externalUserID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(&oauthCode{openID: openID, externalUserID: externalUserID})
}

func (s *Server) issueLocked(c *oauthCode) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	code := hex.EncodeToString(b)
	c.expires = s.now().Add(CodeLifetime)
	s.oauth().codes[code] = c
	return code
}

// authorize is the authorize page: it checks the documented parameters
// and sends the browser back to redirect_uri with a code and the state.
// WeCom shows an error page for a bad request; so does the simulator.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[r.URL.Path]++
	q := r.URL.Query()
	o := s.oauth()
	o.authorized = append(o.authorized, q)
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("appid") != s.corpID:
		http.Error(w, "wecomsim: appid is not this corp's id", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "wecomsim: response_type must be code", http.StatusBadRequest)
		return
	case q.Get("scope") != "snsapi_base" && q.Get("scope") != "snsapi_privateinfo":
		http.Error(w, "wecomsim: scope must be snsapi_base or snsapi_privateinfo", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs() || (redirect.Scheme != "http" && redirect.Scheme != "https"):
		http.Error(w, "wecomsim: redirect_uri must be an absolute http(s) URL", http.StatusBadRequest)
		return
	}
	c := &oauthCode{userID: o.as}
	if o.as == "" {
		c.openID = "oSIM" + q.Get("state")
	}
	rq := redirect.Query()
	rq.Set("code", s.issueLocked(c))
	if st := q.Get("state"); st != "" {
		rq.Set("state", st)
	}
	redirect.RawQuery = rq.Encode()
	redirect.Fragment = ""
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// getUserInfo is auth/getuserinfo: a code once, within five minutes.
func (s *Server) getUserInfo(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("code")
	c := s.oauth().codes[code]
	if c == nil || c.used || !s.now().Before(c.expires) {
		writeJSON(w, errBody{ErrCode: ErrInvalidCode, ErrMsg: "invalid code, hint: [wecomsim]"})
		return
	}
	c.used = true
	if c.userID != "" && s.members[c.userID] != nil {
		writeJSON(w, struct {
			errBody
			UserID string `json:"userid"`
		}{ok(), c.userID})
		return
	}
	openID := c.openID
	if openID == "" {
		// A member named by AuthorizeAs but not (or no longer) in the
		// corp signs in as an outsider would.
		openID = "oSIM" + c.userID
	}
	writeJSON(w, struct {
		errBody
		OpenID         string `json:"openid"`
		ExternalUserID string `json:"external_userid,omitempty"`
	}{ok(), openID, c.externalUserID})
}
