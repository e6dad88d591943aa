package portal

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/document"
	entpartner "github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

type pageSet struct{ pages map[string]*template.Template }

// pageData is what every page template receives.
type pageData struct {
	L       *locale
	Title   string
	Session *accounts.Session
	CSRF    string
	Staff   bool
	Editor  bool
	Admin   bool
	Flash   string
	Err     *Problem
	Data    any
}

func loadPages() (*pageSet, error) {
	funcs := template.FuncMap{
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"fmtTime": func(v any) string {
			switch t := v.(type) {
			case time.Time:
				return t.In(displayZone).Format("2006-01-02 15:04")
			case *time.Time:
				if t != nil {
					return t.In(displayZone).Format("2006-01-02 15:04")
				}
			}
			return ""
		},
		"diff": auditDiff,
		"list": func(xs ...string) []string { return xs },
		"deref64": func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p
		},
		// pct shows a share, or "no data" — never 0% for nothing.
		"pct": func(v *float64, l *locale) string {
			if v == nil {
				return l.T("no_data")
			}
			return fmt.Sprintf("%.0f%%", *v*100)
		},
		"hours": func(v *float64, l *locale) string {
			if v == nil {
				return l.T("no_data")
			}
			return fmt.Sprintf("%.1f h", *v)
		},
		"duration": func(from time.Time, to *time.Time) string {
			if to == nil {
				return "…"
			}
			return to.Sub(from).Round(time.Millisecond).String()
		},
		"fmtDate": func(v any) string {
			switch t := v.(type) {
			case *time.Time:
				if t != nil {
					return t.UTC().Format("2006-01-02")
				}
			case time.Time:
				return t.UTC().Format("2006-01-02")
			}
			return ""
		},
		"size": formatSize,
		"deref": func(p *int) int {
			if p == nil {
				return 0
			}
			return *p
		},
		"emptyPost": func() groups.Post { return groups.Post{Kind: "message", Card: &groups.Card{}} },
	}
	shared := []string{"templates/layout.html", "templates/transfers_table.html", "templates/upload_form.html", "templates/documents_table.html", "templates/job_actions.html"}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if name == "layout" || name == "transfers_table" || name == "upload_form" || name == "documents_table" || name == "job_actions" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, append(shared, e)...)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		ps.pages[name] = t
	}
	return ps, nil
}

// displayZone is the zone pages show times in and read form times in.
var displayZone = time.UTC

// SetDisplayZone sets the company time zone used by the pages.
func SetDisplayZone(z *time.Location) { displayZone = z }

func auditDiff(before, after map[string]any) string {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		b, a := fmt.Sprint(before[k]), fmt.Sprint(after[k])
		if before == nil {
			parts = append(parts, k+"="+a)
		} else if b != a {
			parts = append(parts, k+": "+b+" → "+a)
		}
	}
	return strings.Join(parts, "; ")
}

func (s *Server) render(c *fiber.Ctx, name, title string, data any) error {
	return s.renderStatus(c, fiber.StatusOK, name, title, data, nil)
}

