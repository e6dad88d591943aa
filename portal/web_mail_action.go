package portal

import (
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/notify"
)

// mailActionPages are the confirmation pages of one-click actions mailed
// with a card. The GET only shows the card and one button, so a mail
// scanner that fetches every link changes nothing; the POST acts, as the
// link's user, with no session needed (the signed link is the proof).
func (s *Server) mailActionPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/mail/act/:token", Access: anyone, Handler: s.mailActionPage},
		{Method: "POST", Path: "/mail/act/:token", Access: anyone, Handler: s.mailActionSubmit, Form: notify.ActionInput{}, Back: s.mailActionPage},
	}
}

type mailActionData struct {
	Token string
	View  notify.ActionView
	// ActionKey labels the button (a page key).
	ActionKey string
	// Refusal says why the link no longer works; OtherUser that the
	// reader is signed in as someone else.
	Refusal, OtherUser string
	// Open is where the card's subject is shown.
	Open string
	Done bool
}

// mailActionKeys label each action's confirmation button.
var mailActionKeys = map[string]string{"acknowledge": "mail_action_do_acknowledge", "approve": "mail_action_do_approve",
	"reject": "mail_action_do_reject", "confirm_receipt": "mail_action_do_confirm_receipt"}

func (s *Server) mailActionPage(c *fiber.Ctx) error { return s.renderMailAction(c, false) }

// renderMailAction shows a link's card and, while the link works and the
// reader is its user (or nobody), the button that acts.
func (s *Server) renderMailAction(c *fiber.Ctx, done bool) error {
	if s.deps.Notify == nil {
		return fiber.NewError(fiber.StatusNotFound, "no such page")
	}
	tok := c.Params("token")
	s.linkLanguage(c, tok)
	view, err := s.deps.Notify.Action(c.UserContext(), tok)
	if err != nil {
		return err
	}
	d := mailActionData{Token: tok, View: view, ActionKey: mailActionKeys[view.Link.Action], Done: done,
		Open: fmt.Sprintf("/groups/%d#post-%d", view.Card.GroupID, view.Card.ID)}
	if view.Card.Card != nil && view.Card.Card.Link != "" {
		d.Open = view.Card.Card.Link
	}
	status := http.StatusOK
	if view.Refusal != nil && !done {
		p := s.problemFor(c, view.Refusal)
		d.Refusal, status = p.Detail, p.Status
	}
	if err := s.otherUser(c, view); err != nil && !done {
		p := s.problemFor(c, err)
		d.OtherUser, status = p.Detail, p.Status
	}
	if _, p := formRefused(c); p != nil {
		status = p.Status
	}
	return s.renderStatus(c, status, "mail_action", "mail_action", d, nil)
}

// otherUser refuses a link opened in a browser signed in as someone
// else than the link's user: the action would be taken as the link's
// user, which the reader may not notice.
func (s *Server) otherUser(c *fiber.Ctx, view notify.ActionView) error {
	if v := currentViewer(c); v.UserID != 0 && v.UserID != view.Link.UserID {
		return partners.Fail(partners.EForbidden, i18n.M("notify.link_other_user").With("Name", view.UserName))
	}
	return nil
}

func (s *Server) mailActionSubmit(c *fiber.Ctx) error {
	if s.deps.Notify == nil {
		return fiber.NewError(fiber.StatusNotFound, "no such page")
	}
	in, err := bindForm[notify.ActionInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	tok := c.Params("token")
	s.linkLanguage(c, tok)
	view, err := s.deps.Notify.Action(c.UserContext(), tok)
	if err != nil {
		return err
	}
	if err := s.otherUser(c, view); err != nil {
		return err
	}
	if _, err := s.deps.Notify.Act(c.UserContext(), tok, in); err != nil {
		return err
	}
	return s.renderMailAction(c, true)
}

// linkLanguage puts a mailed link's page in the language of the link's
// user: it is usually opened in a browser with no session, and the mail
// was in that language. A reader's own choice (a session, ?lang, the
// language cookie) still wins.
func (s *Server) linkLanguage(c *fiber.Ctx, tok string) {
	if currentSession(c) != nil || c.Query("lang") != "" || c.Cookies(langCookie) != "" {
		return
	}
	if lang := s.deps.Notify.LinkLanguage(c.UserContext(), tok); locales[lang] != nil {
		c.SetUserContext(i18n.WithLanguage(c.UserContext(), lang))
		c.Locals(localeHintKey{}, lang)
	}
}
