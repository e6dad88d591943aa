package shipments_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
)

// published makes a published order of partner A: line 1 of 100 due
// 2026-12-10, line 2 of 50 due 2026-12-20.
func published(t *testing.T, f *partnerstest.Fixture) orders.Order {
	t.Helper()
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-S1", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("100"), UnitPrice: 1, RequiredDate: "2026-12-10"},
			{ItemCode: "B", Quantity: partnerstest.Qty("50"), UnitPrice: 1, RequiredDate: "2026-12-20"}}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestShipmentLifecycle follows one order line shipped in two parts, from
// notice to receipt, with the refusals on the way.
func TestShipmentLifecycle(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		svc := shipments.New(f.DB.Client)
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		svc.SetClock(func() time.Time { return now })
		o := published(t, f)
		a, buyer := f.Ctx(f.UserA), f.Ctx(f.Buyer)
		receive := func(ctx context.Context, sh shipments.Shipment, q string) error {
			_, err := svc.AddEvent(ctx, sh.ID, shipments.EventInput{Kind: "received", Received: []shipments.Received{{LineID: sh.Lines[0].ID, Quantity: partnerstest.Qty(q)}}})
			return err
		}
		var s1 shipments.Shipment
		partnerstest.RunSteps(t, []partnerstest.Step{
			{Name: "SplitFirstPartNoticed", Run: func(t *testing.T) {
				var err error
				s1, err = svc.Create(a, shipments.Input{PartnerID: f.PartnerA.ID, Carrier: "SF", ETA: "2026-12-08",
					Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("60")}}})
				if err != nil || s1.Status != "created" || s1.Number == "" || len(s1.Events) != 1 {
					t.Fatalf("create = %+v, %v", s1, err)
				}
			}},
			{Name: "ErrMoreThanIsOpen", Run: func(t *testing.T) {
				f.Refuses(t, partners.EInvalid, "lines[0].quantity", func() error {
					_, err := svc.Create(a, shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("40.001")}}})
					if err != nil && !strings.Contains(err.Error(), "more than is open") {
						t.Errorf("message: %v", err)
					}
					return err
				})
			}},
			{Name: "ErrOtherPartnerCannotShipForA", Run: func(t *testing.T) {
				f.Refuses(t, partners.EInvalid, "partner_id", func() error {
					_, err := svc.Create(f.Ctx(f.UserB), shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("1")}}})
					return err
				})
			}},
			{Name: "OtherPartnerGets404", Run: func(t *testing.T) {
				_, err := svc.Shipment(f.Ctx(f.UserB), s1.ID)
				partnerstest.WantCode(t, err, partners.ENotFound)
			}},
			{Name: "ErrDeliveredBeforeShipped", Run: func(t *testing.T) {
				f.Refuses(t, partners.EConflict, "", func() error {
					_, err := svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "delivered"})
					if err != nil && !strings.Contains(err.Error(), "cannot be delivered before it has shipped") {
						t.Errorf("message: %v", err)
					}
					return err
				})
			}},
			{Name: "ShippedThenInTransit", Run: func(t *testing.T) {
				for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindInTransit} {
					if _, err := svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: k}); err != nil {
						t.Fatal(err)
					}
				}
			}},
			{Name: "ErrDelayNeedsNewETA", Run: func(t *testing.T) {
				f.Refuses(t, partners.EInvalid, "new_eta", func() error {
					_, err := svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "delayed", Reason: "台风"})
					return err
				})
			}},
			{Name: "DelayPutsTheLineAtRisk", Run: func(t *testing.T) {
				if _, err := svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "delayed", Reason: "台风停航", NewETA: "2026-12-12"}); err != nil {
					t.Fatal(err)
				}
				board, _ := svc.Board(buyer, shipments.BoardFilter{})
				l1 := board.Items[0]
				if l1.State != "in_transit" || !l1.AtRisk || l1.Late || l1.Shipped.String() != "60" || l1.ETA.Format("2006-01-02") != "2026-12-12" {
					t.Fatalf("board line 1 = %+v", l1)
				}
				if _, err := svc.AddEvent(a, s1.ID, shipments.EventInput{Kind: "delivered"}); err != nil {
					t.Fatal(err)
				}
			}},
			{Name: "ErrSupplierCannotBookTheReceipt", Run: func(t *testing.T) {
				f.Refuses(t, partners.EForbidden, "", func() error { return receive(a, s1, "60") })
			}},
			{Name: "BuyerBooksTheReceipt", Run: func(t *testing.T) {
				if err := receive(buyer, s1, "60"); err != nil {
					t.Fatal(err)
				}
			}},
			{Name: "ErrReceivedCannotBeCancelled", Run: func(t *testing.T) {
				f.Refuses(t, partners.EConflict, "", func() error {
					_, err := svc.AddEvent(buyer, s1.ID, shipments.EventInput{Kind: "cancelled"})
					return err
				})
			}},
			{Name: "SecondPartReceivesTheLine", Run: func(t *testing.T) {
				s2, err := svc.Create(a, shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("40")}}})
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindDelivered} {
					if _, err := svc.AddEvent(a, s2.ID, shipments.EventInput{Kind: k}); err != nil {
						t.Fatal(err)
					}
				}
				if err := receive(buyer, s2, "40"); err != nil {
					t.Fatal(err)
				}
				now = time.Date(2026, 12, 21, 9, 0, 0, 0, time.UTC)
				board, _ := svc.Board(buyer, shipments.BoardFilter{})
				if board.Items[0].State != "received" || board.Items[0].Late || board.Items[0].Received.String() != "100" {
					t.Fatalf("line 1 = %+v", board.Items[0])
				}
			}},
			{Name: "UnshippedLinePastItsDateIsLate", Run: func(t *testing.T) {
				board, _ := svc.Board(buyer, shipments.BoardFilter{})
				if board.Items[1].State != "open" || !board.Items[1].Late {
					t.Fatalf("line 2 = %+v", board.Items[1])
				}
				late, _ := svc.Board(buyer, shipments.BoardFilter{State: "late"})
				if len(late.Items) != 1 || late.Items[0].LineNo != 2 {
					t.Fatalf("late = %+v", late.Items)
				}
			}},
			{Name: "OtherPartnersBoardIsEmpty", Run: func(t *testing.T) {
				if b, _ := svc.Board(f.Ctx(f.UserB), shipments.BoardFilter{}); len(b.Items) != 0 {
					t.Fatalf("partner B board = %+v", b.Items)
				}
			}},
			{Name: "OneDelayEvent", Run: func(t *testing.T) {
				events, _ := partners.ListEvents(buyer, f.DB.Client, partners.EventFilter{Kind: "shipment.delayed"})
				if len(events.Items) != 1 {
					t.Fatalf("delay events = %d", len(events.Items))
				}
			}},
		})
	})
}

