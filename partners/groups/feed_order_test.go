package groups_test

import (
	"strings"
	"testing"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
)

// A card that changes after a later post keeps its place: the feed is in
// the order posts were written, and the card names who acted by name.
func TestFeedKeepsWrittenOrderWhenACardChanges(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d)
			o := w.publish(t, "PO-ORD1")
			pa := w.Ctx(w.UserA)
			msg, err := w.Groups.Post(w.Ctx(w.Buyer), w.A.ID, groups.PostInput{Body: "please confirm"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Orders.Acknowledge(pa, o.ID, orders.AckInput{Lines: []orders.AckLine{
				{LineNo: 1, Action: "accept"}, {LineNo: 2, Action: "accept"}}}); err != nil {
				t.Fatal(err)
			}
			ps := w.feed(t, w.Ctx(w.Buyer), w.A) // newest first
			pos := map[int]int{}
			for i, p := range ps {
				pos[p.ID] = i
			}
			card := cards(ps, groups.CardOrderAck)[0]
			if card.Card.State != "done" {
				t.Fatalf("card not closed: %+v", card.Card)
			}
			if pos[card.ID] <= pos[msg.ID] {
				t.Errorf("card (written first, changed last) at %d, later message at %d: card above the post written after it", pos[card.ID], pos[msg.ID])
			}
			for i := 1; i < len(ps); i++ {
				if ps[i-1].ID < ps[i].ID {
					t.Errorf("feed not newest-written first at %d: %d before %d", i, ps[i-1].ID, ps[i].ID)
				}
			}
			t.Run("ActorsByName", func(t *testing.T) {
				if card.Card.ActedBy != w.UserA.Name {
					t.Errorf("acted by %q, want %q", card.Card.ActedBy, w.UserA.Name)
				}
				for _, p := range ps {
					if strings.Contains(p.Body, w.UserA.Email) {
						t.Errorf("post %d shows an e-mail: %q", p.ID, p.Body)
					}
				}
			})
			t.Run("CursorPagesByWrittenOrder", func(t *testing.T) {
				first, err := w.Groups.Posts(w.Ctx(w.Buyer), w.A.ID, groups.PostFilter{Limit: 1})
				if err != nil || first.NextCursor == "" {
					t.Fatalf("page 1 = %+v, %v", first, err)
				}
				rest, err := w.Groups.Posts(w.Ctx(w.Buyer), w.A.ID, groups.PostFilter{Limit: 500, Cursor: first.NextCursor})
				if err != nil {
					t.Fatal(err)
				}
				if len(rest.Items)+1 != len(ps) || rest.Items[0].ID != ps[1].ID {
					t.Errorf("page 2 has %d items starting %d; want %d starting %d", len(rest.Items), rest.Items[0].ID, len(ps)-1, ps[1].ID)
				}
			})
		})
	}
}

// A change-request card says what is asked: line, old → new, reason.
func TestChangeRequestCardSaysWhatChanges(t *testing.T) {
	w := newWorld(t, "sqlite3")
	o := w.publish(t, "PO-CHG1")
	pa := w.Ctx(w.UserA)
	if _, err := w.Orders.Acknowledge(pa, o.ID, orders.AckInput{Lines: []orders.AckLine{
		{LineNo: 1, Action: "change", PromisedDate: "2026-12-15", Reason: "capacity"}, {LineNo: 2, Action: "accept"}}}); err != nil {
		t.Fatal(err)
	}
	crs := cards(w.feed(t, w.Ctx(w.Buyer), w.A), groups.CardChangeRequest)
	if len(crs) != 1 {
		t.Fatalf("%d change-request cards", len(crs))
	}
	want := []groups.CardChange{{LineNo: 1, ItemCode: "A", Field: "promised_date", Old: "2026-12-10", New: "2026-12-15", Reason: "capacity"}}
	if got := crs[0].Card.Changes; len(got) != 1 || got[0] != want[0] {
		t.Fatalf("changes = %+v, want %+v", got, want)
	}
}
