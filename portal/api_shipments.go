package portal

import (
	"github.com/tierlink/tierlink/partners/shipments"
)

func (s *Server) registerShipmentRoutes(r api) {
	sh := s.deps.Shipments
	r.handle("GET", "/", op{Summary: "List shipments (partner users: their own)", Tag: "shipments", Access: authed,
		Query: shipments.Filter{}, Resp: shipments.Page{}}, listOf(sh.List))
	r.handle("POST", "/", op{Summary: "Post a shipment (advance ship notice) against order lines", Tag: "shipments", Access: authed,
		Body: shipments.Input{}, Resp: shipments.Shipment{}, Status: 201, Idempotent: true}, s.idempotent(create(sh.Create)))
	r.handle("GET", "/:id", op{Summary: "Get a shipment with its lines and events", Tag: "shipments", Access: authed,
		Resp: shipments.Shipment{}}, getByID(sh.Shipment))
	r.handle("GET", "/:id/events", op{Summary: "A shipment's status history, oldest first, a page at a time", Tag: "shipments", Access: authed,
		Query: shipments.EventFilter{}, Resp: shipments.EventPage{}},
		pagedUnder(sh.Events))
	r.handle("POST", "/:id/events", op{Summary: "Post a status update: shipped, in_transit, delayed (reason, new_eta), delivered, received (quantities), cancelled",
		Tag: "shipments", Access: authed, Body: shipments.EventInput{}, Resp: shipments.EventResult{}, Status: 201, Idempotent: true},
		ifExists(sh.Exists, s.idempotent(createUnder(sh.AddEvent))))
}

func (s *Server) registerBoardRoutes(r api) {
	r.handle("GET", "/", op{Summary: "Status board: computed state of open order lines (at risk, late)", Tag: "shipments", Access: authed,
		Query: shipments.BoardFilter{}, Resp: shipments.Board{}}, listOf(s.deps.Shipments.Board))
}
