package portal

import (
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/order"
	entpartner "github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/shipments"
)

func (s *Server) orderPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/orders", Access: authed, Handler: s.ordersPage},
		{Method: "GET", Path: "/orders/new", Access: editor, Handler: s.orderNewPage},
		{Method: "POST", Path: "/orders", Access: editor, Handler: s.orderSubmit, Form: orders.OrderInput{}, Back: s.orderNewPage},
		{Method: "GET", Path: "/orders/:id", Access: authed, Handler: s.orderPage},
		{Method: "GET", Path: "/orders/:id/edit", Access: editor, Handler: s.orderEditPage},
		{Method: "POST", Path: "/orders/:id/edit", Access: editor, Handler: ifExists(s.deps.Orders.Order, s.orderEditSubmit), Form: orders.DraftInput{}, Back: s.orderEditPage},
		{Method: "POST", Path: "/orders/:id/publish", Access: editor, Handler: ifExists(s.deps.Orders.Order, s.orderPublishSubmit)},
		{Method: "GET", Path: "/orders/:id/cancel", Access: editor, Handler: s.orderCancelPage},
		{Method: "POST", Path: "/orders/:id/cancel", Access: editor, Handler: ifExists(s.deps.Orders.Order, s.orderCancelSubmit), Form: orders.CancelInput{}, Back: s.orderCancelPage},
		{Method: "POST", Path: "/orders/:id/acknowledge", Access: authed, Handler: ifExists(s.deps.Orders.Order, s.ackSubmit), Form: orders.AckInput{}, Back: s.orderPage},
		{Method: "POST", Path: "/change-requests/:id/decision", Access: editor, Handler: ifExists(s.deps.Orders.ChangeRequest, s.decisionSubmit), Form: orders.Decision{}, Back: s.changeRequestOrderPage},
		{Method: "GET", Path: "/change-requests", Access: staff, Handler: s.changeRequestsPage},
	}
}

type ordersData struct {
	F        orders.Filter
	Page     orders.Page
	Statuses []order.Status
}

func (s *Server) ordersPage(c *fiber.Ctx) error {
	f, err := bindQuery[orders.Filter](c)
	if err != nil {
		return err
	}
	page, err := s.deps.Orders.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	return s.render(c, "orders", "orders", ordersData{F: f, Page: page, Statuses: []order.Status{order.StatusDraft, order.StatusPublished, order.StatusChangesRequested, order.StatusAcknowledged, order.StatusRejected, order.StatusCancelled, order.StatusClosed}})
}

// orderData is an order as its page shows it; what the viewer may do
// to it comes from the service (O.Actions), never from the page.
type orderData struct {
	O orders.Order
	// Shipments carry the order's lines, newest first.
	Shipments []shipments.Shipment
}

// Allows says whether the viewer may do the named action now.
func (d orderData) Allows(a string) bool {
	for _, x := range d.O.Actions {
		if string(x) == a {
			return true
		}
	}
	return false
}

func (s *Server) orderPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.renderOrder(c, id)
}

func (s *Server) renderOrder(c *fiber.Ctx, id int) error {
	o, err := s.deps.Orders.Order(c.UserContext(), id)
	if err != nil {
		return err
	}
	d := orderData{O: o}
	if o.Status != order.StatusDraft {
		sh, err := s.deps.Shipments.List(c.UserContext(), shipments.Filter{OrderID: id, Limit: 200})
		if err != nil {
			return err
		}
		d.Shipments = sh.Items
	}
	return s.render(c, "order", o.Number, d)
}

// changeRequestOrderPage is the order page a change request's decision
// form is on.
func (s *Server) changeRequestOrderPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cr, err := s.deps.Orders.ChangeRequest(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.renderOrder(c, cr.OrderID)
}

func (s *Server) ackSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// Each pending line is a row keyed by its line_no; a line left at
	// "later" is not answered now.
	in, err := bindForm[orders.AckInput](c, s.zoneOf(c), formOptions{Keys: []string{"line_no"}})
	if err != nil {
		return err
	}
	if _, err := s.deps.Orders.Acknowledge(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orders/%d?msg=answer_sent", id), fiber.StatusSeeOther)
}

