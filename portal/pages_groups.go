package portal

import (
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
)

func (s *Server) registerGroupPages() {
	p := s.app
	p.Get("/groups", s.page(authed, s.groupsPage))
	p.Post("/groups", s.page(editor, s.groupSubmit))
	p.Get("/groups/:id", s.page(authed, s.groupPage))
	p.Post("/groups/:id/posts", s.page(authed, s.groupPostSubmit))
	p.Post("/groups/:id/members", s.page(editor, s.groupMemberSubmit))
	p.Post("/groups/:id/digest", s.page(editor, s.digestSubmit))
	p.Post("/cards/:id/act", s.page(authed, s.cardActSubmit))
	p.Get("/groups/:id/bridges", s.page(staff, s.bridgesPage))
	p.Post("/groups/:id/bridges", s.page(editor, s.bridgeSubmit))
	p.Post("/bridges/:id/test", s.page(editor, s.bridgeTestSubmit))
	p.Post("/deliveries/:id/retry", s.page(admin, s.deliveryRetrySubmit))
}

type groupsData struct {
	Page     groups.Page
	Partners map[int]string
	All      []directory.Partner
}

func (s *Server) groupsPage(c *fiber.Ctx) error {
	f, err := bindQuery[groups.Filter](c)
	if err != nil {
		return err
	}
	page, err := s.deps.Groups.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	var ids []int
	for _, g := range page.Items {
		if g.PartnerID != nil {
			ids = append(ids, *g.PartnerID)
		}
	}
	names, err := s.partnerNames(c, ids...)
	if err != nil {
		return err
	}
	d := groupsData{Page: page, Partners: names}
	if currentViewer(c).CanEdit() {
		all, err := s.deps.Directory.ListPartners(c.UserContext(), directory.PartnerFilter{Limit: 200})
		if err != nil {
			return err
		}
		d.All = all.Items
	}
	return s.render(c, "groups", "groups", d)
}

func (s *Server) groupSubmit(c *fiber.Ctx) error {
	in := groups.GroupInput{Name: c.FormValue("name"), Purpose: c.FormValue("purpose"), Kind: group.Kind(c.FormValue("kind"))}
	if v := c.FormValue("partner_id"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return partners.Invalid("partner_id", "must be a partner")
		}
		in.PartnerID = n
	}
	if in.PartnerID != 0 && in.Kind == "partner" {
		// A new partner group starts with the partner's contacts.
		cs, err := s.deps.Directory.ListContacts(c.UserContext(), directory.ContactFilter{PartnerID: in.PartnerID, Limit: 200})
		if err != nil {
			return err
		}
		for _, ct := range cs.Items {
			in.ContactIDs = append(in.ContactIDs, ct.ID)
		}
	}
	g, err := s.deps.Groups.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d?msg=group_created", g.ID), fiber.StatusSeeOther)
}

type groupData struct {
	G           groups.Group
	PartnerName string
	Members     []groups.Member
	Posts       []groups.Post
	FeedJSON    template.JS
	LabelsJSON  template.JS
	Side        string
	Documents   []documents.Document
	Contacts    []directory.Contact
	Staff       []accounts.User
}

func (s *Server) groupPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	g, err := s.deps.Groups.Group(ctx, id)
	if err != nil {
		return err
	}
	ms, err := s.deps.Groups.Members(ctx, id)
	if err != nil {
		return err
	}
	feed, err := s.deps.Groups.Posts(ctx, id, groups.PostFilter{Limit: 50})
	if err != nil {
		return err
	}
	slices.Reverse(feed.Items)
	v := currentViewer(c)
	d := groupData{G: g, Members: ms.Items, Posts: feed.Items, Side: "staff"}
	if v.IsPartner() {
		d.Side = "partner"
	}
	if g.PartnerID != nil {
		p, err := s.deps.Directory.Partner(ctx, *g.PartnerID)
		if err == nil {
			d.PartnerName = p.Name
		}
		if g.ReceivesStatus {
			docs, err := s.deps.Documents.List(ctx, documents.Filter{PartnerID: *g.PartnerID, Limit: 50})
			if err != nil {
				return err
			}
			d.Documents = docs.Items
		}
		if v.CanEdit() {
			cs, err := s.deps.Directory.ListContacts(ctx, directory.ContactFilter{PartnerID: *g.PartnerID, Limit: 200})
			if err != nil {
				return err
			}
			d.Contacts = cs.Items
		}
	}
	if v.CanEdit() {
		if d.Staff, err = s.staffUsers(c); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(feed.Items)
	d.FeedJSON = template.JS(b)
	l := pickLocale(c, sessionLocale(c))
	labels := map[string]string{}
	for _, k := range []string{"a_approve", "a_reject", "a_acknowledge", "a_confirm_receipt", "out_answered", "out_approved", "out_rejected", "out_received", "out_cancelled"} {
		labels[k] = l.T(k)
	}
	b, _ = json.Marshal(labels)
	d.LabelsJSON = template.JS(b)
	return s.render(c, "group", "group", d)
}

