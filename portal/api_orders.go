package portal

import (
	"context"
	"io"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/csvfile"
	"github.com/tierlink/tierlink/partners/orders"
)

// importQuery controls an order import.
type importQuery struct {
	Publish  bool   `query:"publish"`
	Filename string `query:"filename" validate:"max=255"` // sent by the page's upload form; informational
	// Encoding names the file's encoding; left out, it is detected, and a
	// file that could be either is refused asking for it.
	Encoding string `query:"encoding" validate:"omitempty,oneof=utf-8 gb18030"`
}

// maxOrderCSV caps an order import's body; it streams, so it may be
// larger than other bodies.
const maxOrderCSV = 64 << 20

func (s *Server) registerOrderRoutes(r api) {
	ord := s.deps.Orders
	r.handle("POST", "/import", op{Summary: "Import orders from an ERP export (text/csv body; all rows or none)", Tag: "orders",
		Description: "Creates draft orders from a CSV file (one row per order line; columns partner_code, order_number, direction, currency, " +
			"item_code, description, quantity, unit, unit_price, required_date as YYYY-MM-DD, notes; quantities and prices as decimals), " +
			"in UTF-8 (with or without byte-order mark) or GB18030/GBK as Chinese Excel saves it: detected, or named with encoding; " +
			"a file that could be either is refused asking for encoding. An order that exists exactly as the file has it is left alone (unchanged). " +
			"All or nothing: every bad row, including an order number the partner already has, is reported as line and column in a 422 " +
			"and nothing is stored. publish=true publishes the orders at once. Buyers and admins.",
		Access: editor, Query: importQuery{}, Upload: true, Resp: orders.ImportResult{}, Status: 201}, func(c *fiber.Ctx) error {
		q, err := bindQuery[importQuery](c)
		if err != nil {
			return err
		}
		if c.Request().Header.ContentLength() > maxOrderCSV {
			return partners.Errorf(partners.ETooLarge, "the file is larger than %d bytes", maxOrderCSV)
		}
		body := io.LimitReader(bodyReader(c), maxOrderCSV)
		res, err := ord.ImportCSV(c.UserContext(), csvfile.Named(body, csvfile.Encoding(q.Encoding)), q.Publish)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(res)
	})
	r.list("/", op{Summary: "List orders (partner users: their own published orders)", Tag: "orders", Access: authed,
		Description: "Orders newest first, a page at a time, with their lines; filter by partner_id, direction (upstream purchase orders, " +
			"downstream delivery orders), status and q (order number). Partner users see their own partner's orders once published, never drafts.",
		Query: orders.Filter{}, Resp: orders.Page{}}, listOf(ord.List))
	r.handle("POST", "/", op{Summary: "Create a draft order", Tag: "orders", Access: editor, Body: orders.OrderInput{},
		Description: "Creates a draft the partner does not see until it is published. Quantities (up to 3 decimals) and unit prices " +
			"(up to 4) are decimal numbers, required_date is YYYY-MM-DD, currency an ISO 4217 code. direction may be left out: it follows from the " +
			"partner's kind (suppliers receive upstream purchase orders, customers downstream delivery orders), and one that disagrees is 422. " +
			"An order number the partner already has is 409, " +
			"and so is a partner whose orders are blocked because a mandatory certificate lapsed. Buyers and admins.",
		Resp: orders.Order{}, Status: 201, Errors: []int{409}}, create(ord.Create))
	r.handle("GET", "/:id", op{Summary: "Get an order with lines, change requests and revisions", Tag: "orders", Access: authed,
		Description: "One order with its lines and their acknowledgement state, its change requests and every kept revision, " +
			"its partner's name, and actions: what the caller may do to it now (edit, publish, acknowledge, decide, ship, cancel), the same decision the pages show. " +
			"Partner users may read their own partner's published orders only; any other id is 404.",
		Resp: orders.Order{}}, byID(ord.Order))
	r.handle("POST", "/:id/publish", op{Summary: "Publish a draft to the partner; starts the acknowledgement clock", Tag: "orders",
		Description: "Makes a draft visible to the partner and starts the acknowledgement clock (the partner's ack_sla_hours). " +
			"Only a draft can be published: publishing twice, or any order past draft, is 409, as is a partner blocked by a lapsed mandatory certificate. " +
			"Buyers and admins.",
		Access: editor, Resp: orders.Order{}, Errors: []int{409}}, byID(ord.Publish))
	r.handle("PATCH", "/:id", op{Summary: "Edit a draft: currency, notes and lines", Tag: "orders", Access: editor, Body: orders.DraftInput{},
		Description: "Replaces a draft's currency, notes and every line (item, quantity, unit, unit_price, required_date as YYYY-MM-DD), " +
			"as a new order takes them. The partner, direction and number are fixed. Only a draft can be edited: a published order is 409 " +
			"(its changes go through change requests). Buyers and admins.",
		Resp: orders.Order{}, Errors: []int{409}}, ifExists(ord.Order, updateByID(ord.UpdateDraft)))
	r.handle("POST", "/:id/cancel", op{Summary: "Cancel an order, with a reason", Tag: "orders", Access: editor, Body: orders.CancelInput{},
		Description: "Cancels a draft or an open order (published, changes requested, acknowledged) that no live shipment carries; " +
			"its open change requests are closed as rejected with the reason. A published order's partner sees it cancelled and " +
			"receives an order.cancelled event; a cancelled draft stays unseen. Any other status, or a shipped order, is 409. Buyers and admins.",
		Resp: orders.Order{}, Errors: []int{409}}, ifExists(ord.Order, updateByID(ord.Cancel)))
	r.list("/:id/acknowledgements", op{Summary: "The partner's answers to an order", Tag: "orders", Access: authed,
		Description: "Every answer the order received, oldest first, a page at a time: who answered, to which revision, and each line's " +
			"action (accept, change, reject) with the proposed promised_date (YYYY-MM-DD), quantity and unit_price as sent. " +
			"Partner users see only their own partner's orders.",
		Query: orders.AckFilter{}, Resp: orders.AckPage{}}, pagedUnder(ord.Acknowledgements))
	r.handle("POST", "/:id/acknowledgements", op{Summary: "Acknowledge lines: accept, change (promised date, quantity, price) or reject",
		Description: "Answers some or all pending lines of a published order (EDI 855): accept, change with a promised_date (YYYY-MM-DD), " +
			"quantity or unit_price (decimals), or reject with a reason. Changes become a change request for the buyer to decide. " +
			"An order that is not published and awaiting an answer is 409. The partner's users answer their own orders; buyers and admins may answer for them. " +
			"Send an Idempotency-Key to retry safely.",
		Tag: "orders", Access: authed, Body: orders.AckInput{}, Resp: orders.Order{}, Status: 201, Idempotent: true},
		ifExists(ord.Order, s.idempotent(createUnder(ord.Acknowledge))))
	r.list("/:id/change-requests", op{Summary: "Change requests of an order", Tag: "orders", Access: authed,
		Description: "The order's change requests newest first, a page at a time, each with its proposed changes and, once decided, " +
			"who decided and why; filter by state (open, approved, rejected). Partner users see only their own partner's orders.",
		Query: orders.ChangeRequestFilter{}, Resp: orders.ChangeRequestPage{}},
		listUnder(ord.Order, func(f *orders.ChangeRequestFilter, id int) { f.OrderID = id }, ord.ListChangeRequests))
}

