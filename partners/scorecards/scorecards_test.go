package scorecards_test

import (
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/shipments"
)

type clock struct{ t atomic.Value }

func (c *clock) now() time.Time  { return c.t.Load().(time.Time) }
func (c *clock) set(t time.Time) { c.t.Store(t) }

func near(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-6 {
		if got == nil {
			t.Errorf("%s = no data, want %v", name, want)
			return
		}
		t.Errorf("%s = %v, want %v", name, *got, want)
	}
}

func noData(t *testing.T, name string, got *float64) {
	t.Helper()
	if got != nil {
		t.Errorf("%s = %v, want no data", name, *got)
	}
}

var nov = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC) // a Monday

// newWorld is the fixture with its orders, shipments and groups on one
// settable clock, set to nov.
func newWorld(t *testing.T, d string) (*partnerstest.Fixture, *clock) {
	t.Helper()
	f := partnerstest.New(t, d)
	c := &clock{}
	c.set(nov)
	f.Orders.SetClock(c.now)
	f.Shipments.SetClock(c.now)
	f.Groups.SetClock(c.now)
	return f, c
}

// publishOne publishes to partner A an order of one line of 10, due
// 10 December, at the clock's time.
func publishOne(t *testing.T, f *partnerstest.Fixture, number string) orders.Order {
	t.Helper()
	b := f.Ctx(f.Buyer)
	o, err := f.Orders.Create(b, orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: number, Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: "2026-12-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = f.Orders.Publish(b, o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

// accept has partner A accept an order's one line.
func accept(t *testing.T, f *partnerstest.Fixture, o orders.Order) {
	t.Helper()
	if _, err := f.Orders.Acknowledge(f.Ctx(f.UserA), o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}}}); err != nil {
		t.Fatal(err)
	}
}

// The acknowledgement figures and the change rate on a hand-computed
// fixture: answered in 2 h and 30 h (median 2, p90 30), one order still
// open past its 24 h SLA (a miss), one still within it (not counted).
func TestAcknowledgementFormulas(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f, c := newWorld(t, d)
			pa := f.Ctx(f.UserA)
			publish := func(number string, at time.Time) orders.Order {
				t.Helper()
				c.set(at)
				return publishOne(t, f, number)
			}
			answer := func(o orders.Order, at time.Time, action orders.AckAction) {
				t.Helper()
				c.set(at)
				l := orders.AckLine{LineNo: 1, Action: action}
				if action == "change" {
					l.PromisedDate = "2026-12-28"
				}
				if _, err := f.Orders.Acknowledge(pa, o.ID, orders.AckInput{Lines: []orders.AckLine{l}}); err != nil {
					t.Fatal(err)
				}
			}
			o1 := publish("PO-1", nov)
			answer(o1, nov.Add(2*time.Hour), "accept")
			o2 := publish("PO-2", nov.Add(24*time.Hour))
			answer(o2, nov.Add(54*time.Hour), "change")
			publish("PO-3", nov.Add(48*time.Hour))
			end := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC)
			publish("PO-4", end.Add(-2*time.Hour))

			svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
			p, _ := scorecards.PeriodOf(scorecards.Month, nov, time.UTC)
			got, err := svc.Compute(f.System(), p, end)
			if err != nil {
				t.Fatal(err)
			}
			m := got[f.PartnerA.ID]
			if m == nil {
				t.Fatalf("no metrics for A: %+v", got)
			}
			near(t, "median", m.AckMedianHours, 2)
			near(t, "p90", m.AckP90Hours, 30)
			near(t, "within SLA", m.AckWithinSLA.Value, 1.0/3)
			near(t, "change rate", m.ChangeRate.Value, 0.5)
			// PO-3 and PO-4 still wait; PO-3 since 2 Nov 09:00 + 48 h.
			if m.OpenOrders != 2 {
				t.Errorf("open orders %d", m.OpenOrders)
			}
			near(t, "oldest open", m.OldestOpenHours, end.Sub(nov.Add(48*time.Hour)).Hours())
			if _, ok := got[f.PartnerB.ID]; ok {
				t.Errorf("B has metrics without any business: %+v", got[f.PartnerB.ID])
			}
			// An empty period is no data, not 0% or 100%.
			prev, err := svc.Compute(f.System(), p.Prev(), p.Start)
			if err != nil || len(prev) != 0 {
				t.Fatalf("October: %+v %v", prev, err)
			}
		})
	}
}

