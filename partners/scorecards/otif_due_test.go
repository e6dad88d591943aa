package scorecards_test

import (
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/shipments"
)

// A line whose due day has not ended and that is not yet received has
// not missed anything: it stays out of OTIF's denominator, instead of
// showing as 0%. A line delivered in full before it is due counts (on
// time), and a line past its due day and not received counts as a miss.
func TestOTIFLeavesOutLinesNotYetDue(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f, c := newWorld(t, d)
			b, pa := f.Ctx(f.Buyer), f.Ctx(f.UserA)
			o, err := f.Orders.Create(b, orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-DUE", Currency: "CNY",
				Lines: []orders.LineInput{
					{ItemCode: "DUE", Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: "2026-11-05"},
					{ItemCode: "NOTDUE", Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: "2026-11-25"},
					{ItemCode: "EARLY", Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: "2026-11-28"},
					{ItemCode: "TODAY", Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: "2026-11-20"},
					{ItemCode: "PART", Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: "2026-11-27"},
				}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Orders.Publish(b, o.ID); err != nil {
				t.Fatal(err)
			}
			var acks []orders.AckLine
			for no := 1; no <= 5; no++ {
				acks = append(acks, orders.AckLine{LineNo: no, Action: "accept"})
			}
			if _, err := f.Orders.Acknowledge(pa, o.ID, orders.AckInput{Lines: acks}); err != nil {
				t.Fatal(err)
			}
			// EARLY arrives in full on 10 November; PART gets 4 of 10.
			c.set(time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC))
			sh, err := f.Shipments.Create(pa, shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{
				{OrderID: o.ID, LineNo: 3, Quantity: partnerstest.Qty("10")}, {OrderID: o.ID, LineNo: 5, Quantity: partnerstest.Qty("4")}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindDelivered} {
				if _, err := f.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: k}); err != nil {
					t.Fatal(err)
				}
			}
			var rc []shipments.Received
			for _, l := range sh.Lines {
				rc = append(rc, shipments.Received{LineID: l.ID, Quantity: l.Quantity})
			}
			if _, err := f.Shipments.AddEvent(b, sh.ID, shipments.EventInput{Kind: "received", Received: rc}); err != nil {
				t.Fatal(err)
			}

			svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
			p, _ := scorecards.PeriodOf(scorecards.Month, nov, time.UTC)

			// 20 November, noon: DUE is past due (a miss), EARLY was
			// delivered early (a hit); NOTDUE, PART and TODAY (its day
			// not over) have not missed yet.
			got, err := svc.Compute(f.System(), p, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			m := got[f.PartnerA.ID]
			if m == nil {
				t.Fatal("no metrics for A")
			}
			near(t, "OTIF mid-month", m.OTIF.Value, 10.0/20)
			near(t, "in full mid-month", m.InFull.Value, 10.0/20)
			near(t, "on time mid-month", m.OnTime.Value, 1)

			// At the end of the month every line is due: all five count.
			got, err = svc.Compute(f.System(), p, p.End)
			if err != nil {
				t.Fatal(err)
			}
			m = got[f.PartnerA.ID]
			near(t, "OTIF at month end", m.OTIF.Value, 14.0/50)
			near(t, "in full at month end", m.InFull.Value, 14.0/50)

			// Before anything was due or received, OTIF is no data, not 0%.
			got, err = svc.Compute(f.System(), p, time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if m := got[f.PartnerA.ID]; m != nil {
				noData(t, "OTIF before anything was due", m.OTIF.Value)
			}
		})
	}
}
