package status_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/delivery"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
	"github.com/tierlink/tierlink/partners/status"
)

// clock is a settable time shared by every service of a world.
type clock struct{ t atomic.Value }

func (c *clock) now() time.Time      { return c.t.Load().(time.Time) }
func (c *clock) set(t time.Time)     { c.t.Store(t) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

type world struct {
	*partnerstest.Fixture
	clock         *clock
	A, B, Mixed   groups.Group
	Dealer        directory.Partner
	D             groups.Group
	buyer, system context.Context
}

// monday is 23 November 2026, 08:30 UTC: the default digest tick.
var monday = time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)

func newWorld(t *testing.T, d string, start time.Time) *world {
	t.Helper()
	f := partnerstest.New(t, d)
	w := &world{Fixture: f, clock: &clock{}, buyer: f.Ctx(f.Buyer), system: f.System()}
	w.clock.set(start)
	f.Orders.SetClock(w.clock.now)
	f.Shipments.SetClock(w.clock.now)
	f.Groups.SetClock(w.clock.now)
	mk := func(in groups.GroupInput) groups.Group {
		t.Helper()
		g, err := f.Groups.Create(w.buyer, in)
		if err != nil {
			t.Fatal(err)
		}
		// Groups made "now" in the world's time, so their first digest
		// is the next tick.
		f.DB.Client.Group.UpdateOneID(g.ID).SetDigestLastTick(start.Add(-time.Hour)).ExecX(w.system)
		return g
	}
	w.A = mk(groups.GroupInput{Name: "华星", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID}})
	w.B = mk(groups.GroupInput{Name: "Bravo", Kind: "partner", PartnerID: f.PartnerB.ID, ContactIDs: []int{f.ContactB.ID}})
	w.Mixed = mk(groups.GroupInput{Name: "A and B", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID, f.ContactB.ID}})
	var err error
	w.Dealer, err = f.Dir.CreatePartner(w.buyer, directory.PartnerInput{Code: "DLR", Name: "Dealer Nord", Kind: "customer"})
	if err != nil {
		t.Fatal(err)
	}
	w.D = mk(groups.GroupInput{Name: "Dealer", Kind: "partner", PartnerID: w.Dealer.ID})
	return w
}

