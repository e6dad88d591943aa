// Package wecom connects Tierlink to WeCom (企业微信): the app's
// configuration, access tokens shared by every instance through the
// database, calls that survive token expiry and frequency limits, and the
// sync of the company's external contacts into the directory.
//
// Calls go through github.com/silenceper/wechat/v2 where it covers them;
// this package adds what it lacks (a shared token cache, retries, a
// configurable API host).
package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/addresslist"
	"github.com/silenceper/wechat/v2/work/config"
	workctx "github.com/silenceper/wechat/v2/work/context"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/tierlink/tierlink/ent"
)

// DefaultAPIBase is WeCom's API host.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// Config is the WeCom self-built app Tierlink acts as.
type Config struct {
	CorpID  string
	AgentID string
	// AgentSecret is the app's secret; ContactSecret the customer-contact
	// (客户联系) secret. Secrets are never logged or shown.
	AgentSecret    string
	ContactSecret  string
	CallbackToken  string
	CallbackAESKey string
	// APIBase is where WeCom's API is reached (DefaultAPIBase, or a
	// simulator on loopback in tests).
	APIBase string
	// AuthorizeBase is where browsers are sent to sign in through WeCom
	// (DefaultAuthorizeBase, or the simulator in tests).
	AuthorizeBase string
}

// Configured reports whether the contact sync can run: a corp and the
// customer-contact secret.
func (c Config) Configured() bool { return c.CorpID != "" && c.ContactSecret != "" }

// LogValue shows the configuration without its secrets.
func (c Config) LogValue() slog.Value {
	set := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	return slog.GroupValue(slog.String("corp_id", c.CorpID), slog.String("agent_id", c.AgentID),
		slog.String("agent_secret", set(c.AgentSecret)), slog.String("contact_secret", set(c.ContactSecret)),
		slog.String("callback_token", set(c.CallbackToken)), slog.String("callback_aes_key", set(c.CallbackAESKey)),
		slog.String("api_base", c.APIBase))
}

// String is LogValue's text, so a Config printed with %v shows no secret.
func (c Config) String() string { return c.LogValue().String() }

// Secret names which of the app's secrets a call uses; each has its own
// access token.
type Secret string

// The secrets.
const (
	AgentSecret   Secret = "agent"
	ContactSecret Secret = "contact"
)

// Errcodes this package acts on.
const (
	codeTokenInvalid = 40014
	codeTokenExpired = 42001
	codeFrequency    = 45009
	codeConcurrency  = 45033
)

