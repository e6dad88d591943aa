package portal

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/wecom"
)

// Sign-in from the WeCom workbench and the WeCom settings page. The
// sign-in rules (state, code, who may sign in) live in partners/wecom;
// these handlers carry the browser through WeCom's OAuth2 page and back.

func (s *Server) wecomPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/wecom/login", Access: anyone, Handler: s.wecomLogin},
		{Method: "GET", Path: "/wecom/oauth", Access: anyone, Handler: s.wecomOAuth},
		{Method: "GET", Path: "/wecom/refused", Access: anyone, Handler: s.wecomRefusedPage},
		{Method: "GET", Path: "/admin/wecom", Access: admin, Handler: s.wecomAdminPage},
	}
}

// wecomStateCookie binds a sign-in's state to the browser that started
// it; __Host- when the portal is served over https, like the session.
func (s *Server) wecomStateCookie() string {
	if s.secureCookies {
		return "__Host-tierlink_wecom_state"
	}
	return "tierlink_wecom_state"
}

// wecomSignInOn reports whether sign-in through WeCom is configured.
func (s *Server) wecomSignInOn() bool {
	return s.deps.WeCom != nil && s.deps.WeCom.Config().SignInConfigured()
}

// wecomRefuse sends the browser to the page explaining a refusal: a
// redirect, so the used code leaves the address bar and a reload cannot
// replay it.
func (s *Server) wecomRefuse(c *fiber.Ctx, err error) error {
	r := wecom.Refused(err)
	if r == "" {
		return err
	}
	s.log.InfoContext(c.UserContext(), "wecom sign-in refused", "reason", r, "err", err, "request_id", requestID(c))
	return c.Redirect("/wecom/refused?reason="+string(r), fiber.StatusSeeOther)
}

