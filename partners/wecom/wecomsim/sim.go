// Package wecomsim is a WeCom (企业微信) server on loopback for tests. It
// follows WeCom's documented API for what Tierlink uses: paths, JSON
// shapes, errcodes, access-token lifetime and invalidation, cursor paging
// and frequency limits. It lives in non-test files so that the tests of
// several packages (the domain, the portal, cmd/tierlink) can share it.
//
// Documented behaviour it reproduces:
//   - GET /cgi-bin/gettoken?corpid&corpsecret: access_token, expires_in
//     7200; within its validity a repeated call returns the same token.
//     40013 for an unknown corp, 40001 for a wrong secret, 41002/41004
//     for a missing corpid/corpsecret.
//   - every other call: 41001 without access_token, 40014 for a token
//     that is not (or no longer) valid, 42001 for an expired one.
//   - GET /cgi-bin/externalcontact/get_follow_user_list: follow_user.
//   - POST /cgi-bin/externalcontact/batch/get_by_user: userid_list of at
//     most 100, cursor, limit (default 50, at most 100); returns
//     external_contact_list of {external_contact, follow_info} and
//     next_cursor, one entry per (contact, following member) pair. 60111
//     for a userid that is not a member.
//   - GET /cgi-bin/externalcontact/get: one contact with follow_user; 84061
//     when it is not an external contact of the corp.
//   - GET /cgi-bin/user/get: a member; 60111 for an unknown userid.
//   - POST /cgi-bin/externalcontact/get_corp_tag_list: the corp's tag
//     groups (tag_group with group_id, group_name and tag), filtered by
//     tag_id or group_id when given.
//   - 45009 (frequency limit) on demand: FailNext.
package wecomsim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errcodes the simulator answers, as WeCom documents them.
const (
	ErrInvalidSecret      = 40001
	ErrInvalidCorpID      = 40013
	ErrInvalidToken       = 40014
	ErrInvalidParameter   = 40058
	ErrMissingToken       = 41001
	ErrMissingCorpID      = 41002
	ErrMissingSecret      = 41004
	ErrTokenExpired       = 42001
	ErrFrequencyLimit     = 45009
	ErrConcurrencyLimit   = 45033
	ErrUnknownUser        = 60111
	ErrNotExternalContact = 84061
)

// TokenLifetime is how long an access token lives (expires_in).
const TokenLifetime = 7200 * time.Second

// Member is a staff member of the simulated corp.
type Member struct {
	UserID string
	Name   string
	Email  string
	Mobile string
	// Follow says the member has the customer-contact feature (is in
	// get_follow_user_list).
	Follow bool
}

// Follow is one member following an external contact.
type Follow struct {
	UserID         string
	Remark         string
	Description    string
	CreateTime     int64 // Unix seconds
	TagIDs         []string
	RemarkCorpName string
	RemarkMobiles  []string
	AddWay         int
	OperUserID     string
}

// Contact is an external contact with the members who follow it.
type Contact struct {
	ExternalUserID string
	Name           string
	Type           int // 1 WeChat, 2 WeCom
	Gender         int
	Position       string
	CorpName       string
	CorpFullName   string
	UnionID        string
	// ExternalProfile is a WeCom user's public profile (对外属性),
	// answered as the documented external_profile object.
	ExternalProfile *ExternalProfile
	Follows         []Follow
}

// ExternalProfile is external_profile: a list of text, web and
// mini-program attributes.
type ExternalProfile struct {
	ExternalAttr []ExternalAttr `json:"external_attr"`
}

// ExternalAttr is one attribute of an external profile (type 0 text, 1
// web, 2 mini program).
type ExternalAttr struct {
	Type int               `json:"type"`
	Name string            `json:"name"`
	Text map[string]string `json:"text,omitempty"`
	Web  map[string]string `json:"web,omitempty"`
}

type token struct {
	secret  string
	expires time.Time
}

type failure struct {
	code int
	skip int
	left int
}