func (w *world) order(t *testing.T, partnerID int, dir order.Direction, number string, due ...string) orders.Order {
	t.Helper()
	in := orders.OrderInput{PartnerID: partnerID, Direction: dir, Number: number, Currency: "CNY"}
	for i, d := range due {
		in.Lines = append(in.Lines, orders.LineInput{ItemCode: "I" + string(rune('A'+i)), Quantity: partnerstest.Qty("10"), UnitPrice: 1, RequiredDate: d})
	}
	o, err := w.Orders.Create(w.buyer, in)
	if err != nil {
		t.Fatal(err)
	}
	if o, err = w.Orders.Publish(w.buyer, o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

func (w *world) posts(t *testing.T, g groups.Group, kind string) []groups.Post {
	t.Helper()
	p, err := w.Groups.Posts(w.buyer, g.ID, groups.PostFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []groups.Post
	for _, x := range p.Items {
		if x.EventKind == kind {
			out = append(out, x)
		}
	}
	return out
}

func TestDigestSaysWhatIsOpenUpAndDownstream(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d, monday.Add(-48*time.Hour))
			pa := w.Ctx(w.UserA)
			w.order(t, w.PartnerA.ID, "upstream", "PO-1", "2026-12-10") // waits from Saturday
			w.clock.set(monday.Add(-2 * time.Hour))
			w.order(t, w.PartnerA.ID, "upstream", "PO-2", "2026-12-10")
			po3 := w.order(t, w.PartnerA.ID, "upstream", "PO-3", "2026-12-10")
			if _, err := w.Orders.Acknowledge(pa, po3.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "change", PromisedDate: "2026-12-20"}}}); err != nil {
				t.Fatal(err)
			}
			po4 := w.order(t, w.PartnerA.ID, "upstream", "PO-4", "2026-11-20", "2026-11-25")
			if _, err := w.Orders.Acknowledge(pa, po4.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}, {LineNo: 2, Action: "accept"}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Shipments.Create(pa, shipments.Input{PartnerID: w.PartnerA.ID, ETA: "2026-12-01",
				Lines: []shipments.LineInput{{OrderID: po4.ID, LineNo: 2, Quantity: partnerstest.Qty("10")}}}); err != nil {
				t.Fatal(err)
			}
			so := w.order(t, w.Dealer.ID, "downstream", "SO-1", "2026-11-20", "2026-11-26", "2026-11-21")
			sh, err := w.Shipments.Create(w.buyer, shipments.Input{PartnerID: w.Dealer.ID, Number: "ASN-9",
				Lines: []shipments.LineInput{{OrderID: so.ID, LineNo: 3, Quantity: partnerstest.Qty("10")}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindDelivered} {
				if _, err := w.Shipments.AddEvent(w.buyer, sh.ID, shipments.EventInput{Kind: k}); err != nil {
					t.Fatal(err)
				}
			}
			w.clock.set(monday.Add(time.Minute))
			res, err := w.Status.Digests(w.system, monday.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			var a []groups.Post
			partnerstest.RunSteps(t, []partnerstest.Step{
				// A, B (on track), Dealer get one; Mixed has B's contact and none.
				{Name: "OneDigestPerGroupWithAPartner", Run: func(t *testing.T) {
					if res.Posted != 3 || res.Skipped != 1 {
						t.Fatalf("result %+v", res)
					}
					if a = w.posts(t, w.A, "digest"); len(a) != 1 {
						t.Fatalf("A got %d digests", len(a))
					}
				}},
				{Name: "UpstreamDigestNamesWhatIsOpen", Run: func(t *testing.T) {
					body := a[0].Body
					for _, want := range []string{
						"Status digest for 华星精密, Mon 23 Nov 08:30",
						"Upstream:",
						"2 orders awaiting acknowledgement: PO-1 (2 d), PO-2 (2 h)",
						"1 open change request: PO-3",
						"1 line late: PO-4/1 (20 Nov)",
						"1 line at risk (ETA after the due date): PO-4/2 (25 Nov)",
						"1 receipt due this week: PO-4/2 (25 Nov)",
					} {
						if !strings.Contains(body, want) {
							t.Errorf("A's digest lacks %q:\n%s", want, body)
						}
					}
				}},
				{Name: "SupplierDigestLeavesOutTheDealer", Run: func(t *testing.T) {
					if body := a[0].Body; strings.Contains(body, "Downstream") || strings.Contains(body, "SO-1") {
						t.Errorf("A's digest shows the dealer's business:\n%s", body)
					}
				}},
				{Name: "ChineseBodyAndBoardLink", Run: func(t *testing.T) {
					p, err := w.Groups.Posts(i18n.WithLanguage(w.buyer, i18n.Chinese), w.A.ID, groups.PostFilter{Limit: 500})
					if err != nil {
						t.Fatal(err)
					}
					var zh string
					for _, x := range p.Items {
						if x.ID == a[0].ID {
							zh = x.Body
						}
					}
					if !strings.Contains(zh, "2 个订单等待确认：PO-1（2 天）、PO-2（2 小时）") || a[0].Link != "/board?partner_id="+strconv.Itoa(w.PartnerA.ID) {
						t.Errorf("zh %q link %q", zh, a[0].Link)
					}
				}},
				{Name: "DealerDigestNamesDownstream", Run: func(t *testing.T) {
					dd := w.posts(t, w.D, "digest")
					for _, want := range []string{"Downstream:", "1 delivery line due this week: SO-1/2 (26 Nov)",
						"2 delivery lines late: SO-1/1 (20 Nov), SO-1/3 (21 Nov)", "1 shipment delivered since the last digest: ASN-9"} {
						if len(dd) != 1 || !strings.Contains(dd[0].Body, want) {
							t.Errorf("dealer digest lacks %q: %+v", want, dd)
						}
					}
				}},
				{Name: "NothingOpenIsAllOnTrack", Run: func(t *testing.T) {
					if b := w.posts(t, w.B, "digest"); len(b) != 1 || !strings.HasSuffix(b[0].Body, ": all on track.") {
						t.Errorf("B's digest %+v", b)
					}
				}},
				{Name: "GroupWithAnotherPartnersContactGetsNone", Run: func(t *testing.T) {
					if m := w.posts(t, w.Mixed, "digest"); len(m) != 0 {
						t.Errorf("a group with another partner's contact got a digest: %+v", m)
					}
				}},
				{Name: "PartnerReadsItsOwnDigest", Run: func(t *testing.T) {
					if p, err := w.Groups.Posts(pa, w.A.ID, groups.PostFilter{Limit: 100}); err != nil || len(p.Items) == 0 {
						t.Fatalf("partner reads its feed: %v", err)
					}
				}},
				{Name: "OncePerTick", Run: func(t *testing.T) {
					res, err := w.Status.Digests(w.system, monday.Add(5*time.Minute))
					if err != nil || res.Posted != 0 {
						t.Fatalf("second pass %+v %v", res, err)
					}
				}},
				{Name: "QuietGroupPostsNothingWhenNothingIsOpen", Run: func(t *testing.T) {
					quiet := true
					if _, err := w.Groups.Update(w.buyer, w.B.ID, groups.GroupPatch{DigestQuiet: &quiet}); err != nil {
						t.Fatal(err)
					}
					tue := monday.Add(24 * time.Hour)
					if _, err := w.Status.Digests(w.system, tue); err != nil {
						t.Fatal(err)
					}
					if b := w.posts(t, w.B, "digest"); len(b) != 1 {
						t.Errorf("quiet group got %d digests", len(b))
					}
					if g := w.DB.Client.Group.GetX(w.system, w.B.ID); g.DigestLastTick == nil || !g.DigestLastTick.Equal(tue) {
						t.Errorf("quiet group's tick not advanced: %v", g.DigestLastTick)
					}
					if a := w.posts(t, w.A, "digest"); len(a) != 2 {
						t.Errorf("A has %d digests after Tuesday", len(a))
					}
				}},
			})
		})
	}
}