func (s *Server) registerChangeRequestRoutes(r api) {
	ord := s.deps.Orders
	r.list("/", op{Summary: "Change requests to decide (state=open) or decided", Tag: "orders", Access: staff,
		Query: orders.ChangeRequestFilter{}, Resp: orders.ChangeRequestPage{},
		Description: "Change requests across orders, newest first, a page at a time; state=open lists those awaiting a buyer's decision. Staff only."},
		listOf(ord.ListChangeRequests))
	r.handle("POST", "/:id/decision", op{Summary: "Approve or reject a change request; approving makes a new revision", Tag: "orders",
		Description: "Approving applies the proposed changes to the lines, accepts them and makes a new order revision; rejecting sends " +
			"those lines back to the partner for a new answer. A request is decided once: deciding again, also by a second buyer at the same moment, " +
			"is 409 naming who decided. Buyers and admins.",
		Access: editor, Body: orders.Decision{}, Resp: orders.Order{}, Errors: []int{409}}, ifExists(ord.ChangeRequest, updateByID(ord.Decide)))
}

func (s *Server) registerEventRoutes(r api) {
	r.list("/", op{Summary: "The domain event stream, oldest first after a cursor", Tag: "events", Access: authed,
		Description: "Domain events (order.published, change.requested, shipment.delayed, …) oldest first after the cursor. " +
			"next_cursor is returned even on the last page: keep it and poll with it to receive only newer events. " +
			"Partner users receive only their own partner's events.",
		Query: partners.EventFilter{}, Resp: partners.EventPage{}},
		listOf(func(ctx context.Context, f partners.EventFilter) (partners.EventPage, error) {
			return partners.ListEvents(ctx, s.deps.DB.Client, f)
		}))
}