func (s *Server) renderStatus(c *fiber.Ctx, status int, name, title string, data any, perr *Problem) error {
	sess := currentSession(c)
	saved := ""
	if sess != nil {
		saved = sess.Locale
	}
	pd := pageData{L: pickLocale(c, saved), Session: sess, Data: data, Err: perr}
	if sess != nil {
		pd.CSRF = sess.CSRF
		pd.Staff, pd.Editor, pd.Admin = sess.Viewer.IsStaff(), sess.Viewer.CanEdit(), sess.Viewer.Role == viewer.RoleAdmin
	}
	pd.Title = pd.L.T(title)
	if f := c.Query("msg"); f != "" && len(f) < 40 {
		pd.Flash = pd.L.T(f)
	}
	var buf bytes.Buffer
	if err := s.pages.pages[name].ExecuteTemplate(&buf, "layout", pd); err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

func (s *Server) renderError(c *fiber.Ctx, p Problem) error {
	if p.Status == fiber.StatusUnprocessableEntity || p.Status == fiber.StatusConflict {
		// A form error: show it on a page with a way back.
		p.Title = "Invalid input"
	}
	return s.renderStatus(c, p.Status, "error", "error", p, nil)
}

func (s *Server) registerAssets() {
	sub, _ := fs.Sub(assetFS, "assets")
	s.app.Get("/assets/:name", func(c *fiber.Ctx) error {
		name := c.Params("name")
		b, err := fs.ReadFile(sub, name)
		if err != nil || strings.Contains(name, "/") {
			return fiber.NewError(fiber.StatusNotFound, "no such asset")
		}
		switch {
		case strings.HasSuffix(name, ".css"):
			c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		case strings.HasSuffix(name, ".js"):
			c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
		}
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(b)
	})
}

// page wraps a page handler with its access rule.
func (s *Server) page(a access, h fiber.Handler) fiber.Handler { return a.handler(h) }

func (s *Server) registerPages() {
	p := s.app
	p.Get("/", s.page(authed, func(c *fiber.Ctx) error {
		v := currentViewer(c)
		if v.IsPartner() {
			return c.Redirect("/partners/"+itoa(v.PartnerID), fiber.StatusSeeOther)
		}
		return c.Redirect("/partners", fiber.StatusSeeOther)
	}))
	p.Get("/login", s.page(anyone, s.loginPage))
	p.Post("/login", s.page(anyone, s.loginSubmit))
	p.Post("/logout", s.page(authed, func(c *fiber.Ctx) error {
		if err := s.deps.Accounts.Logout(c.UserContext(), c.Cookies(s.cookieName)); err != nil {
			return err
		}
		s.clearCookie(c)
		return c.Redirect("/login", fiber.StatusSeeOther)
	}))
	p.Get("/partners", s.page(authed, s.partnersPage))
	p.Get("/partners/:id", s.page(authed, s.partnerPage))
	p.Post("/partners/:id/ordering", s.page(editor, s.orderingSubmit))
	p.Get("/contacts/:id", s.page(staff, s.contactPage))
	p.Post("/contacts/:id/transfer", s.page(editor, s.contactTransferSubmit))
	p.Post("/contacts/:id/invite", s.page(editor, s.inviteSubmit))
	p.Get("/transfers/new", s.page(editor, s.bulkTransferPage))
	p.Post("/transfers", s.page(editor, s.bulkTransferSubmit))
	p.Get("/staff", s.page(staff, s.staffPage))
	p.Get("/staff/:id", s.page(admin, s.staffUserPage))
	p.Post("/staff/:id/deactivate", s.page(admin, s.deactivateSubmit))
	p.Get("/documents/:id", s.page(authed, s.documentPage))
	p.Post("/documents/:id/delete", s.page(editor, s.documentDelete))
	s.registerOrderPages()
	s.registerGroupPages()
	s.registerJobPages()
	s.registerScorecardPages()
	p.Get("/invite/:token", s.page(anyone, s.invitePage))
	p.Post("/invite/:token", s.page(anyone, s.inviteAccept))
	p.Get("/settings", s.page(authed, s.settingsPage))
	p.Post("/settings", s.page(authed, s.settingsSubmit))
	p.Use(func(c *fiber.Ctx) error { return fiber.NewError(fiber.StatusNotFound, "no such page") })
}

// safeNext keeps post-login redirects on this site.
func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") || strings.ContainsAny(n, "\r\n") {
		return "/"
	}
	return n
}

type loginData struct{ Next, Email string }

