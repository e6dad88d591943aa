package portal

import (
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[partners.Code]int{
	partners.EInvalid:         fiber.StatusUnprocessableEntity,
	partners.ENotFound:        fiber.StatusNotFound,
	partners.EConflict:        fiber.StatusConflict,
	partners.EForbidden:       fiber.StatusForbidden,
	partners.EUnauthenticated: fiber.StatusUnauthorized,
	partners.ERateLimited:     fiber.StatusTooManyRequests,
	partners.ETooLarge:        fiber.StatusRequestEntityTooLarge,
	partners.EUnsupported:     fiber.StatusUnsupportedMediaType,
	partners.ELengthRequired:  fiber.StatusLengthRequired,
}

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type      string                `json:"type"`
	Title     string                `json:"title"`
	Status    int                   `json:"status"`
	Detail    string                `json:"detail,omitempty"`
	Instance  string                `json:"instance,omitempty"`
	RequestID string                `json:"request_id,omitempty"`
	Errors    []partners.FieldError `json:"errors,omitempty"`
}

// badRequest is a malformed request: it could not be read at all.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func (s *Server) problemFor(c *fiber.Ctx, err error) Problem {
	if requestID(c) == "" {
		// Errors raised before routing (an oversize body) skip
		// requestContext; they still get an id to quote.
		c.Locals(localRequestID, newRequestID())
		c.Set(fiber.HeaderXRequestID, requestID(c))
		s.securityHeaders(c)
	}
	p := Problem{Instance: c.Path(), RequestID: requestID(c)}
	var fe *fiber.Error
	var br badRequest
	switch {
	case errors.As(err, &br):
		p.Status, p.Detail = fiber.StatusBadRequest, br.msg
	case errors.As(err, &fe):
		p.Status, p.Detail = fe.Code, fe.Message
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			p.Detail = "the request body is larger than this endpoint accepts"
		}
	default:
		code := partners.ErrorCode(err)
		st, ok := statusOf[code]
		if !ok {
			s.log.Error("internal error", "request_id", p.RequestID, "method", c.Method(), "path", c.Path(), "err", err)
			p.Status, p.Detail = fiber.StatusInternalServerError, "internal error"
			break
		}
		p.Status, p.Detail, p.Errors = st, partners.ErrorMessage(err), partners.ErrorFields(err)
	}
	if p.Status == fiber.StatusNotFound && strings.HasPrefix(c.Route().Path, "/api/v1/") {
		// GET /orders/import reached GET /orders/:id, but the path is
		// POST /orders/import's: the method is what is wrong.
		if methods := s.doc.methodsMatching(c.Path(), true); len(methods) > 0 && !slices.Contains(methods, c.Method()) {
			c.Set(fiber.HeaderAllow, strings.Join(methods, ", "))
			p.Status, p.Detail = fiber.StatusMethodNotAllowed, "this path does not take "+c.Method()+"; it takes "+strings.Join(methods, ", ")
		}
	}
	if p.Status == fiber.StatusNotFound && strings.HasPrefix(c.Route().Path, "/api/v1/") && strings.Contains(c.Route().Path, ":") {
		// One answer for a record that does not exist, one the caller
		// may not see, and an id that is not a number at all, so that
		// none of them tells anything apart.
		p.Detail, p.Errors = "not found: the path names no record you can see", nil
	}
	p.Title = titleOf(p.Status)
	p.Type = "urn:tierlink:problem:" + strings.ToLower(strings.ReplaceAll(p.Title, " ", "-"))
	return p
}

// errorHandler is fiber's one error handler: problem+json for the API,
// an error page for browsers.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	p := s.problemFor(c, err)
	if c.Request().IsBodyStream() && uploadRoutes.MatchString(c.Path()) {
		// The refused body may be unread; the connection cannot carry
		// another request after it.
		c.Context().SetConnectionClose()
	}
	if p.Status == fiber.StatusUnauthorized && isPage(c) {
		return c.Redirect("/login?next="+urlQueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	if p.Status >= 500 {
		slog.Default().Debug("5xx", "err", err)
	}
	if isPage(c) {
		return s.renderError(c, p)
	}
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	b, _ := json.Marshal(p)
	return c.Send(b)
}

func titleOf(status int) string {
	switch status {
	case 400:
		return "Malformed request"
	case 401:
		return "Unauthenticated"
	case 403:
		return "Forbidden"
	case 404:
		return "Not found"
	case 405:
		return "Method not allowed"
	case 409:
		return "Conflict"
	case 413:
		return "Request too large"
	case 411:
		return "Length required"
	case 415:
		return "Unsupported media type"
	case 422:
		return "Invalid input"
	case 429:
		return "Too many requests"
	}
	if t := fiberStatusText(status); t != "" {
		return t
	}
	return "Internal error"
}

func isPage(c *fiber.Ctx) bool {
	p := c.Path()
	return !strings.HasPrefix(p, "/api/") && p != "/healthz" && p != "/readyz" && p != "/metrics"
}
