package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/orders"
)

// changeRequestFilter narrows the change requests to decide.
type changeRequestFilter struct {
	State string `query:"state" validate:"omitempty,oneof=open approved rejected"`
}

// ackList is an order's acknowledgements.
type ackList struct {
	Items []map[string]any `json:"items"`
}

// importQuery controls an order import.
type importQuery struct {
	Publish  bool   `query:"publish"`
	Filename string `query:"filename" validate:"max=255"` // sent by the page's upload form; informational
}

// maxOrderCSV caps an order import's body; it streams, so it may be
// larger than other bodies.
const maxOrderCSV = 64 << 20

func (s *Server) registerOrderRoutes(r api) {
	ord := s.deps.Orders
	r.handle("POST", "/import", op{Summary: "Import orders from an ERP export (text/csv body; all rows or none)", Tag: "orders",
		Access: editor, Query: importQuery{}, Upload: true, Resp: orders.ImportResult{}, Status: 201}, func(c *fiber.Ctx) error {
		q, err := bindQuery[importQuery](c)
		if err != nil {
			return err
		}
		if c.Request().Header.ContentLength() > maxOrderCSV {
			return partners.Errorf(partners.ETooLarge, "the file is larger than %d bytes", maxOrderCSV)
		}
		body := io.LimitReader(bodyReader(c), maxOrderCSV)
		res, err := ord.ImportCSV(c.UserContext(), body, q.Publish)
		var ie *directory.ImportError
		if errors.As(err, &ie) {
			e := &partners.Error{Code: partners.EInvalid, Message: "import refused, nothing stored: " + strconv.Itoa(len(ie.Rows)) + " problem(s)"}
			for _, r := range ie.Rows {
				e.Fields = append(e.Fields, partners.FieldError{Field: fmt.Sprintf("line %d: %s", r.Line, r.Column), Reason: r.Reason})
			}
			return e
		}
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(res)
	})
	r.handle("GET", "/", op{Summary: "List orders (partner users: their own published orders)", Tag: "orders", Access: authed,
		Query: orders.Filter{}, Resp: orders.Page{}}, listOf(ord.List))
	r.handle("POST", "/", op{Summary: "Create a draft order", Tag: "orders", Access: editor, Body: orders.OrderInput{},
		Resp: orders.Order{}, Status: 201}, create(ord.Create))
	r.handle("GET", "/:id", op{Summary: "Get an order with lines, change requests and revisions", Tag: "orders", Access: authed,
		Resp: orders.Order{}}, getByID(ord.Order))
	r.handle("POST", "/:id/publish", op{Summary: "Publish a draft to the partner; starts the acknowledgement clock", Tag: "orders",
		Access: editor, Resp: orders.Order{}}, getByID(ord.Publish))
	r.handle("GET", "/:id/acknowledgements", op{Summary: "The partner's answers to an order", Tag: "orders", Access: authed,
		Resp: ackList{}}, getByID(func(ctx context.Context, id int) (ackList, error) {
		items, err := ord.Acknowledgements(ctx, id)
		return ackList{Items: items}, err
	}))
	r.handle("POST", "/:id/acknowledgements", op{Summary: "Acknowledge lines: accept, change (promised date, quantity, price) or reject",
		Tag: "orders", Access: authed, Body: orders.AckInput{}, Resp: orders.Order{}, Status: 201, Idempotent: true},
		ifExists(ord.Order, s.idempotent(createUnder(ord.Acknowledge))))
	r.handle("GET", "/:id/change-requests", op{Summary: "Change requests of an order", Tag: "orders", Access: authed,
		Query: changeRequestFilter{}, Resp: listResult[orders.ChangeRequest]{}},
		listUnder(ord.Order, func(f *crQuery, id int) { f.OrderID = id }, func(ctx context.Context, q crQuery) (listResult[orders.ChangeRequest], error) {
			items, err := ord.ChangeRequests(ctx, q.OrderID, q.State)
			return listResult[orders.ChangeRequest]{Items: items}, err
		}))
}

// crQuery is a change-request listing under an order.
type crQuery struct {
	State   string `query:"state" validate:"omitempty,oneof=open approved rejected"`
	OrderID int    `query:"-"`
}

func (s *Server) registerChangeRequestRoutes(r api) {
	ord := s.deps.Orders
	r.handle("GET", "/", op{Summary: "Change requests to decide (state=open) or decided", Tag: "orders", Access: staff,
		Query: changeRequestFilter{}, Resp: listResult[orders.ChangeRequest]{}},
		listOf(listed(func(ctx context.Context, f changeRequestFilter) ([]orders.ChangeRequest, error) {
			return ord.ChangeRequests(ctx, 0, f.State)
		})))
	r.handle("POST", "/:id/decision", op{Summary: "Approve or reject a change request; approving makes a new revision", Tag: "orders",
		Access: editor, Body: orders.Decision{}, Resp: orders.Order{}}, ifExists(ord.ChangeRequest, updateByID(ord.Decide)))
}

func (s *Server) registerEventRoutes(r api) {
	r.handle("GET", "/", op{Summary: "The domain event stream, oldest first after a cursor", Tag: "events", Access: authed,
		Query: partners.EventFilter{}, Resp: partners.EventPage{}},
		listOf(func(ctx context.Context, f partners.EventFilter) (partners.EventPage, error) {
			return partners.ListEvents(ctx, s.deps.DB.Client, f)
		}))
}
