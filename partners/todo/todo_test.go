package todo_test

import (
	"context"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
	"github.com/tierlink/tierlink/partners/todo"
)

// now is a Thursday; "last week at the same point" is 2026-12-03 10:00.
var now = time.Date(2026, 12, 10, 10, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// world holds the records the to-do tests build for two partners.
type world struct {
	f                                *partnerstest.Fixture
	svc                              *todo.Service
	a1, a2, a3, aDone, b1, b2, b3    orders.Order
	shipLate, shipStale, shipFresh   shipments.Shipment
	shipDelivered, shipB             shipments.Shipment
	certExpired, certSoon, certLater int
	certB                            int
	clock                            *time.Time
	orderSvc                         *orders.Service
	shipSvc                          *shipments.Service
}

// publish makes and publishes an upstream order of p at when, its one
// line required on due.
func (w *world) publish(t *testing.T, p directory.Partner, number, when, due string) orders.Order {
	t.Helper()
	*w.clock = at(when)
	// Each partner's orders are bought by the buyer who owns its
	// contacts: Buyer for A, Buyer2 for B.
	buyer := w.f.Buyer
	if p.ID == w.f.PartnerB.ID {
		buyer = w.f.Buyer2
	}
	o, err := w.orderSvc.Create(w.f.Ctx(buyer), orders.OrderInput{PartnerID: p.ID, Number: number, Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "X-" + number, Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: due}}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = w.orderSvc.Publish(w.f.Ctx(buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

func (w *world) ack(t *testing.T, ctx context.Context, o orders.Order, when string, a orders.AckLine) {
	t.Helper()
	*w.clock = at(when)
	a.LineNo = 1
	if _, err := w.orderSvc.Acknowledge(ctx, o.ID, orders.AckInput{Lines: []orders.AckLine{a}}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) ship(t *testing.T, ctx context.Context, p directory.Partner, o orders.Order, when, eta string) shipments.Shipment {
	t.Helper()
	*w.clock = at(when)
	sh, err := w.shipSvc.Create(ctx, shipments.Input{PartnerID: p.ID, ETA: eta, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

func (w *world) cert(t *testing.T, p directory.Partner, title, expires string) int {
	t.Helper()
	d, err := time.Parse("2006-01-02", expires)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := w.f.DB.Client.Document.Create().SetPartnerID(p.ID).SetKind(document.KindCertificate).SetTitle(title).SetExpiresOn(d).
		Save(w.f.System())
	if err != nil {
		t.Fatal(err)
	}
	return doc.ID
}

// build makes, for partner A: an order published past its 24 h SLA
// (a1), one within it (a2), one answered with a change still open (a3),
// one fully accepted (aDone); shipments with the ETA passed, without an
// update for four days, fresh and delivered; certificates expired, due
// in 10 days and in 60. For partner B: an order past its SLA (b1), one
// with an open change (b2), a late shipment and an expiring certificate.
func build(t *testing.T, f *partnerstest.Fixture) *world {
	clock := now
	w := &world{f: f, clock: &clock, orderSvc: orders.New(f.DB.Client), shipSvc: shipments.New(f.DB.Client)}
	w.orderSvc.SetClock(func() time.Time { return *w.clock })
	w.shipSvc.SetClock(func() time.Time { return *w.clock })
	w.svc = todo.New(f.DB.Client, f.Scorecards)
	w.svc.SetClock(func() time.Time { return now })
	a, b := f.Ctx(f.UserA), f.Ctx(f.UserB)

	w.a1 = w.publish(t, f.PartnerA, "PO-A1", "2026-12-09 08:00", "2026-11-20")
	w.a2 = w.publish(t, f.PartnerA, "PO-A2", "2026-12-10 09:00", "2026-12-30")
	w.a3 = w.publish(t, f.PartnerA, "PO-A3", "2026-12-08 08:00", "2026-12-30")
	w.ack(t, a, w.a3, "2026-12-08 09:00", orders.AckLine{Action: orders.AckChange, PromisedDate: "2027-01-05", Reason: "mould"})
	w.aDone = w.publish(t, f.PartnerA, "PO-A4", "2026-12-01 08:00", "2026-11-25")
	w.ack(t, a, w.aDone, "2026-12-01 09:00", orders.AckLine{Action: orders.AckAccept})
	w.b1 = w.publish(t, f.PartnerB, "PO-B1", "2026-12-07 08:00", "2026-11-20")
	w.b2 = w.publish(t, f.PartnerB, "PO-B2", "2026-12-09 08:00", "2026-12-30")
	w.ack(t, b, w.b2, "2026-12-09 09:00", orders.AckLine{Action: orders.AckChange, Quantity: ptr(partnerstest.Qty("8")), Reason: "stock"})

	w.shipLate = w.ship(t, a, f.PartnerA, w.aDone, "2026-12-09 08:00", "2026-12-08")
	w.shipStale = w.ship(t, a, f.PartnerA, w.aDone, "2026-12-06 08:00", "2026-12-20")
	w.shipFresh = w.ship(t, a, f.PartnerA, w.aDone, "2026-12-09 08:00", "2026-12-20")
	w.shipDelivered = w.ship(t, a, f.PartnerA, w.aDone, "2026-12-09 08:00", "2026-12-09")
	for _, k := range []string{"shipped", "delivered"} {
		if _, err := w.shipSvc.AddEvent(a, w.shipDelivered.ID, shipments.EventInput{Kind: shipmentevent.Kind(k)}); err != nil {
			t.Fatal(err)
		}
	}
	w.ack(t, b, w.b1, "2026-12-07 09:00", orders.AckLine{Action: orders.AckAccept})
	w.shipB = w.ship(t, b, f.PartnerB, w.b1, "2026-12-07 09:00", "2026-12-08")
	w.b3 = w.publish(t, f.PartnerB, "PO-B3", "2026-12-07 08:00", "2026-11-20")

	w.certExpired = w.cert(t, f.PartnerA, "ISO 9001", "2026-12-01")
	w.certSoon = w.cert(t, f.PartnerA, "RoHS", "2026-12-20")
	w.certLater = w.cert(t, f.PartnerA, "REACH", "2027-02-20")
	w.certB = w.cert(t, f.PartnerB, "IATF", "2026-12-15")
	*w.clock = now
	return w
}

func ptr[T any](v T) *T { return &v }

func orderNumbers(l todo.OrderList) []string {
	out := []string{}
	for _, i := range l.Items {
		out = append(out, i.Number)
	}
	return out
}

func same[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPartnerToDo(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		w := build(t, f)
		got, err := w.svc.For(f.Ctx(f.UserA))
		if err != nil {
			t.Fatal(err)
		}
		if !same(got.Roles, []todo.Role{todo.RolePartner}) || got.Movers != nil || got.ToDecide.Count+got.Receipts.Count+got.PastSLA.Count+got.Late.Count != 0 {
			t.Errorf("a partner's home has only its own lists: %+v", got)
		}
		t.Run("AwaitingAnswerOldestFirstWithSLA", func(t *testing.T) {
			if !same(orderNumbers(got.AwaitingAnswer), []string{"PO-A1", "PO-A2"}) || got.AwaitingAnswer.Count != 2 {
				t.Fatalf("awaiting = %v (count %d), want PO-A1, PO-A2", orderNumbers(got.AwaitingAnswer), got.AwaitingAnswer.Count)
			}
			a1, a2 := got.AwaitingAnswer.Items[0], got.AwaitingAnswer.Items[1]
			if !a1.Overdue || !a1.DueAt.Equal(at("2026-12-10 08:00")) || a1.PendingLines != 1 {
				t.Errorf("PO-A1 = %+v, want overdue since 12-10 08:00 with 1 pending line", a1)
			}
			if a2.Overdue || !a2.DueAt.Equal(at("2026-12-11 09:00")) {
				t.Errorf("PO-A2 = %+v, want due 12-11 09:00, not overdue", a2)
			}
		})
		t.Run("ShipmentsDueAnUpdate", func(t *testing.T) {
			want := map[int]string{w.shipLate.ID: todo.DueETAPassed, w.shipStale.ID: todo.DueNoUpdate}
			if got.ShipmentsDue.Count != len(want) {
				t.Errorf("shipments due = %+v, want %v", got.ShipmentsDue.Items, want)
			}
			for _, s := range got.ShipmentsDue.Items {
				if want[s.ShipmentID] != s.Reason {
					t.Errorf("shipment %d (%s) due for %q, want %q", s.ShipmentID, s.Number, s.Reason, want[s.ShipmentID])
				}
			}
		})
		t.Run("OpenChangeRequestAwaitingBuyer", func(t *testing.T) {
			if got.Decisions.Count != 1 || got.Decisions.Items[0].OrderID != w.a3.ID || got.Decisions.Items[0].State != "open" {
				t.Errorf("change requests = %+v, want A's open one on PO-A3", got.Decisions.Items)
			}
		})
		t.Run("CertificatesExpiredOrWithin30Days", func(t *testing.T) {
			if got.Certificates.Count != 2 || got.Certificates.Items[0].DocumentID != w.certExpired || !got.Certificates.Items[0].Expired ||
				got.Certificates.Items[1].DocumentID != w.certSoon || got.Certificates.Items[1].Expired {
				t.Errorf("certificates = %+v, want the expired ISO 9001 then RoHS", got.Certificates.Items)
			}
		})
		t.Run("DecidedChangeRequestStaysForTheSupplier", func(t *testing.T) {
			cr := got.Decisions.Items[0].ChangeRequestID
			ord := orders.New(f.DB.Client)
			ord.SetClock(func() time.Time { return now.Add(-time.Hour) })
			if _, err := ord.Decide(f.Ctx(f.Buyer), cr, orders.Decision{Decision: orders.VerdictApprove}); err != nil {
				t.Fatal(err)
			}
			got, err := w.svc.For(f.Ctx(f.UserA))
			if err != nil {
				t.Fatal(err)
			}
			if got.Decisions.Count != 1 || got.Decisions.Items[0].State != "approved" || got.Decisions.Items[0].DecidedAt == nil {
				t.Errorf("after approval = %+v, want it approved", got.Decisions.Items)
			}
			w.svc.SetClock(func() time.Time { return now.Add(todo.DecisionsFor + time.Hour) })
			defer w.svc.SetClock(func() time.Time { return now })
			if later, err := w.svc.For(f.Ctx(f.UserA)); err != nil || later.Decisions.Count != 0 {
				t.Errorf("two weeks on = %+v, %v; want it gone", later.Decisions.Items, err)
			}
		})
		t.Run("PartnerBoundary", func(t *testing.T) {
			b, err := w.svc.For(f.Ctx(f.UserB))
			if err != nil {
				t.Fatal(err)
			}
			if !same(orderNumbers(b.AwaitingAnswer), []string{"PO-B3"}) {
				t.Errorf("B awaiting = %v, want only PO-B3", orderNumbers(b.AwaitingAnswer))
			}
			if b.ShipmentsDue.Count != 1 || b.ShipmentsDue.Items[0].ShipmentID != w.shipB.ID {
				t.Errorf("B shipments = %+v, want only its own", b.ShipmentsDue.Items)
			}
			if b.Decisions.Count != 1 || b.Decisions.Items[0].OrderID != w.b2.ID {
				t.Errorf("B change requests = %+v, want only its own", b.Decisions.Items)
			}
			if b.Certificates.Count != 1 || b.Certificates.Items[0].DocumentID != w.certB {
				t.Errorf("B certificates = %+v, want only IATF", b.Certificates.Items)
			}
			for _, i := range got.AwaitingAnswer.Items {
				if i.PartnerID != f.PartnerA.ID {
					t.Errorf("A sees %+v", i)
				}
			}
		})
		t.Run("AcknowledgedOrderLeavesTheList", func(t *testing.T) {
			w.ack(t, f.Ctx(f.UserA), w.a1, "2026-12-10 09:30", orders.AckLine{Action: orders.AckAccept})
			got, err := w.svc.For(f.Ctx(f.UserA))
			if err != nil {
				t.Fatal(err)
			}
			if !same(orderNumbers(got.AwaitingAnswer), []string{"PO-A2"}) {
				t.Errorf("after answering PO-A1: %v", orderNumbers(got.AwaitingAnswer))
			}
		})
	})
}

func TestBuyerToDo(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		w := build(t, f)
		got, err := w.svc.For(f.Ctx(f.Buyer))
		if err != nil {
			t.Fatal(err)
		}
		if !same(got.Roles, []todo.Role{todo.RoleBuyer}) || got.Movers != nil || got.AwaitingAnswer.Count+got.Certificates.Count != 0 {
			t.Errorf("a buyer's home: %+v", got)
		}
		t.Run("ChangeRequestsToDecideOwnFirst", func(t *testing.T) {
			if got.ToDecide.Count != 2 || got.ToDecide.Items[0].OrderID != w.a3.ID || !got.ToDecide.Items[0].Mine ||
				got.ToDecide.Items[1].OrderID != w.b2.ID {
				t.Errorf("to decide = %+v, want A's (owned) then B's", got.ToDecide.Items)
			}
			g2, err := w.svc.For(f.Ctx(f.Buyer2))
			if err != nil {
				t.Fatal(err)
			}
			// Buyer2 owns B's contact: B's comes first for them.
			if g2.ToDecide.Count != 2 || g2.ToDecide.Items[0].OrderID != w.b2.ID || !g2.ToDecide.Items[0].Mine {
				t.Errorf("buyer2's to decide = %+v, want B's first", g2.ToDecide.Items)
			}
		})
		t.Run("ReceiptsToConfirm", func(t *testing.T) {
			if got.Receipts.Count != 1 || got.Receipts.Items[0].ShipmentID != w.shipDelivered.ID {
				t.Errorf("receipts = %+v, want the delivered shipment", got.Receipts.Items)
			}
		})
		t.Run("UnacknowledgedPastSLA", func(t *testing.T) {
			// PO-B3 (published 12-07) is older than PO-A1 but A is the
			// buyer's own: A first.
			if !same(orderNumbers(got.PastSLA), []string{"PO-A1", "PO-B3"}) {
				t.Errorf("past SLA = %v, want PO-A1, PO-B3 (PO-A2 is within its SLA)", orderNumbers(got.PastSLA))
			}
		})
		t.Run("LateLines", func(t *testing.T) {
			// Due before today and not fully received: PO-A1, PO-A4 and
			// PO-B1 (its shipment is on its way, not received), PO-B3.
			want := map[string]bool{"PO-A1": true, "PO-A4": true, "PO-B1": true, "PO-B3": true}
			if got.Late.Count != len(want) {
				t.Errorf("late lines = %+v", got.Late.Items)
			}
			for _, l := range got.Late.Items {
				if !want[l.OrderNumber] || l.Open <= 0 {
					t.Errorf("late line %+v not expected", l)
				}
			}
		})
		t.Run("ReceiptLeavesTheListsAndShrinksTheLateLine", func(t *testing.T) {
			sh, err := w.shipSvc.Shipment(f.Ctx(f.Buyer), w.shipDelivered.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.shipSvc.AddEvent(f.Ctx(f.Buyer), sh.ID, shipments.EventInput{Kind: "received",
				Received: []shipments.Received{{LineID: sh.Lines[0].ID, Quantity: partnerstest.Qty("1")}}}); err != nil {
				t.Fatal(err)
			}
			got, err := w.svc.For(f.Ctx(f.Buyer))
			if err != nil {
				t.Fatal(err)
			}
			open := int64(-1)
			for _, l := range got.Late.Items {
				if l.OrderNumber == "PO-A4" {
					open = l.Open
				}
			}
			if open != int64(partnerstest.Qty("9")) {
				t.Errorf("PO-A4 open after receiving 1 of 10 = %d, want 9 units", open)
			}
			if got.Receipts.Count != 0 {
				t.Errorf("received shipment still awaits receipt: %+v", got.Receipts.Items)
			}
		})
	})
}

// TestProcurementMovers: partner A answered within its SLA last week and
// not this week, so its score falls; B has no data either week and does
// not move.
func TestProcurementMovers(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		clock := now
		w := &world{f: f, clock: &clock, orderSvc: orders.New(f.DB.Client), shipSvc: shipments.New(f.DB.Client)}
		w.orderSvc.SetClock(func() time.Time { return *w.clock })
		w.svc = todo.New(f.DB.Client, f.Scorecards)
		w.svc.SetClock(func() time.Time { return now })
		last := w.publish(t, f.PartnerA, "PO-M1", "2026-12-01 08:00", "2026-11-20")
		w.ack(t, f.Ctx(f.UserA), last, "2026-12-01 09:00", orders.AckLine{Action: orders.AckAccept})
		w.publish(t, f.PartnerA, "PO-M2", "2026-12-08 08:00", "2026-11-20")

		for _, u := range []struct {
			name  string
			ctx   context.Context
			roles []todo.Role
		}{
			{"Viewer", f.Ctx(f.Viewer), []todo.Role{todo.RoleProcurement}},
			{"AdminAsASection", f.Ctx(f.Admin), []todo.Role{todo.RoleBuyer, todo.RoleProcurement}},
		} {
			t.Run(u.name, func(t *testing.T) {
				got, err := w.svc.For(u.ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !same(got.Roles, u.roles) || got.Movers == nil {
					t.Fatalf("roles = %v, movers %+v", got.Roles, got.Movers)
				}
				m := got.Movers
				if m.Period != "2026-W50" || m.PrevPeriod != "2026-W49" {
					t.Errorf("periods = %s vs %s, want 2026-W50 vs 2026-W49", m.Period, m.PrevPeriod)
				}
				if len(m.Up) != 0 || len(m.Down) != 1 || m.Down[0].PartnerID != f.PartnerA.ID || m.Down[0].Delta >= -todo.MinMove ||
					m.Down[0].Score >= m.Down[0].PrevScore {
					t.Errorf("movers = %+v, want only A, down", m)
				}
			})
		}
		t.Run("BuyerAndPartnerGetNone", func(t *testing.T) {
			for _, ctx := range []context.Context{f.Ctx(f.Buyer), f.Ctx(f.UserA)} {
				got, err := w.svc.For(ctx)
				if err != nil || got.Movers != nil {
					t.Errorf("movers = %+v, %v; want none", got.Movers, err)
				}
			}
		})
	})
}