func TestGroupDigestSettings(t *testing.T) {
	w := newWorld(t, dialect.SQLite, monday)
	bad := "61 * * * *"
	_, err := w.Groups.Update(w.buyer, w.A.ID, groups.GroupPatch{DigestSchedule: &bad})
	if partners.ErrorCode(err) != partners.EInvalid || partners.ErrorFields(err)[0].Field != "digest_schedule" {
		t.Fatalf("bad schedule: %v", err)
	}
	spec := "CRON_TZ=Europe/Berlin 0 9 * * 1"
	g, err := w.Groups.Update(w.buyer, w.A.ID, groups.GroupPatch{DigestSchedule: &spec})
	if err != nil || g.Digest.Schedule != spec || g.Digest.Next == nil || !g.Digest.Next.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("group %+v %v", g.Digest, err)
	}
	off := false
	if _, err := w.Groups.Update(w.buyer, w.B.ID, groups.GroupPatch{DigestEnabled: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Groups.Update(w.Ctx(w.UserA), w.A.ID, groups.GroupPatch{DigestEnabled: &off}); err == nil {
		t.Fatal("a partner user changed the group's digest")
	}
	res, err := w.Status.Digests(w.system, monday.Add(time.Minute))
	// The dealer's group on the default schedule, and A, whose Berlin
	// 09:00 was 08:00 UTC today; B is off.
	if err != nil || res.Posted != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	res, _ = w.Status.Digests(w.system, time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	if a := w.posts(t, w.A, "digest"); len(a) != 2 || len(w.posts(t, w.B, "digest")) != 0 {
		t.Fatalf("A's Berlin Monday digest: %d, result %+v", len(a), res)
	}
}

// CRON_TZ=America/Los_Angeles 02:30 daily across the spring-forward night
// of 8 March 2026, when 02:30 does not happen: the job runs every ten
// minutes through the night, and each day still gets its digest — the
// 8th's at 03:30 PDT.
func TestNoDigestLostAcrossSpringForward(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	start := time.Date(2026, 3, 6, 12, 0, 0, 0, la)
	w := newWorld(t, dialect.SQLite, start)
	spec := "CRON_TZ=America/Los_Angeles 30 2 * * *"
	if _, err := w.Groups.Update(w.buyer, w.B.ID, groups.GroupPatch{DigestSchedule: &spec}); err != nil {
		t.Fatal(err)
	}
	var at []time.Time
	for now := start; now.Before(time.Date(2026, 3, 9, 12, 0, 0, 0, la)); now = now.Add(10 * time.Minute) {
		w.clock.set(now)
		before := len(w.posts(t, w.B, "digest"))
		if _, err := w.Status.Digests(w.system, now); err != nil {
			t.Fatal(err)
		}
		if len(w.posts(t, w.B, "digest")) > before {
			at = append(at, now)
		}
	}
	want := []time.Time{time.Date(2026, 3, 7, 2, 30, 0, 0, la), time.Date(2026, 3, 8, 3, 30, 0, 0, la), time.Date(2026, 3, 9, 2, 30, 0, 0, la)}
	if len(at) != len(want) {
		t.Fatalf("digests at %v, want %v", at, want)
	}
	for i := range want {
		if !at[i].Equal(want[i]) {
			t.Fatalf("digest %d at %v, want %v", i, at[i], want[i])
		}
	}
}

func TestAckReminderThenEscalation(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d, monday)
			o := w.order(t, w.PartnerA.ID, "upstream", "PO-7", "2026-12-10") // SLA 24 h by default
			w.clock.add(23 * time.Hour)
			if res, _ := w.Status.AckReminders(w.system, w.clock.now()); res.Posted != 0 {
				t.Fatalf("reminded inside the SLA: %+v", res)
			}
			w.clock.add(2 * time.Hour)
			res, err := w.Status.AckReminders(w.system, w.clock.now())
			if err != nil || res.Posted != 1 {
				t.Fatalf("%+v %v", res, err)
			}
			rem := w.posts(t, w.A, "ack_reminder")
			if len(rem) != 1 || rem[0].Card == nil || rem[0].Card.Kind != groups.CardOrderAck || !strings.Contains(rem[0].Body, "PO-7") ||
				len(rem[0].Card.Actions) != 1 || rem[0].Card.Actions[0].Name != "acknowledge" {
				t.Fatalf("reminder %+v", rem)
			}
			if len(w.posts(t, w.Mixed, "ack_reminder")) != 0 {
				t.Fatal("a reminder went into a group with another partner's contact")
			}
			// Once only, however often the job runs.
			res, _ = w.Status.AckReminders(w.system, w.clock.now().Add(time.Hour))
			if res.Posted != 0 {
				t.Fatalf("reminded twice: %+v", res)
			}
			w.clock.add(24 * time.Hour) // 49 h: twice the SLA
			if res, _ = w.Status.AckReminders(w.system, w.clock.now()); res.Posted != 1 {
				t.Fatalf("no escalation: %+v", res)
			}
			esc := w.posts(t, w.A, "ack_escalation")
			if len(esc) != 1 || !strings.Contains(esc[0].Body, "@Bo Buyer") || len(esc[0].Mentions) != 1 || esc[0].Mentions[0].ID != w.Buyer.ID {
				t.Fatalf("escalation must name the owner of A's contacts and the buyer (both Bo): %+v", esc)
			}
			// Acknowledging on the reminder card closes every card of the order.
			if _, err := w.Groups.Act(w.Ctx(w.UserA), rem[0].ID, groups.ActionInput{Action: "acknowledge"}); err != nil {
				t.Fatal(err)
			}
			got, _ := w.Orders.Order(w.buyer, o.ID)
			if got.Status != "acknowledged" {
				t.Fatalf("order %s", got.Status)
			}
			for _, p := range append(w.posts(t, w.A, "ack_escalation"), w.posts(t, w.A, "ack_reminder")...) {
				if p.Card.State != "done" {
					t.Fatalf("card %d still open", p.ID)
				}
			}
		})
	}
}