func sessionLocale(c *fiber.Ctx) string {
	if sess := currentSession(c); sess != nil {
		return sess.Locale
	}
	return ""
}

func (s *Server) groupPostSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in := groups.PostInput{Body: c.FormValue("body")}
	args := c.Request().PostArgs()
	for _, v := range args.PeekMulti("document_ids") {
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return partners.Invalid("document_ids", "must be document ids")
		}
		in.DocumentIDs = append(in.DocumentIDs, n)
	}
	if _, err := s.deps.Groups.Post(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d", id), fiber.StatusSeeOther)
}

func (s *Server) groupMemberSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in groups.MemberInput
	if v := c.FormValue("member"); strings.HasPrefix(v, "u") {
		in.UserID, _ = strconv.Atoi(v[1:])
	} else if strings.HasPrefix(v, "c") {
		in.ContactID, _ = strconv.Atoi(v[1:])
	}
	if _, err := s.deps.Groups.AddMember(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d?msg=member_added", id), fiber.StatusSeeOther)
}

func (s *Server) cardActSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	res, err := s.deps.Groups.Act(c.UserContext(), id, groups.ActionInput{Action: c.FormValue("action"), Reason: c.FormValue("reason")})
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d#post-%d", res.Card.GroupID, id), fiber.StatusSeeOther)
}

type bridgesData struct {
	G          groups.Group
	Bridges    []groups.Bridge
	Deliveries map[int][]groups.Delivery
	Kinds      []bridge.Kind
	Secret     string
}

func (s *Server) bridgesPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.renderBridges(c, id, "")
}

// renderBridges shows a group's bridges with their delivery logs, and a
// just-generated signing secret when there is one to show once.
func (s *Server) renderBridges(c *fiber.Ctx, id int, secret string) error {
	ctx := c.UserContext()
	g, err := s.deps.Groups.Group(ctx, id)
	if err != nil {
		return err
	}
	bs, err := everyPage(func(cursor string, limit int) ([]groups.Bridge, string, error) {
		p, err := s.deps.Groups.Bridges(ctx, id, groups.BridgeFilter{Cursor: cursor, Limit: limit})
		return p.Items, p.NextCursor, err
	})
	if err != nil {
		return err
	}
	d := bridgesData{G: g, Bridges: bs, Deliveries: map[int][]groups.Delivery{}, Kinds: bridges.Kinds, Secret: secret}
	for _, b := range bs {
		log, err := s.deps.Groups.Deliveries(ctx, b.ID, groups.DeliveryFilter{Limit: 20})
		if err != nil {
			return err
		}
		d.Deliveries[b.ID] = log.Items
	}
	return s.render(c, "group_bridges", "bridges", d)
}

func (s *Server) bridgeSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in := groups.BridgeInput{Kind: bridge.Kind(c.FormValue("kind")), Name: c.FormValue("name"), URL: c.FormValue("url"), Secret: c.FormValue("secret")}
	b, err := s.deps.Groups.CreateBridge(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	if b.Secret != "" {
		// A generated signing secret is shown once, on this page.
		return s.renderBridges(c, id, b.Secret)
	}
	return c.Redirect(fmt.Sprintf("/groups/%d/bridges?msg=bridge_created", id), fiber.StatusSeeOther)
}

func (s *Server) bridgeTestSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	b, err := s.deps.Groups.Bridge(c.UserContext(), id)
	if err != nil {
		return err
	}
	if _, err := s.deps.Groups.SendTest(c.UserContext(), id); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d/bridges?msg=test_queued", b.GroupID), fiber.StatusSeeOther)
}

func (s *Server) deliveryRetrySubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Groups.RetryDelivery(c.UserContext(), id)
	if err != nil {
		return err
	}
	b, err := s.deps.Groups.Bridge(c.UserContext(), d.BridgeID)
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d/bridges?msg=retry_queued", b.GroupID), fiber.StatusSeeOther)
}

func (s *Server) digestSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	enabled, quiet, spec := c.FormValue("enabled") == "1", c.FormValue("quiet") == "1", strings.TrimSpace(c.FormValue("schedule"))
	if _, err := s.deps.Groups.Update(c.UserContext(), id, groups.GroupPatch{DigestEnabled: &enabled, DigestQuiet: &quiet, DigestSchedule: &spec}); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d?msg=digest_saved#digest", id), fiber.StatusSeeOther)
}
