package portal

import (
	"fmt"
	"net/url"

	entpartner "github.com/tierlink/tierlink/ent/partner"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/wecom"
)

func (s *Server) directoryPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/partners", Access: authed, Handler: s.partnersPage},
		{Method: "GET", Path: "/partners/:id", Access: authed, Handler: s.partnerPage},
		{Method: "POST", Path: "/partners/:id/ordering", Access: editor, Handler: ifExists(s.deps.Directory.Partner, s.orderingSubmit), Form: directory.PartnerPatch{}, Back: s.partnerPage},
		{Method: "GET", Path: "/contacts/:id", Access: staff, Handler: s.contactPage},
		{Method: "POST", Path: "/contacts/:id/transfer", Access: editor, Handler: ifExists(s.deps.Directory.Contact, s.contactTransferSubmit), Form: directory.TransferInput{}, Back: s.contactPage},
		{Method: "POST", Path: "/contacts/:id/invite", Access: editor, Handler: ifExists(s.deps.Directory.Contact, s.inviteSubmit), Back: s.refererBack},
		{Method: "GET", Path: "/transfers/new", Access: editor, Handler: s.bulkTransferPage},
		{Method: "POST", Path: "/transfers", Access: editor, Handler: s.bulkTransferSubmit, Form: directory.TransferInput{}, Back: s.bulkTransferPage},
	}
}

type partnersData struct {
	F        directory.PartnerFilter
	Page     directory.PartnerPage
	Kinds    []entpartner.Kind
	Statuses []entpartner.Status
	Tiers    []int
	Staff    []accounts.User
	Next     string
	// First is the first page's address with the same filters, shown
	// once the visitor has paged on.
	First string
	// Filtered is true when a filter beyond the search box is set, so the
	// collapsed filters open on the phone.
	Filtered bool
}

// directoryPageSize is how many partners one directory page lists: a
// phone screenful of compact rows a few times over, not the whole book.
const directoryPageSize = 25

func (s *Server) partnersPage(c *fiber.Ctx) error {
	v := currentViewer(c)
	if v.IsPartner() {
		return c.Redirect("/partners/"+itoa(v.PartnerID), fiber.StatusSeeOther)
	}
	f, err := bindQuery[directory.PartnerFilter](c)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = directoryPageSize
	}
	ctx := c.UserContext()
	page, err := s.deps.Directory.ListPartners(ctx, f)
	if err != nil {
		return err
	}
	staffUsers, err := s.staffUsers(c)
	if err != nil {
		return err
	}
	d := partnersData{F: f, Page: page, Kinds: directory.Kinds, Statuses: directory.Statuses, Tiers: []int{1, 2, 3}, Staff: staffUsers,
		Filtered: f.Kind != "" || f.Tier != 0 || f.Status != "" || f.OwnerID != 0 || f.Tag != ""}
	if page.NextCursor != "" {
		d.Next = nextPageURL(c, "/partners", page.NextCursor)
	}
	if f.Cursor != "" {
		d.First = nextPageURL(c, "/partners", "")
	}
	return s.render(c, "partners", "directory", d)
}

// nextPageURL is the page's own address with cursor set to the next
// page's (none: the first page), keeping the filters the visitor chose.
func nextPageURL(c *fiber.Ctx, path, cursor string) string {
	vals := url.Values{}
	for k, v := range c.Context().QueryArgs().All() {
		vals.Set(string(k), string(v))
	}
	if cursor == "" {
		vals.Del("cursor")
	} else {
		vals.Set("cursor", cursor)
	}
	return path + "?" + vals.Encode()
}

// maxListPages caps everyPage: 200 pages of 200 rows.
const maxListPages = 200

// everyPage reads a list from its first page to its last, 200 rows at a
// time, for pages and exports that show the whole list (a staff picker,
// a ranking to export); list is called with the cursor and limit of each
// page.
func everyPage[T any](list func(cursor string, limit int) ([]T, string, error)) ([]T, error) {
	var all []T
	cursor := ""
	for range maxListPages {
		items, next, err := list(cursor, 200)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		cursor = next
	}
	return all, nil
}

// staffUsers lists the active staff, who may own contacts.
func (s *Server) staffUsers(c *fiber.Ctx) ([]accounts.User, error) {
	return s.staffList(c, accounts.UserFilter{Active: new(true)})
}