func TestFirstSeenPastTwiceTheSLAEscalatesOnly(t *testing.T) {
	w := newWorld(t, dialect.SQLite, monday)
	w.order(t, w.PartnerA.ID, "upstream", "PO-8", "2026-12-10")
	w.clock.add(72 * time.Hour)
	w.Status.AckReminders(w.system, w.clock.now())
	w.Status.AckReminders(w.system, w.clock.now())
	if r, e := w.posts(t, w.A, "ack_reminder"), w.posts(t, w.A, "ack_escalation"); len(r) != 0 || len(e) != 1 {
		t.Fatalf("reminders %d escalations %d", len(r), len(e))
	}
}

func TestStaleShipmentsAreAskedForAnUpdate(t *testing.T) {
	w := newWorld(t, dialect.SQLite, monday)
	o := w.order(t, w.PartnerA.ID, "upstream", "PO-9", "2026-12-10")
	pa := w.Ctx(w.UserA)
	w.Orders.Acknowledge(pa, o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}}})
	sh, err := w.Shipments.Create(pa, shipments.Input{PartnerID: w.PartnerA.ID, Number: "ASN-1", Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: partnerstest.Qty("10")}}})
	if err != nil {
		t.Fatal(err)
	}
	w.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: "shipped"})
	w.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: "in_transit"})
	check := func(after time.Duration, want int) {
		t.Helper()
		if _, err := w.Status.StaleShipments(w.system, monday.Add(after)); err != nil {
			t.Fatal(err)
		}
		if got := w.posts(t, w.A, "stale_shipment"); len(got) != want {
			t.Fatalf("after %v: %d requests, want %d", after, len(got), want)
		}
	}
	check(47*time.Hour, 0)
	check(49*time.Hour, 1)
	check(50*time.Hour, 1)
	check(97*time.Hour, 2) // another 48 h of silence
	r := w.posts(t, w.A, "stale_shipment")[0]
	if !strings.Contains(r.Body, "ASN-1 (in_transit) has had no update for 4 d") || r.Link != "/shipments/"+strconv.Itoa(sh.ID) {
		t.Fatalf("request %+v", r)
	}
	// An update restarts the clock.
	w.clock.set(monday.Add(98 * time.Hour))
	w.Shipments.AddEvent(pa, sh.ID, shipments.EventInput{Kind: "delayed", Reason: "customs", NewETA: "2026-12-12"})
	check(140*time.Hour, 2)
	check(147*time.Hour, 3)
}