func (s *Server) decisionSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var extra decisionExtra
	in, err := bindForm[orders.Decision](c, s.zoneOf(c), formOptions{Extra: &extra})
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Decide(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	if extra.Back == "list" {
		return c.Redirect("/change-requests?msg=decided", fiber.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/orders/%d?msg=decided", o.ID), fiber.StatusSeeOther)
}

// decisionExtra is the decision form's own field: back=list when it was
// sent from the change-request list, to come back to it.
type decisionExtra struct {
	Back string `json:"back" validate:"omitempty,oneof=list"`
}

type orderNewData struct {
	Partners []directory.Partner
	Rows     []int
	// Columns are the import file's columns, the required ones first,
	// from the importer itself so the hint cannot drift from it.
	Columns, Optional []string
}

func (s *Server) orderNewPage(c *fiber.Ctx) error {
	var ps []directory.Partner
	for _, kind := range []entpartner.Kind{entpartner.KindSupplier, entpartner.KindCustomer} {
		page, err := s.deps.Directory.ListPartners(c.UserContext(), directory.PartnerFilter{Kind: kind, Status: entpartner.StatusActive, Limit: 200})
		if err != nil {
			return err
		}
		ps = append(ps, page.Items...)
	}
	return s.render(c, "order_new", "new_order", orderNewData{Partners: ps, Rows: []int{0, 1, 2, 3, 4},
		Columns: orders.CSVRequired, Optional: orders.CSVOptional()})
}

// orderExtra is the new-order form's own field: publish at once.
type orderExtra struct {
	Publish bool `json:"publish"`
}

func (s *Server) orderSubmit(c *fiber.Ctx) error {
	var extra orderExtra
	// Every row comes with the unit filled in; a row with nothing else
	// typed is a spare row.
	in, err := bindForm[orders.OrderInput](c, s.zoneOf(c), formOptions{Keys: []string{"unit"}, Extra: &extra})
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	if extra.Publish {
		if o, err = s.deps.Orders.Publish(c.UserContext(), o.ID); err != nil {
			return err
		}
	}
	return c.Redirect(fmt.Sprintf("/orders/%d?msg=order_created", o.ID), fiber.StatusSeeOther)
}

// changeRequestsPage lists the open change requests a buyer has to
// decide, each naming its order and partner from the service's list.
func (s *Server) changeRequestsPage(c *fiber.Ctx) error {
	crs, err := everyPage(func(cursor string, limit int) ([]orders.ChangeRequest, string, error) {
		p, err := s.deps.Orders.ListChangeRequests(c.UserContext(), orders.ChangeRequestFilter{State: "open", Cursor: cursor, Limit: limit})
		return p.Items, p.NextCursor, err
	})
	if err != nil {
		return err
	}
	return s.render(c, "change_requests", "change_requests", struct{ Items []orders.ChangeRequest }{crs})
}

// orderEditData is a draft's edit form: Prefill holds the draft's values
// as the form names them, used unless a refused form shows what was typed.
type orderEditData struct {
	O       orders.Order
	Prefill formState
	Rows    []int
}

func (s *Server) orderEditPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Order(c.UserContext(), id)
	if err != nil {
		return err
	}
	if !orders.Allows(o, currentViewer(c), orders.ActionEdit) {
		return partners.Errorf(partners.EConflict, "only a draft can be edited; this order is %s", o.Status)
	}
	v := url.Values{}
	v.Set("currency", o.Currency)
	v.Set("notes", o.Notes)
	for i, l := range o.Lines {
		p := fmt.Sprintf("lines[%d].", i)
		v.Set(p+"item_code", l.ItemCode)
		v.Set(p+"description", l.Description)
		v.Set(p+"quantity", l.Quantity.String())
		v.Set(p+"unit", l.Unit)
		v.Set(p+"unit_price", l.UnitPrice.String())
		v.Set(p+"required_date", l.RequiredDate.Format("2006-01-02"))
	}
	rows := make([]int, len(o.Lines)+2) // two spare rows to add lines without JS
	for i := range rows {
		rows[i] = i
	}
	return s.render(c, "order_edit", "edit_order", orderEditData{O: o, Prefill: formState{Values: v}, Rows: rows})
}

func (s *Server) orderEditSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// As on the new-order form, a row with only its unit is a spare row.
	in, err := bindForm[orders.DraftInput](c, s.zoneOf(c), formOptions{Keys: []string{"unit"}})
	if err != nil {
		return err
	}
	if _, err := s.deps.Orders.UpdateDraft(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orders/%d?msg=draft_saved", id), fiber.StatusSeeOther)
}

func (s *Server) orderPublishSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.deps.Orders.Publish(c.UserContext(), id); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orders/%d?msg=order_published", id), fiber.StatusSeeOther)
}

// orderCancelPage asks for the reason, and so for confirmation, before
// an order is cancelled.
func (s *Server) orderCancelPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Order(c.UserContext(), id)
	if err != nil {
		return err
	}
	if !orders.Allows(o, currentViewer(c), orders.ActionCancel) {
		return partners.Errorf(partners.EConflict, "the order is %s; it can no longer be cancelled", o.Status)
	}
	return s.render(c, "order_cancel", "cancel_order", orderData{O: o})
}

func (s *Server) orderCancelSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in, err := bindForm[orders.CancelInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	if _, err := s.deps.Orders.Cancel(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orders/%d?msg=order_cancelled", id), fiber.StatusSeeOther)
}