func (s *Server) loginPage(c *fiber.Ctx) error {
	if currentViewer(c).UserID != 0 {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return s.render(c, "login", "login", loginData{Next: safeNext(c.Query("next"))})
}

func (s *Server) loginSubmit(c *fiber.Ctx) error {
	in := accounts.LoginInput{Email: c.FormValue("email"), Password: c.FormValue("password")}
	next := safeNext(c.FormValue("next"))
	token, sess, err := s.deps.Accounts.Login(c.UserContext(), in, s.clientIP(c), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		code := partners.ErrorCode(err)
		if code == partners.EUnauthenticated || code == partners.EInvalid || code == partners.ERateLimited {
			p := s.problemFor(c, err)
			if code != partners.ERateLimited {
				p.Detail = pickLocale(c, "").T("wrong_login")
			}
			return s.renderStatus(c, p.Status, "login", "login", loginData{Next: next, Email: in.Email}, &p)
		}
		return err
	}
	s.setSessionCookie(c, token, sess.ExpiresAt)
	return c.Redirect(next, fiber.StatusSeeOther)
}

type partnersData struct {
	F        directory.PartnerFilter
	Page     directory.PartnerPage
	Kinds    []entpartner.Kind
	Statuses []entpartner.Status
	Tiers    []int
	Staff    []accounts.User
	Next     string
}

func (s *Server) partnersPage(c *fiber.Ctx) error {
	v := currentViewer(c)
	if v.IsPartner() {
		return c.Redirect("/partners/"+itoa(v.PartnerID), fiber.StatusSeeOther)
	}
	f, err := bindQuery[directory.PartnerFilter](c)
	if err != nil {
		return err
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
	d := partnersData{F: f, Page: page, Kinds: directory.Kinds, Statuses: directory.Statuses, Tiers: []int{1, 2, 3}, Staff: staffUsers}
	if page.NextCursor != "" {
		vals := url.Values{}
		for k, v := range c.Context().QueryArgs().All() {
			vals.Set(string(k), string(v))
		}
		vals.Set("cursor", page.NextCursor)
		d.Next = "/partners?" + vals.Encode()
	}
	return s.render(c, "partners", "directory", d)
}

// nextPageURL is the page's own address with cursor set to the next
// page's, keeping the filters the visitor chose.
func nextPageURL(c *fiber.Ctx, path, cursor string) string {
	vals := url.Values{}
	for k, v := range c.Context().QueryArgs().All() {
		vals.Set(string(k), string(v))
	}
	vals.Set("cursor", cursor)
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

// uploadForm is what the upload form template needs.
type uploadForm struct {
	ShipmentID int
	L          *locale
	CSRF       string
	Action     string
	PartnerID  int
	DocumentID int
	Kinds      []document.Kind
}

func (s *Server) uploadForm(c *fiber.Ctx, partnerID, documentID int) (uploadForm, bool) {
	v := currentViewer(c)
	sess := currentSession(c)
	ownPartner := v.IsPartner() && v.PartnerID == partnerID
	if sess == nil || (!v.CanEdit() && !ownPartner) {
		return uploadForm{}, false
	}
	f := uploadForm{L: pickLocale(c, sess.Locale), CSRF: sess.CSRF, Action: "/api/v1/documents", PartnerID: partnerID, DocumentID: documentID, Kinds: documents.Kinds}
	if documentID != 0 {
		f.Action = "/api/v1/documents/" + itoa(documentID) + "/versions"
	}
	return f, true
}

type partnerData struct {
	Documents []documents.Document
	Upload    uploadForm
	CanUpload bool
	P         directory.Partner
	Contacts  []directory.Contact
	Transfers []directory.Transfer
	Audit     []partners.AuditOut
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
		d.Transfers, d.Audit = ts.Items, au.Items
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
	return s.render(c, "contact", ct.Name, contactData{C: ct, Staff: staffUsers, Transfers: ts.Items})
}

// formTime reads a datetime-local value in the company's zone.
func formTime(v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, displayZone)
	if err != nil {
		return nil, partners.Invalid("effective_at", "must be a date and time")
	}
	return &t, nil
}

func formInt(c *fiber.Ctx, name string) (int, error) {
	v := c.FormValue(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, partners.Invalid(name, "must be a whole number")
	}
	return n, nil
}

func (s *Server) contactTransferSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	to, err := formInt(c, "to_owner_id")
	if err != nil {
		return err
	}
	eff, err := formTime(c.FormValue("effective_at"))
	if err != nil {
		return err
	}
	ts, err := s.deps.Directory.Transfer(c.UserContext(), directory.TransferInput{ContactIDs: []int{id}, ToOwnerID: to,
		Reason: contacttransfer.Reason(c.FormValue("reason")), Note: c.FormValue("note"), EffectiveAt: eff})
	if err != nil {
		return err
	}
	msg := "transfer_done"
	if ts[0].State == "pending" {
		msg = "transfer_scheduled"
	}
	return c.Redirect("/contacts/"+itoa(id)+"?msg="+msg, fiber.StatusSeeOther)
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
	return c.Redirect("/partners/"+itoa(inv.PartnerID)+"?invite="+inv.Token, fiber.StatusSeeOther)
}

type bulkData struct {
	F        directory.ContactFilter
	Contacts []directory.Contact
	Staff    []accounts.User
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
	return s.render(c, "transfer_new", "transfer_contacts", bulkData{F: f, Contacts: cs.Items, Staff: staffUsers})
}

func (s *Server) bulkTransferSubmit(c *fiber.Ctx) error {
	var ids []int
	for _, v := range c.Context().PostArgs().PeekMulti("contact_ids") {
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return partners.Invalid("contact_ids", "must be contact ids")
		}
		ids = append(ids, n)
	}
	to, err := formInt(c, "to_owner_id")
	if err != nil {
		return err
	}
	eff, err := formTime(c.FormValue("effective_at"))
	if err != nil {
		return err
	}
	if _, err := s.deps.Directory.Transfer(c.UserContext(), directory.TransferInput{ContactIDs: ids, ToOwnerID: to,
		Reason: contacttransfer.Reason(c.FormValue("reason")), Note: c.FormValue("note"), EffectiveAt: eff}); err != nil {
		return err
	}
	msg := "transfer_done"
	if eff != nil && eff.After(time.Now().Add(time.Minute)) {
		msg = "transfer_scheduled"
	}
	return c.Redirect("/transfers/new?owner_id="+itoa(to)+"&msg="+msg, fiber.StatusSeeOther)
}

