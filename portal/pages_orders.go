package portal

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/document"
	entpartner "github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/shipments"
)

func (s *Server) registerOrderPages() {
	p := s.app
	p.Get("/orders", s.page(authed, s.ordersPage))
	p.Get("/orders/new", s.page(editor, s.orderNewPage))
	p.Post("/orders", s.page(editor, s.orderSubmit))
	p.Get("/orders/:id", s.page(authed, s.orderPage))
	p.Post("/orders/:id/acknowledge", s.page(authed, s.ackSubmit))
	p.Post("/change-requests/:id/decision", s.page(editor, s.decisionSubmit))
	p.Get("/board", s.page(authed, s.boardPage))
	p.Get("/change-requests", s.page(staff, s.changeRequestsPage))
	p.Get("/shipments/new", s.page(authed, s.shipmentNewPage))
	p.Post("/shipments", s.page(authed, s.shipmentSubmit))
	p.Get("/shipments/:id", s.page(authed, s.shipmentPage))
	p.Post("/shipments/:id/events", s.page(authed, s.shipmentEventSubmit))
}

// partnerNames maps the partners a page mentions to their names.
func (s *Server) partnerNames(c *fiber.Ctx, ids ...int) (map[int]string, error) {
	names := map[int]string{}
	for _, id := range ids {
		if _, ok := names[id]; ok {
			continue
		}
		p, err := s.deps.Directory.Partner(c.UserContext(), id)
		if err != nil {
			return nil, err
		}
		names[id] = p.Name
	}
	return names, nil
}

type ordersData struct {
	F        orders.Filter
	Page     orders.Page
	Statuses []string
	Partners map[int]string
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
	var ids []int
	for _, o := range page.Items {
		ids = append(ids, o.PartnerID)
	}
	names, err := s.partnerNames(c, ids...)
	if err != nil {
		return err
	}
	return s.render(c, "orders", "orders", ordersData{F: f, Page: page, Partners: names,
		Statuses: []string{"draft", "published", "changes_requested", "acknowledged", "rejected", "cancelled", "closed"}})
}

type orderData struct {
	O           orders.Order
	PartnerName string
	CanAck      bool
	CanShip     bool
}

func (s *Server) orderPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Order(c.UserContext(), id)
	if err != nil {
		return err
	}
	p, err := s.deps.Directory.Partner(c.UserContext(), o.PartnerID)
	if err != nil {
		return err
	}
	v := currentViewer(c)
	d := orderData{O: o, PartnerName: p.Name}
	d.CanAck = o.Status == "published" && (v.IsPartner() || v.CanEdit())
	d.CanShip = o.Direction == "upstream" && (v.IsPartner() || v.CanEdit()) && (o.Status == "published" || o.Status == "acknowledged" || o.Status == "changes_requested")
	return s.render(c, "order", o.Number, d)
}

func (s *Server) ackSubmit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Order(c.UserContext(), id)
	if err != nil {
		return err
	}
	var in orders.AckInput
	for _, l := range o.Lines {
		n := strconv.Itoa(l.LineNo)
		action := orders.AckAction(c.FormValue("action_" + n))
		if l.AckState != "pending" || action == "" {
			continue
		}
		a := orders.AckLine{LineNo: l.LineNo, Action: action, Reason: c.FormValue("reason_" + n)}
		if action == "change" {
			a.PromisedDate = c.FormValue("promised_" + n)
			if v := strings.TrimSpace(c.FormValue("qty_" + n)); v != "" {
				q, err := orders.ParseQty(v)
				if err != nil {
					return partners.Invalid("qty_"+n, err.Error())
				}
				a.Quantity = &q
			}
			if v := strings.TrimSpace(c.FormValue("price_" + n)); v != "" {
				p, err := orders.ParsePrice(v)
				if err != nil {
					return partners.Invalid("price_"+n, err.Error())
				}
				a.UnitPrice = &p
			}
		}
		in.Lines = append(in.Lines, a)
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
	o, err := s.deps.Orders.Decide(c.UserContext(), id, orders.Decision{Decision: orders.Verdict(c.FormValue("decision")), Reason: c.FormValue("reason")})
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orders/%d?msg=decided", o.ID), fiber.StatusSeeOther)
}

type boardData struct {
	F        shipments.BoardFilter
	Board    shipments.Board
	States   []string
	Partners map[int]string
	Next     string
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
	var ids []int
	for _, l := range b.Items {
		ids = append(ids, l.PartnerID)
	}
	names, err := s.partnerNames(c, ids...)
	if err != nil {
		return err
	}
	d := boardData{F: f, Board: b, Partners: names, States: []string{"open", "shipped", "in_transit", "received", "at_risk", "late"}}
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
	q, err := bindQuery[shipmentNewQuery](c)
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Order(c.UserContext(), q.OrderID)
	if err != nil {
		return err
	}
	return s.render(c, "shipment_new", "post_shipment", shipmentNewData{O: o})
}