// On-time-in-full on hand-computed lines: a split receipt summed, an
// over-delivery capped, a late receipt counted in full but not on time.
func TestOTIFFormulas(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f, c := newWorld(t, d)
			b, pa := f.Ctx(f.Buyer), f.Ctx(f.UserA)
			o, err := f.Orders.Create(b, orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-OTIF", Currency: "CNY",
				Lines: []orders.LineInput{
					{ItemCode: "SPLIT", Quantity: partnerstest.Qty("100"), UnitPrice: 1, RequiredDate: "2026-11-10"},
					{ItemCode: "OVER", Quantity: partnerstest.Qty("50"), UnitPrice: 1, RequiredDate: "2026-11-10"},
					{ItemCode: "LATE", Quantity: partnerstest.Qty("50"), UnitPrice: 1, RequiredDate: "2026-11-10"},
				}})
			if err != nil {
				t.Fatal(err)
			}
			f.Orders.Publish(b, o.ID)
			f.Orders.Acknowledge(pa, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}, {LineNo: 2, Action: "accept"}, {LineNo: 3, Action: "accept"}}})
			f.DB.Client.Partner.UpdateOneID(f.PartnerA.ID).SetOverDeliveryPct(20).ExecX(f.System())
			ship := func(at time.Time, lines map[int]string) {
				t.Helper()
				c.set(at)
				var in []shipments.LineInput
				for no, q := range lines {
					in = append(in, shipments.LineInput{OrderID: o.ID, LineNo: no, Quantity: partnerstest.Qty(q)})
				}
				sh, err := f.Shipments.Create(pa, shipments.Input{PartnerID: f.PartnerA.ID, Lines: in})
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindDelivered} {
					if _, err := f.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: k}); err != nil {
						t.Fatal(err)
					}
				}
				var rc []shipments.Received
				for _, l := range sh.Lines {
					rc = append(rc, shipments.Received{LineID: l.ID, Quantity: l.Quantity})
				}
				if _, err := f.Shipments.AddEvent(b, sh.ID, shipments.EventInput{Kind: "received", Received: rc}); err != nil {
					t.Fatal(err)
				}
			}
			ship(time.Date(2026, 11, 8, 10, 0, 0, 0, time.UTC), map[int]string{1: "60", 2: "55"})
			ship(time.Date(2026, 11, 10, 23, 0, 0, 0, time.UTC), map[int]string{1: "40"}) // the due day itself: on time
			ship(time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC), map[int]string{3: "50"}) // late
			svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
			p, _ := scorecards.PeriodOf(scorecards.Month, nov, time.UTC)
			got, err := svc.Compute(f.System(), p, p.End)
			if err != nil {
				t.Fatal(err)
			}
			m := got[f.PartnerA.ID]
			// Ordered 200. On time: 100 (split) + 50 (55 capped) + 0 = 150.
			// Received, capped: 100 + 50 + 50 = 200.
			near(t, "OTIF", m.OTIF.Value, 150.0/200)
			near(t, "in full", m.InFull.Value, 1)
			near(t, "on time", m.OnTime.Value, 150.0/200)
			// Every notice was typed in as the goods left, and each
			// arrived at once: no advance notice, nothing ever stale.
			near(t, "notice ahead", m.NoticeAhead.Value, 0)
			near(t, "notice lead", m.NoticeLeadHours, 0)
			near(t, "freshness", m.Freshness.Value, 1)
			want := map[string]int{"early_1_2": 1, "on_day": 1, "late_1_2": 1}
			if len(m.PromiseDays) != len(want) {
				t.Errorf("promise days %v, want %v", m.PromiseDays, want)
			}
			for k, v := range want {
				if m.PromiseDays[k] != v {
					t.Errorf("promise days %v, want %v", m.PromiseDays, want)
				}
			}
		})
	}
}

