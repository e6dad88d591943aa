package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/notify"
)

// registerNotifyRoutes declares the notification preference API.
func (s *Server) registerNotifyRoutes(r api) {
	r.handle("GET", "/", op{Summary: "My notification e-mail settings", Tag: "auth", Access: authed, Resp: notify.Prefs{},
		Description: "The caller's choice for each kind of notification e-mail: immediately (the default), digest (one mail a day at 08:00 " +
			"in the user's time zone) or off."}, func(c *fiber.Ctx) error {
		if s.deps.Notify == nil {
			return fiber.NewError(fiber.StatusNotFound, "notifications are not set up")
		}
		p, err := s.deps.Notify.Prefs(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(p)
	})
	r.handle("PUT", "/", op{Summary: "Change my notification e-mail settings", Tag: "auth", Access: authed, Body: notify.PrefsInput{}, Resp: notify.Prefs{},
		Description: "Sets the caller's choice for the kinds given (immediately, digest or off); kinds left out or empty are kept. " +
			"Answers with every kind's choice."}, func(c *fiber.Ctx) error {
		if s.deps.Notify == nil {
			return fiber.NewError(fiber.StatusNotFound, "notifications are not set up")
		}
		in, err := bind[notify.PrefsInput](c)
		if err != nil {
			return err
		}
		p, err := s.deps.Notify.SetPrefs(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.JSON(p)
	})
}
