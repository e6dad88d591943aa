package partners

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// samples has one filled payload of every kind; a kind added to the
// catalogue without a sample fails TestEventKindsRoundTrip.
var samples = []Payload{
	OrderPublished{Number: "PO-1", Direction: "upstream"},
	OrderAcknowledged{AcknowledgementID: 3, Lines: 4, Changes: 1},
	OrderCancelled{Number: "PO-1", Reason: "no longer needed"},
	ChangeRequested{ChangeRequestID: 5, Lines: 2},
	ChangeApproved{ChangeDecision{ChangeRequestID: 5, Revision: 2, Reason: "ok"}},
	ChangeRejected{ChangeDecision{ChangeRequestID: 6, Revision: 1, Reason: "no"}},
	ShipmentCreated{Lines: 3, ETA: "2026-12-01"},
	ShipmentShipped{ShipmentProgress{Reason: "left"}},
	ShipmentInTransit{ShipmentProgress{Reason: "at sea"}},
	ShipmentDelayed{ShipmentProgress{Reason: "storm", NewETA: "2026-12-09"}},
	ShipmentDelivered{ShipmentProgress{}},
	ShipmentReceived{ShipmentProgress{Reason: "all there"}},
	ShipmentCancelled{ShipmentProgress{Reason: "order cancelled"}},
}

func TestEventKindsRoundTrip(t *testing.T) {
	covered := map[EventKind]bool{}
	for _, p := range samples {
		t.Run(string(p.Kind()), func(t *testing.T) {
			covered[p.Kind()] = true
			raw, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(string(p.Kind()), raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, p) {
				t.Errorf("decoded %#v, want %#v", back, p)
			}
			// The stream serves the payload as a flat JSON object, with
			// the field names consumers already read.
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(raw, &obj); err != nil || len(obj) == 0 {
				t.Errorf("payload %s is not a JSON object with fields: %v", raw, err)
			}
		})
	}
	for _, k := range EventKinds() {
		if !covered[k] {
			t.Errorf("kind %s has no sample", k)
		}
	}
}

func TestDecodeEmptyPayloadIsZero(t *testing.T) {
	p, err := Decode(string(KindShipmentShipped), nil)
	if err != nil || p != (ShipmentShipped{}) {
		t.Errorf("got %#v, %v", p, err)
	}
}

func TestDecodeUnknownKindIsAnError(t *testing.T) {
	if _, err := Decode("order.teleported", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("err %v", err)
	}
	if _, err := Decode(string(KindOrderAcknowledged), []byte(`{"lines":"four"}`)); err == nil {
		t.Error("a payload of the wrong shape decoded")
	}
}

func TestShipmentStep(t *testing.T) {
	p, err := ShipmentStep("delayed", ShipmentProgress{Reason: "storm", NewETA: "2026-12-09"})
	if err != nil || p.Kind() != KindShipmentDelayed || p.(ShipmentDelayed).NewETA != "2026-12-09" {
		t.Errorf("got %#v, %v", p, err)
	}
	if _, err := ShipmentStep("created", ShipmentProgress{}); err == nil {
		t.Error("created is not a later step, but was accepted")
	}
	if ChangeDecided(true, ChangeDecision{}).Kind() != KindChangeApproved || ChangeDecided(false, ChangeDecision{}).Kind() != KindChangeRejected {
		t.Error("ChangeDecided picks the wrong kind")
	}
}

func TestEveryKindHasASubject(t *testing.T) {
	for k, spec := range catalogue {
		want := "order"
		if strings.HasPrefix(string(k), "shipment.") {
			want = "shipment"
		}
		if spec.subject != want {
			t.Errorf("%s is about a %q, want %q", k, spec.subject, want)
		}
	}
}
