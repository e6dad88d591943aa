package portal

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/accounts"
)

// loginResult is the answer to a login.
type loginResult struct {
	User      accounts.User `json:"user"`
	CSRFToken string        `json:"csrf_token"`
}

// acceptRequest accepts an invitation.
type acceptRequest struct {
	Token    string `json:"token" validate:"required,max=100"`
	Name     string `json:"name" validate:"required,max=200"`
	Password string `json:"password" validate:"required,min=12,max=256"`
}

// listResult wraps a plain list.
type listResult[T any] struct {
	Items []T `json:"items"`
}

func (s *Server) registerAuthRoutes(r api) {
	acc := s.deps.Accounts
	r.handle("POST", "/login", op{Summary: "Log in with e-mail and password; sets the session cookie", Tag: "auth", Access: anyone,
		Description: "Checks the e-mail and password and opens a browser session: the answer sets the session cookie and carries the CSRF token " +
			"to send as X-CSRF-Token on every state-changing request of that session. A wrong e-mail or password is 401 (the two are not told apart); " +
			"after 5 failures for one account or 30 from one address within 15 minutes, logins are refused with 429 for 15 minutes. " +
			"Integrations should use an API token instead.",
		Body: accounts.LoginInput{}, Resp: loginResult{}, Errors: []int{401, 429}}, func(c *fiber.Ctx) error {
		in, err := bind[accounts.LoginInput](c)
		if err != nil {
			return err
		}
		token, sess, err := acc.Login(c.UserContext(), in, s.clientIP(c), c.Get(fiber.HeaderUserAgent))
		if err != nil {
			return err
		}
		s.setSessionCookie(c, token, sess.ExpiresAt)
		u, err := acc.User(withViewer(c, sess.Viewer), sess.Viewer.UserID)
		if err != nil {
			return err
		}
		return c.JSON(loginResult{User: u, CSRFToken: sess.CSRF})
	})
	r.handle("POST", "/logout", op{Summary: "End the session", Tag: "auth", Access: authed, Status: 204,
		Description: "Ends the caller's browser session and clears its cookie; answers 204 with no body. " +
			"With an API token this does nothing to the token: revoke it with DELETE /api/v1/tokens/{id}."}, func(c *fiber.Ctx) error {
		if err := acc.Logout(c.UserContext(), c.Cookies(s.cookieName)); err != nil {
			return err
		}
		s.clearCookie(c)
		return c.SendStatus(fiber.StatusNoContent)
	})
}

