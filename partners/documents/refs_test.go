package documents_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
)

// stored counts what an upload leaves behind: document and version rows
// and objects in storage.
func stored(t *testing.T, f *partnerstest.Fixture) [3]int {
	t.Helper()
	sys := f.System()
	d, err := f.DB.Client.Document.Query().Count(sys)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.DB.Client.DocumentVersion.Query().Count(sys)
	if err != nil {
		t.Fatal(err)
	}
	return [3]int{d, v, objects(t, f.Docs.Store())}
}

// A document links only to a group, order and shipment of its own
// partner that the uploader can see: another partner's record, an
// internal group and an id that does not exist all get the same answer,
// a field error, and nothing is stored.
func TestUploadLinksStayWithinThePartner(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			buyer := f.Ctx(f.Buyer)
			group := func(in groups.GroupInput) int {
				t.Helper()
				g, err := f.Groups.Create(buyer, in)
				if err != nil {
					t.Fatal(err)
				}
				return g.ID
			}
			groupA := group(groups.GroupInput{Name: "华星 coordination", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID}})
			groupB := group(groups.GroupInput{Name: "Bravo room", Kind: "partner", PartnerID: f.PartnerB.ID, ContactIDs: []int{f.ContactB.ID}})
			internalA := group(groups.GroupInput{Name: "Quality on A", Kind: "internal", PartnerID: f.PartnerA.ID})
			staffRoom := group(groups.GroupInput{Name: "Staff room", Kind: "internal"})
			o, err := f.Orders.Create(buyer, orders.OrderInput{PartnerID: f.PartnerB.ID, Direction: "upstream", Number: "PO-B1", Currency: "CNY",
				Lines: []orders.LineInput{{ItemCode: "X", Quantity: 1000, UnitPrice: 1, RequiredDate: "2026-12-01"}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Orders.Publish(buyer, o.ID); err != nil {
				t.Fatal(err)
			}
			sh, err := f.Shipments.Create(f.Ctx(f.UserB), shipments.Input{PartnerID: f.PartnerB.ID,
				Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: 1000}}})
			if err != nil {
				t.Fatal(err)
			}
			const unknown = 987654
			in := func(link func(*documents.UploadInput)) documents.UploadInput {
				u := documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "other", Filename: "x.png"}
				link(&u)
				return u
			}
			refused := func(t *testing.T, ctx context.Context, u documents.UploadInput, field string) []partners.FieldError {
				t.Helper()
				before := stored(t, f)
				_, err := f.Docs.Upload(ctx, u, body(png, "image/png"))
				partnerstest.WantCode(t, err, partners.EInvalid)
				fs := partners.ErrorFields(err)
				if len(fs) != 1 || fs[0].Field != field {
					t.Fatalf("fields = %+v, want one on %s", fs, field)
				}
				if after := stored(t, f); after != before {
					t.Fatalf("refused upload stored something: documents, versions, objects %v → %v", before, after)
				}
				return fs
			}
			sameAsUnknown := func(t *testing.T, ctx context.Context, field string, link func(*documents.UploadInput, int), foreign ...int) {
				t.Helper()
				want := refused(t, ctx, in(func(u *documents.UploadInput) { link(u, unknown) }), field)
				for _, id := range foreign {
					got := refused(t, ctx, in(func(u *documents.UploadInput) { link(u, id) }), field)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s %d answers %+v; an unknown id answers %+v", field, id, got, want)
					}
				}
			}
			setGroup := func(u *documents.UploadInput, id int) { u.GroupID = id }
			t.Run("PartnerUserNamingAForeignGroupGetsTheUnknownAnswer", func(t *testing.T) {
				sameAsUnknown(t, f.Ctx(f.UserA), "group_id", setGroup, groupB, internalA, staffRoom)
			})
			t.Run("PartnerUserNamingAForeignOrderGetsTheUnknownAnswer", func(t *testing.T) {
				sameAsUnknown(t, f.Ctx(f.UserA), "order_id", func(u *documents.UploadInput, id int) { u.OrderID = id }, o.ID)
			})
			t.Run("PartnerUserNamingAForeignShipmentGetsTheUnknownAnswer", func(t *testing.T) {
				sameAsUnknown(t, f.Ctx(f.UserA), "shipment_id", func(u *documents.UploadInput, id int) { u.ShipmentID = id }, sh.ID)
			})
			t.Run("StaffMayNotLinkAnotherPartnersGroupOrAnInternalOne", func(t *testing.T) {
				sameAsUnknown(t, buyer, "group_id", setGroup, groupB, internalA, staffRoom)
			})
			t.Run("OwnPartnerGroupLinks", func(t *testing.T) {
				for _, ctx := range []context.Context{f.Ctx(f.UserA), buyer} {
					doc, err := f.Docs.Upload(ctx, in(func(u *documents.UploadInput) { u.GroupID = groupA }), body(png, "image/png"))
					if err != nil || doc.GroupID == nil || *doc.GroupID != groupA {
						t.Fatalf("linked = %+v, %v", doc, err)
					}
				}
			})
		})
	}
}
