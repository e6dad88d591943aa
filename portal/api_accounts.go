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

// invitationFilter narrows invitations.
type invitationFilter struct {
	PartnerID int `query:"partner_id" validate:"omitempty,min=1"`
}

func (s *Server) registerAuthRoutes(r api) {
	acc := s.deps.Accounts
	r.handle("POST", "/login", op{Summary: "Log in with e-mail and password; sets the session cookie", Tag: "auth", Access: anyone,
		Body: accounts.LoginInput{}, Resp: loginResult{}}, func(c *fiber.Ctx) error {
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
	r.handle("POST", "/logout", op{Summary: "End the session", Tag: "auth", Access: authed, Status: 204}, func(c *fiber.Ctx) error {
		if err := acc.Logout(c.UserContext(), c.Cookies(s.cookieName)); err != nil {
			return err
		}
		s.clearCookie(c)
		return c.SendStatus(fiber.StatusNoContent)
	})
}

func (s *Server) registerMeRoutes(r api) {
	acc := s.deps.Accounts
	r.handle("GET", "/", op{Summary: "Who am I", Tag: "auth", Access: authed, Resp: accounts.User{}}, func(c *fiber.Ctx) error {
		u, err := acc.User(c.UserContext(), currentViewer(c).UserID)
		if err != nil {
			return err
		}
		return c.JSON(u)
	})
	r.handle("PATCH", "/", op{Summary: "Change my name or language", Tag: "auth", Access: authed,
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
	r.handle("GET", "/", op{Summary: "List users", Tag: "users", Access: staff, Query: accounts.UserFilter{},
		Resp: listResult[accounts.User]{}}, listOf(listed(acc.ListUsers)))
	r.handle("POST", "/", op{Summary: "Create a staff user", Tag: "users", Access: admin, Body: accounts.UserInput{},
		Resp: accounts.User{}, Status: 201}, create(acc.CreateUser))
	r.handle("GET", "/:id", op{Summary: "Get a user", Tag: "users", Access: staff, Resp: accounts.User{}}, getByID(acc.User))
	r.handle("POST", "/:id/deactivate", op{Summary: "Deactivate a user, handing their contacts to heirs", Tag: "users",
		Access: admin, Body: accounts.DeactivateInput{}, Resp: accounts.DeactivateResult{}}, updateByID(acc.Deactivate))
}

// listed wraps a service returning a slice so it answers {"items": …}.
func listed[Q, T any](fn func(context.Context, Q) ([]T, error)) func(context.Context, Q) (listResult[T], error) {
	return func(ctx context.Context, q Q) (listResult[T], error) {
		items, err := fn(ctx, q)
		return listResult[T]{Items: items}, err
	}
}

func (s *Server) registerTokenRoutes(r api) {
	acc := s.deps.Accounts
	r.handle("GET", "/", op{Summary: "List my API tokens (admins: all)", Tag: "tokens", Access: authed,
		Resp: listResult[accounts.Token]{}}, func(c *fiber.Ctx) error {
		ts, err := acc.ListTokens(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(listResult[accounts.Token]{Items: ts})
	})
	r.handle("POST", "/", op{Summary: "Create an API token; the secret is shown once", Tag: "tokens", Access: authed,
		Body: accounts.TokenInput{}, Resp: accounts.NewToken{}, Status: 201}, create(acc.CreateToken))
	r.handle("DELETE", "/:id", op{Summary: "Revoke an API token", Tag: "tokens", Access: authed, Resp: accounts.Token{}},
		getByID(acc.RevokeToken))
}

func (s *Server) registerInvitationRoutes(r api) {
	acc := s.deps.Accounts
	r.handle("GET", "/", op{Summary: "List invitations", Tag: "invitations", Access: staff, Query: invitationFilter{},
		Resp: listResult[accounts.Invitation]{}}, listOf(listed(func(ctx context.Context, f invitationFilter) ([]accounts.Invitation, error) {
		return acc.ListInvitations(ctx, f.PartnerID)
	})))
	r.handle("POST", "/", op{Summary: "Invite a contact to log in; returns the one-time link", Tag: "invitations",
		Access: editor, Body: accounts.InvitationInput{}, Resp: invitationResult{}, Status: 201},
		create(func(ctx context.Context, in accounts.InvitationInput) (invitationResult, error) {
			inv, err := acc.CreateInvitation(ctx, in)
			return invitationResult{NewInvitation: inv, URL: s.inviteURL(inv.Token)}, err
		}))
	r.handle("POST", "/accept", op{Summary: "Accept an invitation, creating a partner user", Tag: "invitations",
		Access: anyone, Body: acceptRequest{}, Resp: accounts.User{}, Status: 201},
		create(func(ctx context.Context, in acceptRequest) (accounts.User, error) {
			return acc.AcceptInvitation(ctx, in.Token, accounts.AcceptInput{Name: in.Name, Password: in.Password})
		}))
}

// invitationResult carries the invitation link.
type invitationResult struct {
	accounts.NewInvitation
	URL string `json:"url"`
}

func (s *Server) inviteURL(token string) string {
	u := *s.cfg.BaseURL
	u.Path = "/invite/" + token
	return u.String()
}
