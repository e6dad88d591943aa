package portal

import (
	"context"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
)

func (s *Server) registerPartnerRoutes(r api) {
	dir := s.deps.Directory
	r.list("/", op{Summary: "Search the partner directory", Tag: "partners", Access: authed,
		Description: "Partners in name order (Chinese names by pinyin), a page at a time. q matches name, code and pinyin (华星, huaxing and hxjm all find 华星精密); " +
			"filter by kind, tier (1–3), status, tag, category and owner_id (partners with a contact that staff user owns). " +
			"Partner users see only their own partner.",
		Query: directory.PartnerFilter{}, Resp: directory.PartnerPage{}}, listOf(dir.ListPartners))
	r.handle("POST", "/", op{Summary: "Create a partner", Tag: "partners", Access: editor,
		Description: "Adds a supplier, customer, logistics or service partner, with its code (unique; a code already in use is 409), tier 1–3 (suppliers only), " +
			"tags, categories and rules: ack_sla_hours (how soon an order must be answered), over_delivery_pct and block_on_lapsed_certificate. " +
			"Buyers and admins.", Errors: []int{409},
		Body: directory.PartnerInput{}, Resp: directory.Partner{}, Status: 201}, create(dir.CreatePartner))
	r.handle("GET", "/:id", op{Summary: "Get a partner", Tag: "partners", Access: authed, Resp: directory.Partner{},
		Description: "One partner with its rules, contact count and the staff who own its contacts. Partner users may read only their own partner; " +
			"any other id is 404."},
		byID(dir.Partner))
	r.handle("PATCH", "/:id", op{Summary: "Change a partner", Tag: "partners", Access: editor,
		Description: "Changes the fields sent and keeps the rest; the code never changes. tier 0 clears the tier. " +
			"Status moves freely between prospect, active, suspended and offboarded. Buyers and admins; every change is audited.",
		Body: directory.PartnerPatch{}, Resp: directory.Partner{}}, updateByID(dir.UpdatePartner))
	r.list("/:id/contacts", op{Summary: "List a partner's contacts", Tag: "partners", Access: authed,
		Description: "The partner's contacts in name order, a page at a time, each with its owner. " +
			"Partner users see their own partner's contacts only; another partner is 404.",
		Query: directory.ContactFilter{}, Resp: directory.ContactPage{}},
		listUnder(dir.Partner, func(f *directory.ContactFilter, id int) { f.PartnerID = id }, dir.ListContacts))
	r.list("/:id/transfers", op{Summary: "Ownership history of a partner's contacts", Tag: "partners", Access: staff,
		Description: "The ownership ledger of the partner's contacts, newest first, a page at a time: who handed which contact to whom, when and why, " +
			"and the state of scheduled transfers (pending, done, failed, cancelled). Staff only.",
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{}},
		listUnder(dir.Partner, func(f *directory.TransferFilter, id int) { f.PartnerID = id }, dir.ListTransfers))
	r.list("/:id/audit", op{Summary: "Audit trail of a partner", Tag: "partners", Access: staff,
		Description: "Every recorded change to the partner and its records, newest first, a page at a time, with who made it and the values before and after. " +
			"Staff only.",
		Query: partners.AuditFilter{}, Resp: partners.AuditPage{}},
		listUnder(dir.Partner, func(f *partners.AuditFilter, id int) { f.PartnerID = id }, s.listAudit))
}

func (s *Server) listAudit(ctx context.Context, f partners.AuditFilter) (partners.AuditPage, error) {
	return partners.ListAudit(ctx, s.deps.DB.Client, f)
}

func (s *Server) registerContactRoutes(r api) {
	dir := s.deps.Directory
	r.list("/", op{Summary: "Search contacts", Tag: "contacts", Access: authed,
		Description: "Contacts across partners in name order, a page at a time; q matches name, title, e-mail, phone and the name's pinyin; filter by partner_id or owner_id. " +
			"Partner users see only their own partner's contacts.",
		Query: directory.ContactFilter{}, Resp: directory.ContactPage{}}, listOf(dir.ListContacts))
	r.handle("POST", "/", op{Summary: "Create a contact", Tag: "contacts", Access: editor,
		Description: "Adds a person at a partner with their first owner, who must be an active staff user. Buyers and admins. " +
			"A partner_id or owner_id that names nothing usable is 422 against that field.",
		Body: directory.ContactInput{}, Resp: directory.Contact{}, Status: 201}, create(dir.CreateContact))
	r.handle("GET", "/:id", op{Summary: "Get a contact", Tag: "contacts", Access: authed, Resp: directory.Contact{},
		Description: "One contact with its partner and current owner. Partner users may read their own partner's contacts only; any other id is 404."},
		byID(dir.Contact))
	r.handle("PATCH", "/:id", op{Summary: "Change a contact's details", Tag: "contacts", Access: editor,
		Description: "Changes the fields sent and keeps the rest. The owner is not changed here: hand a contact over with POST /api/v1/transfers, " +
			"so the ledger records it. Buyers and admins.",
		Body: directory.ContactPatch{}, Resp: directory.Contact{}}, updateByID(dir.UpdateContact))
	r.list("/:id/transfers", op{Summary: "Ownership history of a contact", Tag: "contacts", Access: staff,
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{},
		Description: "Every hand-over of the contact, newest first, a page at a time, including scheduled ones still pending. Staff only."},
		listUnder(dir.Contact, func(f *directory.TransferFilter, id int) { f.ContactID = id }, dir.ListTransfers))
}

// transferResult is the answer to a hand-over request.
type transferResult struct {
	Items []directory.Transfer `json:"items"`
}

func (s *Server) registerTransferRoutes(r api) {
	dir := s.deps.Directory
	r.list("/", op{Summary: "List the ownership ledger", Tag: "transfers", Access: staff,
		Description: "Contact hand-overs newest first, a page at a time; filter by state (pending, done, failed, cancelled), partner_id, contact_id " +
			"or owner_id (given or received). Staff only.",
		Query: directory.TransferFilter{}, Resp: directory.TransferPage{}}, listOf(dir.ListTransfers))
	r.handle("POST", "/", op{Summary: "Hand contacts over to another owner, now or scheduled", Tag: "transfers", Access: editor,
		Description: "Hands one or many contacts to another active staff owner in one step: all move or none does. Without effective_at " +
			"(RFC 3339) the transfer is done at once; with a future one it stays pending until then and may be cancelled. " +
			"A contact the new owner already owns, or an effective_at in the past, is 422. Buyers and admins.",
		Body: directory.TransferInput{}, Resp: transferResult{}, Status: 201},
		create(func(ctx context.Context, in directory.TransferInput) (transferResult, error) {
			ts, err := dir.Transfer(ctx, in)
			return transferResult{Items: ts}, err
		}))
	r.handle("POST", "/:id/cancel", op{Summary: "Cancel a scheduled transfer", Tag: "transfers", Access: editor,
		Description: "Cancels a pending scheduled transfer so the contact stays with its owner. Only a pending transfer can be cancelled: " +
			"one already done, failed or cancelled is 409. Buyers and admins.",
		Resp: directory.Transfer{}, Errors: []int{409}}, byID(dir.CancelTransfer))
}

func (s *Server) registerAuditRoutes(r api) {
	r.list("/", op{Summary: "Read the audit trail", Tag: "audit", Access: staff,
		Description: "Every recorded change newest first, a page at a time, with who made it and the values before and after; " +
			"filter by partner_id, entity_type and entity_id. Staff only.",
		Query: partners.AuditFilter{}, Resp: partners.AuditPage{}}, listOf(s.listAudit))
}
