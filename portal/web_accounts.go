package portal

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
)

func (s *Server) accountPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/login", Access: anyone, Handler: s.loginPage},
		{Method: "POST", Path: "/login", Access: anyone, Handler: s.loginSubmit, Form: accounts.LoginInput{}, Back: s.loginBack},
		{Method: "POST", Path: "/logout", Access: authed, Handler: s.logoutSubmit},
		{Method: "GET", Path: "/staff", Access: staff, Handler: s.staffPage},
		{Method: "GET", Path: "/staff/:id", Access: admin, Handler: s.staffUserPage},
		{Method: "GET", Path: "/staff/:id/deactivate", Access: admin, Handler: s.deactivatePage},
		{Method: "POST", Path: "/staff/:id/deactivate", Access: admin, Handler: ifExists(s.deps.Accounts.User, s.deactivateSubmit), Form: accounts.DeactivateInput{}, Back: s.deactivatePage},
		{Method: "POST", Path: "/staff/:id/reactivate", Access: admin, Handler: ifExists(s.deps.Accounts.User, s.reactivateSubmit)},
		{Method: "GET", Path: "/favicon.ico", Access: anyone, Handler: s.favicon},
		{Method: "GET", Path: "/branding/logo", Access: anyone, Handler: s.logo},
		{Method: "GET", Path: "/invite/:token", Access: anyone, Handler: s.invitePage},
		{Method: "POST", Path: "/invite/:token", Access: anyone, Handler: s.inviteAccept, Form: acceptRequest{}, Back: s.invitePage},
		{Method: "GET", Path: "/settings", Access: authed, Handler: s.settingsPage},
		{Method: "POST", Path: "/settings", Access: authed, Handler: s.settingsSubmit, Form: accounts.MeInput{}, Back: s.settingsPage},
	}
}

func (s *Server) logoutSubmit(c *fiber.Ctx) error {
	if err := s.deps.Accounts.Logout(c.UserContext(), c.Cookies(s.cookieName)); err != nil {
		return err
	}
	s.clearCookie(c)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

type loginData struct {
	Next, Email string
	// WeCom offers the sign-in through WeCom (web_wecom.go).
	WeCom bool
}

// nextQuery is where to go after logging in.
type nextQuery struct {
	Next string `query:"next" validate:"max=2000"`
	// Lang picks the page's language (pickLocale reads it).
	Lang string `query:"lang" validate:"omitempty,oneof=zh-CN en"`
	// Msg is the flash of the page that sent the reader here (an
	// account created, a password reset); render shows it.
	Msg string `query:"msg" validate:"omitempty,max=40"`
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	q, err := bindQuery[nextQuery](c)
	if err != nil {
		return err
	}
	if currentViewer(c).UserID != 0 {
		return c.Redirect(safeNext(q.Next), fiber.StatusSeeOther)
	}
	if q.Lang != "" {
		// The language switch before logging in: remembered for the
		// visit's later pages (pickLocale reads it after the saved
		// setting, before Accept-Language).
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: q.Lang, Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: s.secureCookies, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	return s.render(c, "login", "login", loginData{Next: safeNext(q.Next), WeCom: s.wecomSignInOn()})
}

// loginExtra is the login form's own field beside the credentials.
type loginExtra struct {
	Next string `json:"next" validate:"max=2000"`
}

func (s *Server) loginSubmit(c *fiber.Ctx) error {
	var extra loginExtra
	in, err := bindForm[accounts.LoginInput](c, s.zoneOf(c), formOptions{Extra: &extra})
	next := safeNext(extra.Next)
	if err == nil {
		var token string
		var sess accounts.Session
		token, sess, err = s.deps.Accounts.Login(c.UserContext(), in, s.clientIP(c), c.Get(fiber.HeaderUserAgent))
		if err == nil {
			s.setSessionCookie(c, token, sess.ExpiresAt)
			return c.Redirect(next, fiber.StatusSeeOther)
		}
	}
	code := partners.ErrorCode(err)
	if code != partners.EUnauthenticated && code != partners.EInvalid && code != partners.ERateLimited {
		return err
	}
	// One answer for a wrong address and a wrong password.
	p := s.problemFor(c, err)
	if code != partners.ERateLimited {
		p.Detail = pickLocale(c, "").T("wrong_login")
	}
	return s.renderStatus(c, p.Status, "login", "login", loginData{Next: next, Email: in.Email, WeCom: s.wecomSignInOn()}, &p)
}

// safeNext keeps post-login redirects on this site.
func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") || strings.ContainsAny(n, "\r\n") {
		return "/"
	}
	return n
}

type staffData struct{ Users []accounts.User }

func (s *Server) staffPage(c *fiber.Ctx) error {
	us, err := s.staffList(c, accounts.UserFilter{})
	if err != nil {
		return err
	}
	return s.render(c, "staff", "staff", staffData{Users: us})
}

type heirGroup struct {
	Partner  directory.PartnerRef
	Contacts []directory.Contact
}

type staffUserData struct {
	U      accounts.User
	Heirs  []accounts.User
	Groups []heirGroup
	// Self is the admin looking at their own account, which they cannot
	// deactivate.
	Self bool
	// Mailing: reset links are mailed, so no link to copy is offered.
	Mailing bool
}

// staffUserPage shows one account and what may be done with it:
// deactivation goes through its confirmation page, reactivation is one
// button.
func (s *Server) staffUserPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.deps.Accounts.User(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.render(c, "staff_user", "staff_user", staffUserData{U: u, Self: id == currentViewer(c).UserID, Mailing: s.mailing()})
}