func TestOverDeliveryTolerance(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	svc := shipments.New(f.DB.Client)
	o := published(t, f)
	tol := 10
	if _, err := f.Dir.UpdatePartner(f.Ctx(f.Buyer), f.PartnerA.ID, directoryPatch(tol)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(f.Ctx(f.UserA), shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("110")}}}); err != nil {
		t.Fatalf("within tolerance: %v", err)
	}
	f.Refuses(t, partners.EInvalid, "lines[0].quantity", func() error {
		_, err := svc.Create(f.Ctx(f.UserA), shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("0.001")}}})
		return err
	})
}

// A logistics partner named as carrier follows and moves the shipments it
// carries — and nothing else: not other shipments, not the dealer's
// orders, not the receipt.
func TestCarrierSeesOnlyWhatItCarries(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			svc := shipments.New(f.DB.Client)
			staff := f.Ctx(f.Buyer)
			dealer, _ := f.Dir.CreatePartner(staff, directory.PartnerInput{Code: "DLR-1", Name: "Dealer", Kind: "customer"})
			carrier, _ := f.Dir.CreatePartner(staff, directory.PartnerInput{Code: "LOG-1", Name: "Freight", Kind: "logistics"})
			dealerUser := partnerUser(t, f, dealer.ID, "buyer@dealer.test")
			carrierUser := partnerUser(t, f, carrier.ID, "ops@freight.test")
			o, err := f.Orders.Create(staff, orders.OrderInput{PartnerID: dealer.ID, Direction: "downstream", Number: "SO-1", Currency: "CNY",
				Lines: []orders.LineInput{{ItemCode: "M-1", Quantity: partnerstest.Qty("15"), UnitPrice: 1, RequiredDate: "2026-12-10"}}})
			if err != nil {
				t.Fatal(err)
			}
			f.Orders.Publish(staff, o.ID)
			f.Refuses(t, partners.EInvalid, "carrier_partner_id", func() error { // a supplier is no carrier
				_, err := svc.Create(staff, shipments.Input{PartnerID: dealer.ID, CarrierPartnerID: f.PartnerA.ID,
					Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("1")}}})
				return err
			})
			sh, err := svc.Create(staff, shipments.Input{PartnerID: dealer.ID, CarrierPartnerID: carrier.ID,
				Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("10")}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Create(staff, shipments.Input{PartnerID: dealer.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("5")}}}); err != nil {
				t.Fatal(err) // delivered by the company's own truck: not the carrier's business
			}
			c := f.Ctx(carrierUser)
			page, err := svc.List(c, shipments.Filter{})
			if err != nil || len(page.Items) != 1 || page.Items[0].ID != sh.ID {
				t.Fatalf("carrier lists %+v, %v", page.Items, err)
			}
			for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindInTransit} {
				if _, err := svc.AddEvent(c, sh.ID, shipments.EventInput{Kind: k, Location: "Hamburg"}); err != nil {
					t.Fatalf("carrier %s: %v", k, err)
				}
			}
			if _, err := svc.AddEvent(c, sh.ID, shipments.EventInput{Kind: "delayed", Reason: "port strike", NewETA: "2026-12-14"}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Orders.Order(c, o.ID); partners.ErrorCode(err) != partners.ENotFound {
				t.Fatalf("carrier read the dealer's order: %v", err)
			}
			svc.AddEvent(c, sh.ID, shipments.EventInput{Kind: "delivered"})
			f.Refuses(t, partners.EForbidden, "", func() error {
				_, err := svc.AddEvent(c, sh.ID, shipments.EventInput{Kind: "received", Received: []shipments.Received{{LineID: sh.Lines[0].ID, Quantity: partnerstest.Qty("10")}}})
				return err
			})
			// The dealer receives; the supplier of another partner sees nothing.
			if _, err := svc.AddEvent(f.Ctx(dealerUser), sh.ID, shipments.EventInput{Kind: "received", Received: []shipments.Received{{LineID: sh.Lines[0].ID, Quantity: partnerstest.Qty("10")}}}); err != nil {
				t.Fatalf("dealer receipt: %v", err)
			}
			if _, err := svc.Shipment(f.Ctx(f.UserA), sh.ID); partners.ErrorCode(err) != partners.ENotFound {
				t.Fatalf("supplier A saw the delivery: %v", err)
			}
		})
	}
}

