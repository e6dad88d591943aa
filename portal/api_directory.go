package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
)

func (s *Server) registerPartnerRoutes(r api) {
	dir := s.deps.Directory
	r.handle("GET", "/", op{Summary: "Search the partner directory", Tag: "partners", Access: authed,
		Query: directory.PartnerFilter{}, Resp: directory.PartnerPage{}}, func(c *fiber.Ctx) error {
		f, err := bindQuery[directory.PartnerFilter](c)
		if err != nil {
			return err
		}
		page, err := dir.ListPartners(c.UserContext(), f)
		if err != nil {
			return err
		}
		return c.JSON(page)
	})
	r.handle("POST", "/", op{Summary: "Create a partner", Tag: "partners", Access: editor,
		Body: directory.PartnerInput{}, Resp: directory.Partner{}, Status: 201}, func(c *fiber.Ctx) error {
		in, err := bind[directory.PartnerInput](c)
		if err != nil {
			return err
		}
		p, err := dir.CreatePartner(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(p)
	})
	r.handle("GET", "/:id", op{Summary: "Get a partner", Tag: "partners", Access: authed, Resp: directory.Partner{}},
		func(c *fiber.Ctx) error {
			id, err := pathID(c, "id")
			if err != nil {
				return err
			}
			p, err := dir.Partner(c.UserContext(), id)
			if err != nil {
				return err
			}
			return c.JSON(p)
		})
	r.handle("PATCH", "/:id", op{Summary: "Change a partner", Tag: "partners", Access: editor,
		Body: directory.PartnerPatch{}, Resp: directory.Partner{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		in, err := bind[directory.PartnerPatch](c)
		if err != nil {
			return err
		}
		p, err := dir.UpdatePartner(c.UserContext(), id, in)
		if err != nil {
			return err
		}
		return c.JSON(p)
	})
	r.handle("GET", "/:id/contacts", op{Summary: "List a partner's contacts", Tag: "partners", Access: authed,
		Query: directory.ContactFilter{}, Resp: directory.ContactPage{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		f, err := bindQuery[directory.ContactFilter](c)
		if err != nil {
			return err
		}
		if _, err := dir.Partner(c.UserContext(), id); err != nil {
			return err
		}
		f.PartnerID = id
		page, err := dir.ListContacts(c.UserContext(), f)
		if err != nil {
			return err
		}
		return c.JSON(page)
	})
	r.handle("GET", "/:id/transfers", op{Summary: "Ownership history of a partner's contacts", Tag: "partners", Access: staff,
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		f, err := bindQuery[directory.TransferFilter](c)
		if err != nil {
			return err
		}
		if _, err := dir.Partner(c.UserContext(), id); err != nil {
			return err
		}
		f.PartnerID = id
		page, err := dir.ListTransfers(c.UserContext(), f)
		if err != nil {
			return err
		}
		return c.JSON(page)
	})
	r.handle("GET", "/:id/audit", op{Summary: "Audit trail of a partner", Tag: "partners", Access: staff,
		Query: partners.AuditFilter{}, Resp: partners.AuditPage{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		f, err := bindQuery[partners.AuditFilter](c)
		if err != nil {
			return err
		}
		if _, err := dir.Partner(c.UserContext(), id); err != nil {
			return err
		}
		f.PartnerID = id
		page, err := partners.ListAudit(c.UserContext(), s.deps.DB.Client, f)
		if err != nil {
			return err
		}
		return c.JSON(page)
	})
}

func (s *Server) registerContactRoutes(r api) {
	dir := s.deps.Directory
	r.handle("GET", "/", op{Summary: "Search contacts", Tag: "contacts", Access: authed,
		Query: directory.ContactFilter{}, Resp: directory.ContactPage{}}, func(c *fiber.Ctx) error {
		f, err := bindQuery[directory.ContactFilter](c)
		if err != nil {
			return err
		}
		page, err := dir.ListContacts(c.UserContext(), f)
		if err != nil {
			return err
		}
		return c.JSON(page)
	})
	r.handle("POST", "/", op{Summary: "Create a contact", Tag: "contacts", Access: editor,
		Body: directory.ContactInput{}, Resp: directory.Contact{}, Status: 201}, func(c *fiber.Ctx) error {
		in, err := bind[directory.ContactInput](c)
		if err != nil {
			return err
		}
		ct, err := dir.CreateContact(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(ct)
	})
	r.handle("GET", "/:id", op{Summary: "Get a contact", Tag: "contacts", Access: authed, Resp: directory.Contact{}},
		func(c *fiber.Ctx) error {
			id, err := pathID(c, "id")
			if err != nil {
				return err
			}
			ct, err := dir.Contact(c.UserContext(), id)
			if err != nil {
				return err
			}
			return c.JSON(ct)
		})
	r.handle("PATCH", "/:id", op{Summary: "Change a contact's details", Tag: "contacts", Access: editor,
		Body: directory.ContactPatch{}, Resp: directory.Contact{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		in, err := bind[directory.ContactPatch](c)
		if err != nil {
			return err
		}
		ct, err := dir.UpdateContact(c.UserContext(), id, in)
		if err != nil {
			return err
		}
		return c.JSON(ct)
	})
	r.handle("GET", "/:id/transfers", op{Summary: "Ownership history of a contact", Tag: "contacts", Access: staff,
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		f, err := bindQuery[directory.TransferFilter](c)
		if err != nil {
			return err
		}
		if _, err := dir.Contact(c.UserContext(), id); err != nil {
			return err
		}
		f.ContactID = id
		page, err := dir.ListTransfers(c.UserContext(), f)
		if err != nil {
			return err
		}
		return c.JSON(page)
	})
}

// transferResult is the answer to a hand-over request.
type transferResult struct {
	Items []directory.Transfer `json:"items"`
}

func (s *Server) registerTransferRoutes(r api) {
	dir := s.deps.Directory
	r.handle("GET", "/", op{Summary: "List the ownership ledger", Tag: "transfers", Access: staff,
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{}}, func(c *fiber.Ctx) error {
		f, err := bindQuery[directory.TransferFilter](c)
		if err != nil {
			return err
		}
		page, err := dir.ListTransfers(c.UserContext(), f)
		if err != nil {
			return err
		}
		return c.JSON(page)
	})
	r.handle("POST", "/", op{Summary: "Hand contacts over to another owner, now or scheduled", Tag: "transfers", Access: editor,
		Body: directory.TransferInput{}, Resp: transferResult{}, Status: 201}, func(c *fiber.Ctx) error {
		in, err := bind[directory.TransferInput](c)
		if err != nil {
			return err
		}
		ts, err := dir.Transfer(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(transferResult{Items: ts})
	})
	r.handle("POST", "/:id/cancel", op{Summary: "Cancel a scheduled transfer", Tag: "transfers", Access: editor,
		Resp: directory.Transfer{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		t, err := dir.CancelTransfer(c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.JSON(t)
	})
}

func (s *Server) registerAuditRoutes(r api) {
	r.handle("GET", "/", op{Summary: "Read the audit trail", Tag: "audit", Access: staff,
		Query: partners.AuditFilter{}, Resp: partners.AuditPage{}}, func(c *fiber.Ctx) error {
		f, err := bindQuery[partners.AuditFilter](c)
		if err != nil {
			return err
		}
		page, err := partners.ListAudit(c.UserContext(), s.deps.DB.Client, f)
		if err != nil {
			return err
		}
		return c.JSON(page)
	})
}