// Server is a running simulator. Its methods are safe for concurrent use.
type Server struct {
	srv    *httptest.Server
	corpID string

	mu       sync.Mutex
	now      func() time.Time
	secrets  map[string]bool
	tokens   map[string]*token
	current  map[string]string // secret → its current token
	members  map[string]*Member
	order    []string // members in the order added
	contacts map[string]*Contact
	corder   []string // contacts in the order added
	tags     []TagGroup
	fail     map[string]*failure
	calls    map[string]int
	issued   int
	expireIn int // expire every token after this many more API calls; 0 off
}

// New starts a simulator of corp corpID that accepts the given secrets.
func New(corpID string, secrets ...string) *Server {
	s := &Server{corpID: corpID, now: time.Now, secrets: map[string]bool{}, tokens: map[string]*token{},
		current: map[string]string{}, members: map[string]*Member{}, contacts: map[string]*Contact{},
		fail: map[string]*failure{}, calls: map[string]int{}}
	for _, sec := range secrets {
		s.secrets[sec] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", s.getToken)
	mux.HandleFunc("GET /cgi-bin/externalcontact/get_follow_user_list", s.authed(s.followUserList))
	mux.HandleFunc("POST /cgi-bin/externalcontact/batch/get_by_user", s.authed(s.batchGetByUser))
	mux.HandleFunc("GET /cgi-bin/externalcontact/get", s.authed(s.getContact))
	mux.HandleFunc("GET /cgi-bin/user/get", s.authed(s.getUser))
	mux.HandleFunc("POST /cgi-bin/externalcontact/get_corp_tag_list", s.authed(s.corpTags))
	s.routeTransfer(mux)
	s.routeOAuth(mux)
	s.routeBehaviour(mux)
	s.routeCards(mux)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the simulator's base URL, for TIERLINK_WECOM_API_BASE.
func (s *Server) URL() string { return s.srv.URL }

// CorpID is the simulated corp's id.
func (s *Server) CorpID() string { return s.corpID }

// Close stops the simulator.
func (s *Server) Close() { s.srv.Close() }

// SetClock replaces the simulator's clock (token expiry, create times).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AddMember adds (or replaces) a staff member.
func (s *Server) AddMember(m Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.members[m.UserID]; !ok {
		s.order = append(s.order, m.UserID)
	}
	s.members[m.UserID] = &m
}

// AddContact adds (or replaces) an external contact and its follows.
func (s *Server) AddContact(c Contact) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.contacts[c.ExternalUserID]; !ok {
		s.corder = append(s.corder, c.ExternalUserID)
	}
	c.Follows = slices.Clone(c.Follows)
	s.contacts[c.ExternalUserID] = &c
}

// Tag is one of the corp's customer tags.
type Tag struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreateTime int64  `json:"create_time"`
	Order      int    `json:"order"`
}

// TagGroup is a group of the corp's customer tags (企业客户标签).
type TagGroup struct {
	GroupID    string `json:"group_id"`
	GroupName  string `json:"group_name"`
	CreateTime int64  `json:"create_time"`
	Order      int    `json:"order"`
	Tag        []Tag  `json:"tag"`
}

// AddTagGroup adds a group of corp tags.
func (s *Server) AddTagGroup(g TagGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tags = append(s.tags, g)
}

// EditContact changes a contact in place.
func (s *Server) EditContact(externalUserID string, fn func(*Contact)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.contacts[externalUserID]; c != nil {
		fn(c)
	}
}

// RemoveContact deletes a contact, as when every follower deletes it.
func (s *Server) RemoveContact(externalUserID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.contacts, externalUserID)
	s.corder = slices.DeleteFunc(s.corder, func(id string) bool { return id == externalUserID })
}

// RemoveFollow removes one member's follow of a contact.
func (s *Server) RemoveFollow(externalUserID, userID string) {
	s.EditContact(externalUserID, func(c *Contact) {
		c.Follows = slices.DeleteFunc(c.Follows, func(f Follow) bool { return f.UserID == userID })
	})
}

