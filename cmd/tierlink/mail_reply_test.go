package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tierlink/tierlink/ent/auditentry"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/mailinbound"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// Issue 18, "reply by e-mail", end to end through `tierlink serve`: go-mail
// sends replies to the SMTP listener as a contact's mail client would.
// (The notification carrying the reply address is slice M3's; the
// address is built here with the same key.)
func TestServeReplyByMail(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := startInProc(t, map[string]string{"TIERLINK_MAIL_INBOUND_ADDR": "127.0.0.1:" + strconv.Itoa(port),
		"TIERLINK_MAIL_REPLY_DOMAIN": "reply.test", "TIERLINK_MAIL_INBOUND_MAX": "256KiB"})
	f := s.f
	sys := f.System()
	g, err := f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "PO-1001", Kind: group.KindPartner, PartnerID: f.PartnerA.ID,
		ContactIDs: []int{f.ContactA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := mail.LoadKeys(context.Background(), f.DB.Client)
	if err != nil {
		t.Fatal(err)
	}
	addr := keys.ReplyAddress("reply.test", g.ID, mail.Recipient{ContactID: f.ContactA.ID, UserID: f.UserA.ID})
	pdf := append([]byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n"), []byte("%%EOF\n")...)

	type file struct {
		name string
		b    []byte
	}
	type reply struct {
		from, to, id, body string
		files              []file
	}
	send := func(r reply) error {
		t.Helper()
		m := gomail.NewMsg()
		if err := m.From(r.from); err != nil {
			t.Fatal(err)
		}
		if err := m.To(r.to); err != nil {
			t.Fatal(err)
		}
		m.Subject("Re: [Tierlink] PO-1001")
		m.SetMessageIDWithValue(r.id)
		m.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, "<tl.0123@example.com>")
		m.SetBodyString(gomail.TypeTextPlain, r.body)
		for _, a := range r.files {
			if err := m.AttachReader(a.name, bytes.NewReader(a.b)); err != nil {
				t.Fatal(err)
			}
		}
		c, err := gomail.NewClient("127.0.0.1", gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithPort(port), gomail.WithTimeout(20*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return c.DialAndSendWithContext(ctx, m)
	}
	code := func(err error) int {
		var se *gomail.SendError
		if errors.As(err, &se) {
			return se.ErrorCode()
		}
		return -1
	}
	posts := func() int {
		n, err := f.DB.Client.Post.Query().Where(post.GroupID(g.ID), post.AuthorContactIDNotNil()).Count(sys)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	docs := func() int {
		n, err := f.DB.Client.Document.Query().Where(document.PartnerID(f.PartnerA.ID)).Count(sys)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	refusals := func(reason string) int {
		n, err := f.DB.Client.MailInbound.Query().Where(mailinbound.StateEQ(mailinbound.StateRefused), mailinbound.Reason(reason)).Count(sys)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	const written = "Shipping Friday; the quality report is attached.\n谢谢"
	body := written + "\n\n-- \nLiu Yang\nHuaxing Precision\n\nOn Thu, Dec 3, 2026 at 9:14 AM Tierlink <" + addr + "> wrote:\n> — Reply above this line —\n> Bo mentioned you in PO-1001\n"

	t.Run("PostedAsContact", func(t *testing.T) {
		if err := send(reply{from: "刘洋 <LIU@a.test>", to: addr, id: "r1@a.test", body: body, files: []file{{"report.pdf", pdf}}}); err != nil {
			t.Fatalf("send: %v\n%s", err, s.errb.String())
		}
		p, err := f.DB.Client.Post.Query().Where(post.GroupID(g.ID), post.AuthorContactID(f.ContactA.ID)).Only(sys)
		if err != nil {
			t.Fatal(err)
		}
		if p.Body != written {
			t.Errorf("body %q, want %q", p.Body, written)
		}
		if len(p.DocumentIds) != 1 {
			t.Fatalf("documents linked: %v", p.DocumentIds)
		}
		d, err := f.DB.Client.Document.Get(sys, p.DocumentIds[0])
		if err != nil {
			t.Fatal(err)
		}
		if d.PartnerID != f.PartnerA.ID || d.Kind != document.KindOther || d.Title != "report.pdf" || d.GroupID == nil || *d.GroupID != g.ID {
			t.Errorf("document %+v", d)
		}
		row, err := f.DB.Client.MailInbound.Query().Where(mailinbound.StateEQ(mailinbound.StatePosted)).Only(sys)
		if err != nil || row.PostID == nil || *row.PostID != p.ID || *row.ContactID != f.ContactA.ID {
			t.Fatalf("inbound row %+v %v", row, err)
		}
	})
	t.Run("ShownInBothLanguages", func(t *testing.T) {
		resp, err := http.Post(s.base+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"email":"buyer@co.test","password":"`+partnerstest.Password+`"}`))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("login: %v %v", resp, err)
		}
		resp.Body.Close()
		for _, lang := range []string{"en", "zh-CN"} {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/groups/%d", s.base, g.ID), nil)
			req.Header.Set("Accept-Language", lang)
			for _, c := range resp.Cookies() {
				req.AddCookie(c)
			}
			page, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(page.Body)
			page.Body.Close()
			html := string(b)
			if page.StatusCode != 200 || !strings.Contains(html, `lang="`+lang+`"`) {
				t.Fatalf("%s: %d %.300s", lang, page.StatusCode, html)
			}
			for _, want := range []string{"Shipping Friday; the quality report is attached.", "谢谢", "刘洋", "report.pdf"} {
				if !strings.Contains(html, want) {
					t.Errorf("%s page lacks %q", lang, want)
				}
			}
			if strings.Contains(html, "Reply above this line") || strings.Contains(html, "Huaxing Precision") {
				t.Errorf("%s page shows the quoted mail or the signature", lang)
			}
		}
	})
	before, beforeDocs := posts(), docs()
	t.Run("SameMessageIDOnce", func(t *testing.T) {
		if err := send(reply{from: "liu@a.test", to: addr, id: "r1@a.test", body: body}); err != nil {
			t.Fatalf("resend: %v", err)
		}
		if n := posts(); n != before {
			t.Fatalf("posts %d after a duplicate, want %d", n, before)
		}
	})
	t.Run("PostedBeforeCrash", func(t *testing.T) {
		// The process died after the post committed but before its row was
		// marked posted: the row is left "processing" and goes stale. The
		// sender's retry meets the post's idempotency key and posts nothing.
		sum := sha256.Sum256([]byte("r1@a.test"))
		row, err := f.DB.Client.MailInbound.Query().Where(mailinbound.MessageIDHash(hex.EncodeToString(sum[:]))).Only(sys)
		if err != nil || row.PostID == nil {
			t.Fatalf("posted row: %+v %v", row, err)
		}
		if _, err := f.DB.Writer.Exec(`UPDATE mail_inbounds SET state = 'processing', post_id = NULL, created_at = ? WHERE id = ?`,
			time.Now().Add(-time.Hour).UTC(), row.ID); err != nil {
			t.Fatal(err)
		}
		if err := send(reply{from: "liu@a.test", to: addr, id: "r1@a.test", body: body}); err != nil {
			t.Fatalf("retry after a crash: %v", err)
		}
		if n := posts(); n != before {
			t.Fatalf("posts %d after the retry, want %d", n, before)
		}
		again, err := f.DB.Client.MailInbound.Query().Where(mailinbound.MessageIDHash(hex.EncodeToString(sum[:]))).Only(sys)
		if err != nil || again.State != mailinbound.StatePosted || again.PostID == nil || *again.PostID != *row.PostID {
			t.Fatalf("row after the retry: %+v %v (first post %d)", again, err, *row.PostID)
		}
	})
	t.Run("ForgedFrom", func(t *testing.T) {
		err := send(reply{from: "Liu Yang <liu@evil.test>", to: addr, id: "forged@evil.test", body: "Please change the bank account."})
		if c := code(err); c != 550 {
			t.Fatalf("forged sender: %v (code %d)", err, c)
		}
		// The envelope sender right, the header From forged.
		m := "From: Liu Yang <liu@evil.test>\r\nTo: " + addr + "\r\nSubject: Re\r\nMessage-ID: <forged2@evil.test>\r\n\r\nPlease change the bank account.\r\n"
		if err := rawSend(t, port, "liu@a.test", addr, m); err == nil || !strings.Contains(err.Error(), "550 5.7.1") {
			t.Fatalf("forged header From: %v", err)
		}
		if posts() != before || refusals("sender_mismatch") != 2 {
			t.Fatalf("posts %d, sender_mismatch rows %d", posts(), refusals("sender_mismatch"))
		}
	})
	t.Run("Oversize", func(t *testing.T) {
		big := append(bytes.Clone(pdf), bytes.Repeat([]byte("0"), 300<<10)...)
		err := send(reply{from: "liu@a.test", to: addr, id: "big@a.test", body: "big file", files: []file{{"big.pdf", big}}})
		if c := code(err); c != 552 {
			t.Fatalf("oversize: %v (code %d)", err, c)
		}
		if posts() != before || docs() != beforeDocs || refusals("too_large") != 1 {
			t.Fatalf("posts %d docs %d too_large rows %d", posts(), docs(), refusals("too_large"))
		}
	})
	t.Run("ExeRefused", func(t *testing.T) {
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 200)...)
		// The PDF is stored first, then the .exe is refused: the PDF
		// must go again.
		err := send(reply{from: "liu@a.test", to: addr, id: "exe@a.test", body: "tool attached",
			files: []file{{"report.pdf", pdf}, {"tool.exe", exe}}})
		if c := code(err); c != 554 {
			t.Fatalf(".exe: %v (code %d)", err, c)
		}
		if posts() != before || docs() != beforeDocs || refusals("attachment_refused") != 1 {
			t.Fatalf("posts %d docs %d attachment_refused rows %d", posts(), docs(), refusals("attachment_refused"))
		}
		// The PDF was stored and removed, not never stored.
		if n, err := f.DB.Client.AuditEntry.Query().Where(auditentry.Action("document.delete")).Count(sys); err != nil || n != 1 {
			t.Fatalf("document.delete audits %d %v", n, err)
		}
	})
	t.Run("BadToken", func(t *testing.T) {
		local, _, _ := strings.Cut(addr, "@")
		other := keys.ReplyAddress("reply.test", g.ID, mail.Recipient{ContactID: f.ContactB.ID})
		for _, to := range []string{
			strings.Replace(addr, fmt.Sprintf("+g%d", g.ID), fmt.Sprintf("+g%d", g.ID+1), 1), // altered group
			local[:len(local)-1] + "a@reply.test",                                            // altered MAC
			local + "@other.test",                                                            // another domain
			"reply+g1c1u0@reply.test",                                                        // unsigned
		} {
			err := send(reply{from: "liu@a.test", to: to, id: "bad-" + to, body: "hello"})
			var se *gomail.SendError
			if !errors.As(err, &se) || se.ErrorCode() != 550 || se.Reason != gomail.ErrSMTPRcptTo {
				t.Errorf("%s: %v", to, err)
			}
		}
		// A valid address of another partner's contact, from its own
		// contact, still cannot post here: the contact is not a member.
		if err := send(reply{from: "brian@b.test", to: other, id: "b1@b.test", body: "hello"}); code(err) != 554 {
			t.Errorf("non-member: %v", err)
		}
		if posts() != before || refusals("bad_token") != 4 {
			t.Fatalf("posts %d bad_token rows %d", posts(), refusals("bad_token"))
		}
	})
	t.Run("EmptyReply", func(t *testing.T) {
		err := send(reply{from: "liu@a.test", to: addr, id: "empty@a.test", body: "On Thu, Dec 3, 2026 at 9:14 AM Tierlink <x@example.com> wrote:\n> hello\n"})
		if c := code(err); c != 554 || posts() != before || refusals("empty_reply") != 1 {
			t.Fatalf("empty reply: %v, posts %d, rows %d", err, posts(), refusals("empty_reply"))
		}
		// The same Message-ID sent again with text is tried again (a
		// refused mail does not block its ID), and posts once.
		if err := send(reply{from: "liu@a.test", to: addr, id: "empty@a.test", body: "Now with text."}); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if posts() != before+1 || refusals("empty_reply") != 0 {
			t.Fatalf("after retry: posts %d, empty_reply rows %d", posts(), refusals("empty_reply"))
		}
		before++
	})
	t.Run("BeingPostedIsTemporary", func(t *testing.T) {
		// Another delivery of this Message-ID is being posted right now:
		// the sender is told to try later, and nothing posts twice.
		sum := sha256.Sum256([]byte("busy@a.test"))
		if err := f.DB.Client.MailInbound.Create().SetMessageIDHash(hex.EncodeToString(sum[:])).Exec(sys); err != nil {
			t.Fatal(err)
		}
		err := send(reply{from: "liu@a.test", to: addr, id: "busy@a.test", body: "hello"})
		var se *gomail.SendError
		if !errors.As(err, &se) || !se.IsTemp() || posts() != before {
			t.Fatalf("busy: %v, posts %d", err, posts())
		}
	})
	t.Run("StaffReply", func(t *testing.T) {
		staff := keys.ReplyAddress("reply.test", g.ID, mail.Recipient{UserID: f.Buyer.ID})
		if err := send(reply{from: f.Buyer.Email, to: staff, id: "staff1@co.test", body: "We will pick it up.\n\nSent from my iPhone"}); err != nil {
			t.Fatalf("staff reply: %v", err)
		}
		p, err := f.DB.Client.Post.Query().Where(post.GroupID(g.ID), post.AuthorID(f.Buyer.ID)).Only(sys)
		if err != nil || p.Body != "We will pick it up." || p.AuthorContactID != nil {
			t.Fatalf("staff post %+v %v", p, err)
		}
	})
	t.Run("AutoReplyDropped", func(t *testing.T) {
		m := "From: liu@a.test\r\nTo: " + addr + "\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\nMessage-ID: <ooo@a.test>\r\n\r\nI am away.\r\n"
		if err := rawSend(t, port, "liu@a.test", addr, m); err != nil {
			t.Fatal(err)
		}
		if posts() != before || refusals("auto_reply") != 1 {
			t.Fatalf("posts %d auto_reply rows %d", posts(), refusals("auto_reply"))
		}
	})
	t.Run("ShutdownWithIdleClient", func(t *testing.T) {
		// A client that connected and says nothing must not hold up the
		// shutdown (go-smtp's Shutdown would wait for it).
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, 512)
		if n, err := c.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "220") {
			t.Fatalf("greeting %q %v", buf[:n], err)
		}
		start := time.Now()
		s.stop()
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("shutdown took %v", d)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(buf); err == nil {
			t.Errorf("idle connection still open after shutdown: %q", buf[:n])
		}
	})
}

// rawSend speaks SMTP by hand, for a message go-mail would not write.
func rawSend(t *testing.T, port int, from, to, msg string) error {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	expect := func(want string) error {
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(buf[:n]), want) {
			return fmt.Errorf("want %s, got %q", want, buf[:n])
		}
		return nil
	}
	if err := expect("220"); err != nil {
		return err
	}
	for _, step := range []struct{ send, want string }{
		{"HELO a.test\r\n", "250"}, {"MAIL FROM:<" + from + ">\r\n", "250"}, {"RCPT TO:<" + to + ">\r\n", "250"},
		{"DATA\r\n", "354"}, {msg + ".\r\n", "250"}, {"QUIT\r\n", "221"},
	} {
		if _, err := c.Write([]byte(step.send)); err != nil {
			return err
		}
		if err := expect(step.want); err != nil {
			return fmt.Errorf("after %q: %w", strings.SplitN(step.send, "\r\n", 2)[0], err)
		}
	}
	return nil
}

func TestConfigInbound(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := loadInbound(env(), "")
	if err != nil || c.Addr != "" {
		t.Fatalf("off by default: %+v %v", c, err)
	}
	c, err = loadInbound(env("TIERLINK_MAIL_INBOUND_ADDR", ":2525"), "Tierlink <noreply@Mail.Example.com>")
	if err != nil || c.Domain != "mail.example.com" || c.MaxBytes != 25<<20 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = loadInbound(env("TIERLINK_MAIL_INBOUND_ADDR", ":2525", "TIERLINK_MAIL_REPLY_DOMAIN", "Reply.Example.com", "TIERLINK_MAIL_INBOUND_MAX", "10MiB"), "noreply@example.com")
	if err != nil || c.Domain != "reply.example.com" || c.MaxBytes != 10<<20 {
		t.Fatalf("set: %+v %v", c, err)
	}
	for name, getenv := range map[string]func(string) string{
		"TIERLINK_MAIL_REPLY_DOMAIN":     env("TIERLINK_MAIL_INBOUND_ADDR", ":2525"),
		"TIERLINK_MAIL_INBOUND_ADDR":     env("TIERLINK_MAIL_INBOUND_ADDR", "2525", "TIERLINK_MAIL_REPLY_DOMAIN", "x.test"),
		"TIERLINK_MAIL_INBOUND_MAX":      env("TIERLINK_MAIL_INBOUND_MAX", "1KiB"),
		"TIERLINK_MAIL_INBOUND_TLS_CERT": env("TIERLINK_MAIL_INBOUND_TLS_KEY", "/k.pem"),
	} {
		var ce configError
		if _, err := loadInbound(getenv, ""); !asConfigError(err, &ce) || ce.name != name {
			t.Errorf("%s: got %v", name, err)
		}
	}
	var ce configError
	if _, err := loadInbound(env("TIERLINK_MAIL_INBOUND_ADDR", ":2525", "TIERLINK_MAIL_REPLY_DOMAIN", "x.test",
		"TIERLINK_MAIL_INBOUND_TLS_CERT", "/missing.pem", "TIERLINK_MAIL_INBOUND_TLS_KEY", "/missing-key.pem"), ""); !asConfigError(err, &ce) || ce.name != "TIERLINK_MAIL_INBOUND_TLS_CERT" {
		t.Errorf("missing cert: %v", err)
	}
}
