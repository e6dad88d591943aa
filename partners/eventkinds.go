package partners

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/tierlink/tierlink/ent/order"
)

// EventKind names a kind of domain event, as stored and as served by the
// event stream.
type EventKind string

// The domain events Tierlink records. Renaming one is a breaking change
// for event stream consumers; the constants keep Go code from drifting.
const (
	KindOrderPublished    EventKind = "order.published"
	KindOrderAcknowledged EventKind = "order.acknowledged"
	KindOrderCancelled    EventKind = "order.cancelled"
	KindChangeRequested   EventKind = "change.requested"
	KindChangeApproved    EventKind = "change.approved"
	KindChangeRejected    EventKind = "change.rejected"
	KindShipmentCreated   EventKind = "shipment.created"
	KindShipmentShipped   EventKind = "shipment.shipped"
	KindShipmentInTransit EventKind = "shipment.in_transit"
	KindShipmentDelayed   EventKind = "shipment.delayed"
	KindShipmentDelivered EventKind = "shipment.delivered"
	KindShipmentReceived  EventKind = "shipment.received"
	KindShipmentCancelled EventKind = "shipment.cancelled"
)

// Payload is what a domain event says beyond its subject; each kind has
// exactly one payload type.
type Payload interface{ Kind() EventKind }

// OrderPublished says an order was published to its partner.
type OrderPublished struct {
	Number    string          `json:"number"`
	Direction order.Direction `json:"direction"`
}

// OrderAcknowledged says the supplier answered an order's lines.
type OrderAcknowledged struct {
	AcknowledgementID int `json:"acknowledgement_id"`
	Lines             int `json:"lines"`
	Changes           int `json:"changes"`
}

// OrderCancelled says a published order was cancelled, and why.
type OrderCancelled struct {
	Number string `json:"number"`
	Reason string `json:"reason"`
}

// ChangeRequested says an answer asked to change some of an order's lines.
type ChangeRequested struct {
	ChangeRequestID int `json:"change_request_id"`
	Lines           int `json:"lines"`
}

// ChangeDecision is what a decision on a change request records.
type ChangeDecision struct {
	ChangeRequestID int    `json:"change_request_id"`
	Revision        int    `json:"revision"`
	Reason          string `json:"reason"`
}

// ChangeApproved says the buyer approved a change request; the order has
// a new revision.
type ChangeApproved struct{ ChangeDecision }

// ChangeRejected says the buyer rejected a change request; the lines
// await a new answer.
type ChangeRejected struct{ ChangeDecision }

// ShipmentCreated says a shipment was announced.
type ShipmentCreated struct {
	Lines int `json:"lines"`
	// ETA is the announced arrival date (2006-01-02), "" if none.
	ETA string `json:"eta"`
}

// ShipmentProgress is what each later step of a shipment records.
type ShipmentProgress struct {
	Reason string `json:"reason"`
	// NewETA is the new arrival date (2006-01-02) of a delay, else "".
	NewETA string `json:"new_eta"`
}

// ShipmentShipped says a shipment left.
type ShipmentShipped struct{ ShipmentProgress }

// ShipmentInTransit says a shipment is on its way.
type ShipmentInTransit struct{ ShipmentProgress }

// ShipmentDelayed says a shipment is late, with why and the new ETA.
type ShipmentDelayed struct{ ShipmentProgress }

// ShipmentDelivered says a shipment arrived and awaits confirmation.
type ShipmentDelivered struct{ ShipmentProgress }

// ShipmentReceived says the receiver confirmed a shipment.
type ShipmentReceived struct{ ShipmentProgress }

// ShipmentCancelled says a shipment will not come.
type ShipmentCancelled struct{ ShipmentProgress }

// Kind of the event.
func (OrderPublished) Kind() EventKind { return KindOrderPublished }

// Kind of the event.
func (OrderAcknowledged) Kind() EventKind { return KindOrderAcknowledged }

// Kind of the event.
func (OrderCancelled) Kind() EventKind { return KindOrderCancelled }

// Kind of the event.
func (ChangeRequested) Kind() EventKind { return KindChangeRequested }

// Kind of the event.
func (ChangeApproved) Kind() EventKind { return KindChangeApproved }

// Kind of the event.
func (ChangeRejected) Kind() EventKind { return KindChangeRejected }

// Kind of the event.
func (ShipmentCreated) Kind() EventKind { return KindShipmentCreated }