// wecomLogin starts a sign-in: the workbench entry points here (with
// ?next= for a deep link), and the browser goes on to WeCom's OAuth2
// page with a fresh state bound to it by a signed cookie.
func (s *Server) wecomLogin(c *fiber.Ctx) error {
	q, err := bindQuery[nextQuery](c)
	if err != nil {
		return err
	}
	next := safeNext(q.Next)
	if q.Lang != "" {
		// A workbench entry may name the language; the refusal page and
		// the pages after sign-in read it as the login page's switch.
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: q.Lang, Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: s.secureCookies, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	if currentViewer(c).UserID != 0 {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	if !s.wecomSignInOn() {
		return s.wecomRefuse(c, &wecom.SignInError{Reason: wecom.RefusedNotConfigured})
	}
	st, err := s.deps.WeCom.StartSignIn(next)
	if err != nil {
		return s.wecomRefuse(c, err)
	}
	// Lax: the return from WeCom is a top-level GET navigation, which
	// carries the cookie; it lives as long as the state is accepted.
	c.Cookie(&fiber.Cookie{Name: s.wecomStateCookie(), Value: st.Cookie, Path: "/", MaxAge: int(wecom.StateLifetime / time.Second),
		Secure: s.secureCookies, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(s.deps.WeCom.Config().AuthorizeURL(s.cfg.BaseURL.JoinPath("/wecom/oauth").String(), st.State), fiber.StatusFound)
}

// wecomOAuth is WeCom's return with ?code=&state=: the state is checked
// against the browser's cookie (which is spent either way), the code
// exchanged for the member's userid, and the linked staff user signed
// in with a normal session.
func (s *Server) wecomOAuth(c *fiber.Ctx) error {
	// Read by hand rather than with bindQuery: WeCom owns this URL's
	// query and may add parameters of its own, which must not turn a
	// sign-in into an "unknown parameter" error.
	code, state := c.Query("code"), c.Query("state")
	cookie := c.Cookies(s.wecomStateCookie())
	c.Cookie(&fiber.Cookie{Name: s.wecomStateCookie(), Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		Secure: s.secureCookies, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	c.Set(fiber.HeaderCacheControl, "no-store")
	if !s.wecomSignInOn() {
		return s.wecomRefuse(c, &wecom.SignInError{Reason: wecom.RefusedNotConfigured})
	}
	if len(state) > 200 || len(code) > 1024 {
		return s.wecomRefuse(c, &wecom.SignInError{Reason: wecom.RefusedBadState})
	}
	next, err := s.deps.WeCom.CheckState(cookie, state)
	if err != nil {
		return s.wecomRefuse(c, err)
	}
	ctx := c.UserContext()
	uid, err := s.deps.WeCom.SignInUser(ctx, code)
	if err != nil {
		return s.wecomRefuse(c, err)
	}
	token, sess, err := s.deps.Accounts.SignInWeCom(ctx, uid, s.clientIP(c), c.Get(fiber.HeaderUserAgent))
	switch partners.ErrorCode(err) {
	case "":
	case partners.EUnauthenticated:
		return s.wecomRefuse(c, &wecom.SignInError{Reason: wecom.RefusedInactive})
	case partners.EForbidden:
		return s.wecomRefuse(c, &wecom.SignInError{Reason: wecom.RefusedPartnerUser})
	default:
		return err
	}
	// A session this browser held before (another user's, perhaps) ends:
	// one browser, one signed-in user.
	if old := c.Cookies(s.cookieName); old != "" {
		if err := s.deps.Accounts.Logout(ctx, old); err != nil {
			return err
		}
	}
	s.setSessionCookie(c, token, sess.ExpiresAt)
	return c.Redirect(safeNext(next), fiber.StatusSeeOther)
}

// refusedQuery names the refusal to explain.
type refusedQuery struct {
	Reason string `query:"reason" validate:"omitempty,max=40"`
}

type wecomRefusedData struct {
	Reason string
	// Retry is set when starting again may work (a lapsed state or code,
	// WeCom unreachable); Password when the password form is offered.
	Retry bool
}

// wecomRefusedPage explains why a sign-in through WeCom was refused, in
// the reader's language, with the ways on.
func (s *Server) wecomRefusedPage(c *fiber.Ctx) error {
	q, err := bindQuery[refusedQuery](c)
	if err != nil {
		return err
	}
	r := wecom.Refusal(q.Reason)
	if !r.Valid() {
		r = wecom.RefusedBadState
	}
	retry := s.wecomSignInOn() && (r == wecom.RefusedBadState || r == wecom.RefusedBadCode || r == wecom.RefusedUnavailable)
	return s.render(c, "wecom_refused", "wecom_refused_title", wecomRefusedData{Reason: string(r), Retry: retry})
}

type wecomAdminData struct {
	St wecom.Status
	// CallbackURL and RedirectDomain are what to enter in WeCom's admin
	// console: the app's callback (接收消息) URL and its trusted domain
	// for web sign-in (网页授权及JS-SDK可信域名).
	CallbackURL, RedirectDomain, WorkbenchURL string
	// Settings are the stored settings the form edits
	// (web_wecom_settings.go).
	Settings wecom.Settings
}

// Console names each setting as WeCom's admin console labels it, shown
// in <code> beside the label so an admin finds the value to copy; the
// console uses these words in both of its languages.
func (wecomAdminData) Console(key string) string {
	return map[string]string{"corp_id": "CorpID", "agent_id": "AgentId", "agent_secret": "Secret",
		"contact_secret": "Secret", "callback_token": "Token", "callback_aes_key": "EncodingAESKey"}[key]
}

// wecomAdminPage shows the WeCom connection: what is configured (never a
// secret, only whether it is set), the last sync and a "sync now"
// button, and what to enter in WeCom's console.
func (s *Server) wecomAdminPage(c *fiber.Ctx) error {
	var st wecom.Status
	var set wecom.Settings
	if s.deps.WeCom != nil {
		var err error
		if st, err = s.deps.WeCom.Status(c.UserContext()); err != nil {
			return err
		}
		if set, err = s.deps.WeCom.Settings(c.UserContext()); err != nil {
			return err
		}
	}
	return s.render(c, "wecom_admin", "wecom_admin_title", wecomAdminData{St: st, Settings: set,
		CallbackURL: s.cfg.BaseURL.JoinPath("/wecom/callback").String(), RedirectDomain: s.cfg.BaseURL.Host,
		WorkbenchURL: s.cfg.BaseURL.JoinPath("/wecom/login").String()})
}
