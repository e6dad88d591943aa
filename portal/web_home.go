package portal

import "github.com/gofiber/fiber/v2"

// homePages is the first page after logging in.
func (s *Server) homePages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/", Access: authed, Handler: s.homePage},
	}
}

func (s *Server) homePage(c *fiber.Ctx) error {
	v := currentViewer(c)
	if v.IsPartner() {
		return c.Redirect("/partners/"+itoa(v.PartnerID), fiber.StatusSeeOther)
	}
	return c.Redirect("/partners", fiber.StatusSeeOther)
}
