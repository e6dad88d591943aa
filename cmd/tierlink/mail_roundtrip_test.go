package main

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/mail/mailpittest"
	"github.com/tierlink/tierlink/partners/notify"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// Issue 18 end to end through `tierlink serve`: publishing an order
// mails the supplier's user a notice (delivered by Mailpit) whose
// Reply-To is their reply address; answering it from their mail client
// puts the answer, without the quoted notice, into the group's feed.
func TestServeNoticeReplyRoundTrip(t *testing.T) {
	mp := mailpittest.Start(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := startInProc(t, map[string]string{"TIERLINK_SMTP_URL": mp.SMTPURL(), "TIERLINK_MAIL_FROM": "Tierlink <portal@co.test>",
		"TIERLINK_MAIL_INBOUND_ADDR": "127.0.0.1:" + strconv.Itoa(port), "TIERLINK_MAIL_REPLY_DOMAIN": "reply.co.test"})
	f := s.f
	// The test changes data through its own client on the same database,
	// so it installs the notice hook there as serve does on its own; the
	// serving process's dispatcher sends the rows and its listener takes
	// the reply.
	out, err := mail.New(context.Background(), f.DB.Client, mail.Config{From: "Tierlink <portal@co.test>"})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(s.base)
	notify.New(f.DB.Client, f.Groups, out, base).ReplyDomain = "reply.co.test"
	g, err := f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "华星 coordination", Kind: group.KindPartner, PartnerID: f.PartnerA.ID,
		ContactIDs: []int{f.ContactA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.Orders.Create(f.Ctx(f.Buyer), orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: "PO-RT1", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "A", Quantity: partnerstest.Qty("100"), UnitPrice: 1, RequiredDate: "2026-12-20"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Orders.Publish(f.Ctx(f.Buyer), o.ID); err != nil {
		t.Fatal(err)
	}
	got := mp.WaitFor(t, "to:"+f.UserA.Email, 1, 60*time.Second)
	notice, err := mp.Message(got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(notice.ReplyTo) != 1 || !strings.HasPrefix(notice.ReplyTo[0].Address, "reply+") || !strings.HasSuffix(notice.ReplyTo[0].Address, "@reply.co.test") {
		t.Fatalf("notice Reply-To %+v", notice.ReplyTo)
	}

	// The supplier answers above the quoted notice, as mail clients do.
	m := gomail.NewMsg()
	if err := m.From(f.UserA.Email); err != nil {
		t.Fatal(err)
	}
	if err := m.To(notice.ReplyTo[0].Address); err != nil {
		t.Fatal(err)
	}
	m.Subject("Re: " + notice.Subject)
	m.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, "<"+notice.MessageID+">")
	quoted := "> " + strings.ReplaceAll(strings.TrimSpace(notice.Text), "\n", "\n> ")
	m.SetBodyString(gomail.TypeTextPlain, "Confirmed, we ship on Friday.\n\nOn Thu, 3 Dec 2026 at 10:00, Tierlink <portal@co.test> wrote:\n"+quoted+"\n")
	c, err := gomail.NewClient("127.0.0.1", gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithPort(port), gomail.WithTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		t.Fatalf("reply refused: %v\n%s", err, s.errb.String())
	}
	p, err := f.DB.Client.Post.Query().Where(post.GroupID(g.ID), post.Body("Confirmed, we ship on Friday.")).Only(f.System())
	if err != nil {
		t.Fatalf("the reply is not in the group's feed as its stripped text: %v", err)
	}
	if p.AuthorContactID == nil || *p.AuthorContactID != f.ContactA.ID {
		t.Fatalf("reply posted by contact %v, want %d", p.AuthorContactID, f.ContactA.ID)
	}
}
