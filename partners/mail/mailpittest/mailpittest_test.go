package mailpittest_test

import (
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners/mail/mailpittest"
)

// TestHarness sends one message over plain SMTP with AUTH and reads it
// back through every client call, then checks chaos refuses RCPT.
func TestHarness(t *testing.T) {
	s := mailpittest.Start(t, mailpittest.EnableChaos())
	if !strings.HasPrefix(s.SMTPURL(), "smtp://t:t@127.0.0.1:") {
		t.Fatalf("SMTPURL = %q", s.SMTPURL())
	}
	raw := "From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\nMessage-ID: <x1@example.com>\r\n\r\nbody text\r\n"
	if err := smtp.SendMail(s.SMTPAddr, nil, "a@example.com", []string{"b@example.com"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	got := s.WaitFor(t, "message-id:x1@example.com", 1, 10*time.Second)
	if got[0].MessageID != "x1@example.com" || got[0].Subject != "hello" {
		t.Fatalf("summary = %+v", got[0])
	}
	m, err := s.Message(got[0].ID)
	if err != nil || !strings.Contains(m.Text, "body text") || m.To[0].Address != "b@example.com" {
		t.Fatalf("message = %+v, %v", m, err)
	}
	h, err := s.Headers(got[0].ID)
	if err != nil || h["Subject"][0] != "hello" {
		t.Fatalf("headers = %v, %v", h, err)
	}
	b, err := s.Raw(got[0].ID)
	if err != nil || !strings.Contains(string(b), "body text") {
		t.Fatalf("raw = %q, %v", b, err)
	}
	info, err := s.Info()
	if err != nil || info.Messages != 1 || info.RuntimeStats.SMTPAccepted != 1 {
		t.Fatalf("info = %+v, %v", info, err)
	}
	if err := s.SetChaos(mailpittest.Chaos{Recipient: mailpittest.ChaosTrigger{ErrorCode: 550, Probability: 100}}); err != nil {
		t.Fatal(err)
	}
	if err := smtp.SendMail(s.SMTPAddr, nil, "a@example.com", []string{"b@example.com"}, []byte(raw)); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("chaos send: %v, want 550", err)
	}
	if err := s.SetChaos(mailpittest.Chaos{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAll(); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Messages(0, 10); err != nil || l.Total != 0 {
		t.Fatalf("after DeleteAll: %+v, %v", l, err)
	}
}
