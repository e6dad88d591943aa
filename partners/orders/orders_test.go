package orders_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func input(partnerID int, number string) orders.OrderInput {
	var in orders.OrderInput
	json.Unmarshal([]byte(`{"direction":"upstream","currency":"cny","lines":[
		{"item_code":"HX-220","description":"外壳","quantity":"1000","unit":"pcs","unit_price":12.5,"required_date":"2026-12-15"},
		{"item_code":"HX-221","quantity":250.5,"unit":"kg","unit_price":"3.1415","required_date":"2026-12-20"}]}`), &in)
	in.PartnerID, in.Number = partnerID, number
	return in
}

// TestOrderFlow follows one order from draft to an approved change, as
// the buyer, its supplier and another partner see it.
func TestOrderFlow(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		svc := orders.New(f.DB.Client)
		buyer, a, b := f.Ctx(f.Buyer), f.Ctx(f.UserA), f.Ctx(f.UserB)
		var o orders.Order
		var events partners.EventPage
		partnerstest.RunSteps(t, []partnerstest.Step{
			{Name: "DraftCreated", Run: func(t *testing.T) {
				var err error
				o, err = svc.Create(buyer, input(f.PartnerA.ID, "PO-1001"))
				if err != nil || o.Status != "draft" || len(o.Lines) != 2 || o.Lines[1].Quantity.String() != "250.5" || o.Lines[1].UnitPrice.String() != "3.1415" || o.Currency != "CNY" {
					t.Fatalf("create = %+v, %v", o, err)
				}
			}},
			{Name: "ErrNumberTaken", Run: func(t *testing.T) {
				f.Refuses(t, partners.EConflict, "", func() error {
					_, err := svc.Create(buyer, input(f.PartnerA.ID, "PO-1001"))
					return err
				})
			}},
			{Name: "DraftHiddenFromSupplier", Run: func(t *testing.T) {
				_, err := svc.Order(a, o.ID)
				partnerstest.WantCode(t, err, partners.ENotFound)
			}},
			{Name: "PublishedShowsToSupplier", Run: func(t *testing.T) {
				if _, err := svc.Publish(buyer, o.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := svc.Order(a, o.ID); err != nil {
					t.Fatalf("published order hidden from its supplier: %v", err)
				}
			}},
			{Name: "OtherPartnerGets404", Run: func(t *testing.T) {
				_, err := svc.Order(b, o.ID)
				partnerstest.WantCode(t, err, partners.ENotFound)
				f.Refuses(t, partners.ENotFound, "", func() error {
					_, err := svc.Acknowledge(b, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}}})
					return err
				})
			}},
			{Name: "AnswerWithAChangeOpensARequest", Run: func(t *testing.T) {
				// Line 1 accepted; line 2 accepted with a later date.
				var err error
				o, err = svc.Acknowledge(a, o.ID, orders.AckInput{Lines: []orders.AckLine{
					{LineNo: 1, Action: "accept"},
					{LineNo: 2, Action: "change", PromisedDate: "2026-12-28", Reason: "铝材到货延迟"},
				}})
				if err != nil || o.Status != "changes_requested" || o.AcknowledgedAt == nil || o.Lines[0].AckState != "accepted" || len(o.ChangeRequests) != 1 {
					t.Fatalf("ack = %+v, %v", o, err)
				}
			}},
			{Name: "ErrAnsweredTwice", Run: func(t *testing.T) {
				f.Refuses(t, partners.EConflict, "", func() error {
					_, err := svc.Acknowledge(a, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}}})
					return err
				})
			}},
			{Name: "ErrSupplierDecidesOwnRequest", Run: func(t *testing.T) {
				f.Refuses(t, partners.EForbidden, "", func() error {
					_, err := svc.Decide(a, o.ChangeRequests[0].ID, orders.Decision{Decision: "approve"})
					return err
				})
			}},
			{Name: "TwoApprovalsAtOnceOneOutcome", Run: func(t *testing.T) {
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for i, u := range []context.Context{buyer, f.Ctx(f.Admin)} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = svc.Decide(u, o.ChangeRequests[0].ID, orders.Decision{Decision: "approve"})
					}()
				}
				wg.Wait()
				if (errs[0] == nil) == (errs[1] == nil) {
					t.Fatalf("double approval: %v / %v", errs[0], errs[1])
				}
				o, _ = svc.Order(buyer, o.ID)
				if o.Status != "acknowledged" || o.Revision != 2 || o.Lines[1].PromisedDate == nil || o.Lines[1].PromisedDate.Format("2006-01-02") != "2026-12-28" || len(o.Revisions) != 2 {
					t.Fatalf("after approval: %+v", o)
				}
			}},
			{Name: "EventsTellTheStoryInOrder", Run: func(t *testing.T) {
				var err error
				events, err = partners.ListEvents(a, f.DB.Client, partners.EventFilter{})
				if err != nil {
					t.Fatal(err)
				}
				var kinds []string
				for _, e := range events.Items {
					kinds = append(kinds, e.Kind)
				}
				want := []string{"order.published", "change.requested", "order.acknowledged", "change.approved"}
				if !slices.Equal(kinds, want) {
					t.Fatalf("events = %v, want %v", kinds, want)
				}
			}},
			{Name: "OtherPartnerSeesNoEvents", Run: func(t *testing.T) {
				if pb, _ := partners.ListEvents(b, f.DB.Client, partners.EventFilter{}); len(pb.Items) != 0 {
					t.Fatalf("partner B sees %d events", len(pb.Items))
				}
			}},
			{Name: "CursorResumesWithoutReplay", Run: func(t *testing.T) {
				next, _ := partners.ListEvents(a, f.DB.Client, partners.EventFilter{Cursor: events.NextCursor})
				if len(next.Items) != 0 {
					t.Fatalf("cursor replayed %d events", len(next.Items))
				}
			}},
		})
	})
}

