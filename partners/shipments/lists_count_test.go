package shipments_test

import (
	"strconv"
	"testing"

	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
)

// The lists the pages show carry their partners' names at a fixed number
// of queries: the orders list, the change-request list and the status
// board cost the same with rows of 2 partners as with rows of 12, so no
// page reads a partner per row.
func TestListsNamePartnersWithoutAReadPerRow(t *testing.T) {
	type counts struct{ orders, changes, board int64 }
	measure := func(t *testing.T, n int) counts {
		f := partnerstest.New(t, "sqlite3")
		buyer := f.Ctx(f.Buyer)
		for i := range n {
			name := "Supplier " + strconv.Itoa(i+1)
			p, err := f.Dir.CreatePartner(f.System(), directory.PartnerInput{Code: "S" + strconv.Itoa(i+1), Name: name, Kind: "supplier"})
			if err != nil {
				t.Fatal(err)
			}
			o, err := f.Orders.Create(buyer, orders.OrderInput{PartnerID: p.ID, Number: "PO-" + strconv.Itoa(i+1), Currency: "CNY",
				Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("5"), UnitPrice: 1, RequiredDate: "2026-12-01"}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Orders.Publish(buyer, o.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Orders.Acknowledge(buyer, o.ID, orders.AckInput{Lines: []orders.AckLine{
				{LineNo: 1, Action: orders.AckChange, PromisedDate: "2026-12-20", Reason: "tooling"}}}); err != nil {
				t.Fatal(err)
			}
		}
		client, cd := f.Counting()
		ords, ships := orders.New(client), shipments.New(client)
		var c counts
		before := cd.Count()
		page, err := ords.List(buyer, orders.Filter{Limit: 50})
		if err != nil || len(page.Items) != n {
			t.Fatalf("orders: %d, %v", len(page.Items), err)
		}
		c.orders = cd.Count() - before
		before = cd.Count()
		crs, err := ords.ListChangeRequests(buyer, orders.ChangeRequestFilter{Limit: 50})
		if err != nil || len(crs.Items) != n {
			t.Fatalf("change requests: %d, %v", len(crs.Items), err)
		}
		c.changes = cd.Count() - before
		before = cd.Count()
		board, err := ships.Board(buyer, shipments.BoardFilter{Limit: 200})
		if err != nil || len(board.Items) != n {
			t.Fatalf("board: %d, %v", len(board.Items), err)
		}
		c.board = cd.Count() - before
		for i := range n {
			if page.Items[i].PartnerName == "" || crs.Items[i].PartnerName == "" || crs.Items[i].OrderNumber == "" || board.Items[i].PartnerName == "" {
				t.Fatalf("row %d lacks its partner's name: %+v / %+v / %+v", i, page.Items[i], crs.Items[i], board.Items[i])
			}
		}
		return c
	}
	few, many := measure(t, 2), measure(t, 12)
	if few != many {
		t.Fatalf("queries grow with the rows: %+v with 2 partners, %+v with 12", few, many)
	}
	t.Logf("queries: orders list %d, change requests %d, board %d", few.orders, few.changes, few.board)
}
