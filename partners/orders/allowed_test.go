package orders_test

import (
	"slices"
	"testing"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func TestAllowed(t *testing.T) {
	buyer, watcher, partner := viewer.Viewer{Role: viewer.RoleBuyer}, viewer.Viewer{Role: viewer.RoleViewer}, viewer.Viewer{Role: viewer.RolePartner, PartnerID: 1}
	up, down := order.DirectionUpstream, order.DirectionDownstream
	openCR := []orders.ChangeRequest{{State: "open"}}
	for _, tc := range []struct {
		name string
		o    orders.Order
		v    viewer.Viewer
		want []orders.Action
	}{
		{"DraftBuyerPublishes", orders.Order{Status: order.StatusDraft, Direction: up}, buyer, []orders.Action{orders.ActionEdit, orders.ActionPublish, orders.ActionCancel}},
		{"DraftPartnerNothing", orders.Order{Status: order.StatusDraft, Direction: up}, partner, []orders.Action{}},
		{"PublishedPartnerAcksAndShips", orders.Order{Status: order.StatusPublished, Direction: up}, partner, []orders.Action{orders.ActionAcknowledge, orders.ActionShip}},
		{"PublishedBuyerAnswersForPartner", orders.Order{Status: order.StatusPublished, Direction: up}, buyer, []orders.Action{orders.ActionAcknowledge, orders.ActionShip, orders.ActionCancel}},
		{"PublishedViewerReadsOnly", orders.Order{Status: order.StatusPublished, Direction: up}, watcher, []orders.Action{}},
		{"DownstreamIsNotShippedByUs", orders.Order{Status: order.StatusPublished, Direction: down}, partner, []orders.Action{orders.ActionAcknowledge}},
		{"ChangesRequestedBuyerDecides", orders.Order{Status: order.StatusChangesRequested, Direction: up, ChangeRequests: openCR}, buyer, []orders.Action{orders.ActionDecide, orders.ActionShip, orders.ActionCancel}},
		{"CancelledBuyerNothing", orders.Order{Status: order.StatusCancelled, Direction: up, ChangeRequests: openCR}, buyer, []orders.Action{}},
		{"CancelledPartnerNothing", orders.Order{Status: order.StatusCancelled, Direction: up}, partner, []orders.Action{}},
		{"ChangesRequestedPartnerShipsOnly", orders.Order{Status: order.StatusChangesRequested, Direction: up, ChangeRequests: openCR}, partner, []orders.Action{orders.ActionShip}},
		{"AcknowledgedShips", orders.Order{Status: order.StatusAcknowledged, Direction: up}, partner, []orders.Action{orders.ActionShip}},
		{"ClosedNothing", orders.Order{Status: order.StatusClosed, Direction: up}, buyer, []orders.Action{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := orders.Allowed(tc.o, tc.v); !slices.Equal(got, tc.want) {
				t.Fatalf("Allowed = %v, want %v", got, tc.want)
			}
		})
	}
}

// The partner's kind decides an order's direction; the caller need not
// send it, and a contrary one is refused.
func TestCreateTakesDirectionFromPartner(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			svc := orders.New(f.DB.Client)
			buyer := f.Ctx(f.Buyer)
			cust, err := f.Dir.CreatePartner(f.System(), directory.PartnerInput{Code: "CUS-1", Name: "Delta Retail", Kind: "customer"})
			if err != nil {
				t.Fatal(err)
			}
			t.Run("Derived", func(t *testing.T) {
				in := input(cust.ID, "DO-1")
				in.Direction = ""
				o, err := svc.Create(buyer, in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := f.DB.Client.Order.Get(buyer, o.ID)
				if err != nil || got.Direction != order.DirectionDownstream {
					t.Fatalf("stored direction = %v, %v", got, err)
				}
				if o.PartnerName != "Delta Retail" || !slices.Contains(o.Actions, orders.ActionPublish) {
					t.Fatalf("order = %+v", o)
				}
			})
			t.Run("ErrContraryDirection", func(t *testing.T) {
				in := input(cust.ID, "DO-2") // input sends upstream
				_, err := svc.Create(buyer, in)
				partnerstest.WantCode(t, err, partners.EInvalid)
				if n, _ := f.DB.Client.Order.Query().Count(buyer); n != 1 {
					t.Fatalf("%d orders stored, want 1", n)
				}
			})
			t.Run("ListNamesPartners", func(t *testing.T) {
				if _, err := svc.Create(buyer, input(f.PartnerA.ID, "PO-9")); err != nil {
					t.Fatal(err)
				}
				p, err := svc.List(buyer, orders.Filter{})
				if err != nil || len(p.Items) != 2 {
					t.Fatalf("list = %+v, %v", p, err)
				}
				for _, o := range p.Items {
					if want := map[int]string{cust.ID: "Delta Retail", f.PartnerA.ID: f.PartnerA.Name}[o.PartnerID]; o.PartnerName != want {
						t.Fatalf("order %s partner_name = %q, want %q", o.Number, o.PartnerName, want)
					}
				}
			})
		})
	}
}
