package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/wecom"
)

// The unmatched inbox: the WeCom contacts the sync could not match to a
// partner, for a buyer to assign one by one or to map their corp name
// to a partner so later syncs match its contacts. The forms bind the
// API's own inputs (wecom.AssignInput, wecom.MapCorpInput); the contact
// a form is about travels as a page field beside them.

func (s *Server) wecomInboxPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/wecom/unmatched", Access: staff, Handler: s.wecomInboxPage},
		{Method: "POST", Path: "/wecom/unmatched/assign", Access: editor, Handler: s.wecomInboxAssign, Form: wecom.AssignInput{},
			Back: s.wecomInboxPage},
		{Method: "POST", Path: "/wecom/unmatched/map", Access: editor, Handler: s.wecomInboxMap, Form: wecom.MapCorpInput{},
			Back: s.wecomInboxPage},
	}
}

// inboxQuery pages the inbox; q narrows the partners offered.
type inboxQuery struct {
	Cursor string `query:"cursor" validate:"max=600"`
	Q      string `query:"q" validate:"max=100"`
}

// inboxRow names the contact a form of the inbox is about; it is the
// page's own field, no part of the service input.
type inboxRow struct {
	ExternalUserID string `json:"external_userid" validate:"required,max=128"`
}

// inboxMapRow is the row a mapping was saved from, for showing a
// refusal beside it; a mapping needs no contact.
type inboxMapRow struct {
	ExternalUserID string `json:"external_userid" validate:"max=128"`
}

type wecomInboxData struct {
	Q        string
	Items    []wecom.Contact
	Partners []directory.Partner
	// More says the partner list was cut short: search to narrow it.
	More       bool
	Next, From string
	// Row and Form say which row's form was refused ("assign" or
	// "map"), so the reasons and typed values show beside it; when that
	// row is not on the page (or names none), RowShown is false and the
	// refused form is shown on its own above the list.
	Row, Form string
	RowShown  bool
}

// inboxPartnerLimit is how many partners each row's lists offer, and
// inboxPageSize how many contacts a page shows: each row carries two
// partner lists, so both stay small and the search narrows the lists.
const (
	inboxPartnerLimit = 100
	inboxPageSize     = 10
)

func (s *Server) wecomInboxPage(c *fiber.Ctx) error {
	q, err := bindQuery[inboxQuery](c)
	if err != nil {
		return err
	}
	if s.deps.WeCom == nil {
		return partners.NotFound("WeCom")
	}
	ctx := c.UserContext()
	page, err := s.deps.WeCom.Unmatched(ctx, wecom.UnmatchedFilter{Cursor: q.Cursor, Limit: inboxPageSize})
	if err != nil {
		return err
	}
	d := wecomInboxData{Q: q.Q, Items: page.Items}
	if currentViewer(c).CanEdit() {
		ps, err := s.deps.Directory.ListPartners(ctx, directory.PartnerFilter{Q: q.Q, Limit: inboxPartnerLimit})
		if err != nil {
			return err
		}
		d.Partners, d.More = ps.Items, ps.NextCursor != ""
	}
	if page.NextCursor != "" {
		d.Next = nextPageURL(c, "/wecom/unmatched", page.NextCursor)
	}
	if q.Cursor != "" {
		d.From = nextPageURL(c, "/wecom/unmatched", "")
	}
	if st, _ := formRefused(c); st.Refused() {
		d.Row = st.Value("external_userid")
		d.Form = "assign"
		if c.Path() == "/wecom/unmatched/map" {
			d.Form = "map"
		}
		for _, it := range d.Items {
			d.RowShown = d.RowShown || (d.Row != "" && it.ExternalUserID == d.Row)
		}
	}
	return s.render(c, "wecom_inbox", "wecom_inbox_title", d)
}

// wecomInboxAssign gives one contact its partner, as the API's assign.
func (s *Server) wecomInboxAssign(c *fiber.Ctx) error {
	var row inboxRow
	in, err := bindForm[wecom.AssignInput](c, s.zoneOf(c), formOptions{Extra: &row})
	if err != nil {
		return err
	}
	if !externalUserIDRE.MatchString(row.ExternalUserID) {
		return partners.NotFound("WeCom contact")
	}
	if _, err := s.deps.WeCom.Assign(c.UserContext(), row.ExternalUserID, in); err != nil {
		return err
	}
	return c.Redirect("/wecom/unmatched?msg=wecom_inbox_assigned", fiber.StatusSeeOther)
}

// wecomInboxMap saves a corp-name mapping, as the API's, and matches
// the waiting contacts of that corp at once.
func (s *Server) wecomInboxMap(c *fiber.Ctx) error {
	var row inboxMapRow
	in, err := bindForm[wecom.MapCorpInput](c, s.zoneOf(c), formOptions{Extra: &row})
	if err != nil {
		return err
	}
	if _, err := s.deps.WeCom.SaveCorpMapping(c.UserContext(), in); err != nil {
		return err
	}
	return c.Redirect("/wecom/unmatched?msg=wecom_inbox_mapped", fiber.StatusSeeOther)
}