func TestCertificateExpiryWarningsAndOrderBlock(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newWorld(t, d, monday)
			upload := func(title, expires string, mandatory bool) documents.Document {
				t.Helper()
				doc, err := w.Docs.Upload(w.buyer, documents.UploadInput{PartnerID: w.PartnerA.ID, Kind: "certificate", Filename: "c.pdf",
					Title: title, ExpiresOn: expires, Mandatory: mandatory}, documents.Body{R: strings.NewReader(pdf), Size: int64(len(pdf)), ClaimedType: "application/pdf"})
				if err != nil {
					t.Fatal(err)
				}
				return doc
			}
			iso := upload("ISO 9001", "2026-12-23", true) // 30 days after Monday
			late := upload("RoHS", "2026-11-27", false)   // first seen 4 days before
			run := func(day int) {
				t.Helper()
				if _, err := w.Status.CertificateExpiry(w.system, monday.AddDate(0, 0, day)); err != nil {
					t.Fatal(err)
				}
			}
			bodies := func() []string {
				var out []string
				for _, p := range w.posts(t, w.A, "certificate_expiry") {
					out = append(out, p.Body)
				}
				return out
			}
			run(0)
			run(0)
			if b := bodies(); len(b) != 2 || !contains(b, `"ISO 9001" expires in 30 days`) || !contains(b, `"RoHS" expires in 4 days`) {
				t.Fatalf("day 0: %q", b)
			}
			run(4) // RoHS: today
			run(5)
			run(23) // ISO: 7 days
			if b := bodies(); len(b) != 4 || !contains(b, `"RoHS" expires today`) || !contains(b, `"ISO 9001" expires in 7 days`) {
				t.Fatalf("day 23: %q", b)
			}
			// The partner is set to block orders on a lapsed mandatory
			// certificate: warned before, blocked after.
			block := true
			if _, err := w.Dir.UpdatePartner(w.buyer, w.PartnerA.ID, directory.PartnerPatch{BlockOnLapsedCertificate: &block}); err != nil {
				t.Fatal(err)
			}
			run(31) // ISO lapsed yesterday: its 0-day step
			if b := bodies(); len(b) != 5 || !contains(b, `"ISO 9001" expired on 23 Dec. Please upload the renewed certificate. It is mandatory`) {
				t.Fatalf("day 31: %q", b)
			}
			w.clock.set(monday.AddDate(0, 0, 31))
			_, err := w.Orders.Create(w.buyer, orders.OrderInput{PartnerID: w.PartnerA.ID, Direction: "upstream", Number: "PO-X", Currency: "CNY",
				Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("1"), UnitPrice: 1, RequiredDate: "2027-01-30"}}})
			if partners.ErrorCode(err) != partners.EConflict || !strings.Contains(partners.ErrorMessage(err), `"ISO 9001"`) ||
				!strings.Contains(partners.ErrorMessage(err), "expired on 2026-12-23") {
				t.Fatalf("order to a partner with a lapsed mandatory certificate: %v", err)
			}
			if why, _ := w.Orders.Blocked(w.buyer, w.PartnerA.ID); why == "" {
				t.Fatal("Blocked says nothing")
			}
			// A lapsed optional certificate blocks nothing; renewing the
			// mandatory one lifts the block.
			renewed := "2027-12-23"
			if _, err := w.Docs.Update(w.buyer, iso.ID, documents.Patch{ExpiresOn: &renewed}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Orders.Create(w.buyer, orders.OrderInput{PartnerID: w.PartnerA.ID, Direction: "upstream", Number: "PO-X", Currency: "CNY",
				Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("1"), UnitPrice: 1, RequiredDate: "2027-01-30"}}}); err != nil {
				t.Fatalf("after renewal: %v (RoHS %d lapsed but optional)", err, late.ID)
			}
		})
	}
}

