package portal

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/notify"
)

// notifyPages are the notification preferences and the unsubscribe
// pages. Unsubscribing needs no session: the signed link is the proof,
// and its POST is RFC 8058's one-click, sent by mail clients with no
// cookie and no Origin.
func (s *Server) notifyPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/settings/notifications", Access: authed, Handler: s.notifySettingsPage},
		{Method: "POST", Path: "/settings/notifications", Access: authed, Handler: s.notifySettingsSubmit, Form: notify.PrefsInput{}, Back: s.notifySettingsPage},
		{Method: "GET", Path: "/mail/unsubscribe/:token", Access: anyone, Handler: s.unsubscribePage},
		{Method: "POST", Path: "/mail/unsubscribe/:token", Access: anyone, Handler: s.unsubscribeSubmit, Form: unsubscribeForm{}, Back: s.unsubscribePage},
	}
}

// notifyRow is one kind of notice on the settings page.
type notifyRow struct{ Kind, Label, Mode string }

// notifyMode is one choice offered for each kind.
type notifyMode struct{ Value, Label string }

type notifySettingsData struct {
	Rows  []notifyRow
	Modes []notifyMode
	// Configured is false while the portal sends no mail.
	Configured bool
}

// notifyKindLabels are the settings page's names of the kinds.
var notifyKindLabels = map[notify.Kind]string{"order_ack": "notify_kind_order_ack", "change_request": "notify_kind_change_request",
	"receipt": "notify_kind_receipt", "shipment_update": "notify_kind_shipment_update",
	"certificate_expiry": "notify_kind_certificate_expiry", "mention": "notify_kind_mention"}

var notifyModes = []notifyMode{{"immediately", "notify_immediately"}, {"digest", "notify_digest"}, {"off", "notify_off"}}

func (s *Server) notifySettingsPage(c *fiber.Ctx) error {
	if s.deps.Notify == nil {
		return fiber.NewError(fiber.StatusNotFound, "no such page")
	}
	p, err := s.deps.Notify.Prefs(c.UserContext())
	if err != nil {
		return err
	}
	st, refused := formRefused(c)
	d := notifySettingsData{Modes: notifyModes, Configured: s.deps.Mail.Configured()}
	for _, k := range notify.Kinds {
		mode := p.Get(k)
		if refused != nil {
			if v := st.Value(string(k)); v != "" {
				mode = v
			}
		}
		d.Rows = append(d.Rows, notifyRow{Kind: string(k), Label: notifyKindLabels[k], Mode: mode})
	}
	return s.render(c, "notify_settings", "notify_settings", d)
}

func (s *Server) notifySettingsSubmit(c *fiber.Ctx) error {
	if s.deps.Notify == nil {
		return fiber.NewError(fiber.StatusNotFound, "no such page")
	}
	in, err := bindForm[notify.PrefsInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	if _, err := s.deps.Notify.SetPrefs(c.UserContext(), in); err != nil {
		return err
	}
	return c.Redirect("/settings/notifications?msg=notify_saved", fiber.StatusSeeOther)
}

// unsubscribeForm is RFC 8058's one-click body, List-Unsubscribe=One-Click;
// the page's own button posts nothing but its CSRF token.
type unsubscribeForm struct {
	ListUnsubscribe string `json:"List-Unsubscribe" validate:"omitempty,oneof=One-Click"`
}

type unsubscribeData struct {
	Token string
	U     notify.Unsubscription
	// KindKey names what stops (a page key).
	KindKey string
	Done    bool
}

func (s *Server) unsubscribePage(c *fiber.Ctx) error {
	return s.renderUnsubscribe(c, notify.Unsubscription{}, false)
}

func (s *Server) renderUnsubscribe(c *fiber.Ctx, u notify.Unsubscription, done bool) error {
	if s.deps.Notify == nil {
		return fiber.NewError(fiber.StatusNotFound, "no such page")
	}
	tok := c.Params("token")
	if !done {
		var err error
		if u, err = s.deps.Notify.Unsubscribed(c.UserContext(), tok); err != nil {
			return err
		}
	}
	d := unsubscribeData{Token: tok, U: u, Done: done, KindKey: notifyKindLabels[notify.Kind(u.Kind)]}
	switch {
	case u.Contact:
		d.KindKey = "unsubscribe_contact"
	case u.Kind == "":
		d.KindKey = "unsubscribe_all"
	}
	return s.render(c, "unsubscribe", "unsubscribe", d)
}

func (s *Server) unsubscribeSubmit(c *fiber.Ctx) error {
	if s.deps.Notify == nil {
		return fiber.NewError(fiber.StatusNotFound, "no such page")
	}
	// Some mail clients post the one-click body as multipart/form-data
	// (RFC 8058 allows either); it carries nothing else to read.
	if !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		if _, err := bindForm[unsubscribeForm](c, s.zoneOf(c), formOptions{}); err != nil {
			return err
		}
	}
	u, err := s.deps.Notify.Unsubscribe(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	return s.renderUnsubscribe(c, u, true)
}