func (s *Server) shipmentSubmit(c *fiber.Ctx) error {
	orderID, err := formInt(c, "order_id")
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Order(c.UserContext(), orderID)
	if err != nil {
		return err
	}
	packages, err := formInt(c, "packages")
	if err != nil {
		return err
	}
	in := shipments.Input{PartnerID: o.PartnerID, Carrier: c.FormValue("carrier"), TrackingNumber: c.FormValue("tracking_number"),
		ShipDate: c.FormValue("ship_date"), ETA: c.FormValue("eta"), Packages: packages}
	for _, l := range o.Lines {
		v := strings.TrimSpace(c.FormValue("ship_" + strconv.Itoa(l.LineNo)))
		if v == "" {
			continue
		}
		q, err := orders.ParseQty(v)
		if err != nil {
			return partners.Invalid("ship_"+strconv.Itoa(l.LineNo), err.Error())
		}
		in.Lines = append(in.Lines, shipments.LineInput{OrderID: o.ID, LineNo: l.LineNo, Quantity: q})
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
	if _, err := s.deps.Shipments.AddEvent(c.UserContext(), id, shipments.EventInput{Kind: shipmentevent.Kind(c.FormValue("kind")),
		Reason: c.FormValue("reason"), NewETA: c.FormValue("new_eta"), Location: c.FormValue("location")}); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/shipments/%d?msg=update_posted", id), fiber.StatusSeeOther)
}

type orderNewData struct {
	Partners []directory.Partner
	Rows     []int
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
	return s.render(c, "order_new", "new_order", orderNewData{Partners: ps, Rows: []int{1, 2, 3, 4, 5}})
}

func (s *Server) orderSubmit(c *fiber.Ctx) error {
	pid, err := formInt(c, "partner_id")
	if err != nil {
		return err
	}
	p, err := s.deps.Directory.Partner(c.UserContext(), pid)
	if err != nil {
		return partners.Invalid("partner_id", "choose a partner")
	}
	in := orders.OrderInput{PartnerID: pid, Number: strings.TrimSpace(c.FormValue("number")), Currency: c.FormValue("currency"),
		Notes: c.FormValue("notes"), Direction: "upstream"}
	if p.Kind == "customer" {
		in.Direction = "downstream"
	}
	args := c.Context().PostArgs()
	col := func(name string) []string {
		var out []string
		for _, v := range args.PeekMulti(name) {
			out = append(out, strings.TrimSpace(string(v)))
		}
		return out
	}
	items, descs, qtys, units, prices, dates := col("item_code"), col("description"), col("quantity"), col("unit"), col("unit_price"), col("required_date")
	at := func(xs []string, i int) string {
		if i < len(xs) {
			return xs[i]
		}
		return ""
	}
	for i := range items {
		if items[i] == "" && at(qtys, i) == "" {
			continue // an unused row
		}
		l := orders.LineInput{ItemCode: items[i], Description: at(descs, i), Unit: at(units, i), RequiredDate: at(dates, i)}
		q, err := orders.ParseQty(at(qtys, i))
		if err != nil {
			return partners.Invalid(fmt.Sprintf("lines[%d].quantity", len(in.Lines)), err.Error())
		}
		pr, err := orders.ParsePrice(at(prices, i))
		if err != nil {
			return partners.Invalid(fmt.Sprintf("lines[%d].unit_price", len(in.Lines)), err.Error())
		}
		l.Quantity, l.UnitPrice = q, pr
		in.Lines = append(in.Lines, l)
	}
	o, err := s.deps.Orders.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	if c.FormValue("publish") == "true" {
		if o, err = s.deps.Orders.Publish(c.UserContext(), o.ID); err != nil {
			return err
		}
	}
	return c.Redirect(fmt.Sprintf("/orders/%d?msg=order_created", o.ID), fiber.StatusSeeOther)
}

type crRow struct {
	CR      orders.ChangeRequest
	Order   string
	Partner string
}

// changeRequestsPage lists the open change requests a buyer has to decide.
func (s *Server) changeRequestsPage(c *fiber.Ctx) error {
	crs, err := everyPage(func(cursor string, limit int) ([]orders.ChangeRequest, string, error) {
		p, err := s.deps.Orders.ListChangeRequests(c.UserContext(), orders.ChangeRequestFilter{State: "open", Cursor: cursor, Limit: limit})
		return p.Items, p.NextCursor, err
	})
	if err != nil {
		return err
	}
	rows := make([]crRow, 0, len(crs))
	names := map[int]string{}
	for _, cr := range crs {
		o, err := s.deps.Orders.Order(c.UserContext(), cr.OrderID)
		if err != nil {
			return err
		}
		if _, ok := names[o.PartnerID]; !ok {
			p, err := s.deps.Directory.Partner(c.UserContext(), o.PartnerID)
			if err != nil {
				return err
			}
			names[o.PartnerID] = p.Name
		}
		rows = append(rows, crRow{CR: cr, Order: o.Number, Partner: names[o.PartnerID]})
	}
	return s.render(c, "change_requests", "change_requests", struct{ Items []crRow }{rows})
}
