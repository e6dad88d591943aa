package orders_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/domainevent"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func draftInput(t *testing.T, js string) orders.DraftInput {
	t.Helper()
	var in orders.DraftInput
	if err := json.Unmarshal([]byte(js), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// A draft is edited in place, and only a draft: its lines are replaced
// and what is stored is what was sent.
func TestUpdateDraft(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		svc := orders.New(f.DB.Client)
		buyer := f.Ctx(f.Buyer)
		o, err := svc.Create(buyer, input(f.PartnerA.ID, "PO-E1"))
		if err != nil {
			t.Fatal(err)
		}
		in := draftInput(t, `{"currency":"usd","notes":"rush","lines":[
			{"item_code":"HX-230","quantity":"40","unit":"pcs","unit_price":"2.5","required_date":"2027-01-05"}]}`)
		t.Run("OK", func(t *testing.T) {
			got, err := svc.UpdateDraft(buyer, o.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Currency != "USD" || got.Notes != "rush" || len(got.Lines) != 1 {
				t.Fatalf("order = %+v", got)
			}
			ls, err := f.DB.Client.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(buyer)
			if err != nil || len(ls) != 1 || ls[0].ItemCode != "HX-230" || ls[0].Quantity != 40000 || ls[0].LineNo != 1 {
				t.Fatalf("stored lines = %+v, %v", ls, err)
			}
		})
		t.Run("ErrNoLines", func(t *testing.T) {
			f.Refuses(t, partners.EInvalid, "lines", func() error {
				_, err := svc.UpdateDraft(buyer, o.ID, draftInput(t, `{"currency":"CNY","lines":[]}`))
				return err
			})
		})
		t.Run("ErrViewer", func(t *testing.T) {
			_, err := svc.UpdateDraft(f.Ctx(f.Viewer), o.ID, in)
			if err == nil {
				t.Fatal("a viewer edited a draft")
			}
		})
		t.Run("ErrPublished", func(t *testing.T) {
			if _, err := svc.Publish(buyer, o.ID); err != nil {
				t.Fatal(err)
			}
			f.Refuses(t, partners.EConflict, "", func() error {
				_, err := svc.UpdateDraft(buyer, o.ID, draftInput(t, `{"currency":"EUR","lines":[
					{"item_code":"X","quantity":"1","unit_price":"1","required_date":"2027-01-05"}]}`))
				return err
			})
		})
	})
}

// Cancelling: the statuses orders allows, a reason required, the open
// change requests closed, an event only for what the partner had seen,
// and a cancelled draft still hidden from the partner.
func TestCancel(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		svc := orders.New(f.DB.Client)
		buyer := f.Ctx(f.Buyer)
		partner := f.Ctx(f.UserA)
		events := func(id int) []string {
			t.Helper()
			evs, err := f.DB.Client.DomainEvent.Query().Where(domainevent.SubjectType("order"), domainevent.SubjectID(id)).All(f.System())
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range evs {
				out = append(out, e.Kind)
			}
			return out
		}
		t.Run("DraftStaysHidden", func(t *testing.T) {
			o, err := svc.Create(buyer, input(f.PartnerA.ID, "PO-C1"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.Cancel(buyer, o.ID, orders.CancelInput{Reason: "typo"})
			if err != nil || got.Status != order.StatusCancelled || len(got.Actions) != 0 {
				t.Fatalf("cancel = %+v, %v", got, err)
			}
			if ks := events(o.ID); len(ks) != 0 {
				t.Fatalf("events for a cancelled draft: %v", ks)
			}
			if _, err := svc.Order(partner, o.ID); err == nil {
				t.Fatal("the partner sees a cancelled draft")
			}
		})
		t.Run("PublishedWithOpenChange", func(t *testing.T) {
			o, err := svc.Create(buyer, input(f.PartnerA.ID, "PO-C2"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Publish(buyer, o.ID); err != nil {
				t.Fatal(err)
			}
			var ack orders.AckInput
			json.Unmarshal([]byte(`{"lines":[{"line_no":1,"action":"change","promised_date":"2027-01-10"},{"line_no":2,"action":"accept"}]}`), &ack)
			if _, err := svc.Acknowledge(partner, o.ID, ack); err != nil {
				t.Fatal(err)
			}
			f.Refuses(t, partners.EInvalid, "reason", func() error {
				_, err := svc.Cancel(buyer, o.ID, orders.CancelInput{Reason: "  "})
				return err
			})
			if _, err := svc.Cancel(partner, o.ID, orders.CancelInput{Reason: "no"}); err == nil {
				t.Fatal("the partner cancelled the order")
			}
			if _, err := svc.Cancel(buyer, o.ID, orders.CancelInput{Reason: "project stopped"}); err != nil {
				t.Fatal(err)
			}
			stored, err := f.DB.Client.Order.Get(buyer, o.ID)
			if err != nil || stored.Status != order.StatusCancelled {
				t.Fatalf("stored = %+v, %v", stored, err)
			}
			if n, _ := f.DB.Client.ChangeRequest.Query().Where(changerequest.OrderID(o.ID), changerequest.StateEQ(changerequest.StateOpen)).Count(buyer); n != 0 {
				t.Fatalf("%d change requests still open", n)
			}
			if ks := events(o.ID); !slices.Contains(ks, string(partners.KindOrderCancelled)) {
				t.Fatalf("events = %v", ks)
			}
			seen, err := svc.Order(partner, o.ID)
			if err != nil || seen.Status != order.StatusCancelled || len(seen.Actions) != 0 {
				t.Fatalf("partner sees %+v, %v", seen, err)
			}
			f.Refuses(t, partners.EConflict, "", func() error {
				_, err := svc.Cancel(buyer, o.ID, orders.CancelInput{Reason: "again"})
				return err
			})
		})
	})
}