// deactivatePage is deactivation's confirmation: it says what will
// happen (no more logins, sessions and tokens end, each partner's
// contacts go to the heir chosen for it) before the POST does it.
func (s *Server) deactivatePage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u, err := s.deps.Accounts.User(ctx, id)
	if err != nil {
		return err
	}
	if !u.Active || id == currentViewer(c).UserID {
		// Nothing to confirm: the account page says why, with the
		// refusal when a deactivation was posted anyway.
		if _, p := formRefused(c); p != nil {
			return s.staffUserPage(c)
		}
		return c.Redirect("/staff/"+c.Params("id"), fiber.StatusSeeOther)
	}
	cs, err := s.deps.Directory.ListContacts(ctx, directory.ContactFilter{OwnerID: id, Limit: 500})
	if err != nil {
		return err
	}
	staffUsers, err := s.staffUsers(c)
	if err != nil {
		return err
	}
	var heirs []accounts.User
	for _, h := range staffUsers {
		if h.ID != id {
			heirs = append(heirs, h)
		}
	}
	var groups []heirGroup
	idx := map[int]int{}
	for _, ct := range cs.Items {
		i, ok := idx[ct.Partner.ID]
		if !ok {
			i = len(groups)
			idx[ct.Partner.ID] = i
			groups = append(groups, heirGroup{Partner: ct.Partner})
		}
		groups[i].Contacts = append(groups[i].Contacts, ct)
	}
	return s.render(c, "staff_deactivate", "deactivate", staffUserData{U: u, Heirs: heirs, Groups: groups})
}

func (s *Server) reactivateSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.deps.Accounts.Reactivate(c.UserContext(), id); err != nil {
		return err
	}
	return c.Redirect("/staff/"+c.Params("id")+"?msg=reactivate_done", fiber.StatusSeeOther)
}

func (s *Server) deactivateSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// Each partner's row names its partner; a row whose heir is left
	// at "same as the default" is not sent.
	in, err := bindForm[accounts.DeactivateInput](c, s.zoneOf(c), formOptions{Keys: []string{"partner_id"}})
	if err != nil {
		return err
	}
	if _, err := s.deps.Accounts.Deactivate(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect("/staff?msg=deactivate_done", fiber.StatusSeeOther)
}

type inviteData struct{ Token, Email string }

func (s *Server) invitePage(c *fiber.Ctx) error {
	tok := c.Params("token")
	inv, err := s.deps.Accounts.PendingInvitation(c.UserContext(), tok)
	if err != nil {
		return err
	}
	return s.render(c, "invite", "accept_invite", inviteData{Token: tok, Email: inv.Email})
}

func (s *Server) inviteAccept(c *fiber.Ctx) error {
	in, err := bindForm[acceptRequest](c, s.zoneOf(c), formOptions{Fixed: map[string]any{"token": c.Params("token")}})
	if err != nil {
		return err
	}
	if _, err := s.acceptInvitation(c.UserContext(), in); err != nil {
		return err
	}
	return c.Redirect("/login?msg=account_created", fiber.StatusSeeOther)
}

type settingsData struct {
	Locale, TimeZone string
	// Mobile is the staff user's mobile number, for the WeCom sync.
	Mobile string
	// Now shows the time as the reader will see times, zone named.
	Now time.Time
	// Zones are the zones offered, the user's own among them.
	Zones []zoneChoice
	// Email and Mailing: the e-mail change form (web_password.go).
	Email   string
	Mailing bool
}

// zoneChoice is one time zone in the settings' list.
type zoneChoice struct{ Name, Offset string }

// commonZones are the zones offered in settings: where Tierlink's
// companies and their suppliers mostly are.
var commonZones = []string{
	"Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Tokyo", "Asia/Seoul", "Asia/Singapore",
	"Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Kolkata", "Asia/Dubai",
	"Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Istanbul", "Europe/Moscow",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Mexico_City", "America/Sao_Paulo",
	"Australia/Sydney", "Pacific/Auckland", "UTC",
}

// zoneChoices lists commonZones, with current first added when it is
// not among them, each with its offset now.
func zoneChoices(current string, now time.Time) []zoneChoice {
	names := commonZones
	if current != "" && !slices.Contains(names, current) {
		names = append([]string{current}, names...)
	}
	out := make([]zoneChoice, 0, len(names))
	for _, n := range names {
		z, err := time.LoadLocation(n)
		if err != nil {
			continue
		}
		out = append(out, zoneChoice{Name: n, Offset: utcOffset(now.In(z))})
	}
	return out
}

func (s *Server) settingsPage(c *fiber.Ctx) error {
	u, err := s.deps.Accounts.User(c.UserContext(), currentViewer(c).UserID)
	if err != nil {
		return err
	}
	return s.render(c, "settings", "settings", settingsData{Locale: u.Locale, TimeZone: u.TimeZone, Mobile: u.Mobile, Now: time.Now(), Zones: zoneChoices(u.TimeZone, time.Now()), Email: u.Email, Mailing: s.mailing()})
}

// settingsSubmit saves the settings form, and the header's language
// switch, which posts the locale alone with the page to go back to.
func (s *Server) settingsSubmit(c *fiber.Ctx) error {
	var extra loginExtra
	in, err := bindForm[accounts.MeInput](c, s.zoneOf(c), formOptions{Extra: &extra})
	if err != nil {
		return err
	}
	if _, err := s.deps.Accounts.UpdateMe(c.UserContext(), in); err != nil {
		return err
	}
	if extra.Next != "" {
		return c.Redirect(safeNext(extra.Next), fiber.StatusSeeOther)
	}
	return c.Redirect("/settings?msg=saved", fiber.StatusSeeOther)
}
