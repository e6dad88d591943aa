package orders_test

import (
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// FuzzImportOrdersCSV feeds arbitrary files to the order import: the
// answer is a result or an error with a line and column (or a coded
// error), never a panic, and a refused file stores nothing.
func FuzzImportOrdersCSV(f *testing.F) {
	head := "partner_code,order_number,direction,currency,item_code,description,quantity,unit,unit_price,required_date,notes\n"
	for _, s := range []string{
		head + "SUP-A,PO-1,upstream,CNY,A,,10,pcs,1.5,2026-12-10,\n",
		head + "SUP-A,PO-1,upstream,CNY,A,,10.0001,pcs,1,2026-12-10,\n",
		head + "SUP-A,PO-1,,CNY,A,,-1,pcs,1,2026-02-30,\n",
		head + "NOPE,PO-1,upstream,CNY,A,,1,pcs,1,2026-12-10,\n",
		head + "SUP-A,PO-2,downstream,CNY,A,,1,pcs,1,2026-12-10,\nSUP-A,PO-2,upstream,EUR,B,,1,pcs,1,2026-12-10,\n",
		head + "SUP-A,PO-3,upstream,CNY,A,,99999999999999999999,pcs,1e9,2026-12-10,\n",
		"",
		"\ufeff" + head,
	} {
		f.Add(s)
	}
	fx := partnerstest.New(f, dialect.SQLite)
	ctx := fx.Ctx(fx.Buyer)
	f.Fuzz(func(t *testing.T, file string) {
		before, err := fx.Orders.List(ctx, ordersFilterAll())
		if err != nil {
			t.Fatal(err)
		}
		_, err = fx.Orders.ImportCSV(ctx, strings.NewReader(file), false)
		if err == nil {
			return
		}
		if partners.ErrorCode(err) == partners.EInternal {
			t.Fatalf("uncoded error: %v", err)
		}
		after, _ := fx.Orders.List(ctx, ordersFilterAll())
		if len(after.Items) != len(before.Items) {
			t.Fatalf("a refused import stored %d order(s)", len(after.Items)-len(before.Items))
		}
	})
}

func ordersFilterAll() orders.Filter { return orders.Filter{Limit: 200} }