// FailNext makes the next n calls of path (like
// "/cgi-bin/externalcontact/batch/get_by_user") answer errcode.
func (s *Server) FailNext(path string, errcode, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[path] = &failure{code: errcode, left: n}
}

// FailAfter lets skip more calls of path succeed, then fails the n after
// them with errcode: a limit hit in the middle of a run.
func (s *Server) FailAfter(path string, skip, errcode, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[path] = &failure{code: errcode, skip: skip, left: n}
}

// ExpireTokens ends the life of every token issued so far: using one
// answers 42001.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
}

func (s *Server) expireLocked() {
	for _, t := range s.tokens {
		t.expires = s.now().Add(-time.Second)
	}
}

// ExpireTokensAfter expires every token once n more authenticated calls
// have been answered, to make a token run out in the middle of a run.
func (s *Server) ExpireTokensAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireIn = n
}

// InvalidateTokens forgets every token issued so far (as when the secret
// is reset): using one answers 40014.
func (s *Server) InvalidateTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]*token{}
	s.current = map[string]string{}
}

// Calls returns how many requests path received, errors included.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// TokensIssued returns how many distinct access tokens were handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

type errBody struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

var errMsgs = map[int]string{
	ErrInvalidSecret: "invalid credential", ErrInvalidCorpID: "invalid corpid", ErrInvalidToken: "invalid access_token",
	ErrInvalidParameter: "invalid parameter", ErrMissingToken: "access_token missing", ErrMissingCorpID: "corpid missing",
	ErrMissingSecret: "corpsecret missing", ErrTokenExpired: "access_token expired", ErrFrequencyLimit: "api freq out of limit",
	ErrConcurrencyLimit: "api concurrent out of limit", ErrUnknownUser: "invalid userid", ErrNotExternalContact: "not external contact",
}

// writeJSON answers as WeCom does: HTTP 200 with errcode in the body.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int) {
	msg := errMsgs[code]
	if msg == "" {
		msg = "error"
	}
	writeJSON(w, errBody{ErrCode: code, ErrMsg: msg + ", hint: [wecomsim]"})
}

func ok() errBody { return errBody{ErrMsg: "ok"} }

