package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/accounts"
)

// forgotResult is the one answer to a reset request, whatever the
// address: Mailing says whether a link can be mailed at all.
type forgotResult struct {
	Mailing bool `json:"mailing"`
}

// registerPasswordRoutes declares the password reset API. (Slice M2.)
func (s *Server) registerPasswordRoutes(g api) {
	acc := s.deps.Accounts
	g.handle("POST", "/forgot", op{Summary: "Ask for a password reset link by e-mail", Tag: "auth", Access: anyone,
		Description: "Mails a link to set a new password to the address, if it belongs to an active account; the link works once, for 30 minutes. " +
			"The answer is the same 202 whether or not the address has an account, and nothing is sent to an address without one. " +
			"At most 5 requests per address and 30 per client an hour; past that 429, again the same for every address. " +
			"mailing is false when the portal sends no mail: ask an administrator for a link then.",
		Body: accounts.ForgotInput{}, Resp: forgotResult{}, Status: 202, Errors: []int{429}}, func(c *fiber.Ctx) error {
		in, err := bind[accounts.ForgotInput](c)
		if err != nil {
			return err
		}
		if err := acc.RequestReset(c.UserContext(), in, s.clientIP(c), pickLocale(c, sessionLocale(c)).Lang); err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(forgotResult{Mailing: acc.Mailing()})
	})
	g.handle("POST", "/reset", op{Summary: "Set a new password with a reset link's token", Tag: "auth", Access: anyone,
		Description: "Sets the password (at least 12 characters) of the account a reset token was mailed for, and ends every session of that account. " +
			"A token works once and for 30 minutes: an unknown, used or expired token is 404. Answers 204 with no body.",
		Body: accounts.ResetInput{}, Status: 204, Errors: []int{404}}, func(c *fiber.Ctx) error {
		in, err := bind[accounts.ResetInput](c)
		if err != nil {
			return err
		}
		if err := acc.ResetPassword(c.UserContext(), in); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	g.handle("POST", "/email", op{Summary: "Change my e-mail address, confirmed by mail", Tag: "auth", Access: authed,
		Description: "Mails a confirmation link to the new address (it works once, for 24 hours) and tells the old address; the address changes " +
			"only when the link is confirmed, and is refused then (409) if another account took it meanwhile. Needs mail: without it 409. Answers 202.",
		Body: accounts.EmailChangeInput{}, Status: 202, Errors: []int{409}}, func(c *fiber.Ctx) error {
		in, err := bind[accounts.EmailChangeInput](c)
		if err != nil {
			return err
		}
		if err := acc.RequestEmailChange(c.UserContext(), in); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusAccepted)
	})
	g.handle("POST", "/email/confirm", op{Summary: "Confirm a new e-mail address with the mailed token", Tag: "auth", Access: anyone,
		Description: "Sets the account's e-mail to the new address a confirmation token was mailed to. A token works once and for 24 hours: " +
			"an unknown, used or expired token is 404; an address another account took meanwhile is 409.",
		Body: accounts.EmailConfirmInput{}, Resp: accounts.User{}, Errors: []int{404, 409}}, func(c *fiber.Ctx) error {
		in, err := bind[accounts.EmailConfirmInput](c)
		if err != nil {
			return err
		}
		u, err := acc.ConfirmEmailChange(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.JSON(u)
	})
}
