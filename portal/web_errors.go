package portal

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
)

// flashCookie carries a refusal, already in the reader's language, from
// a form-less POST (delete, retry, run) to the page it redirects back
// to, which shows it once as an alert. A cookie, not a query parameter,
// so that no link can make a page say something the server did not.
const flashCookie = "tl_alert"

// refererBack is the Back of a route whose form is a button on some
// page (a card's actions, a delete, a retry): a refusal goes back to the
// page it was posted from, the Referer when it is this site's, with the
// reason shown there; without one it is the error page, whose back link
// goes to the route's own page.
func (s *Server) refererBack(c *fiber.Ctx) error {
	p, _ := c.Locals(localForm + ".problem").(*Problem)
	back, ok := sameOriginReferer(c)
	if p == nil || !ok {
		return errors.New("no page to go back to")
	}
	parts := []string{p.Detail}
	for _, fe := range p.Errors {
		parts = append(parts, fe.Reason)
	}
	msg := strings.Join(parts, " · ")
	if len(msg) > 1500 {
		msg = msg[:1500]
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: "/",
		HTTPOnly: true, SameSite: "Lax", Secure: c.Protocol() == "https", Expires: time.Now().Add(time.Minute)})
	return c.Redirect(back, fiber.StatusSeeOther)
}

// takeFlash reads and clears the refusal refererBack left for this page.
func takeFlash(c *fiber.Ctx) string {
	v := c.Cookies(flashCookie)
	if v == "" {
		return ""
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", HTTPOnly: true, SameSite: "Lax", Expires: time.Unix(1, 0)})
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// sameOriginReferer is the path and query of the Referer when it is a
// page of this site.
func sameOriginReferer(c *fiber.Ctx) (string, bool) {
	ref := c.Get(fiber.HeaderReferer)
	if ref == "" {
		return "", false
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host != c.Hostname() || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/api/") {
		return "", false
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p, true
}

// backPath is where an error page's "back" link goes: the page the
// request came from when it is this site's, else the nearest page of
// the route's own path (/orders/5 for /orders/5/acknowledge), never "/"
// when a page is nearer.
func (s *Server) backPath(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet {
		// The page itself failed: going back to it would loop.
		if parent := s.pageAbove(c.Path()); parent != "" {
			return parent
		}
		return "/"
	}
	if p, ok := sameOriginReferer(c); ok {
		return p
	}
	if c.Method() != fiber.MethodGet {
		if s.isPage(c.Path()) {
			return c.Path()
		}
	}
	if parent := s.pageAbove(c.Path()); parent != "" {
		return parent
	}
	return "/"
}

// pageAbove is the nearest GET page above path (/orders for /orders/5).
func (s *Server) pageAbove(path string) string {
	for p := path; ; {
		i := strings.LastIndex(p, "/")
		if i <= 0 {
			return ""
		}
		p = p[:i]
		if s.isPage(p) {
			return p
		}
	}
}

// isPage says whether a GET page route matches path.
func (s *Server) isPage(path string) bool {
	segs := strings.Split(path, "/")
	for _, r := range s.pageRoutes() {
		if r.Method != fiber.MethodGet {
			continue
		}
		rs := strings.Split(r.Path, "/")
		if len(rs) != len(segs) {
			continue
		}
		match := true
		for i := range rs {
			if !strings.HasPrefix(rs[i], ":") && rs[i] != segs[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// errorPage is what the error page shows: the problem, in the reader's
// language, and where "back" goes.
type errorPage struct {
	Problem
	Back string
}

// canRefuse says whether err is a refusal of the input (shown back on
// the form) rather than a failure.
func canRefuse(err error) bool {
	var br badRequest
	code := partners.ErrorCode(err)
	return code == partners.EInvalid || code == partners.EConflict || errors.As(err, &br)
}

// loginBack shows the login form again after a refusal loginSubmit did
// not answer itself (a form that cannot be read), even to a visitor
// already logged in, whom the login page would send on.
func (s *Server) loginBack(c *fiber.Ctx) error {
	next := "/"
	if extra, ok := c.Locals(localFormExtra).(*loginExtra); ok {
		next = safeNext(extra.Next)
	}
	return s.render(c, "login", "login", loginData{Next: next})
}