// injected answers a failure queued with FailNext; the caller holds mu.
func (s *Server) injected(w http.ResponseWriter, path string) bool {
	f := s.fail[path]
	if f == nil || f.left <= 0 {
		return false
	}
	if f.skip > 0 {
		f.skip--
		return false
	}
	f.left--
	writeErr(w, f.code)
	return true
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[r.URL.Path]++
	if s.injected(w, r.URL.Path) {
		return
	}
	q := r.URL.Query()
	corp, secret := q.Get("corpid"), q.Get("corpsecret")
	switch {
	case corp == "":
		writeErr(w, ErrMissingCorpID)
		return
	case secret == "":
		writeErr(w, ErrMissingSecret)
		return
	case corp != s.corpID:
		writeErr(w, ErrInvalidCorpID)
		return
	case !s.secrets[secret]:
		writeErr(w, ErrInvalidSecret)
		return
	}
	now := s.now()
	if tok, found := s.current[secret]; found {
		if t := s.tokens[tok]; t != nil && now.Before(t.expires) {
			t.expires = now.Add(TokenLifetime)
			writeJSON(w, tokenBody{errBody: ok(), AccessToken: tok, ExpiresIn: int(TokenLifetime / time.Second)})
			return
		}
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	s.tokens[tok] = &token{secret: secret, expires: now.Add(TokenLifetime)}
	s.current[secret] = tok
	s.issued++
	writeJSON(w, tokenBody{errBody: ok(), AccessToken: tok, ExpiresIn: int(TokenLifetime / time.Second)})
}

type tokenBody struct {
	errBody
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// authed checks the access token, counts the call and applies queued
// failures, then runs h with mu held.
func (s *Server) authed(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls[r.URL.Path]++
		tok := r.URL.Query().Get("access_token")
		if tok == "" {
			writeErr(w, ErrMissingToken)
			return
		}
		t := s.tokens[tok]
		if t == nil {
			writeErr(w, ErrInvalidToken)
			return
		}
		if !s.now().Before(t.expires) {
			writeErr(w, ErrTokenExpired)
			return
		}
		if s.injected(w, r.URL.Path) {
			return
		}
		h(w, r)
		if s.expireIn > 0 {
			if s.expireIn--; s.expireIn == 0 {
				s.expireLocked()
			}
		}
	}
}

func (s *Server) followUserList(w http.ResponseWriter, _ *http.Request) {
	var out []string
	for _, id := range s.order {
		if s.members[id].Follow {
			out = append(out, id)
		}
	}
	writeJSON(w, struct {
		errBody
		FollowUser []string `json:"follow_user"`
	}{ok(), nonNil(out)})
}

// ExternalContact is external_contact as batch/get_by_user returns it.
type ExternalContact struct {
	ExternalUserID string `json:"external_userid"`
	Name           string `json:"name"`
	Position       string `json:"position,omitempty"`
	Avatar         string `json:"avatar"`
	CorpName       string `json:"corp_name,omitempty"`
	CorpFullName   string `json:"corp_full_name,omitempty"`
	Type           int    `json:"type"`
	Gender         int    `json:"gender"`
	UnionID        string `json:"unionid,omitempty"`
	// ExternalProfile is an object, as WeCom documents it (an SDK that
	// reads it as a string cannot decode such a page).
	ExternalProfile *ExternalProfile `json:"external_profile,omitempty"`
}

// FollowInfo is follow_info as batch/get_by_user returns it.
type FollowInfo struct {
	UserID         string   `json:"userid"`
	Remark         string   `json:"remark"`
	Description    string   `json:"description"`
	CreateTime     int64    `json:"createtime"`
	TagID          []string `json:"tag_id"`
	RemarkCorpName string   `json:"remark_corp_name,omitempty"`
	RemarkMobiles  []string `json:"remark_mobiles"`
	OperUserID     string   `json:"oper_userid"`
	AddWay         int      `json:"add_way"`
}

type batchItem struct {
	ExternalContact ExternalContact `json:"external_contact"`
	FollowInfo      FollowInfo      `json:"follow_info"`
}

func externalContact(c *Contact) ExternalContact {
	return ExternalContact{ExternalUserID: c.ExternalUserID, Name: c.Name, Position: c.Position, CorpName: c.CorpName,
		CorpFullName: c.CorpFullName, Type: c.Type, Gender: c.Gender, UnionID: c.UnionID, ExternalProfile: c.ExternalProfile,
		Avatar: "https://wework.qpic.cn/wwhead/" + c.ExternalUserID + "/0"}
}

func followInfo(f Follow) FollowInfo {
	return FollowInfo{UserID: f.UserID, Remark: f.Remark, Description: f.Description, CreateTime: f.CreateTime,
		TagID: nonNil(f.TagIDs), RemarkCorpName: f.RemarkCorpName, RemarkMobiles: nonNil(f.RemarkMobiles),
		OperUserID: f.OperUserID, AddWay: f.AddWay}
}

// batchCursor is the simulator's opaque cursor: where the next page's
// scan resumes (the member's place in the request, the contact's in the
// corp's order, the follow's in the contact), so that each page costs
// what it answers and not every pair of the request.
func batchCursor(k, p, f int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("wecomsim:%d.%d.%d", k, p, f)))
}

