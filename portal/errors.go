package portal

import (
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
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
	s.localizeProblem(c, &p, err)
	return p
}

// localizeProblem puts p's title, detail and field reasons in the
// reader's language (the saved setting, then Accept-Language), for the
// API as for pages; the type stays the English title's, so clients can
// match it. A detail the catalogue has no message for is, for a reader
// of another language, the status's general detail rather than English.
func (s *Server) localizeProblem(c *fiber.Ctx, p *Problem, err error) {
	l := pickLocale(c, sessionLocale(c))
	c.Set(fiber.HeaderContentLanguage, l.Lang)
	if len(p.Errors) > 0 {
		errs := make([]partners.FieldError, len(p.Errors))
		for i, fe := range p.Errors {
			fe.Reason = fe.Text(l.l)
			errs[i] = fe
		}
		p.Errors = errs
	}
	if l.Lang == i18n.English {
		return
	}
	status := strconv.Itoa(p.Status)
	if key := "problem.title." + status; i18n.Has(l.Lang, key) {
		p.Title = l.l.T(key, nil)
	}
	if m, ok := problemMessage(err, p.Status); ok {
		p.Detail = l.l.Render(m)
	} else if key := "problem.detail." + status; i18n.Has(l.Lang, key) {
		p.Detail = l.l.T(key, nil)
	}
}

// problemMessage is the catalogue message of err's detail, where the
// detail is one the catalogue holds.
func problemMessage(err error, status int) (i18n.Message, bool) {
	var e *partners.Error
	if status >= 500 || status == fiber.StatusMethodNotAllowed {
		return i18n.Message{}, false
	}
	switch {
	case errors.As(err, &e) && e.Msg.Key != "":
		return e.Msg, true
	case errors.As(err, &e) && e.Message == "invalid input":
		return i18n.M("problem.invalid_input"), true
	case ent.IsValidationError(err):
		return i18n.M("problem.invalid_input"), true
	}
	return i18n.Message{}, false
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
