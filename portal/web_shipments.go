package portal

import (
	"fmt"

	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/shipmentevent"

	"github.com/gofiber/fiber/v2"

	entpartner "github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/shipments"
)

func (s *Server) shipmentPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/board", Access: authed, Handler: s.boardPage},
		{Method: "GET", Path: "/shipments/new", Access: authed, Handler: s.shipmentNewPage},
		{Method: "GET", Path: "/shipments", Access: authed, Handler: s.shipmentsPage},
		{Method: "POST", Path: "/shipments", Access: authed, Handler: s.shipmentSubmit, Form: shipments.Input{}, Back: s.shipmentNewPage},
		{Method: "GET", Path: "/shipments/:id", Access: authed, Handler: s.shipmentPage},
		{Method: "POST", Path: "/shipments/:id/events", Access: authed, Handler: ifExists(s.deps.Shipments.Shipment, s.shipmentEventSubmit), Form: shipments.EventInput{}, Back: s.shipmentPage},
	}
}

type boardData struct {
	F      shipments.BoardFilter
	Board  shipments.Board
	States []shipments.LineState
	Next   string
}

func (s *Server) boardPage(c *fiber.Ctx) error {
	f, err := bindQuery[shipments.BoardFilter](c)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = 200 // a page of the board at a time, with a link to the next
	}
	b, err := s.deps.Shipments.Board(c.UserContext(), f)
	if err != nil {
		return err
	}
	d := boardData{F: f, Board: b, States: []shipments.LineState{shipments.LineOpen, shipments.LineShipped, shipments.LineInTransit, shipments.LineReceived, shipments.LineAtRisk, shipments.LineLate}}
	if b.NextCursor != "" {
		d.Next = nextPageURL(c, "/board", b.NextCursor)
	}
	return s.render(c, "board", "status_board", d)
}

type shipmentNewData struct{ O orders.Order }

// shipmentNewQuery names the order a new shipment is for.
type shipmentNewQuery struct {
	OrderID int `query:"order_id" validate:"required,min=1"`
}

func (s *Server) shipmentNewPage(c *fiber.Ctx) error {
	if ref, ok := c.Locals(localFormExtra).(*shipmentOrder); ok && ref.OrderID != 0 {
		// A refused shipment form: its own order's page again.
		return s.renderShipmentForm(c, ref.OrderID)
	}
	q, err := bindQuery[shipmentNewQuery](c)
	if err != nil {
		return err
	}
	return s.renderShipmentForm(c, q.OrderID)
}

func (s *Server) renderShipmentForm(c *fiber.Ctx, orderID int) error {
	q := shipmentNewQuery{OrderID: orderID}
	o, err := s.deps.Orders.Order(c.UserContext(), q.OrderID)
	if err != nil {
		return err
	}
	return s.render(c, "shipment_new", "post_shipment", shipmentNewData{O: o})
}

// shipmentOrder names the order whose page a shipment form is on.
type shipmentOrder struct {
	OrderID int `json:"order_id" validate:"required,min=1"`
}

func (s *Server) shipmentSubmit(c *fiber.Ctx) error {
	// Each order line is a row keyed by its order and line number; a
	// line with no quantity typed is not in this shipment.
	var ref shipmentOrder
	in, err := bindForm[shipments.Input](c, s.zoneOf(c), formOptions{Keys: []string{"order_id", "line_no"}, Extra: &ref})
	if ref.OrderID != 0 {
		// The form's order must be one the poster can see, whatever
		// else is wrong with the form.
		if _, oerr := s.deps.Orders.Order(c.UserContext(), ref.OrderID); oerr != nil {
			return oerr
		}
	}
	if err != nil {
		return err
	}
	sh, err := s.deps.Shipments.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/shipments/%d?msg=shipment_posted", sh.ID), fiber.StatusSeeOther)
}

type shipmentData struct {
	S         shipments.Shipment
	CanUpdate bool
	Next      []shipmentevent.Kind
	Documents []documents.Document
	Upload    uploadForm
	CanUpload bool
}

func (s *Server) shipmentPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sh, err := s.deps.Shipments.Shipment(c.UserContext(), id)
	if err != nil {
		return err
	}
	v := currentViewer(c)
	d := shipmentData{S: sh, Next: shipments.NextStates(sh.Status)}
	d.CanUpdate = len(d.Next) > 0 && (v.IsPartner() || v.CanEdit())
	docs, err := s.deps.Documents.List(c.UserContext(), documents.Filter{ShipmentID: id, Limit: 100})
	if err != nil {
		return err
	}
	d.Documents = docs.Items
	d.Upload, d.CanUpload = s.uploadForm(c, sh.PartnerID, 0)
	d.Upload.ShipmentID = id
	d.Upload.Kinds = []document.Kind{document.KindPackingList, document.KindInvoice, document.KindQualityReport, document.KindCertificate, document.KindOther}
	return s.render(c, "shipment", sh.Number, d)
}

func (s *Server) shipmentEventSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in, err := bindForm[shipments.EventInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	if _, err := s.deps.Shipments.AddEvent(c.UserContext(), id, in); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/shipments/%d?msg=update_posted", id), fiber.StatusSeeOther)
}

// shipmentsData is the shipment list: a page of the API's listing, the
// filters it was asked with, and the link to the next page.
type shipmentsData struct {
	F        shipments.Filter
	Page     shipments.Page
	Statuses []shipment.Status
	Partners []directory.Partner
	Next     string
}

// shipmentsPage lists shipments newest first: staff all of them, a
// partner's users their own (the privacy rules decide), filtered by
// status, partner (staff) and order number.
func (s *Server) shipmentsPage(c *fiber.Ctx) error {
	f, err := bindQuery[shipments.Filter](c)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	p, err := s.deps.Shipments.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	d := shipmentsData{F: f, Page: p, Statuses: []shipment.Status{shipment.StatusCreated, shipment.StatusShipped, shipment.StatusInTransit,
		shipment.StatusDelayed, shipment.StatusDelivered, shipment.StatusReceived, shipment.StatusCancelled}}
	if currentViewer(c).IsStaff() {
		for _, kind := range []entpartner.Kind{entpartner.KindSupplier, entpartner.KindCustomer} {
			page, err := s.deps.Directory.ListPartners(c.UserContext(), directory.PartnerFilter{Kind: kind, Limit: 200})
			if err != nil {
				return err
			}
			d.Partners = append(d.Partners, page.Items...)
		}
	}
	if p.NextCursor != "" {
		d.Next = nextPageURL(c, "/shipments", p.NextCursor)
	}
	return s.render(c, "shipments", "shipments", d)
}

// PartnerName names a listed shipment's partner from the filter's list.
func (d shipmentsData) PartnerName(id int) string {
	for _, p := range d.Partners {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}
