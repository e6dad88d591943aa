package portal

import (
	"context"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
)

func (s *Server) registerPartnerRoutes(r api) {
	dir := s.deps.Directory
	r.handle("GET", "/", op{Summary: "Search the partner directory", Tag: "partners", Access: authed,
		Query: directory.PartnerFilter{}, Resp: directory.PartnerPage{}}, listOf(dir.ListPartners))
	r.handle("POST", "/", op{Summary: "Create a partner", Tag: "partners", Access: editor,
		Body: directory.PartnerInput{}, Resp: directory.Partner{}, Status: 201}, create(dir.CreatePartner))
	r.handle("GET", "/:id", op{Summary: "Get a partner", Tag: "partners", Access: authed, Resp: directory.Partner{}},
		getByID(dir.Partner))
	r.handle("PATCH", "/:id", op{Summary: "Change a partner", Tag: "partners", Access: editor,
		Body: directory.PartnerPatch{}, Resp: directory.Partner{}}, updateByID(dir.UpdatePartner))
	r.handle("GET", "/:id/contacts", op{Summary: "List a partner's contacts", Tag: "partners", Access: authed,
		Query: directory.ContactFilter{}, Resp: directory.ContactPage{}},
		listUnder(dir.Partner, func(f *directory.ContactFilter, id int) { f.PartnerID = id }, dir.ListContacts))
	r.handle("GET", "/:id/transfers", op{Summary: "Ownership history of a partner's contacts", Tag: "partners", Access: staff,
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{}},
		listUnder(dir.Partner, func(f *directory.TransferFilter, id int) { f.PartnerID = id }, dir.ListTransfers))
	r.handle("GET", "/:id/audit", op{Summary: "Audit trail of a partner", Tag: "partners", Access: staff,
		Query: partners.AuditFilter{}, Resp: partners.AuditPage{}},
		listUnder(dir.Partner, func(f *partners.AuditFilter, id int) { f.PartnerID = id }, s.listAudit))
}

func (s *Server) listAudit(ctx context.Context, f partners.AuditFilter) (partners.AuditPage, error) {
	return partners.ListAudit(ctx, s.deps.DB.Client, f)
}

func (s *Server) registerContactRoutes(r api) {
	dir := s.deps.Directory
	r.handle("GET", "/", op{Summary: "Search contacts", Tag: "contacts", Access: authed,
		Query: directory.ContactFilter{}, Resp: directory.ContactPage{}}, listOf(dir.ListContacts))
	r.handle("POST", "/", op{Summary: "Create a contact", Tag: "contacts", Access: editor,
		Body: directory.ContactInput{}, Resp: directory.Contact{}, Status: 201}, create(dir.CreateContact))
	r.handle("GET", "/:id", op{Summary: "Get a contact", Tag: "contacts", Access: authed, Resp: directory.Contact{}},
		getByID(dir.Contact))
	r.handle("PATCH", "/:id", op{Summary: "Change a contact's details", Tag: "contacts", Access: editor,
		Body: directory.ContactPatch{}, Resp: directory.Contact{}}, updateByID(dir.UpdateContact))
	r.handle("GET", "/:id/transfers", op{Summary: "Ownership history of a contact", Tag: "contacts", Access: staff,
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{}},
		listUnder(dir.Contact, func(f *directory.TransferFilter, id int) { f.ContactID = id }, dir.ListTransfers))
}

// transferResult is the answer to a hand-over request.
type transferResult struct {
	Items []directory.Transfer `json:"items"`
}

func (s *Server) registerTransferRoutes(r api) {
	dir := s.deps.Directory
	r.handle("GET", "/", op{Summary: "List the ownership ledger", Tag: "transfers", Access: staff,
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{}}, listOf(dir.ListTransfers))
	r.handle("POST", "/", op{Summary: "Hand contacts over to another owner, now or scheduled", Tag: "transfers", Access: editor,
		Body: directory.TransferInput{}, Resp: transferResult{}, Status: 201},
		create(func(ctx context.Context, in directory.TransferInput) (transferResult, error) {
			ts, err := dir.Transfer(ctx, in)
			return transferResult{Items: ts}, err
		}))
	r.handle("POST", "/:id/cancel", op{Summary: "Cancel a scheduled transfer", Tag: "transfers", Access: editor,
		Resp: directory.Transfer{}}, getByID(dir.CancelTransfer))
}

func (s *Server) registerAuditRoutes(r api) {
	r.handle("GET", "/", op{Summary: "Read the audit trail", Tag: "audit", Access: staff,
		Query: partners.AuditFilter{}, Resp: partners.AuditPage{}}, listOf(s.listAudit))
}