func TestRejectedChangeGoesBackToSupplier(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	svc := orders.New(f.DB.Client)
	buyer, a := f.Ctx(f.Buyer), f.Ctx(f.UserA)
	o, _ := svc.Create(buyer, input(f.PartnerA.ID, "PO-7"))
	svc.Publish(buyer, o.ID)
	q := orders.Qty(900_000)
	o, err := svc.Acknowledge(a, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "change", Quantity: &q}, {LineNo: 2, Action: "reject", Reason: "停产"}}})
	if err != nil {
		t.Fatal(err)
	}
	o, err = svc.Decide(buyer, o.ChangeRequests[0].ID, orders.Decision{Decision: "reject", Reason: "need the full 1000"})
	if err != nil || o.Status != "published" || o.Lines[0].AckState != "pending" || o.Lines[0].Quantity.String() != "1000" || o.Revision != 1 {
		t.Fatalf("after reject: %+v, %v", o, err)
	}
	o, err = svc.Acknowledge(a, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}}})
	if err != nil || o.Status != "acknowledged" {
		t.Fatalf("re-ack: %+v, %v", o, err)
	}
}

// TestOrderRefusals proves each refusal by its own error (code and, for
// invalid input, the field) and that it stored nothing.
func TestOrderRefusals(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	svc := orders.New(f.DB.Client)
	buyer, supplier := f.Ctx(f.Buyer), f.Ctx(f.UserA)
	draft, err := svc.Create(buyer, input(f.PartnerA.ID, "PO-9"))
	if err != nil {
		t.Fatal(err)
	}
	published, err := svc.Create(buyer, input(f.PartnerA.ID, "PO-10"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(buyer, published.ID); err != nil {
		t.Fatal(err)
	}
	downstream := input(f.PartnerA.ID, "PO-11")
	downstream.Direction = "downstream"
	create := func(ctx context.Context, in orders.OrderInput) func() error {
		return func() error { _, err := svc.Create(ctx, in); return err }
	}
	ack := func(id int, l orders.AckLine) func() error {
		return func() error {
			_, err := svc.Acknowledge(supplier, id, orders.AckInput{Lines: []orders.AckLine{l}})
			return err
		}
	}
	for _, tc := range []struct {
		name  string
		call  func() error
		code  partners.Code
		field string // for EInvalid: the field named
	}{
		{"ErrDownstreamToASupplier", create(buyer, downstream), partners.EInvalid, "direction"},
		{"ErrViewerCannotCreate", create(f.Ctx(f.Viewer), input(f.PartnerA.ID, "PO-12")), partners.EForbidden, ""},
		{"ErrSupplierCannotCreate", create(supplier, input(f.PartnerA.ID, "PO-12")), partners.EForbidden, ""},
		{"ErrDraftHiddenFromSupplier", ack(draft.ID, orders.AckLine{LineNo: 1, Action: "accept"}), partners.ENotFound, ""},
		{"ErrUnknownLine", ack(published.ID, orders.AckLine{LineNo: 9, Action: "accept"}), partners.EInvalid, "lines[0].line_no"},
		{"ErrRejectWithoutReason", ack(published.ID, orders.AckLine{LineNo: 1, Action: "reject"}), partners.EInvalid, "lines[0].reason"},
		{"ErrChangeWithoutChange", ack(published.ID, orders.AckLine{LineNo: 1, Action: "change"}), partners.EInvalid, "lines[0].action"},
		{"ErrAcceptWithADate", ack(published.ID, orders.AckLine{LineNo: 1, Action: "accept", PromisedDate: "2027-01-01"}), partners.EInvalid, "lines[0].action"},
		{"ErrDateNotISO", ack(published.ID, orders.AckLine{LineNo: 1, Action: "change", PromisedDate: "01/02/2027"}), partners.EInvalid, "lines[0].promised_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.Snapshot(t)
			err := tc.call()
			if tc.field != "" {
				partnerstest.WantField(t, err, tc.code, tc.field)
			} else {
				partnerstest.WantCode(t, err, tc.code)
			}
			f.Unchanged(t, before)
		})
	}
}

func TestQtyJSON(t *testing.T) {
	for in, want := range map[string]string{`1`: "1", `0.1`: "0.1", `"2.500"`: "2.5", `1000000`: "1000000", `0.001`: "0.001"} {
		var q orders.Qty
		if err := json.Unmarshal([]byte(in), &q); err != nil || q.String() != want {
			t.Errorf("%s → %q, %v", in, q.String(), err)
		}
	}
	var sum orders.Qty
	for _, s := range []string{"0.1", "0.2"} {
		q, _ := orders.ParseQty(s)
		sum += q
	}
	if sum.String() != "0.3" {
		t.Fatalf("0.1+0.2 = %s", sum)
	}
	for _, bad := range []string{`1.0001`, `1e3`, `"abc"`, `null`, `""`, `99999999999999`} {
		var q orders.Qty
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestImportCSV(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	svc := orders.New(f.DB.Client)
	buyer := f.Ctx(f.Buyer)
	good := "partner_code,order_number,currency,item_code,description,quantity,unit,unit_price,required_date\n" +
		"SUP-A,PO-1,cny,X,外壳,10,pcs,1.5,2026-12-01\n" +
		"SUP-A,PO-1,CNY,Y,,2.5,kg,3,2026-12-02\n" +
		"SUP-B,PO-1,CNY,Z,,1,pcs,1,2026-12-03\n"
	// refused imports a file that must be refused with every one of want
	// among its problems, and proves nothing was stored.
	refused := func(t *testing.T, file string, want ...string) {
		t.Helper()
		before := f.Snapshot(t)
		_, err := svc.ImportCSV(buyer, strings.NewReader(file), false)
		got := partnerstest.Refusal(t, err)
		for _, w := range want {
			if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
				t.Errorf("missing %q in %v", w, got)
			}
		}
		f.Unchanged(t, before)
	}
	t.Run("ErrRowsNamedByLineAndColumn", func(t *testing.T) {
		refused(t, "\ufeffpartner_code,order_number,currency,item_code,quantity,unit_price,required_date\n"+
			"SUP-A,PO-1,CNY,X,10,1.5,2026-12-01\n"+
			"SUP-A,PO-1,USD,Y,1.0001,1,2026-12-02\n"+
			"NOPE,PO-2,CNY,Z,1,1,2026-12-03\n"+
			"SUP-B,PO-3,CNY,,1,1,31/12/2026\n",
			"line 3: currency: differs from line 2", "line 3: quantity: has more than 3 decimals",
			`line 4: partner_code: no partner has code "NOPE"`, "line 5: item_code: is required", "line 5: required_date")
	})
	t.Run("ErrDirectionRuleAsTheAPI", func(t *testing.T) {
		// The API's rule and words: a supplier takes no downstream order.
		refused(t, "partner_code,order_number,direction,currency,item_code,quantity,unit_price,required_date\n"+
			"SUP-A,PO-D,downstream,CNY,X,1,1,2026-12-01\n",
			"line 2: direction: downstream orders go to dealers and customers; this partner is a supplier")
	})
	t.Run("OKPublishedToThePartner", func(t *testing.T) {
		res, err := svc.ImportCSV(buyer, strings.NewReader(good), true)
		if err != nil || res.Orders != 2 || res.Lines != 3 {
			t.Fatalf("import = %+v, %v", res, err)
		}
		page, _ := svc.List(f.Ctx(f.UserA), orders.Filter{})
		if len(page.Items) != 1 || page.Items[0].Status != "published" || len(page.Items[0].Lines) != 2 || page.Items[0].Lines[1].Quantity.String() != "2.5" {
			t.Fatalf("supplier A sees %+v", page.Items)
		}
	})
	t.Run("SameFileAgainIsUnchanged", func(t *testing.T) {
		before := f.Snapshot(t)
		res, err := svc.ImportCSV(buyer, strings.NewReader(good), false)
		if err != nil || res.Orders != 0 || res.Unchanged != 2 {
			t.Fatalf("re-import = %+v, %v", res, err)
		}
		// Only the audit trail records that the import ran.
		f.Unchanged(t, before, "audit_entries")
	})
	t.Run("ErrDifferingOrderRefused", func(t *testing.T) {
		refused(t, strings.Replace(good, "2.5,kg", "2.6,kg", 1),
			"line 2: order_number: order PO-1 already exists for this partner and differs")
	})
}

func TestListPagesNewestFirst(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	svc := orders.New(f.DB.Client)
	for i := 0; i < 5; i++ {
		if _, err := svc.Create(f.Ctx(f.Buyer), input(f.PartnerA.ID, "PO-P"+string(rune('0'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	cursor := ""
	for i := 0; i < 5; i++ {
		p, err := svc.List(f.Ctx(f.Buyer), orders.Filter{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Items {
			seen = append(seen, o.Number)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(seen, ",") != "PO-P4,PO-P3,PO-P2,PO-P1,PO-P0" {
		t.Fatalf("paged %v", seen)
	}
}

// fiveLines is an order of five lines, for answers one line at a time.
func fiveLines(partnerID int, number string) orders.OrderInput {
	in := input(partnerID, number)
	for len(in.Lines) < 5 {
		in.Lines = append(in.Lines, in.Lines[0])
	}
	return in
}

func TestAnswerListsPage(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			svc := orders.New(f.DB.Client)
			buyer, a := f.Ctx(f.Buyer), f.Ctx(f.UserA)
			o, err := svc.Create(buyer, fiveLines(f.PartnerA.ID, "PO-ACK"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Publish(buyer, o.ID); err != nil {
				t.Fatal(err)
			}
			for n := 1; n <= 4; n++ {
				if _, err := svc.Acknowledge(a, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: n, Action: "accept"}}}); err != nil {
					t.Fatal(err)
				}
			}
			qty, price := orders.Qty(12_500), orders.Price(31_415)
			if _, err := svc.Acknowledge(a, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 5, Action: "change",
				PromisedDate: "2026-12-28", Quantity: &qty, UnitPrice: &price, Reason: "铝材到货延迟"}}}); err != nil {
				t.Fatal(err)
			}
			t.Run("Acknowledgements", func(t *testing.T) {
				var last orders.Acknowledgement
				ids := partnerstest.CollectPages(t, func(cursor string) ([]int, string, error) {
					p, err := svc.Acknowledgements(a, o.ID, orders.AckFilter{Limit: 2, Cursor: cursor})
					var ids []int
					for _, x := range p.Items {
						ids = append(ids, x.ID)
						last = x
					}
					return ids, p.NextCursor, err
				})
				if len(ids) != 5 {
					t.Fatalf("served %v, want 5 answers", ids)
				}
				for i := 1; i < len(ids); i++ {
					if ids[i] <= ids[i-1] {
						t.Fatalf("served %v, want each once, oldest first", ids)
					}
				}
				// The answer as sent, typed: decimals exact, dates as given.
				l := last.Lines
				if len(l) != 1 || l[0].LineNo != 5 || l[0].Action != "change" || l[0].PromisedDate != "2026-12-28" || l[0].Quantity == nil ||
					l[0].Quantity.String() != "12.5" || l[0].UnitPrice == nil || l[0].UnitPrice.String() != "3.1415" || l[0].Reason != "铝材到货延迟" ||
					last.User != f.UserA.Email || last.Revision != 1 {
					t.Fatalf("last answer = %+v", last)
				}
				_, err := svc.Acknowledgements(f.Ctx(f.UserB), o.ID, orders.AckFilter{})
				partnerstest.WantCode(t, err, partners.ENotFound)
				_, err = svc.Acknowledgements(a, o.ID, orders.AckFilter{Cursor: "!!"})
				partnerstest.WantCode(t, err, partners.EInvalid)
			})
			t.Run("ChangeRequests", func(t *testing.T) {
				// Two more orders with a change each: three open requests.
				for _, n := range []string{"PO-CR1", "PO-CR2"} {
					o2, err := svc.Create(buyer, input(f.PartnerA.ID, n))
					if err != nil {
						t.Fatal(err)
					}
					svc.Publish(buyer, o2.ID)
					if _, err := svc.Acknowledge(a, o2.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "change", Quantity: &qty}}}); err != nil {
						t.Fatal(err)
					}
				}
				ids := partnerstest.CollectPages(t, func(cursor string) ([]int, string, error) {
					p, err := svc.ListChangeRequests(buyer, orders.ChangeRequestFilter{State: "open", Limit: 2, Cursor: cursor})
					var ids []int
					for _, cr := range p.Items {
						ids = append(ids, cr.ID)
					}
					return ids, p.NextCursor, err
				})
				if len(ids) != 3 || ids[0] <= ids[1] || ids[1] <= ids[2] {
					t.Fatalf("served %v, want three requests once each, newest first", ids)
				}
				one, err := svc.ListChangeRequests(buyer, orders.ChangeRequestFilter{OrderID: o.ID, Limit: 2})
				if err != nil || len(one.Items) != 1 || one.NextCursor != "" || one.Items[0].OrderID != o.ID {
					t.Fatalf("one order's requests: %+v, %v", one, err)
				}
				_, err = svc.ListChangeRequests(buyer, orders.ChangeRequestFilter{Limit: 201})
				partnerstest.WantCode(t, err, partners.EInvalid)
			})
		})
	}
}
