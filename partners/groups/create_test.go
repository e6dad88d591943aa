package groups_test

import (
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// A new partner group may start with every contact of its partner: the
// API and the pages ask for it the same way, with all_contacts.
func TestCreateWithAllContacts(t *testing.T) {
	w := newWorld(t, dialect.SQLite)
	b := w.Ctx(w.Buyer)
	t.Run("OK", func(t *testing.T) {
		g, err := w.Groups.Create(b, groups.GroupInput{Name: "all of A", Kind: "partner", PartnerID: w.PartnerA.ID,
			ContactIDs: []int{w.ContactA2.ID}, AllContacts: true})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := w.Groups.Members(b, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int]int{}
		for _, m := range ms.Items {
			if m.ContactID != nil {
				got[*m.ContactID]++
			}
		}
		if len(got) != 2 || got[w.ContactA.ID] != 1 || got[w.ContactA2.ID] != 1 {
			t.Fatalf("contact members = %v, want A's two contacts once each", got)
		}
	})
	t.Run("ErrInternalGroup", func(t *testing.T) {
		_, err := w.Groups.Create(b, groups.GroupInput{Name: "staff room", Kind: "internal", AllContacts: true})
		partnerstest.WantCode(t, err, partners.EInvalid)
	})
}
