package portal

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/groups"
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
	s.registerMailLinkRoutes(api{s: s, router: s.app.Group("/api/v1/mail-links"), prefix: "/api/v1/mail-links"})
}

// registerMailLinkRoutes are the API twins of the mailed links' forms:
// a signed link is the caller's proof, so they need no session.
func (s *Server) registerMailLinkRoutes(r api) {
	r.handle("POST", "/act/:token", op{Summary: "Take a mailed one-click action", Tag: "groups", Access: anyone,
		Body: notify.ActionInput{}, Resp: groups.ActionResult{}, Errors: []int{403, 404, 409},
		Description: "Takes the card action a notification e-mail's link names, as the user the link was mailed to, through the same card " +
			"service as POST /api/v1/cards/{id}/actions. The link works once, until its card is settled or changes, and for 30 days at most " +
			"(409 with the reason: used, expired, changed, or already approved by whom and when). A caller signed in as another user is refused (403)."},
		func(c *fiber.Ctx) error {
			if s.deps.Notify == nil {
				return fiber.NewError(fiber.StatusNotFound, "notifications are not set up")
			}
			in, err := bind[notify.ActionInput](c)
			if err != nil {
				return err
			}
			tok := strings.Clone(c.Params("token"))
			view, err := s.deps.Notify.Action(c.UserContext(), tok)
			if err != nil {
				return err
			}
			if err := s.otherUser(c, view); err != nil {
				return err
			}
			res, err := s.deps.Notify.Act(c.UserContext(), tok, in)
			if err != nil {
				return err
			}
			return c.JSON(res)
		})
	r.handle("POST", "/unsubscribe/:token", op{Summary: "Unsubscribe with a mailed link", Tag: "auth", Access: anyone,
		Body: unsubscribeForm{}, Resp: notify.Unsubscription{}, Errors: []int{404},
		Description: "Turns off what a notification e-mail's unsubscribe link names (one kind of notice for a user, every kind for the " +
			"digest's link, order notices for a contact without a login). The link is the proof; doing it again is harmless."},
		func(c *fiber.Ctx) error {
			if s.deps.Notify == nil {
				return fiber.NewError(fiber.StatusNotFound, "notifications are not set up")
			}
			if _, err := bind[unsubscribeForm](c); err != nil {
				return err
			}
			u, err := s.deps.Notify.Unsubscribe(c.UserContext(), strings.Clone(c.Params("token")))
			if err != nil {
				return err
			}
			return c.JSON(u)
		})
}