// A reply is "same day" by the partner's calendar: a message at 23:50 in
// Shanghai answered at 23:58 counts; one answered at 00:05 the next day
// does not, though both came within minutes.
func TestRepliesByThePartnersMidnight(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f, c := newWorld(t, d)
			b := f.Ctx(f.Buyer)
			g, err := f.Groups.Create(b, groups.GroupInput{Name: "A", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID}})
			if err != nil {
				t.Fatal(err)
			}
			sh, _ := time.LoadLocation("Asia/Shanghai") // partner A's zone
			post := func(at time.Time, ctxUser string) {
				t.Helper()
				c.set(at)
				ctx := b
				if ctxUser == "partner" {
					ctx = f.Ctx(f.UserA)
				}
				if _, err := f.Groups.Post(ctx, g.ID, groups.PostInput{Body: "x"}); err != nil {
					t.Fatal(err)
				}
			}
			post(time.Date(2026, 11, 5, 23, 50, 0, 0, sh), "staff")
			post(time.Date(2026, 11, 5, 23, 58, 0, 0, sh), "partner")
			post(time.Date(2026, 11, 6, 23, 50, 0, 0, sh), "staff")
			post(time.Date(2026, 11, 7, 0, 5, 0, 0, sh), "partner")
			post(time.Date(2026, 11, 9, 10, 0, 0, 0, sh), "staff") // never answered
			svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
			p, _ := scorecards.PeriodOf(scorecards.Month, nov, time.UTC)
			got, err := svc.Compute(f.System(), p, p.End)
			if err != nil {
				t.Fatal(err)
			}
			m := got[f.PartnerA.ID]
			if m == nil {
				t.Fatal("no metrics")
			}
			near(t, "same-day replies", m.Replies.Value, 1.0/3)
			card, err := svc.Card(b, f.PartnerA.ID, scorecards.CardQuery{}, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			for _, ct := range card.Contacts {
				if ct.ContactID == f.ContactA.ID && (ct.Replies != 2 || ct.FirstReplyHours == nil) {
					t.Errorf("刘洋's replies %+v", ct)
				}
			}
			near(t, "first reply hours", m.FirstReplyHours, (8.0+15.0)/2/60)
			noData(t, "OTIF", m.OTIF.Value)
		})
	}
}

// Freshness and notice lead on a hand-computed pair: one shipment silent
// for four days on its way (stale), one updated daily and announced a day
// ahead (fresh, ahead).
func TestFreshnessAndNotice(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f, c := newWorld(t, d)
			pa := f.Ctx(f.UserA)
			o := publishOne(t, f, "PO-F")
			accept(t, f, o)
			day := func(n, h int) time.Time { return time.Date(2026, 11, n, h, 0, 0, 0, time.UTC) }
			run := func(created time.Time, events ...struct {
				k  shipmentevent.Kind
				at time.Time
			}) {
				t.Helper()
				c.set(created)
				sh, err := f.Shipments.Create(pa, shipments.Input{PartnerID: f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("5")}}})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range events {
					c.set(e.at)
					if _, err := f.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: e.k}); err != nil {
						t.Fatal(err)
					}
				}
			}
			type ev = struct {
				k  shipmentevent.Kind
				at time.Time
			}
			run(day(3, 8), ev{"shipped", day(3, 8)}, ev{"in_transit", day(4, 8)}, ev{"delivered", day(8, 8)})
			run(day(4, 8), ev{"shipped", day(5, 8)}, ev{"in_transit", day(6, 8)}, ev{"in_transit", day(7, 8)}, ev{"delivered", day(8, 8)})
			svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
			p, _ := scorecards.PeriodOf(scorecards.Month, nov, time.UTC)
			got, err := svc.Compute(f.System(), p, p.End)
			if err != nil {
				t.Fatal(err)
			}
			m := got[f.PartnerA.ID]
			near(t, "freshness", m.Freshness.Value, 0.5)
			near(t, "notice ahead", m.NoticeAhead.Value, 0.5)
			near(t, "notice lead", m.NoticeLeadHours, (5*24.0+4*24.0)/2)
		})
	}
}