type staffData struct{ Users []accounts.User }

func (s *Server) staffPage(c *fiber.Ctx) error {
	us, err := s.staffList(c, accounts.UserFilter{})
	if err != nil {
		return err
	}
	return s.render(c, "staff", "staff", staffData{Users: us})
}

type heirGroup struct {
	Partner  directory.PartnerRef
	Contacts []directory.Contact
}

type staffUserData struct {
	U      accounts.User
	Heirs  []accounts.User
	Groups []heirGroup
}

func (s *Server) staffUserPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u, err := s.deps.Accounts.User(ctx, id)
	if err != nil {
		return err
	}
	cs, err := s.deps.Directory.ListContacts(ctx, directory.ContactFilter{OwnerID: id, Limit: 500})
	if err != nil {
		return err
	}
	staffUsers, err := s.staffUsers(c)
	if err != nil {
		return err
	}
	var heirs []accounts.User
	for _, h := range staffUsers {
		if h.ID != id {
			heirs = append(heirs, h)
		}
	}
	var groups []heirGroup
	idx := map[int]int{}
	for _, ct := range cs.Items {
		i, ok := idx[ct.Partner.ID]
		if !ok {
			i = len(groups)
			idx[ct.Partner.ID] = i
			groups = append(groups, heirGroup{Partner: ct.Partner})
		}
		groups[i].Contacts = append(groups[i].Contacts, ct)
	}
	return s.render(c, "staff_user", "deactivate", staffUserData{U: u, Heirs: heirs, Groups: groups})
}