// Kind of the event.
func (ShipmentShipped) Kind() EventKind { return KindShipmentShipped }

// Kind of the event.
func (ShipmentInTransit) Kind() EventKind { return KindShipmentInTransit }

// Kind of the event.
func (ShipmentDelayed) Kind() EventKind { return KindShipmentDelayed }

// Kind of the event.
func (ShipmentDelivered) Kind() EventKind { return KindShipmentDelivered }

// Kind of the event.
func (ShipmentReceived) Kind() EventKind { return KindShipmentReceived }

// Kind of the event.
func (ShipmentCancelled) Kind() EventKind { return KindShipmentCancelled }

// kindSpec is what the catalogue knows of a kind: what its subject is
// and how to make an empty payload to decode into.
type kindSpec struct {
	subject string
	decode  func([]byte) (Payload, error)
}

func decoder[P Payload]() func([]byte) (Payload, error) {
	return func(raw []byte) (Payload, error) {
		var p P
		if len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
}

// catalogue is every kind of domain event.
var catalogue = map[EventKind]kindSpec{
	KindOrderPublished:    {"order", decoder[OrderPublished]()},
	KindOrderAcknowledged: {"order", decoder[OrderAcknowledged]()},
	KindOrderCancelled:    {"order", decoder[OrderCancelled]()},
	KindChangeRequested:   {"order", decoder[ChangeRequested]()},
	KindChangeApproved:    {"order", decoder[ChangeApproved]()},
	KindChangeRejected:    {"order", decoder[ChangeRejected]()},
	KindShipmentCreated:   {"shipment", decoder[ShipmentCreated]()},
	KindShipmentShipped:   {"shipment", decoder[ShipmentShipped]()},
	KindShipmentInTransit: {"shipment", decoder[ShipmentInTransit]()},
	KindShipmentDelayed:   {"shipment", decoder[ShipmentDelayed]()},
	KindShipmentDelivered: {"shipment", decoder[ShipmentDelivered]()},
	KindShipmentReceived:  {"shipment", decoder[ShipmentReceived]()},
	KindShipmentCancelled: {"shipment", decoder[ShipmentCancelled]()},
}

// EventKinds lists every kind of domain event, sorted.
func EventKinds() []EventKind {
	out := make([]EventKind, 0, len(catalogue))
	for k := range catalogue {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Decode reads a stored payload of kind; the decoding of payloads is
// here and only here. An unknown kind is an error.
func Decode(kind string, raw []byte) (Payload, error) {
	spec, ok := catalogue[EventKind(kind)]
	if !ok {
		return nil, fmt.Errorf("decode event: unknown kind %q", kind)
	}
	p, err := spec.decode(raw)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	return p, nil
}

// ChangeDecided is the payload of a decision on a change request.
func ChangeDecided(approved bool, d ChangeDecision) Payload {
	if approved {
		return ChangeApproved{d}
	}
	return ChangeRejected{d}
}

// ShipmentStep is the payload of a shipment's later step, named as
// shipment updates name it (shipped, in_transit, delayed, delivered,
// received, cancelled).
func ShipmentStep(step string, p ShipmentProgress) (Payload, error) {
	switch EventKind("shipment." + step) {
	case KindShipmentShipped:
		return ShipmentShipped{p}, nil
	case KindShipmentInTransit:
		return ShipmentInTransit{p}, nil
	case KindShipmentDelayed:
		return ShipmentDelayed{p}, nil
	case KindShipmentDelivered:
		return ShipmentDelivered{p}, nil
	case KindShipmentReceived:
		return ShipmentReceived{p}, nil
	case KindShipmentCancelled:
		return ShipmentCancelled{p}, nil
	}
	return nil, InvalidBecause("kind", R("not_a_shipment_step", "Step", fmt.Sprintf("%q", step)))
}

// PayloadJSON is an event's payload as the event stream serves it: the
// JSON object Emit wrote, passed through untouched.
type PayloadJSON json.RawMessage

// MarshalJSON writes the stored object.
func (p PayloadJSON) MarshalJSON() ([]byte, error) {
	if len(p) == 0 {
		return []byte("null"), nil
	}
	return p, nil
}

// OpenAPISchema describes the payload to the API document: an object
// whose fields depend on the event's kind.
func (PayloadJSON) OpenAPISchema() map[string]any {
	return map[string]any{"type": "object", "description": "the event's fields; they depend on its kind"}
}