// A closed period is snapshotted once and then stays as it was when old
// data is corrected, until a recompute is asked for.
func TestSnapshotsHoldHistory(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f, c := newWorld(t, d)
			b := f.Ctx(f.Buyer)
			o := publishOne(t, f, "PO-S")
			svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
			dec1 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
			n, err := svc.SnapshotClosed(f.System(), dec1)
			if err != nil || n == 0 {
				t.Fatalf("snapshots %d %v", n, err)
			}
			if again, _ := svc.SnapshotClosed(f.System(), dec1); again != 0 {
				t.Fatalf("%d periods snapshotted twice", again)
			}
			p, _ := scorecards.PeriodOf(scorecards.Month, nov, time.UTC)
			m, err := svc.Stored(f.Ctx(f.UserA), f.PartnerA.ID, p)
			if err != nil || m == nil {
				t.Fatalf("stored %v %v", m, err)
			}
			near(t, "within SLA (open past SLA)", m.AckWithinSLA.Value, 0)
			// The order is answered late, in December, "correcting" November.
			c.set(time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC))
			accept(t, f, o)
			m, _ = svc.Stored(b, f.PartnerA.ID, p)
			near(t, "snapshot unchanged", m.AckWithinSLA.Value, 0)
			if _, err := svc.Snapshot(f.System(), p); err != nil {
				t.Fatal(err)
			}
			m, _ = svc.Stored(b, f.PartnerA.ID, p)
			near(t, "after recompute", m.AckWithinSLA.Value, 1)
			// Partner B reads nothing of A's.
			if m, err := svc.Stored(f.Ctx(f.UserB), f.PartnerA.ID, p); err != nil || m != nil {
				t.Fatalf("B read A's snapshot: %+v %v", m, err)
			}
		})
	}
}

// The ranking sorts best first with no data last in either direction,
// and a partner user sees its own row and nothing else.
func TestRankingAndCards(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f, c := newWorld(t, d)
			b, pa := f.Ctx(f.Buyer), f.Ctx(f.UserA)
			o := publishOne(t, f, "PO-R")
			c.set(nov.Add(time.Hour))
			accept(t, f, o)
			svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
			now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
			r, err := svc.Rank(b, scorecards.RankFilter{}, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Items) != 2 || r.Items[0].PartnerID != f.PartnerA.ID || r.Items[0].Score == nil || *r.Items[0].Score != 100 ||
				r.Items[1].Score != nil || r.Items[0].Standing != "excellent" {
				t.Fatalf("ranking %+v", r.Items)
			}
			r, _ = svc.Rank(b, scorecards.RankFilter{Sort: "score"}, now)
			if r.Items[0].PartnerID != f.PartnerA.ID {
				t.Fatalf("ascending puts no data first: %+v", r.Items)
			}
			if r, _ := svc.Rank(f.Ctx(f.UserB), scorecards.RankFilter{}, now); len(r.Items) != 1 || r.Items[0].PartnerID != f.PartnerB.ID {
				t.Fatalf("partner B's ranking %+v", r.Items)
			}
			card, err := svc.Card(pa, f.PartnerA.ID, scorecards.CardQuery{}, now)
			if err != nil || len(card.Trend) != 12 || card.Period != "2026-11" || card.Trend[11].Score == nil || card.Trend[10].Score != nil {
				t.Fatalf("card %+v %v", card, err)
			}
			// Another partner's card does not exist for B; reading stores nothing.
			f.Refuses(t, partners.ENotFound, "", func() error {
				_, err := svc.Card(f.Ctx(f.UserB), f.PartnerA.ID, scorecards.CardQuery{}, now)
				return err
			})
			// Per contact: 刘洋 (user A's contact) answered the order in an
			// hour; 孙丽 did nothing — zeros and no data, not 100%.
			if len(card.Contacts) != 2 {
				t.Fatalf("contacts %+v", card.Contacts)
			}
			for _, ct := range card.Contacts {
				switch ct.ContactID {
				case f.ContactA.ID:
					near(t, "answer hours", ct.AnswerHours, 1)
					if ct.Answers != 1 {
						t.Errorf("answers %d", ct.Answers)
					}
				case f.ContactA2.ID:
					if ct.Answers != 0 || ct.AnswerHours != nil || ct.FirstReplyHours != nil {
						t.Errorf("idle contact %+v", ct)
					}
				}
			}
			// Supervisors see each owner's portfolio, pooled.
			ow, err := svc.Owners(b, scorecards.OwnerFilter{}, now)
			if err != nil || len(ow.Items) != 2 || ow.Items[0].Name != "Bo Buyer" || ow.Items[0].Contacts != 2 || ow.Items[0].ActivePartners != 1 ||
				ow.Items[1].Contacts != 1 || ow.Items[1].AckWithinSLA.Value != nil {
				t.Fatalf("owners %+v %v", ow.Items, err)
			}
			near(t, "Bo's acknowledgements", ow.Items[0].AckWithinSLA.Value, 1)
			f.Refuses(t, partners.EForbidden, "", func() error {
				_, err := svc.Owners(pa, scorecards.OwnerFilter{}, now)
				return err
			})
		})
	}
}