func (s *Server) deactivateSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	heir, err := formInt(c, "heir_id")
	if err != nil {
		return err
	}
	in := accounts.DeactivateInput{HeirID: heir, Note: c.FormValue("note")}
	for k, v := range c.Context().PostArgs().All() {
		name := string(k)
		if !strings.HasPrefix(name, "heir_") || name == "heir_id" || len(v) == 0 {
			continue
		}
		pid, err1 := strconv.Atoi(strings.TrimPrefix(name, "heir_"))
		to, err2 := strconv.Atoi(string(v))
		if err1 != nil || err2 != nil {
			return partners.Invalid(name, "must name a partner and a staff user")
		}
		in.Heirs = append(in.Heirs, accounts.PartnerHeir{PartnerID: pid, ToOwnerID: to})
	}
	if _, err := s.deps.Accounts.Deactivate(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect("/staff?msg=deactivate_done", fiber.StatusSeeOther)
}

type inviteData struct{ Token, Email string }

func (s *Server) invitePage(c *fiber.Ctx) error {
	tok := c.Params("token")
	inv, err := s.deps.Accounts.PendingInvitation(c.UserContext(), tok)
	if err != nil {
		return err
	}
	return s.render(c, "invite", "accept_invite", inviteData{Token: tok, Email: inv.Email})
}

func (s *Server) inviteAccept(c *fiber.Ctx) error {
	tok := c.Params("token")
	if _, err := s.deps.Accounts.AcceptInvitation(c.UserContext(), tok, accounts.AcceptInput{
		Name: c.FormValue("name"), Password: c.FormValue("password")}); err != nil {
		return err
	}
	return c.Redirect("/login?msg=account_created", fiber.StatusSeeOther)
}

type settingsData struct{ Locale string }

func (s *Server) settingsPage(c *fiber.Ctx) error {
	u, err := s.deps.Accounts.User(c.UserContext(), currentViewer(c).UserID)
	if err != nil {
		return err
	}
	return s.render(c, "settings", "settings", settingsData{Locale: u.Locale})
}

func (s *Server) settingsSubmit(c *fiber.Ctx) error {
	l := c.FormValue("locale")
	if _, err := s.deps.Accounts.UpdateMe(c.UserContext(), accounts.MeInput{Locale: &l}); err != nil {
		return err
	}
	return c.Redirect("/settings?msg=saved", fiber.StatusSeeOther)
}

type documentData struct {
	D           documents.Document
	PartnerName string
	Downloads   []documents.DownloadRecord
	Upload      uploadForm
	CanUpload   bool
}

func (s *Server) documentPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	d, err := s.deps.Documents.Document(ctx, id)
	if err != nil {
		return err
	}
	p, err := s.deps.Directory.Partner(ctx, d.PartnerID)
	if err != nil {
		return err
	}
	data := documentData{D: d, PartnerName: p.Name}
	if currentViewer(c).IsStaff() {
		if data.Downloads, err = s.deps.Documents.Downloads(ctx, id); err != nil {
			return err
		}
	}
	data.Upload, data.CanUpload = s.uploadForm(c, d.PartnerID, id)
	return s.render(c, "document", d.Title, data)
}

func (s *Server) documentDelete(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Documents.Document(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := s.deps.Documents.Delete(c.UserContext(), id); err != nil {
		return err
	}
	return c.Redirect("/partners/"+itoa(d.PartnerID)+"?msg=deleted", fiber.StatusSeeOther)
}

// orderingSubmit saves a partner's ordering rules: the acknowledgement
// target the reminders use, the over-delivery allowance, and whether a
// lapsed mandatory certificate blocks new orders.
func (s *Server) orderingSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sla, err := formInt(c, "ack_sla_hours")
	if err != nil {
		return err
	}
	over, err := formInt(c, "over_delivery_pct")
	if err != nil {
		return err
	}
	block := c.FormValue("block_on_lapsed_certificate") == "1"
	if _, err := s.deps.Directory.UpdatePartner(c.UserContext(), id, directory.PartnerPatch{AckSLAHours: &sla, OverDeliveryPct: &over,
		BlockOnLapsedCertificate: &block}); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/partners/%d?msg=saved#ordering", id), fiber.StatusSeeOther)
}
