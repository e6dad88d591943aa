package portal

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/accounts"
)

// accountMailPages are the pages mail links to about an account:
// forgotten password, reset, e-mail change and its confirmation. (Slice M2.)
func (s *Server) accountMailPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/password/forgot", Access: anyone, Handler: s.forgotPage},
		{Method: "POST", Path: "/password/forgot", Access: anyone, Handler: s.forgotSubmit, Form: accounts.ForgotInput{}, Back: s.forgotPage},
		{Method: "GET", Path: "/password/reset/:token", Access: anyone, Handler: s.resetPage},
		{Method: "POST", Path: "/password/reset/:token", Access: anyone, Handler: s.resetSubmit, Form: accounts.ResetInput{}, Back: s.resetPage},
		{Method: "POST", Path: "/staff/:id/reset-link", Access: admin, Handler: ifExists(s.deps.Accounts.User, s.resetLinkSubmit)},
		{Method: "POST", Path: "/settings/email", Access: authed, Handler: s.emailChangeSubmit, Form: accounts.EmailChangeInput{}, Back: s.settingsPage},
		{Method: "GET", Path: "/email/confirm/:token", Access: anyone, Handler: s.emailConfirmPage},
		{Method: "POST", Path: "/email/confirm/:token", Access: anyone, Handler: s.emailConfirmSubmit},
	}
}

// mailing reports whether account links go out by mail; otherwise the
// pages offer links to copy, as before mail.
func (s *Server) mailing() bool { return s.deps.Accounts.Mailing() }

type forgotData struct {
	// Mailing is false when no mail can be sent: the page says to ask an
	// administrator.
	Mailing bool
	// Sent shows the one answer, whether or not the address exists.
	Sent bool
}

func (s *Server) forgotPage(c *fiber.Ctx) error {
	return s.render(c, "password_forgot", "password_forgot_title", forgotData{Mailing: s.mailing()})
}

// forgotSubmit asks for a reset link; the answer is the same page
// whether or not the address has an account.
func (s *Server) forgotSubmit(c *fiber.Ctx) error {
	in, err := bindForm[accounts.ForgotInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	if err := s.deps.Accounts.RequestReset(c.UserContext(), in, s.clientIP(c), pickLocale(c, sessionLocale(c)).Lang); err != nil {
		return err
	}
	return s.render(c, "password_forgot", "password_forgot_title", forgotData{Mailing: s.mailing(), Sent: true})
}

type resetData struct{ Token string }

func (s *Server) resetPage(c *fiber.Ctx) error {
	tok := c.Params("token")
	if err := s.deps.Accounts.PendingReset(c.UserContext(), tok); err != nil {
		return err
	}
	return s.render(c, "password_reset", "password_reset_title", resetData{Token: tok})
}

func (s *Server) resetSubmit(c *fiber.Ctx) error {
	in, err := bindForm[accounts.ResetInput](c, s.zoneOf(c), formOptions{Fixed: map[string]any{"token": c.Params("token")}})
	if err != nil {
		return err
	}
	if err := s.deps.Accounts.ResetPassword(c.UserContext(), in); err != nil {
		return err
	}
	// Every session ended, this browser's too.
	s.clearCookie(c)
	return c.Redirect("/login?msg=password_reset_done", fiber.StatusSeeOther)
}

type resetLinkData struct {
	U         accounts.User
	URL       string
	ExpiresAt time.Time
}

// resetLinkSubmit makes a 30-minute reset link an admin hands over by
// hand, shown this once (it is stored only hashed).
func (s *Server) resetLinkSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u, err := s.deps.Accounts.User(ctx, id)
	if err != nil {
		return err
	}
	l, err := s.deps.Accounts.ResetLinkFor(ctx, id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, "password_reset_link", "password_reset_link_title", resetLinkData{U: u, URL: s.resetURL(l.Token), ExpiresAt: l.ExpiresAt})
}

func (s *Server) resetURL(token string) string {
	u := *s.cfg.BaseURL
	u.Path = "/password/reset/" + token
	return u.String()
}

func (s *Server) emailChangeSubmit(c *fiber.Ctx) error {
	in, err := bindForm[accounts.EmailChangeInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	if err := s.deps.Accounts.RequestEmailChange(c.UserContext(), in); err != nil {
		return err
	}
	return c.Redirect("/settings?msg=email_change_sent", fiber.StatusSeeOther)
}

type emailConfirmData struct{ Token, Email string }

// emailConfirmPage shows what the link will do; only its POST changes
// the address, so a mail scanner fetching the link changes nothing.
func (s *Server) emailConfirmPage(c *fiber.Ctx) error {
	tok := c.Params("token")
	email, err := s.deps.Accounts.PendingEmailChange(c.UserContext(), tok)
	if err != nil {
		return err
	}
	return s.render(c, "email_confirm", "email_change_confirm_title", emailConfirmData{Token: tok, Email: email})
}

func (s *Server) emailConfirmSubmit(c *fiber.Ctx) error {
	if _, err := s.deps.Accounts.ConfirmEmailChange(c.UserContext(), accounts.EmailConfirmInput{Token: c.Params("token")}); err != nil {
		return err
	}
	if currentViewer(c).UserID != 0 {
		return c.Redirect("/settings?msg=email_change_done", fiber.StatusSeeOther)
	}
	return c.Redirect("/login?msg=email_change_done", fiber.StatusSeeOther)
}