// staffList lists company users (never partner users) matching f.
func (s *Server) staffList(c *fiber.Ctx, f accounts.UserFilter) ([]accounts.User, error) {
	all, err := everyPage(func(cursor string, limit int) ([]accounts.User, string, error) {
		f.Cursor, f.Limit = cursor, limit
		p, err := s.deps.Accounts.ListUsers(c.UserContext(), f)
		return p.Items, p.NextCursor, err
	})
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, u := range all {
		if u.Role != "partner" {
			out = append(out, u)
		}
	}
	return out, nil
}

type partnerData struct {
	Documents []documents.Document
	Upload    uploadForm
	CanUpload bool
	P         directory.Partner
	Contacts  []directory.Contact
	// Access says, per contact id, who can log in or has an open
	// invitation; only editors, who may invite, get it.
	Access    map[int]accounts.ContactAccess
	Transfers []directory.Transfer
	WeCom     map[int]*wecom.TransferState
	Audit     []auditRow
	InviteURL string
	// Blocked says why new orders to the partner are refused.
	Blocked string
}

func (s *Server) partnerPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p, err := s.deps.Directory.Partner(ctx, id)
	if err != nil {
		return err
	}
	cs, err := s.deps.Directory.ListContacts(ctx, directory.ContactFilter{PartnerID: id, Limit: 500})
	if err != nil {
		return err
	}
	ds, err := s.deps.Documents.List(ctx, documents.Filter{PartnerID: id, Limit: 200})
	if err != nil {
		return err
	}
	d := partnerData{P: p, Contacts: cs.Items, Documents: ds.Items}
	if v := currentViewer(c); v.IsStaff() && s.deps.Orders != nil {
		if d.Blocked, err = s.deps.Orders.Blocked(ctx, id); err != nil {
			return err
		}
	}
	d.Upload, d.CanUpload = s.uploadForm(c, id, 0)
	if currentViewer(c).IsStaff() {
		ts, err := s.deps.Directory.ListTransfers(ctx, directory.TransferFilter{PartnerID: id, Limit: 100})
		if err != nil {
			return err
		}
		au, err := partners.ListAudit(ctx, s.deps.DB.Client, partners.AuditFilter{PartnerID: id, Limit: 100})
		if err != nil {
			return err
		}
		lines, err := partners.DescribeAudit(ctx, s.deps.DB.Client, au.Items)
		if err != nil {
			return err
		}
		d.Transfers = ts.Items
		if d.WeCom, err = s.wecomStates(ctx, ts.Items); err != nil {
			return err
		}
		for _, l := range lines {
			d.Audit = append(d.Audit, auditRow{AuditLine: l, Link: auditLink(l)})
		}
	}
	if currentViewer(c).CanEdit() {
		ids := make([]int, 0, len(cs.Items))
		for _, ct := range cs.Items {
			ids = append(ids, ct.ID)
		}
		if d.Access, err = s.deps.Accounts.ContactsAccess(ctx, ids); err != nil {
			return err
		}
	}
	if tok := c.Query("invite"); tok != "" && len(tok) < 100 {
		d.InviteURL = s.inviteURL(tok)
	}
	return s.render(c, "partner", p.Name, d)
}

type contactData struct {
	C         directory.Contact
	Staff     []accounts.User
	Transfers []directory.Transfer
	WeCom     map[int]*wecom.TransferState
	Access    accounts.ContactAccess
	Documents []documents.Document
}

func (s *Server) contactPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ct, err := s.deps.Directory.Contact(ctx, id)
	if err != nil {
		return err
	}
	ts, err := s.deps.Directory.ListTransfers(ctx, directory.TransferFilter{ContactID: id, Limit: 200})
	if err != nil {
		return err
	}
	staffUsers, err := s.staffUsers(c)
	if err != nil {
		return err
	}
	acc, err := s.deps.Accounts.ContactsAccess(ctx, []int{id})
	if err != nil {
		return err
	}
	// A document belongs to the partner, not to one contact: the
	// contact's page lists the partner's, one tap from each.
	ds, err := s.deps.Documents.List(ctx, documents.Filter{PartnerID: ct.Partner.ID, Limit: 200})
	if err != nil {
		return err
	}
	wst, err := s.wecomStates(ctx, ts.Items)
	if err != nil {
		return err
	}
	return s.render(c, "contact", ct.Name, contactData{C: ct, Staff: staffUsers, Transfers: ts.Items, WeCom: wst, Access: acc[id], Documents: ds.Items})
}

