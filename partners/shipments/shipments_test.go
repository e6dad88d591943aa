package shipments_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
)

func wantCode(t *testing.T, err error, code partners.Code) {
	t.Helper()
	if got := partners.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func qty(s string) orders.Qty { q, _ := orders.ParseQty(s); return q }

// published makes a published order of partner A: line 1 of 100 due
// 2026-12-10, line 2 of 50 due 2026-12-20.
func published(t *testing.T, f *partnerstest.Fixture) orders.Order {
	t.Helper()
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-S1", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: qty("100"), UnitPrice: 1, RequiredDate: "2026-12-10"},
			{ItemCode: "B", Quantity: qty("50"), UnitPrice: 1, RequiredDate: "2026-12-20"}}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestShipmentLifecycle(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			svc := shipments.New(f.DB.Client)
			now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			svc.SetClock(func() time.Time { return now })
			o := published(t, f)
			a := f.Ctx(f.UserA)
			// Split: 60 now, 40 later; never more than ordered.
			s1, err := svc.Create(a, shipments.Input{PartnerID: f.PartnerA.ID, Carrier: "SF", ETA: "2026-12-08",
				Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: qty("60")}}})
			if err != nil || s1.Status != "created" || s1.Number == "" || len(s1.Events) != 1 {
				t.Fatalf("create = %+v, %v", s1, err)
			}
			_, err = svc.Create(a, shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: qty("40.001")}}})
			wantCode(t, err, partners.EInvalid)
			if !strings.Contains(err.Error(), "more than is open") {
				t.Fatalf("message: %v", err)
			}
			// Partner B can neither ship against A's order nor see A's shipment.
			_, err = svc.Create(f.Ctx(f.UserB), shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: qty("1")}}})
			if c := partners.ErrorCode(err); c != partners.EInvalid && c != partners.ENotFound {
				t.Fatalf("partner B shipped for A: %v", err)
			}
			_, err = svc.Shipment(f.Ctx(f.UserB), s1.ID)
			wantCode(t, err, partners.ENotFound)

			// Transitions are checked and explained.
			_, err = svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "delivered"})
			wantCode(t, err, partners.EConflict)
			if !strings.Contains(err.Error(), "cannot be delivered before it has shipped") {
				t.Fatalf("message: %v", err)
			}
			for _, k := range []string{"shipped", "in_transit"} {
				if _, err := svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: k}); err != nil {
					t.Fatal(err)
				}
			}
			_, err = svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "delayed", Reason: "台风"})
			wantCode(t, err, partners.EInvalid)
			if _, err := svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "delayed", Reason: "台风停航", NewETA: "2026-12-12"}); err != nil {
				t.Fatal(err)
			}
			board, _ := svc.Board(f.Ctx(f.Buyer), shipments.BoardFilter{})
			l1 := board.Lines[0]
			if l1.State != "in_transit" || !l1.AtRisk || l1.Late || l1.Shipped.String() != "60" || l1.ETA.Format("2006-01-02") != "2026-12-12" {
				t.Fatalf("board line 1 = %+v", l1)
			}
			if _, err := svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "delivered"}); err != nil {
				t.Fatal(err)
			}
			// The supplier cannot book the company's receipt.
			_, err = svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "received", Received: []shipments.Received{{LineID: s1.Lines[0].ID, Quantity: qty("60")}}})
			wantCode(t, err, partners.EForbidden)
			if _, err := svc.AddEvent(f.Ctx(f.Buyer), s1.ID, shipments.EventInput{Kind: "received", Received: []shipments.Received{{LineID: s1.Lines[0].ID, Quantity: qty("60")}}}); err != nil {
				t.Fatal(err)
			}
			_, err = svc.AddEvent(f.Ctx(f.Buyer), s1.ID, shipments.EventInput{Kind: "cancelled"})
			wantCode(t, err, partners.EConflict)
			// Second part of the split arrives too: the line is received.
			s2, err := svc.Create(a, shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: qty("40")}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"shipped", "delivered"} {
				svc.AddEvent(a, s2.ID, shipments.EventInput{Kind: k})
			}
			svc.AddEvent(f.Ctx(f.Buyer), s2.ID, shipments.EventInput{Kind: "received", Received: []shipments.Received{{LineID: s2.Lines[0].ID, Quantity: qty("40")}}})
			now = time.Date(2026, 12, 21, 9, 0, 0, 0, time.UTC)
			board, _ = svc.Board(f.Ctx(f.Buyer), shipments.BoardFilter{})
			if board.Lines[0].State != "received" || board.Lines[0].Late || board.Lines[0].Received.String() != "100" {
				t.Fatalf("line 1 = %+v", board.Lines[0])
			}
			if board.Lines[1].State != "open" || !board.Lines[1].Late {
				t.Fatalf("line 2 = %+v", board.Lines[1])
			}
			late, _ := svc.Board(f.Ctx(f.Buyer), shipments.BoardFilter{State: "late"})
			if len(late.Lines) != 1 || late.Lines[0].LineNo != 2 {
				t.Fatalf("late = %+v", late.Lines)
			}
			// The supplier's board shows only its own lines.
			if b, _ := svc.Board(f.Ctx(f.UserB), shipments.BoardFilter{}); len(b.Lines) != 0 {
				t.Fatalf("partner B board = %+v", b.Lines)
			}
			events, _ := partners.ListEvents(f.Ctx(f.Buyer), f.DB.Client, partners.EventFilter{Kind: "shipment.delayed"})
			if len(events.Items) != 1 {
				t.Fatalf("delay events = %d", len(events.Items))
			}
		})
	}
}

func TestOverDeliveryTolerance(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	svc := shipments.New(f.DB.Client)
	o := published(t, f)
	tol := 10
	if _, err := f.Dir.UpdatePartner(f.Ctx(f.Buyer), f.PartnerA.ID, directoryPatch(tol)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(f.Ctx(f.UserA), shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: qty("110")}}}); err != nil {
		t.Fatalf("within tolerance: %v", err)
	}
	_, err := svc.Create(f.Ctx(f.UserA), shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: qty("0.001")}}})
	wantCode(t, err, partners.EInvalid)
}
