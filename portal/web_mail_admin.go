package portal

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/mail"
)

// mailAdminPages are the admin's mail pages: whether SMTP is configured
// (the server and sender, never the password), the outbox counts, dead
// letters with their retry, bouncing addresses, and a test mail to
// oneself. They call the same outbox service as /api/v1/mail.
func (s *Server) mailAdminPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/admin/mail", Access: admin, Handler: s.mailAdminPage},
		{Method: "POST", Path: "/admin/mail/test", Access: admin, Handler: s.mailTestSubmit, Back: s.refererBack},
		{Method: "POST", Path: "/admin/mail/:id/retry", Access: admin, Handler: s.mailRetrySubmit, Back: s.refererBack},
	}
}

// mailAdminQuery is the admin mail page's query: where the dead letters
// resume, and the flash the layout shows after a redirect.
type mailAdminQuery struct {
	Cursor string `query:"cursor" validate:"omitempty,max=200"`
	Msg    string `query:"msg" validate:"omitempty,max=40"`
}

type mailAdminData struct {
	St       mail.SendingStatus
	Counts   mail.OutboxCounts
	Dead     mail.OutboxPage
	Bouncing []mail.BouncingAddress
	// Me is the admin's own address, where the test mail goes.
	Me string
	// Next and First page through the dead letters.
	Next, First string
}

func (s *Server) mailAdminPage(c *fiber.Ctx) error {
	q, err := bindQuery[mailAdminQuery](c)
	if err != nil {
		return err
	}
	ctx, m := c.UserContext(), s.deps.Mail
	var d mailAdminData
	if d.St, err = m.Status(ctx); err != nil {
		return err
	}
	if d.Counts, err = m.Counts(ctx); err != nil {
		return err
	}
	if d.Dead, err = m.List(ctx, mail.OutboxFilter{State: "dead", Cursor: q.Cursor, Limit: 50}); err != nil {
		return err
	}
	if d.Bouncing, err = m.Bouncing(ctx); err != nil {
		return err
	}
	if sess := currentSession(c); sess != nil {
		if u, err := s.deps.Accounts.User(ctx, sess.Viewer.UserID); err == nil {
			d.Me = u.Email
		}
	}
	if d.Dead.NextCursor != "" {
		d.Next = "/admin/mail?cursor=" + url.QueryEscape(d.Dead.NextCursor) + "#mail-dead"
	}
	if q.Cursor != "" {
		d.First = "/admin/mail#mail-dead"
	}
	return s.render(c, "mail_admin", "mail_admin_title", d)
}

// mailTestSubmit queues a test mail to the admin who asks, in their
// language (the page's when they chose none).
func (s *Server) mailTestSubmit(c *fiber.Ctx) error {
	sess := currentSession(c)
	if sess == nil {
		return fiber.ErrUnauthorized
	}
	ctx := c.UserContext()
	u, err := s.deps.Accounts.User(ctx, sess.Viewer.UserID)
	if err != nil {
		return err
	}
	lang := u.Locale
	if lang == "" {
		lang = pickLocale(c, sess.Locale).Lang
	}
	if _, err := s.deps.Mail.SendTest(ctx, mail.Recipient{Addr: u.Email, Name: u.Name, Lang: lang, UserID: u.ID}); err != nil {
		return err
	}
	return c.Redirect("/admin/mail?msg=mail_admin_test_queued", fiber.StatusSeeOther)
}

func (s *Server) mailRetrySubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.deps.Mail.Retry(c.UserContext(), id); err != nil {
		return err
	}
	return c.Redirect("/admin/mail?msg=mail_admin_retried#mail-dead", fiber.StatusSeeOther)
}
