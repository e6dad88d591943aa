package scorecards_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/scorecards"
)

// BenchmarkCompute computes one month's scorecards for 1,000 partners
// over 1,020,000 order and shipment records on SQLite (goal ≤ 2 s),
// beside a raw database/sql reference: one pass counting the same rows.
func BenchmarkCompute(b *testing.B) {
	f := partnerstest.New(b, dialect.SQLite)
	rows := seedScorecards(b, f, 1000)
	svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
	p, _ := scorecards.PeriodOf(scorecards.Month, nov, time.UTC)
	var got, ref time.Duration
	for range b.N {
		start := time.Now()
		ms, err := svc.Compute(f.System(), p, p.End)
		if err != nil || len(ms) < 1000 {
			b.Fatalf("%d partners, %v", len(ms), err)
		}
		got += time.Since(start)
		start = time.Now()
		var n int
		for _, t := range []string{"orders", "order_lines", "shipments", "shipment_events", "shipment_lines"} {
			var c int
			if err := f.DB.Reader.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+t).Scan(&c); err != nil {
				b.Fatal(err)
			}
			n += c
		}
		ref += time.Since(start)
	}
	g, r := got.Seconds()/float64(b.N), ref.Seconds()/float64(b.N)
	b.ReportMetric(g, "s")
	b.ReportMetric(r, "ref_s")
	b.ReportMetric(100*g/r, "%_of_ref")
	b.ReportMetric(float64(rows), "rows")
}

// seedScorecards writes, per partner, 100 answered orders of two lines
// and 120 shipments with shipped, in-transit, delivered and received
// events and their lines — 1,020 rows per partner, in bulk.
func seedScorecards(tb testing.TB, f *partnerstest.Fixture, n int) int {
	tb.Helper()
	ctx := f.System()
	c := f.DB.Client
	total := 0
	for lo := 0; lo < n; lo += 100 {
		ps := make([]*ent.PartnerCreate, 0, 100)
		for i := lo; i < min(lo+100, n); i++ {
			name := fmt.Sprintf("Scored %04d", i)
			ps = append(ps, c.Partner.Create().SetCode(fmt.Sprintf("S%04d", i)).SetName(name).SetSortKey(name).SetSearchText(name).SetKind(partner.KindSupplier))
		}
		created, err := c.Partner.CreateBulk(ps...).Save(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range created {
			os := make([]*ent.OrderCreate, 0, 100)
			for j := range 100 {
				pub := nov.Add(time.Duration(j) * 6 * time.Hour)
				os = append(os, c.Order.Create().SetPartnerID(p.ID).SetDirection(order.DirectionUpstream).SetNumber(fmt.Sprintf("PO-%d", j)).
					SetCurrency("CNY").SetStatus(order.StatusAcknowledged).SetBuyerID(f.Buyer.ID).SetPublishedAt(pub).
					SetAcknowledgedAt(pub.Add(time.Duration(j%48)*time.Hour)))
			}
			ords, err := c.Order.CreateBulk(os...).Save(ctx)
			if err != nil {
				tb.Fatal(err)
			}
			ls := make([]*ent.OrderLineCreate, 0, 200)
			for j, o := range ords {
				due := time.Date(2026, 11, 1+j%28, 0, 0, 0, 0, time.UTC)
				for k := 1; k <= 2; k++ {
					ls = append(ls, c.OrderLine.Create().SetOrderID(o.ID).SetPartnerID(p.ID).SetLineNo(k).SetItemCode("I").SetQuantity(10000).
						SetUnitPrice(1).SetRequiredDate(due))
				}
			}
			lines, err := c.OrderLine.CreateBulk(ls...).Save(ctx)
			if err != nil {
				tb.Fatal(err)
			}
			ss := make([]*ent.ShipmentCreate, 0, 120)
			for j := range 120 {
				at := nov.Add(time.Duration(j) * 6 * time.Hour)
				ss = append(ss, c.Shipment.Create().SetPartnerID(p.ID).SetDirection(shipment.DirectionUpstream).SetStatus(shipment.StatusReceived).
					SetCreatedAt(at).SetLastEventAt(at.Add(72*time.Hour)))
			}
			ships, err := c.Shipment.CreateBulk(ss...).Save(ctx)
			if err != nil {
				tb.Fatal(err)
			}
			es := make([]*ent.ShipmentEventCreate, 0, 400)
			sl := make([]*ent.ShipmentLineCreate, 0, 100)
			for j, s := range ships {
				for k, kind := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindInTransit, shipmentevent.KindDelivered, shipmentevent.KindReceived} {
					es = append(es, c.ShipmentEvent.Create().SetShipmentID(s.ID).SetPartnerID(p.ID).SetKind(kind).SetCreatedAt(s.CreatedAt.Add(time.Duration(k*24+j%20)*time.Hour)))
				}
				l := lines[(2*j)%len(lines)]
				sl = append(sl, c.ShipmentLine.Create().SetShipmentID(s.ID).SetPartnerID(p.ID).SetOrderID(l.OrderID).SetOrderLineID(l.ID).
					SetQuantity(10000).SetReceived(10000-int64(j%3)*1000))
			}
			if err := c.ShipmentEvent.CreateBulk(es...).Exec(ctx); err != nil {
				tb.Fatal(err)
			}
			if err := c.ShipmentLine.CreateBulk(sl...).Exec(ctx); err != nil {
				tb.Fatal(err)
			}
			total += len(ords) + len(lines) + len(ships) + len(es) + len(sl)
		}
	}
	if _, err := f.DB.Writer.Exec("ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	return total
}
