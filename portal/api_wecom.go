package portal

import (
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/wecom"
)

// externalUserIDRE is the shape of a WeCom external_userid; anything else
// names no contact.
var externalUserIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

func (s *Server) registerWeComRoutes(r api) {
	wc := s.deps.WeCom
	r.list("/unmatched", op{Summary: "WeCom contacts waiting for a partner (the unmatched inbox)", Tag: "wecom", Access: staff,
		Description: "External contacts the WeCom sync could not match to a partner by corp full name, corp name or a corp mapping, " +
			"oldest first, a page at a time, each with the WeCom userids following it. Contacts removed in WeCom are left out. Staff only.",
		Query: wecom.UnmatchedFilter{}, Resp: wecom.ContactPage{}}, listOf(wc.Unmatched))
	r.handle("POST", "/unmatched/:external_userid/assign", op{Summary: "Assign an unmatched WeCom contact to a partner", Tag: "wecom",
		Access: editor, Errors: []int{409},
		Description: "Gives the contact its partner and, when one of its followers is an active staff user linked to WeCom, adds it to the " +
			"directory with the owner the owner rule picks (the follower who added it first). A contact that already has a partner is 409. " +
			"Buyers and admins; audited.",
		Body: wecom.AssignInput{}, Resp: wecom.Contact{}}, func(c *fiber.Ctx) error {
		id := c.Params("external_userid")
		if !externalUserIDRE.MatchString(id) {
			return partners.NotFound("WeCom contact")
		}
		in, err := bind[wecom.AssignInput](c)
		if err != nil {
			return err
		}
		out, err := wc.Assign(c.UserContext(), strings.Clone(id), in)
		if err != nil {
			return err
		}
		return c.JSON(out)
	})
	r.handle("POST", "/corp-mappings", op{Summary: "Map a WeCom corp name to a partner", Tag: "wecom", Access: editor,
		Description: "Records that WeCom contacts of this corp name (compared case- and space-insensitively) belong to the partner, so " +
			"the sync matches them; a name mapped before moves to the new partner. The unmatched contacts of that corp are matched at once, " +
			"and `matched` says how many. Buyers and admins; audited.",
		Body: wecom.MapCorpInput{}, Resp: wecom.CorpMapping{}}, func(c *fiber.Ctx) error {
		in, err := bind[wecom.MapCorpInput](c)
		if err != nil {
			return err
		}
		out, err := wc.SaveCorpMapping(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.JSON(out)
	})
	r.handle("PUT", "/staff/:id", op{Summary: "Link a staff user to their WeCom userid", Tag: "wecom", Access: admin, Errors: []int{409},
		Description: "Sets (or, with an empty wecom_userid, clears) the WeCom userid of an active staff user, for members the sync could not " +
			"match by e-mail. A userid already linked to another user is 409. Admins only; audited.",
		Body: wecom.StaffLinkInput{}, Resp: wecom.StaffLink{}}, updateByID(wc.SetStaffLink))
	s.registerWeComSettingsRoutes(r)
}
