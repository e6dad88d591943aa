package portal

import (
	"github.com/tierlink/tierlink/partners/shipments"
)

func (s *Server) registerShipmentRoutes(r api) {
	sh := s.deps.Shipments
	r.list("/", op{Summary: "List shipments (partner users: their own)", Tag: "shipments", Access: authed,
		Description: "Shipments newest first, a page at a time, with their lines; filter by partner_id, direction and status. " +
			"Partner users see their own partner's shipments, and a logistics partner those it was named carrier of.",
		Query: shipments.Filter{}, Resp: shipments.Page{}}, listOf(sh.List))
	r.handle("POST", "/", op{Summary: "Post a shipment (advance ship notice) against order lines", Tag: "shipments", Access: authed,
		Description: "Posts an advance ship notice against lines of one partner's open orders, in status created. Quantities are decimals; " +
			"a line may not be shipped past what was ordered plus the partner's over-delivery tolerance (422 naming the line). " +
			"Dates are YYYY-MM-DD. The partner's users post for their own partner; buyers and admins for any. " +
			"Send an Idempotency-Key to retry safely.",
		Body: shipments.Input{}, Resp: shipments.Shipment{}, Status: 201, Idempotent: true}, s.idempotent(create(sh.Create)))
	r.handle("GET", "/:id", op{Summary: "Get a shipment with its lines and events", Tag: "shipments", Access: authed,
		Description: "One shipment with its lines (shipped and received quantities) and status history. " +
			"Partner users may read their own partner's shipments, or those they carry; any other id is 404.",
		Resp: shipments.Shipment{}}, byID(sh.Shipment))
	r.list("/:id/events", op{Summary: "A shipment's status history, oldest first, a page at a time", Tag: "shipments", Access: authed,
		Query: shipments.EventFilter{}, Resp: shipments.EventPage{},
		Description: "Every status update of the shipment, oldest first, a page at a time, with who posted it and when."},
		pagedUnder(sh.Events))
	r.handle("POST", "/:id/events", op{Summary: "Post a status update: shipped, in_transit, delayed (reason, new_eta), delivered, received (quantities), cancelled",
		Description: "Moves the shipment along created → shipped → in_transit/delayed → delivered → received; cancelled only before it is in transit. " +
			"A move the state does not allow is 409 saying why. delayed needs a reason and a new_eta (YYYY-MM-DD); received books the quantities " +
			"that arrived per line and is for staff only (403 for partner users). Send an Idempotency-Key to retry safely.",
		Tag: "shipments", Access: authed, Body: shipments.EventInput{}, Resp: shipments.EventResult{}, Status: 201, Idempotent: true},
		ifExists(sh.Exists, s.idempotent(createUnder(sh.AddEvent))))
}

func (s *Server) registerBoardRoutes(r api) {
	r.list("/", op{Summary: "Status board: computed state of open order lines (at risk, late)", Tag: "shipments", Access: authed,
		Description: "The open lines of published orders, due date first, a page at a time, each with what has shipped, is in transit and was received. " +
			"Nothing is typed in: the due date is the accepted promised date, else the required date; a line is at_risk when a shipment's ETA " +
			"is after it and late once it has passed unreceived. Filter by direction, partner_id and state. Partner users see their own lines.",
		Query: shipments.BoardFilter{}, Resp: shipments.Board{}}, listOf(s.deps.Shipments.Board))
}
