package inbound

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "reply.test"}, DNSNames: []string{"reply.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// With a certificate the listener offers STARTTLS, and a reply sent
// over it posts like any other.
func TestServerSTARTTLS(t *testing.T) {
	f := partnerstest.New(t, dialect.SQLite)
	g, err := f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "PO-7", Kind: group.KindPartner, PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := mail.LoadKeys(context.Background(), f.DB.Client)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Domain: "reply.test", TLS: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}, SpoolDir: t.TempDir()},
		f.DB.Client, keys, f.Groups, f.Docs, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	c, err := smtp.Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("a.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("no STARTTLS offered")
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Fatal("AUTH offered")
	}
	if ok, size := c.Extension("SIZE"); !ok || size != "26214400" {
		t.Fatalf("SIZE %q", size)
	}
	if err := c.StartTLS(&tls.Config{ServerName: "reply.test", InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	to := keys.ReplyAddress("reply.test", g.ID, mail.Recipient{ContactID: f.ContactA.ID})
	if err := c.Mail("liu@a.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: 刘洋 <liu@a.test>\r\nTo: " + to + "\r\nSubject: Re\r\nMessage-ID: <tls1@a.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"已发货。\r\n\r\n在 2026年12月3日 09:14，Tierlink 写道：\r\n> —— 请在此行以上回复 ——\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := f.DB.Client.Post.Query().Where(post.GroupID(g.ID), post.AuthorContactID(f.ContactA.ID)).Only(f.System())
	if err != nil || strings.TrimSpace(p.Body) != "已发货。" {
		t.Fatalf("post %+v %v", p, err)
	}
	_ = c.Quit()
}
