package groups_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
)

// world is the fixture with a group per privacy situation.
type world struct {
	*partnerstest.Fixture
	A, B, Mixed, Internal, Lonely groups.Group
}

func newWorld(t *testing.T, d string) *world {
	t.Helper()
	f := partnerstest.New(t, d)
	w := &world{Fixture: f}
	b := f.Ctx(f.Buyer)
	mk := func(in groups.GroupInput) groups.Group {
		t.Helper()
		g, err := f.Groups.Create(b, in)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	w.A = mk(groups.GroupInput{Name: "华星 coordination", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID, f.ContactA2.ID}, UserIDs: []int{f.Buyer2.ID}})
	w.B = mk(groups.GroupInput{Name: "Bravo", Kind: "partner", PartnerID: f.PartnerB.ID, ContactIDs: []int{f.ContactB.ID}})
	w.Mixed = mk(groups.GroupInput{Name: "A and B", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID, f.ContactB.ID}})
	w.Internal = mk(groups.GroupInput{Name: "Quality on A", Kind: "internal", PartnerID: f.PartnerA.ID})
	w.Lonely = mk(groups.GroupInput{Name: "Staff room", Kind: "internal"})
	return w
}

func (w *world) publish(t *testing.T, number string) orders.Order {
	t.Helper()
	o, err := w.Orders.Create(w.Ctx(w.Buyer), orders.OrderInput{PartnerID: w.PartnerA.ID, Direction: "upstream", Number: number, Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("100"), UnitPrice: 1, RequiredDate: "2026-12-10"},
			{ItemCode: "B", Quantity: partnerstest.Qty("50"), UnitPrice: 1, RequiredDate: "2026-12-20"}}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = w.Orders.Publish(w.Ctx(w.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

func (w *world) feed(t *testing.T, ctx context.Context, g groups.Group) []groups.Post {
	t.Helper()
	p, err := w.Groups.Posts(ctx, g.ID, groups.PostFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func cards(ps []groups.Post, kind string) []groups.Post {
	var out []groups.Post
	for _, p := range ps {
		if p.Card != nil && p.Card.Kind == kind {
			out = append(out, p)
		}
	}
	return out
}

// Status about partner A goes only into groups whose external members
// all belong to A, and into internal groups following A.
func TestAutomaticStatusStaysWithinThePartner(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d)
			o := w.publish(t, "PO-G1")
			staff := w.Ctx(w.Buyer)
			for _, tc := range []struct {
				g    groups.Group
				want int
			}{{w.A, 1}, {w.Internal, 1}, {w.Mixed, 0}, {w.B, 0}, {w.Lonely, 0}} {
				got := cards(w.feed(t, staff, tc.g), groups.CardOrderAck)
				if len(got) != tc.want {
					t.Errorf("%s: %d order cards, want %d", tc.g.Name, len(got), tc.want)
				}
				for _, c := range got {
					if c.Card.SubjectID != o.ID || !strings.Contains(c.Body, "PO-G1") {
						t.Errorf("card = %+v", c)
					}
				}
			}
			if g, _ := w.Groups.Group(staff, w.Mixed.ID); g.ReceivesStatus {
				t.Error("a group with contacts of two partners claims to receive status")
			}
			// Partner B sees its own group and the mixed one it was
			// invited to, never A's group or A's posts.
			pb := w.Ctx(w.UserB)
			list, err := w.Groups.List(pb, groups.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range list.Items {
				names = append(names, g.Name)
			}
			if fmt.Sprint(names) != "[A and B Bravo]" {
				t.Errorf("partner B lists %v", names)
			}
			_, err = w.Groups.Group(pb, w.A.ID)
			partnerstest.WantCode(t, err, partners.ENotFound)
			_, err = w.Groups.Posts(pb, w.A.ID, groups.PostFilter{})
			partnerstest.WantCode(t, err, partners.ENotFound)
			_, err = w.Groups.Post(pb, w.A.ID, groups.PostInput{Body: "hello"})
			partnerstest.WantCode(t, err, partners.ENotFound)
			_, err = w.Groups.Members(pb, w.Internal.ID)
			partnerstest.WantCode(t, err, partners.ENotFound)
			// A removed member loses the group at once.
			ms, err := w.Groups.Members(staff, w.Mixed.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms.Items {
				if m.ContactID != nil && *m.ContactID == w.ContactB.ID {
					if err := w.Groups.RemoveMember(staff, w.Mixed.ID, m.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			_, err = w.Groups.Group(pb, w.Mixed.ID)
			partnerstest.WantCode(t, err, partners.ENotFound)
			if g, _ := w.Groups.Group(staff, w.Mixed.ID); !g.ReceivesStatus {
				t.Error("with B's contact gone, the group should follow A again")
			}
		})
	}
}

func TestGroupRules(t *testing.T) {
	w := newWorld(t, dialect.SQLite)
	b := w.Ctx(w.Buyer)
	_, err := w.Groups.Create(b, groups.GroupInput{Name: "x", Kind: "partner"})
	partnerstest.WantCode(t, err, partners.EInvalid)
	_, err = w.Groups.Create(b, groups.GroupInput{Name: "x", Kind: "internal", ContactIDs: []int{w.ContactA.ID}})
	partnerstest.WantCode(t, err, partners.EInvalid)
	_, err = w.Groups.Create(b, groups.GroupInput{Name: "x", Kind: "partner", PartnerID: w.PartnerA.ID, UserIDs: []int{w.UserA.ID}})
	partnerstest.WantCode(t, err, partners.EInvalid)
	_, err = w.Groups.Create(w.Ctx(w.Viewer), groups.GroupInput{Name: "x", Kind: "internal"})
	partnerstest.WantCode(t, err, partners.EForbidden)
	_, err = w.Groups.Create(w.Ctx(w.UserA), groups.GroupInput{Name: "x", Kind: "internal"})
	partnerstest.WantCode(t, err, partners.EForbidden)
	_, err = w.Groups.AddMember(b, w.A.ID, groups.MemberInput{ContactID: w.ContactA.ID})
	partnerstest.WantCode(t, err, partners.EConflict)
	_, err = w.Groups.AddMember(b, w.Lonely.ID, groups.MemberInput{ContactID: w.ContactA.ID})
	partnerstest.WantCode(t, err, partners.EInvalid)
	_, err = w.Groups.AddMember(b, w.A.ID, groups.MemberInput{UserID: 1, ContactID: 1})
	partnerstest.WantCode(t, err, partners.EInvalid)
	// Viewers read but do not write; partner users write only as members.
	_, err = w.Groups.Post(w.Ctx(w.Viewer), w.A.ID, groups.PostInput{Body: "hi"})
	partnerstest.WantCode(t, err, partners.EForbidden)
	_, err = w.Groups.Post(b, w.A.ID, groups.PostInput{})
	partnerstest.WantCode(t, err, partners.EInvalid)
	// Documents: only the group's partner's, and not in a mixed group.
	docB := upload(t, w, w.PartnerB.ID)
	_, err = w.Groups.Post(b, w.A.ID, groups.PostInput{Body: "see", DocumentIDs: []int{docB}})
	partnerstest.WantCode(t, err, partners.EInvalid)
	docA := upload(t, w, w.PartnerA.ID)
	_, err = w.Groups.Post(b, w.Mixed.ID, groups.PostInput{Body: "see", DocumentIDs: []int{docA}})
	partnerstest.WantCode(t, err, partners.EInvalid)
	p, err := w.Groups.Post(b, w.A.ID, groups.PostInput{Body: "drawing rev C", DocumentIDs: []int{docA}})
	if err != nil || len(p.Documents) != 1 || p.Documents[0].ID != docA {
		t.Fatalf("post with document = %+v, %v", p, err)
	}
}

func upload(t *testing.T, w *world, partnerID int) int {
	t.Helper()
	pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	doc, err := w.Docs.Upload(w.Ctx(w.Buyer), documents.UploadInput{PartnerID: partnerID, Kind: "drawing", Filename: "d.pdf"},
		documents.Body{R: bytes.NewReader(pdf), Size: int64(len(pdf)), ClaimedType: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	return doc.ID
}

// Cards act on real state, once: a double click or a second approver
// gets a conflict naming who acted and when; acting elsewhere closes the
// card too.
// TestCardsActOnce proves a card's action is taken once, by the side it
// belongs to, and that deciding elsewhere closes the card too.
func TestCardsActOnce(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d)
			o := w.publish(t, "PO-C1")
			pa := w.Ctx(w.UserA)
			ack := cards(w.feed(t, pa, w.A), groups.CardOrderAck)[0]
			act := func(ctx context.Context, id int, action string) func() error {
				return func() error { _, err := w.Groups.Act(ctx, id, groups.ActionInput{Action: action}); return err }
			}
			partnerstest.RunSteps(t, []partnerstest.Step{
				{Name: "AckCardOffersThePartnerOneAction", Run: func(t *testing.T) {
					if len(ack.Card.Actions) != 1 || ack.Card.Actions[0] != (groups.CardAction{Name: "acknowledge", Side: "partner"}) {
						t.Fatalf("actions = %+v", ack.Card.Actions)
					}
				}},
				{Name: "ErrBuyerCannotActForThePartner", Run: func(t *testing.T) {
					w.Refuses(t, partners.EForbidden, "", act(w.Ctx(w.Buyer), ack.ID, "acknowledge"))
				}},
				{Name: "ErrActionNotOnTheCard", Run: func(t *testing.T) {
					w.Refuses(t, partners.EInvalid, "action", act(pa, ack.ID, "approve"))
				}},
				{Name: "OtherPartnerGets404", Run: func(t *testing.T) {
					w.Refuses(t, partners.ENotFound, "", act(w.Ctx(w.UserB), ack.ID, "acknowledge"))
				}},
				{Name: "AcknowledgeAnswersTheOrder", Run: func(t *testing.T) {
					res, err := w.Groups.Act(pa, ack.ID, groups.ActionInput{Action: "acknowledge"})
					if err != nil || res.Card.Card.State != "done" || res.Card.Card.Outcome != "answered" || res.Card.Card.ActedBy != w.UserA.Name {
						t.Fatalf("act = %+v, %v", res, err)
					}
					if got, _ := w.Orders.Order(w.Ctx(w.Buyer), o.ID); got.Status != "acknowledged" {
						t.Fatalf("order status %s", got.Status)
					}
				}},
				{Name: "ErrSecondPressSaysWhoAnswered", Run: func(t *testing.T) {
					w.Refuses(t, partners.EConflict, "", func() error {
						err := act(pa, ack.ID, "acknowledge")()
						if err != nil && !strings.Contains(err.Error(), "already answered by "+w.UserA.Name+" at ") {
							t.Errorf("second press: %v", err)
						}
						return err
					})
				}},
				{Name: "InternalGroupCopyClosedToo", Run: func(t *testing.T) {
					if c := cards(w.feed(t, w.Ctx(w.Buyer), w.Internal), groups.CardOrderAck)[0]; c.Card.State != "done" {
						t.Fatalf("internal copy = %+v", c.Card)
					}
				}},
				{Name: "TwoApproversAtOnceOneWins", Run: func(t *testing.T) {
					o2 := w.publish(t, "PO-C2")
					if _, err := w.Orders.Acknowledge(pa, o2.ID, orders.AckInput{Lines: []orders.AckLine{
						{LineNo: 1, Action: "change", PromisedDate: "2026-12-15", Reason: "capacity"}, {LineNo: 2, Action: "accept"}}}); err != nil {
						t.Fatal(err)
					}
					cr := cards(w.feed(t, w.Ctx(w.Buyer), w.A), groups.CardChangeRequest)[0]
					var wg sync.WaitGroup
					errs := make([]error, 2)
					for i, u := range []accounts.User{w.Buyer, w.Buyer2} {
						wg.Add(1)
						go func() {
							defer wg.Done()
							errs[i] = act(w.Ctx(u), cr.ID, "approve")()
						}()
					}
					wg.Wait()
					ok, conflict := 0, 0
					for _, err := range errs {
						switch partners.ErrorCode(err) {
						case "":
							ok++
						case partners.EConflict:
							conflict++
							if !strings.Contains(err.Error(), "already approved by") {
								t.Errorf("loser sees %v", err)
							}
						default:
							t.Errorf("unexpected %v", err)
						}
					}
					if ok != 1 || conflict != 1 {
						t.Fatalf("two approvers: %d ok, %d conflicts (%v)", ok, conflict, errs)
					}
					got, _ := w.Orders.Order(w.Ctx(w.Buyer), o2.ID)
					if got.Revision != 2 || got.Lines[0].PromisedDate == nil {
						t.Fatalf("order after approval: %+v", got)
					}
				}},
				{Name: "DecidingOnTheOrderPageClosesTheCard", Run: func(t *testing.T) {
					o3 := w.publish(t, "PO-C3")
					if _, err := w.Orders.Acknowledge(pa, o3.ID, orders.AckInput{Lines: []orders.AckLine{
						{LineNo: 1, Action: "change", PromisedDate: "2026-12-18"}, {LineNo: 2, Action: "accept"}}}); err != nil {
						t.Fatal(err)
					}
					crs, _ := w.Orders.ChangeRequests(w.Ctx(w.Buyer), o3.ID, "open")
					if _, err := w.Orders.Decide(w.Ctx(w.Buyer2), crs[0].ID, orders.Decision{Decision: "reject", Reason: "no"}); err != nil {
						t.Fatal(err)
					}
					for _, c := range cards(w.feed(t, w.Ctx(w.Buyer), w.A), groups.CardChangeRequest) {
						if c.Card.SubjectID == crs[0].ID && (c.Card.State != "done" || c.Card.Outcome != "rejected" || c.Card.ActedBy != w.Buyer2.Name) {
							t.Fatalf("card after decision elsewhere: %+v", c.Card)
						}
					}
					// The rejected lines need a new answer: a fresh card says so.
					var open int
					for _, c := range cards(w.feed(t, pa, w.A), groups.CardOrderAck) {
						if c.Card.SubjectID == o3.ID && c.Card.State == "open" {
							open++
						}
					}
					if open != 1 {
						t.Fatalf("%d open acknowledgement cards for the sent-back order", open)
					}
				}},
			})
		})
	}
}

func TestReceiptCard(t *testing.T) {
	w := newWorld(t, dialect.SQLite)
	o := w.publish(t, "PO-R1")
	pa := w.Ctx(w.UserA)
	sh, err := w.Shipments.Create(pa, shipments.Input{PartnerID: w.PartnerA.ID, ETA: "2026-12-08",
		Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("60")}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindDelivered} {
		if _, err := w.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: k}); err != nil {
			t.Fatal(err)
		}
	}
	rc := cards(w.feed(t, pa, w.A), groups.CardReceipt)
	if len(rc) != 1 || rc[0].Card.Actions[0].Side != "staff" {
		t.Fatalf("receipt cards = %+v", rc)
	}
	_, err = w.Groups.Act(pa, rc[0].ID, groups.ActionInput{Action: "confirm_receipt"})
	partnerstest.WantCode(t, err, partners.EForbidden)
	res, err := w.Groups.Act(w.Ctx(w.Buyer), rc[0].ID, groups.ActionInput{Action: "confirm_receipt"})
	if err != nil || res.Card.Card.Outcome != "received" {
		t.Fatalf("confirm = %+v, %v", res, err)
	}
	got, _ := w.Shipments.Shipment(w.Ctx(w.Buyer), sh.ID)
	if got.Status != "received" || got.Lines[0].Received != partnerstest.Qty("60") {
		t.Fatalf("shipment after receipt: %+v", got)
	}
}

// The first partner reply after staff posts is recorded, for the
// scorecards.
func TestReplyTracking(t *testing.T) {
	w := newWorld(t, dialect.SQLite)
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	w.Groups.SetClock(func() time.Time { return clock })
	b := w.Ctx(w.Buyer)
	q1, err := w.Groups.Post(b, w.A.ID, groups.PostInput{Body: "@刘洋 when does PO-1 ship?"})
	if err != nil {
		t.Fatal(err)
	}
	if len(q1.Mentions) != 1 || q1.Mentions[0].Type != "contact" || q1.Mentions[0].ID != w.ContactA.ID {
		t.Fatalf("mentions = %+v", q1.Mentions)
	}
	clock = clock.Add(40 * time.Minute)
	if _, err := w.Groups.Post(w.Ctx(w.UserA), w.A.ID, groups.PostInput{Body: "Friday"}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	if _, err := w.Groups.Post(w.Ctx(w.UserA), w.A.ID, groups.PostInput{Body: "and the rest Monday"}); err != nil {
		t.Fatal(err)
	}
	feed := w.feed(t, b, w.A)
	for _, p := range feed {
		if p.ID == q1.ID {
			if p.RepliedAt == nil || !p.RepliedAt.Equal(time.Date(2026, 12, 1, 9, 40, 0, 0, time.UTC)) {
				t.Fatalf("replied_at = %v, want the first reply's time", p.RepliedAt)
			}
			return
		}
	}
	t.Fatal("question not in feed")
}

func TestOwnershipMovesWithTheLedger(t *testing.T) {
	w := newWorld(t, dialect.SQLite)
	b := w.Ctx(w.Buyer)
	// Handing over one of A's two contacts keeps the group; the second
	// moves it.
	if _, err := w.Dir.Transfer(b, directory.TransferInput{ContactIDs: []int{w.ContactA.ID}, ToOwnerID: w.Buyer2.ID}); err != nil {
		t.Fatal(err)
	}
	if g, _ := w.Groups.Group(b, w.A.ID); g.OwnerID != w.Buyer.ID {
		t.Fatalf("moved too early: owner %d", g.OwnerID)
	}
	if _, err := w.Dir.Transfer(b, directory.TransferInput{ContactIDs: []int{w.ContactA2.ID}, ToOwnerID: w.Buyer2.ID}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []groups.Group{w.A, w.Mixed, w.Internal} {
		if got, _ := w.Groups.Group(b, g.ID); got.OwnerID != w.Buyer2.ID {
			t.Errorf("%s owner %d, want buyer2", g.Name, got.OwnerID)
		}
	}
	// A leaver's remaining groups (the staff room) go to the heir.
	admin := w.Ctx(w.Admin)
	_, err := w.Acc.Deactivate(admin, w.Buyer.ID, accounts.DeactivateInput{})
	partnerstest.WantCode(t, err, partners.EConflict)
	if _, err := w.Acc.Deactivate(admin, w.Buyer.ID, accounts.DeactivateInput{HeirID: w.Buyer2.ID}); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.Groups.Group(admin, w.Lonely.ID); got.OwnerID != w.Buyer2.ID {
		t.Fatalf("staff room owner %d", got.OwnerID)
	}
}

func TestParseMentions(t *testing.T) {
	ms := []groups.Mention{{Type: "user", ID: 1, Name: "Bo"}, {Type: "user", ID: 2, Name: "Bo Buyer"},
		{Type: "contact", ID: 3, Name: "刘洋"}, {Type: "contact", ID: 4, Name: "Brian Bravo"}}
	for _, tc := range []struct {
		text string
		want string
	}{
		{"@Bo Buyer please check", "[2]"},
		{"@bo, thanks", "[1]"},
		{"@Bob hi", "[]"},
		{"@刘洋请确认 and @Brian Bravo", "[3 4]"},
		{"mail bo@Bo.com", "[]"},
		{"@刘洋 @刘洋", "[3]"},
		{"@", "[]"},
		{"@@Bo", "[1]"},
	} {
		ids := []int{}
		for _, m := range groups.ParseMentions(tc.text, ms) {
			ids = append(ids, m.ID)
		}
		if got := fmt.Sprint(ids); got != tc.want {
			t.Errorf("ParseMentions(%q) = %v, want %s", tc.text, got, tc.want)
		}
	}
}

// A stream resumed from its last feed number gets every change once, in
// order, while posts and card changes keep arriving from several
// writers.
func TestStreamResumesWithoutGapOrDuplicate(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d)
			ctx := w.Ctx(w.Buyer)
			hub := w.Groups.Hub()
			const writers, each = 4, 30
			var wg sync.WaitGroup
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range each {
						if _, err := w.Groups.Post(ctx, w.A.ID, groups.PostInput{Body: fmt.Sprintf("w%d-%d", i, j)}); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			var seen []int64
			var last int64
			// Three stream sessions, each cut off after a while and
			// resumed from the last number it delivered.
			deadline := time.After(60 * time.Second)
			for session := 0; session < 3 || last < int64(writers*each); session++ {
				sub, err := hub.Subscribe(ctx, w.A.ID)
				if err != nil {
					t.Fatal(err)
				}
				replay, err := w.Groups.Since(ctx, w.A.ID, last, 500)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range replay {
					seen = append(seen, p.Seq)
					last = p.Seq
				}
				cut := time.After(20 * time.Millisecond)
			live:
				for {
					select {
					case ev := <-sub.C:
						if ev.Seq <= last {
							continue
						}
						var p groups.Post
						if err := json.Unmarshal(ev.Data, &p); err != nil || p.Seq != ev.Seq {
							t.Fatalf("event %d: %v", ev.Seq, err)
						}
						seen = append(seen, ev.Seq)
						last = ev.Seq
					case <-cut:
						break live
					case <-deadline:
						t.Fatalf("stalled at %d", last)
					}
				}
				hub.Unsubscribe(sub)
			}
			wg.Wait()
			if len(seen) != writers*each {
				t.Fatalf("saw %d changes, want %d: %v", len(seen), writers*each, seen)
			}
			for i, s := range seen {
				if s != int64(i+1) {
					t.Fatalf("change %d has number %d: gap or duplicate", i, s)
				}
			}
		})
	}
}

// A group's members and bridges page by id: two at a time they serve
// every row once, and a hidden group stays hidden.
func TestMembersAndBridgesPage(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d)
			b := w.Ctx(w.Buyer)
			for _, u := range []accounts.User{w.Admin, w.Viewer} {
				if _, err := w.Groups.AddMember(b, w.A.ID, groups.MemberInput{UserID: u.ID}); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 3; i++ {
				if _, err := w.Groups.CreateBridge(b, w.A.ID, groups.BridgeInput{Kind: "webhook", Name: fmt.Sprint("ERP ", i), URL: "http://127.0.0.1:9/hook"}); err != nil {
					t.Fatal(err)
				}
			}
			all, err := w.Groups.Members(b, w.A.ID)
			if err != nil || len(all.Items) < 5 {
				t.Fatalf("members %+v, %v", all.Items, err)
			}
			var paged []int
			cursor := ""
			for pages := 0; ; pages++ {
				p, err := w.Groups.ListMembers(b, w.A.ID, groups.MemberFilter{Limit: 2, Cursor: cursor})
				if err != nil || len(p.Items) > 2 || pages > 10 {
					t.Fatalf("members page %d: %+v, %v", pages, p.Items, err)
				}
				for _, m := range p.Items {
					paged = append(paged, m.ID)
				}
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if len(paged) != len(all.Items) {
				t.Fatalf("members paged %v, all %+v", paged, all.Items)
			}
			for i, m := range all.Items {
				if paged[i] != m.ID {
					t.Fatalf("members paged %v, all %+v", paged, all.Items)
				}
			}
			var bridges []string
			cursor = ""
			for pages := 0; ; pages++ {
				p, err := w.Groups.Bridges(b, w.A.ID, groups.BridgeFilter{Limit: 2, Cursor: cursor})
				if err != nil || len(p.Items) > 2 || pages > 10 {
					t.Fatalf("bridges page %d: %+v, %v", pages, p.Items, err)
				}
				for _, br := range p.Items {
					bridges = append(bridges, br.Name)
				}
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if strings.Join(bridges, ",") != "ERP 0,ERP 1,ERP 2" {
				t.Fatalf("bridges paged %v", bridges)
			}
			_, err = w.Groups.ListMembers(w.Ctx(w.UserB), w.A.ID, groups.MemberFilter{})
			partnerstest.WantCode(t, err, partners.ENotFound)
			_, err = w.Groups.ListMembers(b, w.A.ID, groups.MemberFilter{Cursor: "*"})
			partnerstest.WantCode(t, err, partners.EInvalid)
			_, err = w.Groups.Bridges(b, w.A.ID, groups.BridgeFilter{Limit: 500})
			partnerstest.WantCode(t, err, partners.EInvalid)
		})
	}
}