func (s *Server) contactTransferSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in, err := bindForm[directory.TransferInput](c, s.zoneOf(c), formOptions{Fixed: map[string]any{"contact_ids": []int{id}}})
	if err != nil {
		return err
	}
	ts, err := s.deps.Directory.Transfer(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Redirect("/contacts/"+itoa(id)+"?msg="+transferMsg(ts), fiber.StatusSeeOther)
}

// transferMsg is the flash for a hand-over: the service's own decision
// whether it is scheduled, never the page's clock.
func transferMsg(ts []directory.Transfer) string {
	if len(ts) > 0 && ts[0].Scheduled() {
		return "transfer_scheduled"
	}
	return "transfer_done"
}

func (s *Server) inviteSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	inv, err := s.deps.Accounts.CreateInvitation(c.UserContext(), accounts.InvitationInput{ContactID: id})
	if err != nil {
		return err
	}
	if inv.Mailed {
		return c.Redirect("/partners/"+itoa(inv.PartnerID)+"?msg=password_invite_mailed", fiber.StatusSeeOther)
	}
	return c.Redirect("/partners/"+itoa(inv.PartnerID)+"?invite="+inv.Token, fiber.StatusSeeOther)
}

// Msg renders a catalogue message (an audit sentence, say) in the
// reader's language.
func (l *locale) Msg(m i18n.Message) string { return l.l.Render(m) }

// LanguageName names a language by its own name, never by its code.
func (l *locale) LanguageName(code string) string {
	return l.l.T(partners.LanguageKey(code), nil)
}

// auditRow is an audit line with the page of its record.
type auditRow struct {
	partners.AuditLine
	Link string
}

// auditLink is the page of the record an audit line is about, or "" when
// the record is gone or has no page.
func auditLink(a partners.AuditLine) string {
	if !a.Exists {
		return ""
	}
	switch a.EntityType {
	case "partner":
		return "/partners/" + itoa(a.EntityID)
	case "contact":
		return "/contacts/" + itoa(a.EntityID)
	case "document":
		return "/documents/" + itoa(a.EntityID)
	case "order":
		return "/orders/" + itoa(a.EntityID)
	case "group":
		return "/groups/" + itoa(a.EntityID)
	}
	return ""
}

type bulkData struct {
	F        directory.ContactFilter
	Contacts []directory.Contact
	Staff    []accounts.User
	// WeComFailures are hand-overs WeCom refused or will refuse.
	WeComFailures []wecom.Failure
}

func (s *Server) bulkTransferPage(c *fiber.Ctx) error {
	f, err := bindQuery[directory.ContactFilter](c)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = 500
	}
	cs, err := s.deps.Directory.ListContacts(c.UserContext(), f)
	if err != nil {
		return err
	}
	staffUsers, err := s.staffUsers(c)
	if err != nil {
		return err
	}
	fails, err := s.wecomFailures(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, "transfer_new", "transfer_contacts", bulkData{F: f, Contacts: cs.Items, Staff: staffUsers, WeComFailures: fails})
}

func (s *Server) bulkTransferSubmit(c *fiber.Ctx) error {
	in, err := bindForm[directory.TransferInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	ts, err := s.deps.Directory.Transfer(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Redirect("/transfers/new?owner_id="+itoa(in.ToOwnerID)+"&msg="+transferMsg(ts), fiber.StatusSeeOther)
}

// orderingSubmit saves a partner's ordering rules: the acknowledgement
// target the reminders use, the over-delivery allowance, and whether a
// lapsed mandatory certificate blocks new orders.
func (s *Server) orderingSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// The form always shows both numbers; a blank one is missing, not
	// "keep as it is".
	in, err := bindForm[directory.PartnerPatch](c, s.zoneOf(c), formOptions{Required: []string{"ack_sla_hours", "over_delivery_pct"}})
	if err != nil {
		return err
	}
	if _, err := s.deps.Directory.UpdatePartner(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/partners/%d?msg=saved#ordering", id), fiber.StatusSeeOther)
}
