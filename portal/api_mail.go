package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/mail"
)

// registerMailRoutes declares the mail outbox API: the rows waiting, sent
// and dead (their subject, never their text) and the admin's retry of a
// dead letter.
func (s *Server) registerMailRoutes(g api) {
	g.list("/outbox", op{Summary: "The mail outbox: pending, sending, sent, dead and skipped mail", Tag: "mail", Access: admin,
		Query: mail.OutboxFilter{}, Resp: mail.OutboxPage{},
		Description: "Every e-mail the portal queued, newest first, a page at a time, with its attempts, the last error and the SMTP code; " +
			"filter by state. Only the subject is shown, never the text. Admins only."},
		func(c *fiber.Ctx) error {
			q, err := bindQuery[mail.OutboxFilter](c)
			if err != nil {
				return err
			}
			out, err := s.deps.Mail.List(c.UserContext(), q)
			if err != nil {
				return err
			}
			return c.JSON(out)
		})
	g.handle("POST", "/outbox/:id/retry", op{Summary: "Put a dead mail back in the outbox", Tag: "mail", Access: admin,
		Resp: mail.OutboxItem{}, Errors: []int{409},
		Description: "Queues a dead mail again with fresh attempts, to be sent now, and records it in the audit trail. " +
			"Only a dead mail can be retried: a pending, sent or skipped one is 409. Admins only."},
		func(c *fiber.Ctx) error {
			id, err := pathID(c, "id")
			if err != nil {
				return err
			}
			out, err := s.deps.Mail.Retry(c.UserContext(), id)
			if err != nil {
				return err
			}
			return c.JSON(out)
		})
}
