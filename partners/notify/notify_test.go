package notify_test

import (
	"context"
	"net/url"

	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/digestitem"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/notify"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
)

// world is the fixture with notifications on and a group for partner A
// (its two contacts and a second buyer).
type world struct {
	*partnerstest.Fixture
	out *mail.Outbox
	svc *notify.Service
	G   groups.Group
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f := partnerstest.New(t, dialect.SQLite)
	out, err := mail.New(context.Background(), f.DB.Client, mail.Config{From: "Tierlink <portal@co.test>"})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://portal.co.test")
	w := &world{Fixture: f, out: out, svc: notify.New(f.DB.Client, f.Groups, out, base)}
	w.G, err = f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "华星 coordination", Kind: "partner", PartnerID: f.PartnerA.ID,
		ContactIDs: []int{f.ContactA.ID, f.ContactA2.ID}, UserIDs: []int{f.Buyer2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) sys() context.Context {
	return viewer.NewContext(context.Background(), viewer.System("test"))
}

func (w *world) setLocale(t *testing.T, lang string, ids ...int) {
	t.Helper()
	if err := w.DB.Client.User.Update().Where(user.IDIn(ids...)).SetLocale(lang).Exec(w.sys()); err != nil {
		t.Fatal(err)
	}
}

// mails are the outbox rows to addr, oldest first.
func (w *world) mails(t *testing.T, addr string) []*ent.MailOutbox {
	t.Helper()
	rows, err := w.DB.Client.MailOutbox.Query().Where(mailoutbox.ToAddr(addr)).Order(ent.Asc(mailoutbox.FieldID)).All(w.sys())
	if err != nil {
		t.Fatal(err)
	}
	return rows
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

// askChange has partner A's user ask to move line 1 of o.
func (w *world) askChange(t *testing.T, o orders.Order) int {
	t.Helper()
	got, err := w.Orders.Acknowledge(w.Ctx(w.UserA), o.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "change", PromisedDate: "2026-12-09"}}})
	if err != nil {
		t.Fatal(err)
	}
	return got.ChangeRequests[0].ID
}

// wantMail checks one notification row: rendered in lang, with the thread,
// an unsubscribe link, text and HTML, and links or not.
func wantMail(t *testing.T, r *ent.MailOutbox, lang, subjectHas, thread string, links []string) {
	t.Helper()
	if r.Kind != mailoutbox.KindNotification || r.Security || r.Lang != lang {
		t.Errorf("row %d: kind %s security %v lang %s, want notification in %s", r.ID, r.Kind, r.Security, r.Lang, lang)
	}
	if !strings.Contains(r.Subject, subjectHas) || r.ThreadKey != thread {
		t.Errorf("row %d: subject %q thread %q, want %q in the subject and thread %q", r.ID, r.Subject, r.ThreadKey, subjectHas, thread)
	}
	if !strings.HasPrefix(r.UnsubscribeURL, "https://portal.co.test/mail/unsubscribe/") {
		t.Errorf("row %d: unsubscribe %q", r.ID, r.UnsubscribeURL)
	}
	if r.Text == "" || !strings.Contains(r.HTML, "<html lang=\""+lang+"\"") {
		t.Errorf("row %d: text %q, html %q", r.ID, r.Text, r.HTML)
	}
	got := strings.Count(r.Text, "/mail/act/")
	if got != len(links) {
		t.Errorf("row %d: %d action links, want %v:\n%s", r.ID, got, links, r.Text)
	}
	for _, l := range links {
		if !strings.Contains(r.Text, l) {
			t.Errorf("row %d lacks %q:\n%s", r.ID, l, r.Text)
		}
	}
}

