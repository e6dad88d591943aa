package inbound

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

const gbkReply = "From: =?GBK?B?wO7OsA==?= <li@supplier.cn>\r\n" +
	"To: reply+g1c2u0.x@example.com\r\n" +
	"Message-ID: <abc.123@supplier.cn>\r\n" +
	"In-Reply-To: <tl.1@example.com>\r\n" +
	"Subject: =?GBK?B?u9i4tA==?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b1\r\n\r\n" +
	"--b1\r\n" +
	"Content-Type: multipart/alternative; boundary=b2\r\n\r\n" +
	"--b2\r\n" +
	"Content-Type: text/plain; charset=GBK\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\n" +
	"usO1xKOs1tzO5beiu/Whow==\r\n" +
	"--b2\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n\r\n" +
	"<p>ignored when text exists</p>\r\n" +
	"--b2--\r\n" +
	"--b1\r\n" +
	"Content-Type: application/pdf; name=\"report.pdf\"\r\n" +
	"Content-Disposition: attachment; filename=\"report.pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\n" +
	"JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDw+PgplbmRvYmoKdHJhaWxlcgo8PD4+CiUlRU9GCg==\r\n" +
	"--b1\r\n" +
	"Content-Type: image/png\r\n" +
	"Content-ID: <logo@x>\r\n" +
	"Content-Disposition: inline; filename=\"logo.png\"\r\n\r\n" +
	"png\r\n" +
	"--b1--\r\n"

func TestReadMessage(t *testing.T) {
	dir := t.TempDir()
	m, err := ReadMessage(strings.NewReader(gbkReply), dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "li@supplier.cn" || m.MessageID != "abc.123@supplier.cn" || len(m.InReplyTo) != 1 || m.AutoReply {
		t.Fatalf("headers: %+v", m)
	}
	if strings.TrimSpace(m.Text) != "好的，周五发货。" {
		t.Fatalf("GBK text: %q", m.Text)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "report.pdf" || m.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachments: %+v", m.Attachments)
	}
	b, _ := os.ReadFile(m.Attachments[0].Path)
	if !bytes.HasPrefix(b, []byte("%PDF-1.4")) || int64(len(b)) != m.Attachments[0].Size {
		t.Fatalf("spooled %q", b)
	}
	m.Close()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("spool left %d files", len(left))
	}
	t.Run("AutoReply", func(t *testing.T) {
		for _, h := range []string{"Auto-Submitted: auto-replied", "Precedence: bulk", "X-Autoreply: yes", "Precedence: auto_reply"} {
			m, err := ReadMessage(strings.NewReader("From: a@b.c\r\n"+h+"\r\n\r\nOut of office\r\n"), dir)
			if err != nil || !m.AutoReply {
				t.Errorf("%s: %v %v", h, m, err)
			}
		}
		m, err := ReadMessage(strings.NewReader("From: a@b.c\r\nAuto-Submitted: no\r\n\r\nhi\r\n"), dir)
		if err != nil || m.AutoReply || strings.TrimSpace(m.Text) != "hi" {
			t.Errorf("Auto-Submitted: no: %+v %v", m, err)
		}
	})
	t.Run("TooManyAttachments", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n")
		for i := range MaxAttachments + 1 {
			fmt.Fprintf(&b, "--x\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=f%d.pdf\r\n\r\n%%PDF-1.4\r\n", i)
		}
		b.WriteString("--x--\r\n")
		if _, err := ReadMessage(strings.NewReader(b.String()), dir); err != ErrTooManyParts {
			t.Fatalf("got %v", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("spool left %d files", len(left))
		}
	})
	t.Run("DeepNesting", func(t *testing.T) {
		// Unbounded nesting made reading quadratic: 5,000 levels took
		// seconds; 25 MiB of them would take hours.
		var b strings.Builder
		b.WriteString("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := range 5000 {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
		}
		start := time.Now()
		if _, err := ReadMessage(strings.NewReader(b.String()), dir); err != ErrTooManyParts {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %v", d)
		}
	})
	t.Run("HTMLOnly", func(t *testing.T) {
		m, err := ReadMessage(strings.NewReader("From: a@b.c\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div>Yes.</div><blockquote>old</blockquote>\r\n"), dir)
		if err != nil || StripReply(m.Text) != "Yes." {
			t.Fatalf("%+v %v", m, err)
		}
	})
}

func FuzzReadMessage(f *testing.F) {
	f.Add([]byte(gbkReply))
	f.Add([]byte("From: a@b.c\r\n\r\nhello"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--a--\r\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ReadMessage(bytes.NewReader(raw), dir)
		if err != nil {
			return
		}
		defer m.Close()
		if len(m.Attachments) > MaxAttachments {
			t.Fatalf("%d attachments", len(m.Attachments))
		}
		_ = StripReply(m.Text)
	})
}
