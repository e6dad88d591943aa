package portal

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
)

const (
	localRequestID = "request_id"
	localSession   = "session"
	localViewer    = "viewer"
)

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

// requestContext gives each request an id (a sane incoming X-Request-ID is
// kept, so a proxy's id links up), logs it when done, and counts it.
func (s *Server) requestContext(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(fiber.HeaderXRequestID)
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	s.securityHeaders(c)
	err := c.Next()
	if err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	if route == "/" && c.Path() != "/" {
		route = "unmatched"
	}
	d := time.Since(start)
	s.metrics.observe(c.Method(), route, status, d)
	if !s.cfg.QuietAccessLog {
		s.log.Info("request", "request_id", id, "method", c.Method(), "path", c.Path(), "route", route,
			"status", status, "duration_ms", float64(d.Microseconds())/1000, "ip", s.clientIP(c))
	}
	return nil
}

func (s *Server) securityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.secureCookies {
		c.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// clientIP is the address login throttling counts against. Forwarded
// headers are believed only from a configured trusted proxy, and read from
// the right, so a client cannot prepend an address of its choosing.
func (s *Server) clientIP(c *fiber.Ctx) string {
	remote, err := netip.ParseAddr(c.Context().RemoteIP().String())
	if err != nil {
		return c.Context().RemoteIP().String()
	}
	remote = remote.Unmap()
	if !s.trusted(remote) {
		return remote.String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
		remote = a
	}
	return remote.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// authenticate resolves who is calling: a bearer API token, else the
// session cookie. State-changing requests on a cookie session must carry
// the session's CSRF token; bearer tokens are not sent by browsers on
// their own, so they need none.
func (s *Server) authenticate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := viewer.Viewer{RequestID: requestID(c)}
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return partners.Errorf(partners.EUnauthenticated, "use Authorization: Bearer <token>")
		}
		tv, err := s.deps.Accounts.AuthenticateToken(ctx, strings.TrimSpace(tok))
		if err != nil {
			return err
		}
		tv.RequestID = v.RequestID
		c.Locals(localViewer, tv)
		c.SetUserContext(viewer.NewContext(readerLanguage(ctx, c, ""), tv))
		return c.Next()
	}
	if tok := c.Cookies(s.cookieName); tok != "" {
		sess, err := s.deps.Accounts.Authenticate(ctx, tok)
		if err == nil {
			if unsafeMethod(c.Method()) && !s.csrfOK(c, sess.CSRF) {
				return partners.Errorf(partners.EForbidden, "missing or wrong CSRF token; reload the page and try again")
			}
			sess.Viewer.RequestID = v.RequestID
			c.Locals(localSession, &sess)
			c.Locals(localViewer, sess.Viewer)
			c.SetUserContext(viewer.NewContext(readerLanguage(ctx, c, sess.Locale), sess.Viewer))
			return c.Next()
		}
		if partners.ErrorCode(err) != partners.EUnauthenticated {
			return err
		}
		s.clearCookie(c)
	}
	if unsafeMethod(c.Method()) && !s.sameOrigin(c) {
		return partners.Errorf(partners.EForbidden, "cross-site request refused")
	}
	c.Locals(localViewer, v)
	return c.Next()
}

func unsafeMethod(m string) bool {
	return m != fiber.MethodGet && m != fiber.MethodHead && m != fiber.MethodOptions
}

func (s *Server) csrfOK(c *fiber.Ctx, want string) bool {
	got := c.Get("X-CSRF-Token")
	if got == "" && strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
		got = c.FormValue("_csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sameOrigin guards anonymous state-changing requests (login, accepting an
// invitation) against cross-site forms, where no session token exists yet.
func (s *Server) sameOrigin(c *fiber.Ctx) bool {
	if site := c.Get("Sec-Fetch-Site"); site == "cross-site" {
		return false
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && (strings.EqualFold(u.Host, s.cfg.BaseURL.Host) || strings.EqualFold(u.Host, string(c.Request().Host())))
}

func currentViewer(c *fiber.Ctx) viewer.Viewer {
	v, _ := c.Locals(localViewer).(viewer.Viewer)
	return v
}

func currentSession(c *fiber.Ctx) *accounts.Session {
	s, _ := c.Locals(localSession).(*accounts.Session)
	return s
}

// access is who may call a route; it is declared with the route and
// checked before the handler runs, so it cannot depend on the record.
type access string

const (
	anyone  access = "anyone"
	authed  access = "authenticated"
	staff   access = "staff"
	editor  access = "editor"
	admin   access = "admin"
	partner access = "partner"
)

func (a access) check(v viewer.Viewer) error {
	if a == anyone {
		return nil
	}
	if v.UserID == 0 {
		return partners.Errorf(partners.EUnauthenticated, "log in or send an API token")
	}
	ok := false
	switch a {
	case authed:
		ok = true
	case staff:
		ok = v.IsStaff()
	case editor:
		ok = v.CanEdit()
	case admin:
		ok = v.Role == viewer.RoleAdmin
	case partner:
		ok = v.IsPartner()
	}
	if !ok {
		return partners.Errorf(partners.EForbidden, "your role may not do this")
	}
	return nil
}

func (a access) handler(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := a.check(currentViewer(c)); err != nil {
			return err
		}
		return h(c)
	}
}

func (s *Server) setSessionCookie(c *fiber.Ctx, token string, exp time.Time) {
	c.Cookie(&fiber.Cookie{Name: s.cookieName, Value: token, Path: "/", Expires: exp, Secure: s.secureCookies,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: s.cookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		Secure: s.secureCookies, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func withViewer(c *fiber.Ctx, v viewer.Viewer) context.Context {
	v.RequestID = requestID(c)
	return viewer.NewContext(c.UserContext(), v)
}