// APIError is an errcode WeCom answered.
type APIError struct {
	API  string
	Code int64
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// Code returns the WeCom errcode err carries, or 0.
func Code(err error) int64 {
	var a *APIError
	if errors.As(err, &a) {
		return a.Code
	}
	var c *util.CommonError
	if errors.As(err, &c) {
		return c.ErrCode
	}
	return 0
}

// secretInURL matches what must never reach a log: the secret in a
// gettoken URL and access tokens in every other.
var secretInURL = regexp.MustCompile(`(corpsecret|access_token)=[^&\s"']*`)

// redact removes secrets and tokens from err's text (the SDK and net/http
// put the request URL in their errors).
func redact(api string, err error) error {
	if err == nil {
		return nil
	}
	var c *util.CommonError
	if errors.As(err, &c) {
		return &APIError{API: api, Code: c.ErrCode, Msg: secretInURL.ReplaceAllString(c.ErrMsg, "$1=…")}
	}
	var a *APIError
	if errors.As(err, &a) {
		return a
	}
	return fmt.Errorf("wecom %s: %s", api, secretInURL.ReplaceAllString(err.Error(), "$1=…"))
}

// Backoff is how calls wait out WeCom's frequency limits (45009, 45033):
// exponential from Base to at most Max, with jitter, Retries times.
type Backoff struct {
	Base, Max time.Duration
	Retries   int
}

// DefaultBackoff waits 1 s, 2 s, 4 s … up to a minute, eight times.
var DefaultBackoff = Backoff{Base: time.Second, Max: time.Minute, Retries: 8}

func (b Backoff) delay(n int) time.Duration {
	d := b.Base << min(n, 30)
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	// Full jitter in [d/2, d): instances limited together do not retry
	// together.
	return d/2 + rand.N(d/2+1)
}

// Client calls WeCom for one corp.
type Client struct {
	cfg     Config
	tokens  *TokenStore
	Backoff Backoff
	log     *slog.Logger
}

// NewClient returns a client for cfg whose access tokens live in db. It
// routes the SDK to cfg.APIBase (see UseAPIBase).
func NewClient(cfg Config, db *ent.Client, log *slog.Logger) (*Client, error) {
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	if err := UseAPIBase(cfg.APIBase); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Client{cfg: cfg, tokens: NewTokenStore(db), Backoff: DefaultBackoff, log: log}, nil
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// Tokens returns the shared access-token store.
func (c *Client) Tokens() *TokenStore { return c.tokens }

func (c *Client) secret(s Secret) string {
	if s == AgentSecret {
		return c.cfg.AgentSecret
	}
	return c.cfg.ContactSecret
}

// tokenKey names a token in the store: the corp, which secret, and a
// short fingerprint of the secret, so that a changed secret never reads a
// token fetched with the old one.
func (c *Client) tokenKey(s Secret) string {
	h := sha256.Sum256([]byte(c.secret(s)))
	return c.cfg.CorpID + ":" + string(s) + ":" + hex.EncodeToString(h[:4])
}

// AccessToken returns a valid access token for secret, from the shared
// store or freshly fetched, for calls the SDK does not cover.
func (c *Client) AccessToken(ctx context.Context, s Secret) (string, error) {
	return c.tokens.Get(ctx, c.tokenKey(s), c.cfg.CorpID, c.secret(s))
}

// callToken is the SDK's AccessTokenHandle for one attempt of one call: it
// takes the token from the shared store and remembers which one it
// handed out, so that a 40014/42001 drops exactly that token.
type callToken struct {
	ctx    context.Context
	c      *Client
	secret Secret
	token  string
}

// GetAccessToken implements credential.AccessTokenHandle.
func (h *callToken) GetAccessToken() (string, error) {
	t, err := h.c.AccessToken(h.ctx, h.secret)
	h.token = t
	return t, err
}

// Do runs one WeCom call through the SDK: fn gets an SDK context whose
// access token comes from the shared store. On 40014 or 42001 the token is
// dropped and the call retried once with a fresh one; on 45009 or 45033
// it is retried after a back-off, so no work is lost to a frequency limit.
// Errors never carry a secret or a token.
func (c *Client) Do(ctx context.Context, s Secret, api string, fn func(sdk *workctx.Context) error) error {
	if c.secret(s) == "" || c.cfg.CorpID == "" {
		return fmt.Errorf("wecom %s: the corp id or the %s secret is not configured", api, s)
	}
	retriedToken, limited := false, 0
	for {
		h := &callToken{ctx: ctx, c: c, secret: s}
		sdk := &workctx.Context{Config: &config.Config{CorpID: c.cfg.CorpID, CorpSecret: c.secret(s), AgentID: c.cfg.AgentID},
			AccessTokenHandle: h}
		err := fn(sdk)
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		switch code := Code(err); {
		case (code == codeTokenInvalid || code == codeTokenExpired) && !retriedToken && h.token != "":
			retriedToken = true
			c.log.InfoContext(ctx, "wecom token refused; fetching a fresh one", "api", api, "errcode", code)
			if err := c.tokens.Invalidate(ctx, c.tokenKey(s), h.token); err != nil {
				return err
			}
		case (code == codeFrequency || code == codeConcurrency) && limited < c.Backoff.Retries:
			d := c.Backoff.delay(limited)
			limited++
			c.log.WarnContext(ctx, "wecom frequency limit; backing off", "api", api, "errcode", code, "attempt", limited, "wait", d)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		default:
			return redact(api, err)
		}
	}
}

// FollowUsers lists the members with the customer-contact feature
// (externalcontact/get_follow_user_list).
func (c *Client) FollowUsers(ctx context.Context) ([]string, error) {
	var out []string
	err := c.Do(ctx, ContactSecret, "get_follow_user_list", func(sdk *workctx.Context) error {
		var err error
		out, err = externalcontact.NewClient(sdk).GetFollowUserList()
		return err
	})
	return out, err
}

// MaxBatchUsers and MaxBatchLimit are batch/get_by_user's limits: 100
// userids per request, 100 contacts per page.
const (
	MaxBatchUsers = 100
	MaxBatchLimit = 100
)

// BatchContact is one entry of batch/get_by_user: an external contact
// and one member's follow of it.
type BatchContact struct {
	ExternalContact struct {
		ExternalUserID string `json:"external_userid"`
		Name           string `json:"name"`
		Position       string `json:"position"`
		CorpName       string `json:"corp_name"`
		CorpFullName   string `json:"corp_full_name"`
		Type           int64  `json:"type"`
		// ExternalProfile is kept raw: Tierlink does not use it, and
		// it is an object (see ContactsPage).
		ExternalProfile json.RawMessage `json:"external_profile,omitempty"`
	} `json:"external_contact"`
	FollowInfo struct {
		UserID         string   `json:"userid"`
		Remark         string   `json:"remark"`
		Description    string   `json:"description"`
		CreateTime     int64    `json:"createtime"`
		TagID          []string `json:"tag_id"`
		RemarkCorpName string   `json:"remark_corp_name"`
		OperUserID     string   `json:"oper_userid"`
		AddWay         int64    `json:"add_way"`
	} `json:"follow_info"`
}

// sdk is the entry in the SDK's types, which the per-contact upsert
// shares with externalcontact/get (the profile, unused, left out).
func (b BatchContact) sdk() (externalcontact.ExternalContact, externalcontact.FollowInfo) {
	c, f := b.ExternalContact, b.FollowInfo
	return externalcontact.ExternalContact{ExternalUserID: c.ExternalUserID, Name: c.Name, Position: c.Position,
			CorpName: c.CorpName, CorpFullName: c.CorpFullName, Type: c.Type},
		externalcontact.FollowInfo{UserID: f.UserID, Remark: f.Remark, Description: f.Description, CreateTime: f.CreateTime,
			TagID: f.TagID, RemarkCorpName: f.RemarkCorpName, OperUserID: f.OperUserID, AddWay: f.AddWay}
}

type batchAnswer struct {
	util.CommonError
	ExternalContactList []BatchContact `json:"external_contact_list"`
	NextCursor          string         `json:"next_cursor"`
}

// ContactsPage reads one page of the external contacts that userIDs (at
// most 100) follow (externalcontact/batch/get_by_user).
//
// Written by hand although the SDK has BatchGetExternalUserDetails: its
// response type declares external_contact.external_profile a string,
// while WeCom documents (and sends, for WeCom users with a profile) an
// object, so a page holding one such contact fails to decode and the
// sync could never pass it. The token, retries and back-off are the
// same as for SDK calls (Do), and so is the HTTP client.
func (c *Client) ContactsPage(ctx context.Context, userIDs []string, cursor string, limit int) ([]BatchContact, string, error) {
	if len(userIDs) == 0 || len(userIDs) > MaxBatchUsers {
		return nil, "", fmt.Errorf("wecom batch/get_by_user: %d userids, want 1 to %d", len(userIDs), MaxBatchUsers)
	}
	body, err := json.Marshal(struct {
		UserIDList []string `json:"userid_list"`
		Cursor     string   `json:"cursor"`
		Limit      int      `json:"limit,omitempty"`
	}{userIDs, cursor, limit})
	if err != nil {
		return nil, "", err
	}
	var out batchAnswer
	err = c.Do(ctx, ContactSecret, "batch/get_by_user", func(sdk *workctx.Context) error {
		tok, err := sdk.GetAccessToken()
		if err != nil {
			return err
		}
		raw, err := util.HTTPPostContext(ctx, "https://"+wecomHost+"/cgi-bin/externalcontact/batch/get_by_user?access_token="+
			url.QueryEscape(tok), body, map[string]string{"Content-Type": "application/json; charset=utf-8"})
		if err != nil {
			return err
		}
		out = batchAnswer{}
		return util.DecodeWithError(raw, &out, "batch/get_by_user")
	})
	return out.ExternalContactList, out.NextCursor, err
}

// TagNames maps the corp's customer tag ids to their names
// (externalcontact/get_corp_tag_list).
func (c *Client) TagNames(ctx context.Context) (map[string]string, error) {
	var groups []externalcontact.TagGroup
	err := c.Do(ctx, ContactSecret, "get_corp_tag_list", func(sdk *workctx.Context) error {
		var err error
		groups, err = externalcontact.NewClient(sdk).GetCropTagList(externalcontact.GetCropTagRequest{})
		return err
	})
	out := map[string]string{}
	for _, g := range groups {
		for _, t := range g.Tag {
			if !t.Deleted {
				out[t.ID] = t.Name
			}
		}
	}
	return out, err
}

// Member reads a staff member (user/get) with the app's secret.
func (c *Client) Member(ctx context.Context, userID string) (*addresslist.UserGetResponse, error) {
	var out *addresslist.UserGetResponse
	err := c.Do(ctx, AgentSecret, "user/get", func(sdk *workctx.Context) error {
		var err error
		out, err = addresslist.NewClient(sdk).UserGet(userID)
		return err
	})
	return out, err
}

// The SDK calls the fixed host https://qyapi.weixin.qq.com through its
// package variable util.DefaultHTTPClient and offers no per-client base
// URL (util.SetURIModifier exists, but is as global, rewrites strings
// rather than parsed URLs, and sets no timeout). So one http.Client with
// a RoundTripper that rewrites the scheme and host of requests for
// qyapi.weixin.qq.com is installed once, at start; the target is a
// variable so tests can point it at their simulator. Requests to any
// other host pass unchanged. The client also bounds every SDK call with a
// timeout, which the SDK's context-less calls would otherwise lack.
var (
	routeOnce sync.Once
	routeMu   sync.RWMutex
	routeTo   *url.URL
)

const wecomHost = "qyapi.weixin.qq.com"

type rewriteTransport struct{ next http.RoundTripper }

func (t rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	routeMu.RLock()
	to := routeTo
	routeMu.RUnlock()
	if to != nil && strings.EqualFold(r.URL.Host, wecomHost) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = to.Scheme, to.Host, to.Host
		if p := strings.TrimSuffix(to.Path, "/"); p != "" {
			r.URL.Path = p + r.URL.Path
		}
	}
	return t.next.RoundTrip(r)
}

// UseAPIBase routes the SDK's WeCom calls to base (an absolute http(s)
// URL); DefaultAPIBase routes them unchanged.
func UseAPIBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("wecom API base %q is not an absolute http(s) URL", base)
	}
	routeOnce.Do(func() {
		util.DefaultHTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: rewriteTransport{next: http.DefaultTransport}}
	})
	routeMu.Lock()
	defer routeMu.Unlock()
	if strings.EqualFold(u.Host, wecomHost) && u.Scheme == "https" {
		routeTo = nil
	} else {
		routeTo = u
	}
	return nil
}
