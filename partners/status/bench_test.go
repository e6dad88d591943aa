package status_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// BenchmarkDigest times one digest pass over n partner groups whose
// partners have 50 open orders of two lines each (goal: 1,000 groups in
// 5 s on SQLite, growing linearly), beside a raw database/sql floor for
// the same pass: one read of the open orders and one write transaction
// per group.
func BenchmarkDigest(b *testing.B) {
	type shape struct {
		d string
		n int
	}
	shapes := []shape{{dialect.SQLite, 1000}, {dialect.SQLite, 10000}}
	if len(dbtest.Dialects(b)) > 1 {
		shapes = append(shapes, shape{dialect.Postgres, 1000})
	}
	for _, sh := range shapes {
		n := sh.n
		b.Run(fmt.Sprintf("%s/groups=%d", sh.d, n), func(b *testing.B) {
			f := partnerstest.New(b, sh.d)
			sys := f.System()
			seedBulk(b, f, n, 50)
			now := time.Now()
			var got, ref time.Duration
			for range b.N {
				f.DB.Client.Group.Update().SetDigestLastTick(now.Add(-24 * time.Hour)).ExecX(sys)
				start := time.Now()
				res, err := f.Status.Digests(sys, now)
				if err != nil || res.Posted != n {
					b.Fatalf("%+v %v", res, err)
				}
				got += time.Since(start)
				start = time.Now()
				rawFloor(b, f, n)
				ref += time.Since(start)
			}
			g, r := got.Seconds()/float64(b.N), ref.Seconds()/float64(b.N)
			b.ReportMetric(g, "s")
			b.ReportMetric(r, "ref_s")
			b.ReportMetric(100*g/r, "%_of_ref")
			b.ReportMetric(1000*g/float64(n), "per_group_ms")
		})
	}
}

// rawFloor is the least the pass must do, in plain database/sql.
func rawFloor(b *testing.B, f *partnerstest.Fixture, n int) {
	ctx := context.Background()
	rows, err := f.DB.Reader.QueryContext(ctx, `SELECT id, partner_id, number, published_at FROM orders WHERE status = 'published'`)
	if err != nil {
		b.Fatal(err)
	}
	seen := 0
	for rows.Next() {
		var id, pid int
		var num string
		var at time.Time
		if err := rows.Scan(&id, &pid, &num, &at); err != nil {
			b.Fatal(err)
		}
		seen++
	}
	rows.Close()
	for id := 1; id <= n; id++ {
		tx, err := f.DB.Writer.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		q := `UPDATE groups SET last_seq = last_seq + 0 WHERE id = ?`
		if f.DB.Dialect == dialect.Postgres {
			q = `UPDATE groups SET last_seq = last_seq + 0 WHERE id = $1`
		}
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// seedBulk makes n suppliers, each with a partner group and m published,
// unacknowledged orders of two lines (one due this week, one late),
// written in bulk as the system: the benchmark is about the digest, not
// the seeding.
func seedBulk(tb testing.TB, f *partnerstest.Fixture, n, m int) {
	tb.Helper()
	ctx := f.System()
	c := f.DB.Client
	now := time.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for lo := 0; lo < n; lo += 500 {
		hi := min(lo+500, n)
		ps := make([]*ent.PartnerCreate, 0, hi-lo)
		for i := lo; i < hi; i++ {
			name := fmt.Sprintf("Bench Supplier %05d", i)
			ps = append(ps, c.Partner.Create().SetCode(fmt.Sprintf("B%05d", i)).SetName(name).SetSortKey(name).SetSearchText(name).
				SetKind(partner.KindSupplier))
		}
		created, err := c.Partner.CreateBulk(ps...).Save(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		gs := make([]*ent.GroupCreate, 0, len(created))
		for _, p := range created {
			gs = append(gs, c.Group.Create().SetName(p.Name).SetKind(group.KindPartner).SetPartnerID(p.ID).SetOwnerID(f.Buyer.ID))
		}
		if err := c.Group.CreateBulk(gs...).Exec(ctx); err != nil {
			tb.Fatal(err)
		}
		for _, p := range created {
			os := make([]*ent.OrderCreate, 0, m)
			for j := range m {
				os = append(os, c.Order.Create().SetPartnerID(p.ID).SetDirection(order.DirectionUpstream).SetNumber(fmt.Sprintf("PO-%d", j)).
					SetCurrency("CNY").SetStatus(order.StatusPublished).SetBuyerID(f.Buyer.ID).SetPublishedAt(now.Add(-time.Duration(j)*time.Hour)))
			}
			orders, err := c.Order.CreateBulk(os...).Save(ctx)
			if err != nil {
				tb.Fatal(err)
			}
			ls := make([]*ent.OrderLineCreate, 0, 2*m)
			for _, o := range orders {
				ls = append(ls, c.OrderLine.Create().SetOrderID(o.ID).SetPartnerID(p.ID).SetLineNo(1).SetItemCode("A").SetQuantity(10000).
					SetUnitPrice(10000).SetRequiredDate(today.AddDate(0, 0, 3)),
					c.OrderLine.Create().SetOrderID(o.ID).SetPartnerID(p.ID).SetLineNo(2).SetItemCode("B").SetQuantity(10000).
						SetUnitPrice(10000).SetRequiredDate(today.AddDate(0, 0, -2)))
			}
			if err := c.OrderLine.CreateBulk(ls...).Exec(ctx); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if _, err := f.DB.Writer.Exec("ANALYZE"); err != nil {
		tb.Fatal(err)
	}
}