func parseCursor(c string) (k, p, f int, ok bool) {
	if c == "" {
		return 0, 0, 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 9 || string(b[:9]) != "wecomsim:" {
		return 0, 0, 0, false
	}
	var v [3]int
	parts := strings.Split(string(b[9:]), ".")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	for i, x := range parts {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 {
			return 0, 0, 0, false
		}
		v[i] = n
	}
	return v[0], v[1], v[2], true
}

func (s *Server) batchGetByUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserIDList []string `json:"userid_list"`
		Cursor     string   `json:"cursor"`
		Limit      int      `json:"limit"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, ErrInvalidParameter)
		return
	}
	if len(req.UserIDList) == 0 || len(req.UserIDList) > 100 || req.Limit < 0 || req.Limit > 100 {
		writeErr(w, ErrInvalidParameter)
		return
	}
	limit := req.Limit
	if limit == 0 {
		limit = 50
	}
	k, p, fi, okc := parseCursor(req.Cursor)
	if !okc {
		writeErr(w, ErrInvalidParameter)
		return
	}
	for _, uid := range req.UserIDList {
		if s.members[uid] == nil {
			writeErr(w, ErrUnknownUser)
			return
		}
	}
	// The pairs are each member's, in the request's order, each in the
	// corp's contact order; the scan resumes at the cursor and stops at
	// the first pair past the page, which the next cursor names.
	page := []batchItem{}
	next := ""
scan:
	for ; k < len(req.UserIDList); k, p, fi = k+1, 0, 0 {
		uid := req.UserIDList[k]
		for ; p < len(s.corder); p, fi = p+1, 0 {
			c := s.contacts[s.corder[p]]
			for ; fi < len(c.Follows); fi++ {
				if c.Follows[fi].UserID != uid {
					continue
				}
				if len(page) == limit {
					next = batchCursor(k, p, fi)
					break scan
				}
				page = append(page, batchItem{externalContact(c), followInfo(c.Follows[fi])})
			}
		}
	}
	writeJSON(w, struct {
		errBody
		ExternalContactList []batchItem `json:"external_contact_list"`
		NextCursor          string      `json:"next_cursor"`
	}{ok(), page, next})
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	c := s.contacts[r.URL.Query().Get("external_userid")]
	if c == nil {
		writeErr(w, ErrNotExternalContact)
		return
	}
	type followUser struct {
		FollowInfo
		Tags []FollowTag `json:"tags"`
	}
	var fs []followUser
	for _, f := range c.Follows {
		fs = append(fs, followUser{FollowInfo: followInfo(f), Tags: s.followTags(f.TagIDs)})
	}
	writeJSON(w, struct {
		errBody
		ExternalContact ExternalContact `json:"external_contact"`
		FollowUser      []followUser    `json:"follow_user"`
	}{ok(), externalContact(c), fs})
}

func (s *Server) corpTags(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TagID   []string `json:"tag_id"`
		GroupID []string `json:"group_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, ErrInvalidParameter)
		return
	}
	out := []TagGroup{}
	for _, g := range s.tags {
		switch {
		case len(req.TagID) > 0:
			var ts []Tag
			for _, t := range g.Tag {
				if slices.Contains(req.TagID, t.ID) {
					ts = append(ts, t)
				}
			}
			if len(ts) > 0 {
				g.Tag = ts
				out = append(out, g)
			}
		case len(req.GroupID) > 0:
			if slices.Contains(req.GroupID, g.GroupID) {
				out = append(out, g)
			}
		default:
			out = append(out, g)
		}
	}
	writeJSON(w, struct {
		errBody
		TagGroup []TagGroup `json:"tag_group"`
	}{ok(), out})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	m := s.members[r.URL.Query().Get("userid")]
	if m == nil {
		writeErr(w, ErrUnknownUser)
		return
	}
	writeJSON(w, struct {
		errBody
		UserID string `json:"userid"`
		Name   string `json:"name"`
		Email  string `json:"email,omitempty"`
		Mobile string `json:"mobile,omitempty"`
		Status int    `json:"status"`
	}{ok(), m.UserID, m.Name, m.Email, m.Mobile, 1})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// String describes the simulator for test logs.
func (s *Server) String() string { return fmt.Sprintf("wecomsim %s at %s", s.corpID, s.srv.URL) }
