package portal

import (
	"slices"

	"github.com/gofiber/fiber/v2"
)

// pageRoute is one browser route, declared once: registration, its access
// rule and the tests that enumerate pages (the bad-input table, the
// page/API parity test) read the same value.
type pageRoute struct {
	Method, Path string
	Access       access
	Handler      fiber.Handler
	// Form is the typed input a POST binds with bindForm, nil when it
	// takes no fields; tests generate bad input from it.
	Form any
	// Back shows the page holding the form again when the input is
	// refused (or, refererBack, goes back to the page posted from with
	// the reason as an alert); without it a refusal is an error page
	// whose back link goes to the form's page.
	Back fiber.Handler
}

// pageRoutes lists every page route in registration order (a fixed path
// before the :id path it would otherwise match). A form route whose :id
// names a record is wrapped in ifExists, as the API's are, so an unknown
// record is a 404 before its form is judged.
func (s *Server) pageRoutes() []pageRoute {
	return slices.Concat(s.homePages(), s.accountPages(), s.directoryPages(), s.documentPages(), s.orderPages(), s.shipmentPages(),
		s.groupPages(), s.jobPages(), s.scorecardPages(), s.wecomPages(), s.wecomInboxPages(), s.wecomSettingsPages(),
		s.mailAdminPages(), s.accountMailPages(), s.notifyPages(), s.mailActionPages())
}

func (s *Server) registerPages() {
	for _, r := range s.pageRoutes() {
		h := r.Handler
		if r.Form != nil || r.Back != nil {
			h = s.withForm(h, r.Back)
		}
		s.app.Add(r.Method, r.Path, r.Access.handler(h))
	}
	s.app.Use(func(c *fiber.Ctx) error { return fiber.NewError(fiber.StatusNotFound, "no such page") })
}