// Every kind of notice, in both languages, as outbox rows written with
// the change that causes it.
func TestEachKindInBothLanguages(t *testing.T) {
	words := map[string]map[string]string{
		i18n.English: {"ack": "Acknowledge the order", "approve": "Approve", "reject": "Reject", "ackSub": "to acknowledge",
			"crSub": "change request", "mention": "mentioned you", "stale": "update", "cert": "certificate", "receipt": "Confirm receipt"},
		i18n.Chinese: {"ack": "确认订单", "approve": "批准", "reject": "拒绝", "ackSub": "待确认", "crSub": "变更申请",
			"mention": "提到了你", "stale": "更新", "cert": "证书", "receipt": "确认收货"},
	}
	for _, lang := range []string{i18n.English, i18n.Chinese} {
		t.Run(lang, func(t *testing.T) {
			w := newWorld(t)
			wd := words[lang]
			w.setLocale(t, lang, w.UserA.ID, w.Buyer.ID, w.Buyer2.ID, w.Admin.ID)
			// An order to acknowledge: partner A's user, with the button.
			o := w.publish(t, "PO-N1")
			ms := w.mails(t, w.UserA.Email)
			if len(ms) != 1 {
				t.Fatalf("partner user got %d mails, want 1", len(ms))
			}
			wantMail(t, ms[0], lang, "PO-N1", "order:"+itoa(o.ID), []string{wd["ack"] + ": https://portal.co.test/mail/act/"})
			if !strings.Contains(ms[0].Subject, wd["ackSub"]) {
				t.Errorf("subject %q", ms[0].Subject)
			}
			// A change request to decide: each decider, approve and reject.
			w.askChange(t, o)
			for _, u := range []string{w.Buyer.Email, w.Buyer2.Email} {
				ms := w.mails(t, u)
				if len(ms) != 1 {
					t.Fatalf("%s got %d mails, want 1", u, len(ms))
				}
				wantMail(t, ms[0], lang, wd["crSub"], "order:"+itoa(o.ID), []string{wd["approve"] + ": ", wd["reject"] + ": "})
				if !strings.Contains(ms[0].Text, "2026-12-09") {
					t.Errorf("the change is not in the mail:\n%s", ms[0].Text)
				}
			}
			if n := len(w.mails(t, w.Viewer.Email)); n != 0 {
				t.Errorf("a viewer, who may not decide, got %d mails", n)
			}
			// A mention: the contact's user, no action, the group's thread.
			if _, err := w.Groups.Post(w.Ctx(w.Buyer), w.G.ID, groups.PostInput{Body: "@刘洋 please check the drawing"}); err != nil {
				t.Fatal(err)
			}
			ms = w.mails(t, w.UserA.Email)
			if len(ms) != 2 {
				t.Fatalf("partner user has %d mails after the mention, want 2", len(ms))
			}
			wantMail(t, ms[1], lang, wd["mention"], "group:"+itoa(w.G.ID), nil)
			if !strings.Contains(ms[1].Text, "please check the drawing") {
				t.Errorf("mention text missing:\n%s", ms[1].Text)
			}
			// A shipment asked for an update and a certificate about to
			// expire, as the status jobs announce them.
			sh, err := w.Shipments.Create(w.Ctx(w.UserA), shipments.Input{PartnerID: w.PartnerA.ID, Number: "SH-9", Carrier: "SF",
				Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 2, Quantity: partnerstest.Qty("1")}}})
			if err != nil {
				t.Fatal(err)
			}
			before := len(w.mails(t, w.UserA.Email))
			g, err := w.DB.Client.Group.Get(w.sys(), w.G.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Groups.Announce(w.sys(), w.DB.Client, g, groups.Announcement{Kind: "stale_shipment", PartnerID: w.PartnerA.ID,
				SubjectType: "shipment", SubjectID: sh.ID, Message: i18n.Lines{i18n.M("notify.text").With("Text", "SH-9 silent")}}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Groups.Announce(w.sys(), w.DB.Client, g, groups.Announcement{Kind: "certificate_expiry", PartnerID: w.PartnerA.ID,
				SubjectType: "document", SubjectID: 1, Message: i18n.Lines{i18n.M("notify.text").With("Text", "ISO 9001 expires")}}); err != nil {
				t.Fatal(err)
			}
			ms = w.mails(t, w.UserA.Email)[before:]
			if len(ms) != 2 {
				t.Fatalf("partner user got %d status mails, want 2", len(ms))
			}
			wantMail(t, ms[0], lang, wd["stale"], "shipment:"+itoa(sh.ID), nil)
			wantMail(t, ms[1], lang, wd["cert"], "group:"+itoa(w.G.ID), nil)
			// The group's owner hears of the certificate too.
			owner := w.mails(t, w.Buyer.Email)
			wantMail(t, owner[len(owner)-1], lang, wd["cert"], "group:"+itoa(w.G.ID), nil)
			// A delivery to confirm: the partner's confirm_receipt card.
			if _, err := w.Groups.Announce(w.sys(), w.DB.Client, g, groups.Announcement{Kind: "delivery_receipt", PartnerID: w.PartnerA.ID,
				SubjectType: "shipment", SubjectID: sh.ID, CardKind: groups.CardDeliveryRcpt,
				Message: i18n.Lines{i18n.M("notify.text").With("Text", "SH-9 delivered")}}); err != nil {
				t.Fatal(err)
			}
			ms = w.mails(t, w.UserA.Email)
			wantMail(t, ms[len(ms)-1], lang, "SH-9", "shipment:"+itoa(sh.ID), []string{wd["receipt"] + ": "})
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func directoryPatch(on bool) directory.PartnerPatch { return directory.PartnerPatch{MailContacts: &on} }

// Each user's choice: off sends nothing, digest waits for the digest,
// immediately (the default) mails at once.
func TestPreferences(t *testing.T) {
	w := newWorld(t)
	_, err := w.svc.SetPrefs(w.Ctx(w.Buyer), notify.PrefsInput{ChangeRequest: "off"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.svc.SetPrefs(w.Ctx(w.Buyer2), notify.PrefsInput{ChangeRequest: "digest", Mention: "off"})
	if err != nil {
		t.Fatal(err)
	}
	if p.ChangeRequest != "digest" || p.Mention != "off" || p.OrderAck != "immediately" {
		t.Fatalf("prefs = %+v", p)
	}
	_, err = w.svc.SetPrefs(w.Ctx(w.Buyer2), notify.PrefsInput{Mention: "sometimes"})
	partnerstest.WantField(t, err, partners.EInvalid, "mention")
	_, err = w.svc.SetPrefs(w.System(), notify.PrefsInput{Mention: "off"})
	partnerstest.WantCode(t, err, partners.EForbidden)

	o := w.publish(t, "PO-P1")
	w.askChange(t, o)
	if n := len(w.mails(t, w.Buyer.Email)); n != 0 {
		t.Errorf("buyer chose off, got %d mails", n)
	}
	if n := len(w.mails(t, w.Buyer2.Email)); n != 0 {
		t.Errorf("buyer2 chose digest, got %d mails at once", n)
	}
	items, err := w.DB.Client.DigestItem.Query().Where(digestitem.UserID(w.Buyer2.ID)).All(w.sys())
	if err != nil || len(items) != 1 || items[0].Kind != "change_request" {
		t.Fatalf("digest items = %v, %v", items, err)
	}
	if n := len(w.mails(t, w.UserA.Email)); n != 1 {
		t.Errorf("partner user (immediately by default) got %d mails, want 1", n)
	}
}

// A digest goes out once at 08:00 local time, however often the job runs.
func TestDigestSentOnceAcrossRuns(t *testing.T) {
	w := newWorld(t)
	if _, err := w.svc.SetPrefs(w.Ctx(w.Buyer2), notify.PrefsInput{ChangeRequest: "digest", Mention: "digest"}); err != nil {
		t.Fatal(err)
	}
	if err := w.DB.Client.User.UpdateOneID(w.Buyer2.ID).SetTimeZone("Asia/Shanghai").SetLocale("zh-CN").Exec(w.sys()); err != nil {
		t.Fatal(err)
	}
	o := w.publish(t, "PO-D1")
	w.askChange(t, o)
	if _, err := w.Groups.Post(w.Ctx(w.Buyer), w.G.ID, groups.PostInput{Body: "@Cai Buyer look"}); err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	seven := time.Date(2026, 12, 4, 7, 30, 0, 0, sh)
	if r, err := w.svc.Digests(w.sys(), seven); err != nil || r.Sent != 0 {
		t.Fatalf("at 07:30: %+v, %v", r, err)
	}
	eight := time.Date(2026, 12, 4, 8, 2, 0, 0, sh)
	for run := 0; run < 2; run++ {
		r, err := w.svc.Digests(w.sys(), eight.Add(time.Duration(run)*20*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int]int{0: 1, 1: 0}[run]; r.Sent != want {
			t.Errorf("run %d sent %d digests, want %d", run, r.Sent, want)
		}
	}
	ms := w.mails(t, w.Buyer2.Email)
	if len(ms) != 1 || ms[0].Kind != mailoutbox.KindDigest || ms[0].Lang != "zh-CN" || !strings.Contains(ms[0].Subject, "2") {
		t.Fatalf("digests = %d: %+v", len(ms), ms)
	}
	if ms[0].UnsubscribeURL == "" || !strings.Contains(ms[0].Text, "PO-D1") {
		t.Errorf("digest text:\n%s", ms[0].Text)
	}
	// A notice arriving later the same day waits for tomorrow.
	if _, err := w.Groups.Post(w.Ctx(w.Buyer), w.G.ID, groups.PostInput{Body: "@Cai Buyer again"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := w.svc.Digests(w.sys(), eight.Add(50*time.Minute)); r.Sent != 0 {
		t.Errorf("a second digest the same day: %+v", r)
	}
	if r, _ := w.svc.Digests(w.sys(), eight.AddDate(0, 0, 1)); r.Sent != 1 || r.Items != 1 {
		t.Errorf("next day: %+v", r)
	}
}

// Contacts without a login get order notices only when the company
// switched that on for their partner, and never after opting out.
func TestContactsGatedByPartnerSwitch(t *testing.T) {
	w := newWorld(t)
	w.publish(t, "PO-C1")
	if n := len(w.mails(t, w.ContactA2.Email)); n != 0 {
		t.Fatalf("switch off: contact got %d mails", n)
	}
	on := true
	if _, err := w.Dir.UpdatePartner(w.Ctx(w.Buyer), w.PartnerA.ID, directoryPatch(on)); err != nil {
		t.Fatal(err)
	}
	w.publish(t, "PO-C2")
	ms := w.mails(t, w.ContactA2.Email)
	if len(ms) != 1 || !strings.Contains(ms[0].Subject, "PO-C2") || strings.Contains(ms[0].Text, "/mail/act/") || ms[0].UnsubscribeURL == "" {
		t.Fatalf("contact mails = %+v", ms)
	}
	if ms[0].ContactID == nil || *ms[0].ContactID != w.ContactA2.ID {
		t.Errorf("row names contact %v", ms[0].ContactID)
	}
	// ContactA has a login: it gets the user's mail, not a contact one.
	if n := len(w.mails(t, w.ContactA.Email)); n != 2 {
		t.Errorf("contact with a login got %d mails, want 2 (as a user)", n)
	}
	tok := strings.TrimPrefix(ms[0].UnsubscribeURL, "https://portal.co.test/mail/unsubscribe/")
	if _, err := w.svc.Unsubscribe(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	w.publish(t, "PO-C3")
	if n := len(w.mails(t, w.ContactA2.Email)); n != 1 {
		t.Errorf("after opting out the contact has %d mails, want 1", n)
	}
}

// A notice carries a reply address (and the reply marker) only when the
// inbound listener receives replies; the address names the group and
// the recipient, under the listener's domain.
func TestReplyAddressOnlyWithListener(t *testing.T) {
	w := newWorld(t)
	w.publish(t, "PO-R1")
	rows := w.mails(t, w.UserA.Email)
	if len(rows) != 1 || rows[0].ReplyTo != "" || strings.Contains(rows[0].Text, i18n.For(rows[0].Lang).T("mail.reply_marker", nil)) {
		t.Fatalf("without a listener: %d rows, reply-to %q", len(rows), rows[0].ReplyTo)
	}
	w.svc.ReplyDomain = "reply.co.test"
	w.publish(t, "PO-R2")
	rows = w.mails(t, w.UserA.Email)
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[1]
	if !strings.HasPrefix(r.ReplyTo, "reply+") || !strings.HasSuffix(r.ReplyTo, "@reply.co.test") {
		t.Fatalf("reply-to %q", r.ReplyTo)
	}
	g, _, u, err := w.out.Keys().ParseReplyAddress(r.ReplyTo)
	if err != nil || g != w.G.ID || u != w.UserA.ID {
		t.Fatalf("reply address names group %d user %d (%v), want %d and %d", g, u, err, w.G.ID, w.UserA.ID)
	}
	if !strings.Contains(r.Text, i18n.For(r.Lang).T("mail.reply_marker", nil)) {
		t.Fatalf("no reply marker:\n%s", r.Text)
	}
}