func (s *Server) registerMeRoutes(r api) {
	acc := s.deps.Accounts
	r.handle("GET", "/", op{Summary: "Who am I", Tag: "auth", Access: authed, Resp: accounts.User{},
		Description: "The account behind the session or API token: role (admin, buyer, viewer or partner), language and, for a partner user, " +
			"the partner and contact it belongs to."}, func(c *fiber.Ctx) error {
		u, err := acc.User(c.UserContext(), currentViewer(c).UserID)
		if err != nil {
			return err
		}
		return c.JSON(u)
	})
	r.handle("PATCH", "/", op{Summary: "Change my name, language or time zone", Tag: "auth", Access: authed,
		Description: "Changes the caller's own display name, language (zh-CN, en, or auto to follow the browser) or time zone " +
			"(an IANA name such as Asia/Shanghai, or auto to follow the partner's zone, then the company's); fields left out are kept. " +
			"Any signed-in user may call it, for their own account only.",
		Body: accounts.MeInput{}, Resp: accounts.User{}}, func(c *fiber.Ctx) error {
		in, err := bind[accounts.MeInput](c)
		if err != nil {
			return err
		}
		u, err := acc.UpdateMe(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.JSON(u)
	})
}

func (s *Server) registerUserRoutes(r api) {
	acc := s.deps.Accounts
	r.list("/", op{Summary: "List users", Tag: "users", Access: staff, Query: accounts.UserFilter{}, Resp: accounts.UserPage{},
		Description: "Staff and partner user accounts in name order, a page at a time, each with how many contacts it owns. " +
			"Staff only (viewer, buyer, admin). Filter by role, active (true or false) and q, which matches name or e-mail."},
		listOf(acc.ListUsers))
	r.handle("POST", "/", op{Summary: "Create a staff user", Tag: "users", Access: admin, Body: accounts.UserInput{},
		Description: "Creates a staff account (admin, buyer or viewer) with its password; partner users are made by accepting an invitation instead. " +
			"Admins only. An e-mail another account already uses is 409.",
		Resp: accounts.User{}, Status: 201, Errors: []int{409}}, create(acc.CreateUser))
	r.handle("GET", "/:id", op{Summary: "Get a user", Tag: "users", Access: staff, Resp: accounts.User{},
		Description: "One account with its role, state and how many contacts it owns. Staff only."}, byID(acc.User))
	r.handle("POST", "/:id/deactivate", op{Summary: "Deactivate a user, handing their contacts to heirs", Tag: "users",
		Description: "Deactivates an account (it can no longer log in or use its tokens) and, in the same step, hands every contact and group it owns " +
			"to heirs: heirs names one per partner, heir_id takes the rest. Admins only. Deactivating yourself, deactivating twice, " +
			"or leaving contacts or groups without an heir is 409; nothing changes then.",
		Access: admin, Body: accounts.DeactivateInput{}, Resp: accounts.DeactivateResult{}, Errors: []int{409}}, updateByID(acc.Deactivate))
	r.handle("POST", "/:id/reactivate", op{Summary: "Reactivate a deactivated user", Tag: "users",
		Description: "Lets a deactivated account log in again with its old password. The contacts and groups handed to heirs stay with them " +
			"(hand them back with a transfer), and old sessions and tokens stay revoked. Admins only. Reactivating an active account is 409.",
		Access: admin, Resp: accounts.User{}, Errors: []int{409}}, byID(acc.Reactivate))
}

func (s *Server) registerTokenRoutes(r api) {
	acc := s.deps.Accounts
	r.list("/", op{Summary: "List my API tokens (admins: all)", Tag: "tokens", Access: authed,
		Description: "API tokens newest first, a page at a time: the caller's own, or every user's for an admin. " +
			"Only the prefix is shown; the secret is never shown again after creation. Revoked tokens stay listed with revoked_at.",
		Query: accounts.TokenFilter{}, Resp: accounts.TokenPage{}}, listOf(acc.ListTokens))
	r.handle("POST", "/", op{Summary: "Create an API token; the secret is shown once", Tag: "tokens", Access: authed,
		Description: "Creates an API token that acts as the caller, with the caller's role and, for a partner user, the same partner boundary. " +
			"The answer's token field is the secret, shown this once; send it as `Authorization: Bearer …`.",
		Body: accounts.TokenInput{}, Resp: accounts.NewToken{}, Status: 201}, create(acc.CreateToken))
	r.handle("DELETE", "/:id", op{Summary: "Revoke an API token", Tag: "tokens", Access: authed, Status: 204,
		Description: "Revokes a token at once; it stays listed with revoked_at. Answers 204 with no body, also when the token was already revoked. " +
			"Users revoke their own tokens, admins anyone's; another user's token is 404."},
		deleteByID(func(ctx context.Context, id int) error {
			_, err := acc.RevokeToken(ctx, id)
			return err
		}))
}

func (s *Server) registerInvitationRoutes(r api) {
	acc := s.deps.Accounts
	r.list("/", op{Summary: "List invitations", Tag: "invitations", Access: staff, Query: accounts.InvitationFilter{},
		Description: "Invitations newest first, a page at a time, optionally of one partner (partner_id), with when each expires and whether it was used. " +
			"Staff only; the one-time link itself is never listed.",
		Resp: accounts.InvitationPage{}}, listOf(acc.ListInvitations))
	r.handle("POST", "/", op{Summary: "Invite a contact to log in, by mail or with a link to copy", Tag: "invitations",
		Description: "Creates an invitation for a partner's contact, with which the contact sets a password and becomes a partner user logging in " +
			"with the contact's e-mail; the link works for 7 days. When the portal sends mail, the link is mailed to the contact " +
			"(mailed is true; token and url are left out). Otherwise the answer carries the one-time link to hand over (shown once). Buyers and admins. " +
			"A contact without an e-mail is 422; a contact who can already log in (a user made from the contact, or an account with its e-mail) is 409.",
		Access: editor, Body: accounts.InvitationInput{}, Resp: invitationResult{}, Status: 201, Errors: []int{409}},
		create(func(ctx context.Context, in accounts.InvitationInput) (invitationResult, error) {
			inv, err := acc.CreateInvitation(ctx, in)
			return s.invitationResult(inv), err
		}))
	r.handle("POST", "/:id/resend", op{Summary: "Send an invitation again, with a new expiry", Tag: "invitations",
		Description: "Gives an unused invitation 7 more days and a new link, which replaces the old one: mailed when the portal sends mail " +
			"(mailed is true), else returned to hand over (token and url, shown once). Buyers and admins. A used invitation, or one whose contact's " +
			"e-mail changed since, is 409.",
		Access: editor, Resp: invitationResult{}, Errors: []int{409}},
		byID(func(ctx context.Context, id int) (invitationResult, error) {
			inv, err := acc.ResendInvitation(ctx, id)
			return s.invitationResult(inv), err
		}))
	r.handle("POST", "/accept", op{Summary: "Accept an invitation, creating a partner user", Tag: "invitations",
		Description: "Turns an invitation's token into a partner user account with the given name and password (at least 12 characters); " +
			"no login is needed. A token works once: an unknown, used or expired token is 404, and an e-mail that meanwhile got an account is 409.",
		Access: anyone, Body: acceptRequest{}, Resp: accounts.User{}, Status: 201, Errors: []int{404, 409}},
		create(s.acceptInvitation))
}

// acceptInvitation accepts for the API route and the invitation page
// alike, which both send an acceptRequest (the page's token is its path).
func (s *Server) acceptInvitation(ctx context.Context, in acceptRequest) (accounts.User, error) {
	return s.deps.Accounts.AcceptInvitation(ctx, in.Token, accounts.AcceptInput{Name: in.Name, Password: in.Password})
}

// invitationResult carries the invitation link, unless it was mailed.
type invitationResult struct {
	accounts.NewInvitation
	URL string `json:"url,omitempty"`
}

func (s *Server) invitationResult(inv accounts.NewInvitation) invitationResult {
	r := invitationResult{NewInvitation: inv}
	if inv.Token != "" {
		r.URL = s.inviteURL(inv.Token)
	}
	return r
}

func (s *Server) inviteURL(token string) string {
	u := *s.cfg.BaseURL
	u.Path = "/invite/" + token
	return u.String()
}