// The ranking and the owners' view page by offset over one stable order:
// paged two at a time they serve what one page serves, each row once,
// namesakes included.
func TestRankingAndOwnersPage(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			sys := f.System()
			for i, owner := range []accounts.User{f.Admin, f.Viewer, f.Buyer2, f.Admin, f.Viewer} {
				p, err := f.Dir.CreatePartner(sys, directory.PartnerInput{Code: fmt.Sprint("SAME-", i), Name: "Same Name", Kind: "customer"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Dir.CreateContact(sys, directory.ContactInput{PartnerID: p.ID, Name: "C", OwnerID: owner.ID}); err != nil {
					t.Fatal(err)
				}
			}
			svc := scorecards.New(f.DB.Client, f.DB.Dialect, time.UTC)
			now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
			b := f.Ctx(f.Buyer)
			for _, sort := range []string{"", "name", "-otif"} {
				all, err := svc.Rank(b, scorecards.RankFilter{Sort: sort, Limit: 200}, now)
				if err != nil || len(all.Items) != 7 || all.NextCursor != "" {
					t.Fatalf("one page: %d rows, %q, %v", len(all.Items), all.NextCursor, err)
				}
				var paged []int
				cursor := ""
				for pages := 0; ; pages++ {
					r, err := svc.Rank(b, scorecards.RankFilter{Sort: sort, Limit: 2, Cursor: cursor}, now)
					if err != nil || len(r.Items) > 2 || r.Period != all.Period || pages > 10 {
						t.Fatalf("page %d: %d rows, period %q, %v", pages, len(r.Items), r.Period, err)
					}
					for _, c := range r.Items {
						paged = append(paged, c.PartnerID)
					}
					if cursor = r.NextCursor; cursor == "" {
						break
					}
				}
				if len(paged) != len(all.Items) {
					t.Fatalf("sort %q: paged %v, one page has %d", sort, paged, len(all.Items))
				}
				for i, c := range all.Items {
					if paged[i] != c.PartnerID {
						t.Fatalf("sort %q: paged %v differs from one page at %d", sort, paged, i)
					}
				}
			}
			all, err := svc.Owners(b, scorecards.OwnerFilter{Limit: 200}, now)
			if err != nil || len(all.Items) != 4 {
				t.Fatalf("owners: %+v, %v", all.Items, err)
			}
			var paged []int
			cursor := ""
			for pages := 0; ; pages++ {
				ow, err := svc.Owners(b, scorecards.OwnerFilter{Limit: 2, Cursor: cursor}, now)
				if err != nil || len(ow.Items) > 2 || pages > 10 {
					t.Fatalf("owners page %d: %+v, %v", pages, ow.Items, err)
				}
				for _, o := range ow.Items {
					paged = append(paged, o.UserID)
				}
				if cursor = ow.NextCursor; cursor == "" {
					break
				}
			}
			for i, o := range all.Items {
				if i >= len(paged) || paged[i] != o.UserID || len(paged) != len(all.Items) {
					t.Fatalf("owners paged %v, one page %+v", paged, all.Items)
				}
			}
			for _, bad := range []string{"!!", partners.EncodeCursor(map[string]int{"o": -2}), partners.EncodeCursor(map[string]int{"i": 9})} {
				_, err := svc.Rank(b, scorecards.RankFilter{Cursor: bad}, now)
				partnerstest.WantField(t, err, partners.EInvalid, "cursor")
				_, err = svc.Owners(b, scorecards.OwnerFilter{Cursor: bad}, now)
				partnerstest.WantField(t, err, partners.EInvalid, "cursor")
			}
		})
	}
}