func partnerUser(t *testing.T, f *partnerstest.Fixture, partnerID int, email string) accounts.User {
	t.Helper()
	ct, err := f.Dir.CreateContact(f.System(), directory.ContactInput{PartnerID: partnerID, Name: email, Email: email, OwnerID: f.Buyer.ID})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := f.Acc.CreateInvitation(f.Ctx(f.Buyer), accounts.InvitationInput{ContactID: ct.ID})
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.Acc.AcceptInvitation(context.Background(), inv.Token, accounts.AcceptInput{Name: email, Password: partnerstest.Password})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The board pages by offset over its computed lines, filtered or not:
// two at a time it serves what one page serves, each line once.
func TestBoardPages(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			svc := shipments.New(f.DB.Client)
			svc.SetClock(func() time.Time { return time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC) })
			var lines []orders.LineInput
			for _, due := range []string{"2026-12-01", "2026-12-01", "2026-12-05", "2026-12-10", "2026-12-20", "2026-12-20", "2026-12-31"} {
				lines = append(lines, orders.LineInput{ItemCode: "X", Quantity: partnerstest.Qty("1"), UnitPrice: 1, RequiredDate: due})
			}
			o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-BOARD", Currency: "CNY", Lines: lines})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				state shipments.LineState
				want  int
			}{{"", 7}, {shipments.LineLate, 4}, {shipments.LineOpen, 7}} {
				all, err := svc.Board(f.Ctx(f.Buyer), shipments.BoardFilter{State: tc.state, Limit: 200})
				if err != nil || len(all.Items) != tc.want || all.NextCursor != "" {
					t.Fatalf("state %q: %d lines, next %q, %v", tc.state, len(all.Items), all.NextCursor, err)
				}
				var paged []int
				cursor := ""
				for pages := 0; ; pages++ {
					b, err := svc.Board(f.Ctx(f.Buyer), shipments.BoardFilter{State: tc.state, Limit: 2, Cursor: cursor})
					if err != nil || len(b.Items) > 2 || pages > 10 {
						t.Fatalf("state %q page %d: %+v, %v", tc.state, pages, b.Items, err)
					}
					for _, l := range b.Items {
						paged = append(paged, l.LineNo)
					}
					if cursor = b.NextCursor; cursor == "" {
						break
					}
				}
				if len(paged) != len(all.Items) {
					t.Fatalf("state %q: paged %v, one page %d lines", tc.state, paged, len(all.Items))
				}
				for i, l := range all.Items {
					if paged[i] != l.LineNo {
						t.Fatalf("state %q: paged %v differs from one page at %d", tc.state, paged, i)
					}
				}
			}
			for _, bad := range []string{"%%%", partners.EncodeCursor(map[string]int{"o": 0}), partners.EncodeCursor(map[string]string{"o": "x"})} {
				_, err := svc.Board(f.Ctx(f.Buyer), shipments.BoardFilter{Cursor: bad})
				partnerstest.WantCode(t, err, partners.EInvalid)
			}
			_, err = svc.Board(f.Ctx(f.Buyer), shipments.BoardFilter{Limit: 201})
			partnerstest.WantCode(t, err, partners.EInvalid)
		})
	}
}
