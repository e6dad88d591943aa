package partners_test

import (
	"slices"
	"testing"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// Search folds special letters as it folds accents, through the directory
// on every dialect, and finds what it found before.
func TestSearchFindsSpecialLetters(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			ctx := f.Ctx(f.Buyer)
			for i, name := range []string{"Weiß Antriebstechnik", "Straße", "Ørsted", "Łódź Metal", "Müller GmbH"} {
				if _, err := f.Dir.CreatePartner(ctx, directory.PartnerInput{Code: "F-" + string(rune('A'+i)), Name: name, Kind: "supplier"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.Dir.CreateContact(ctx, directory.ContactInput{PartnerID: f.PartnerB.ID, Name: "Jens Weiß", OwnerID: f.Buyer.ID}); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct{ q, want string }{
				{"weiss", "Weiß Antriebstechnik"},
				{"Weiß", "Weiß Antriebstechnik"},
				{"strasse", "Straße"},
				{"orsted", "Ørsted"},
				{"lodz", "Łódź Metal"},
				{"muller", "Müller GmbH"},
				{"华星", "华星精密"},
				{"huaxing", "华星精密"},
				{"hxjm", "华星精密"},
			} {
				page, err := f.Dir.ListPartners(ctx, directory.PartnerFilter{Q: tc.q})
				if err != nil {
					t.Fatal(err)
				}
				if got := partnerNames(page.Items); !slices.Equal(got, []string{tc.want}) {
					t.Errorf("q=%q found %q, want %q", tc.q, got, tc.want)
				}
			}
			cs, err := f.Dir.ListContacts(ctx, directory.ContactFilter{Q: "weiss"})
			if err != nil {
				t.Fatal(err)
			}
			if len(cs.Items) != 1 || cs.Items[0].Name != "Jens Weiß" {
				t.Errorf("contacts q=weiss found %+v", cs.Items)
			}
		})
	}
}

// Rows whose keys were computed before the folding are found once
// RefreshNameKeys has run; a second run changes nothing, and neither run
// touches updated_at.
func TestRefreshNameKeys(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			sys, ctx := f.System(), f.Ctx(f.Buyer)
			p, err := f.Dir.CreatePartner(ctx, directory.PartnerInput{Code: "W-1", Name: "Weiß Antriebstechnik", Kind: "supplier"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.Dir.CreateContact(ctx, directory.ContactInput{PartnerID: p.ID, Name: "Jens Weiß", OwnerID: f.Buyer.ID})
			if err != nil {
				t.Fatal(err)
			}
			// The keys as the code before the folding wrote them.
			db := f.DB.Client
			before, err := db.Partner.Get(sys, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Partner.UpdateOneID(p.ID).SetSortKey("weiß antriebstechnik").SetSearchText("weiß antriebstechnik | w-1").
				SetUpdatedAt(before.UpdatedAt).Exec(sys); err != nil {
				t.Fatal(err)
			}
			if err := db.Contact.UpdateOneID(c.ID).SetSortKey("jens weiß").SetSearchText("jens weiß").Exec(sys); err != nil {
				t.Fatal(err)
			}
			found := func() int {
				page, err := f.Dir.ListPartners(ctx, directory.PartnerFilter{Q: "weiss"})
				if err != nil {
					t.Fatal(err)
				}
				cs, err := f.Dir.ListContacts(ctx, directory.ContactFilter{Q: "weiss"})
				if err != nil {
					t.Fatal(err)
				}
				return len(page.Items) + len(cs.Items)
			}
			if n := found(); n != 0 {
				t.Fatalf("old keys found %d by weiss", n)
			}
			n, err := partners.RefreshNameKeys(sys, db)
			if err != nil || n != 2 {
				t.Fatalf("first run changed %d, %v; want 2", n, err)
			}
			if n := found(); n != 2 {
				t.Fatalf("after the refresh weiss finds %d, want the partner and the contact", n)
			}
			after, err := db.Partner.Get(sys, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.SortKey != partners.SortKey(p.Name) || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatalf("sort key %q, updated_at %v → %v", after.SortKey, before.UpdatedAt, after.UpdatedAt)
			}
			if n, err := partners.RefreshNameKeys(sys, db); err != nil || n != 0 {
				t.Fatalf("second run changed %d, %v; want 0", n, err)
			}
		})
	}
}

func partnerNames(ps []directory.Partner) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}
