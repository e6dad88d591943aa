package portal

import (
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strconv"

	"github.com/tierlink/tierlink/ent/bridge"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/schedule"
)

func (s *Server) groupPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/groups", Access: authed, Handler: s.groupsPage},
		{Method: "POST", Path: "/groups", Access: editor, Handler: s.groupSubmit, Form: groups.GroupInput{}, Back: s.groupsPage},
		{Method: "GET", Path: "/groups/:id", Access: authed, Handler: s.groupPage},
		{Method: "POST", Path: "/groups/:id/posts", Access: authed, Handler: ifExists(s.deps.Groups.Exists, s.groupPostSubmit), Form: groups.PostInput{}, Back: s.groupPage},
		{Method: "POST", Path: "/groups/:id/members", Access: editor, Handler: ifExists(s.deps.Groups.Exists, s.groupMemberSubmit), Form: groups.MemberInput{}, Back: s.groupPage},
		{Method: "POST", Path: "/groups/:id/digest", Access: editor, Handler: ifExists(s.deps.Groups.Exists, s.digestSubmit), Form: groups.GroupPatch{}, Back: s.groupPage},
		{Method: "POST", Path: "/cards/:id/act", Access: authed, Handler: ifExists(s.deps.Groups.CardExists, s.cardActSubmit), Form: groups.ActionInput{}, Back: s.refererBack},
		{Method: "GET", Path: "/groups/:id/bridges", Access: staff, Handler: s.bridgesPage},
		{Method: "POST", Path: "/groups/:id/bridges", Access: editor, Handler: ifExists(s.deps.Groups.Exists, s.bridgeSubmit), Form: groups.BridgeInput{}, Back: s.bridgesPage},
		{Method: "POST", Path: "/bridges/:id/test", Access: editor, Handler: s.bridgeTestSubmit, Back: s.refererBack},
		{Method: "POST", Path: "/deliveries/:id/retry", Access: admin, Handler: s.deliveryRetrySubmit, Back: s.refererBack},
	}
}

type groupsData struct {
	Page groups.Page
	All  []directory.Partner
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
	d := groupsData{Page: page}
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
	in, err := bindForm[groups.GroupInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	g, err := s.deps.Groups.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d?msg=group_created", g.ID), fiber.StatusSeeOther)
}

// groupFeedQuery pages the group page's feed back in time.
type groupFeedQuery struct {
	Cursor string `query:"cursor" validate:"max=200"`
}

type groupData struct {
	G groups.Group
	// Older is the cursor of the posts before these; Archive is set when
	// the page shows older posts rather than the live end of the feed.
	Older       string
	Archive     bool
	PartnerName string
	Members     []groups.Member
	Posts       []groups.Post
	FeedJSON    template.JS
	LabelsJSON  template.JS
	Side        string
	Documents   []documents.Document
	Contacts    []directory.Contact
	Staff       []accounts.User
	// DigestDays and DigestTime preselect the digest picker: "default",
	// "daily", "weekdays", a weekday 0–6, or "custom" for a spec the
	// picker cannot show.
	DigestDays, DigestTime string
}

// digestPicker is the digest schedule as the page asks for it: days and
// a time of day, turned into the cron spec GroupPatch takes, so the page
// and the API share one service input.
type digestPicker struct {
	Days string `json:"digest_days" validate:"omitempty,max=20"`
	Time string `json:"digest_time" validate:"omitempty,max=5"`
}

// apply sets in.DigestSchedule from the picker: "default" is the
// company's schedule, "custom" keeps the spec as it is.
func (p digestPicker) apply(in *groups.GroupPatch) error {
	switch p.Days {
	case "", "custom":
		return nil
	case "default":
		empty := ""
		in.DigestSchedule = &empty
		return nil
	}
	spec, ok := schedule.Spec(p.Days, p.Time)
	if !ok {
		return partners.Invalid("digest_time", "is not a time of day as HH:MM")
	}
	in.DigestSchedule = &spec
	return nil
}

// digestChoice is the picker's preselection for a group's spec.
func digestChoice(spec, def string) (days, clock string) {
	if spec == "" {
		p, _ := schedule.Describe(def)
		return "default", p.Clock()
	}
	p, ok := schedule.Describe(spec)
	switch {
	case ok && p.Cadence == schedule.Daily:
		return "daily", p.Clock()
	case ok && p.Cadence == schedule.Weekdays:
		return "weekdays", p.Clock()
	case ok && p.Cadence == schedule.Weekly:
		return strconv.Itoa(int(p.Weekday)), p.Clock()
	}
	return "custom", ""
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
	// The page shows the latest 50 posts; older ones are a page back
	// each, by the same cursor the API pages with.
	q, err := bindQuery[groupFeedQuery](c)
	if err != nil {
		return err
	}
	feed, err := s.deps.Groups.Posts(ctx, id, groups.PostFilter{Cursor: q.Cursor, Limit: 50})
	if err != nil {
		return err
	}
	slices.Reverse(feed.Items)
	v := currentViewer(c)
	d := groupData{G: g, Members: ms.Items, Posts: feed.Items, Side: "staff", Older: feed.NextCursor, Archive: q.Cursor != ""}
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
	d.DigestDays, d.DigestTime = digestChoice(g.Digest.Schedule, g.Digest.DefaultSchedule)
	b, _ := json.Marshal(feed.Items)
	d.FeedJSON = template.JS(b)
	l := pickLocale(c, sessionLocale(c))
	labels := map[string]string{}
	for _, k := range []string{"a_approve", "a_reject", "a_acknowledge", "a_confirm_receipt", "out_answered", "out_approved", "out_rejected", "out_received", "out_cancelled", "chg_line", "chg_promised_date", "chg_quantity", "chg_unit_price", "reason"} {
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
	in, err := bindForm[groups.PostInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
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
	in, err := bindForm[groups.MemberInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
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
	in, err := bindForm[groups.ActionInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	res, err := s.deps.Groups.Act(c.UserContext(), id, in)
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
	in, err := bindForm[groups.BridgeInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
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
	var pick digestPicker
	in, err := bindForm[groups.GroupPatch](c, s.zoneOf(c), formOptions{Extra: &pick})
	if err != nil {
		return err
	}
	if err := pick.apply(&in); err != nil {
		return err
	}
	if _, err := s.deps.Groups.Update(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/groups/%d?msg=digest_saved#digest", id), fiber.StatusSeeOther)
}