const pdf = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

func contains(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestDeadLetterReport(t *testing.T) {
	w := newWorld(t, dialect.SQLite, monday)
	c := w.DB.Client
	b := c.Bridge.Create().SetGroupID(w.A.ID).SetKind("wecom").SetName("采购群").SetURL("https://qyapi.weixin.qq.com/x").SetRatePerMinute(20).SaveX(w.system)
	for i, at := range []time.Duration{-2 * time.Hour, -time.Hour, -30 * time.Hour} {
		c.Delivery.Create().SetBridgeID(b.ID).SetGroupID(w.A.ID).SetMsgID("msg_" + strconv.Itoa(i)).SetText("x").SetState(delivery.StateDead).
			SetAttempts(15).SetLastError("HTTP 400: invalid webhook key").SetDeadAt(monday.Add(at)).ExecX(w.system)
	}
	res, err := w.Status.DeadLetters(w.system, monday)
	en := i18n.For(i18n.English).RenderLines(res.Message)
	if err != nil || res.Posted != 2 || len(res.Message) != 2 ||
		!strings.HasPrefix(en, "2 messages to 1 bridge were given up on in the last 24 hours:\n") ||
		!strings.Contains(en, `WeCom group robot "采购群"`) || !strings.Contains(en, "2 messages; last error: HTTP 400") {
		t.Fatalf("%+v %v\n%s", res, err, en)
	}
	if zh := i18n.For(i18n.Chinese).RenderLines(res.Message); !strings.Contains(zh, "企业微信群机器人「采购群」") || !strings.Contains(zh, "2 条消息；最后的错误：HTTP 400") {
		t.Fatalf("zh-CN: %s", zh)
	}
	res, _ = w.Status.DeadLetters(w.system, monday.Add(48*time.Hour))
	if en := i18n.For(i18n.English).RenderLines(res.Message); res.Posted != 0 || !strings.HasPrefix(en, "no undelivered") {
		t.Fatalf("%+v %s", res, en)
	}
}

// The digest costs a fixed number of queries per group: the same with 1
// or 50 open orders per partner, and twice as many groups cost twice the
// per-group part.
func TestDigestQueriesPerGroupAreConstant(t *testing.T) {
	count := func(groupsN, ordersN int) int64 {
		f := partnerstest.New(t, dialect.SQLite)
		ctx := f.Ctx(f.Buyer)
		seedDigestLoad(t, f, ctx, groupsN, ordersN)
		client, cd := f.Counting()
		ords, ships := orders.New(client), shipments.New(client)
		grps := groups.New(client, ords, ships, partnerstest.Loopback, nil)
		st := status.New(client, grps, ords, ships, time.UTC)
		res, err := st.Digests(f.System(), time.Now().Add(8*24*time.Hour))
		if err != nil || res.Posted != groupsN {
			t.Fatalf("%+v %v", res, err)
		}
		return cd.Count()
	}
	one, fifty := count(10, 1), count(10, 50)
	if one != fifty {
		t.Fatalf("queries depend on the orders per partner: %d with 1, %d with 50", one, fifty)
	}
	twenty := count(20, 1)
	perGroup := (twenty - one) / 10
	if fixed := one - 10*perGroup; perGroup > 12 || fixed > 20 || fixed < 0 {
		t.Fatalf("%d queries per group, %d fixed (10 groups: %d, 20 groups: %d)", perGroup, fixed, one, twenty)
	}
	t.Logf("%d queries per group plus %d per batch", perGroup, one-10*perGroup)
}

// seedDigestLoad makes n partners, each with a group, a contact and m
// published, unacknowledged orders of two lines.
func seedDigestLoad(tb testing.TB, f *partnerstest.Fixture, ctx context.Context, n, m int) {
	tb.Helper()
	for i := range n {
		p, err := f.Dir.CreatePartner(ctx, directory.PartnerInput{Code: "L" + strconv.Itoa(i+1), Name: "Load " + strconv.Itoa(i+1), Kind: "supplier"})
		if err != nil {
			tb.Fatal(err)
		}
		g, err := f.Groups.Create(ctx, groups.GroupInput{Name: "Load " + strconv.Itoa(i+1), Kind: "partner", PartnerID: p.ID})
		if err != nil {
			tb.Fatal(err)
		}
		_ = g
		for j := range m {
			o, err := f.Orders.Create(ctx, orders.OrderInput{PartnerID: p.ID, Direction: "upstream", Number: "PO-" + strconv.Itoa(j+1), Currency: "CNY",
				Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("5"), UnitPrice: 1, RequiredDate: "2026-12-01"},
					{ItemCode: "B", Quantity: partnerstest.Qty("5"), UnitPrice: 1, RequiredDate: "2026-12-02"}}})
			if err != nil {
				tb.Fatal(err)
			}
			if _, err := f.Orders.Publish(ctx, o.ID); err != nil {
				tb.Fatal(err)
			}
		}
	}
	// Publishing posted cards; the digest should find only the groups.
	f.DB.Client.Group.Update().Where(group.KindEQ(group.KindPartner)).SetDigestLastTick(time.Now().Add(-time.Hour)).ExecX(f.System())
}
