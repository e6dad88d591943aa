package inbound

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // GBK, GB18030, Big5: what Chinese clients send
	"github.com/emersion/go-message/mail"
)

// Limits go-message does not set: it caps the header (1 MB) but neither
// the number of parts nor their nesting.
const (
	// MaxParts is the most leaf parts read from one mail.
	MaxParts = 50
	// MaxAttachments is the most attachments one reply may carry, the
	// limit of documents one post may link.
	MaxAttachments = 20
	// maxText is the most bytes of a text part kept; a post holds 10,000
	// characters, so more is never needed.
	maxText = 1 << 20
)

var (
	// ErrTooManyParts is a mail of more than MaxParts parts or
	// MaxAttachments attachments.
	ErrTooManyParts = errors.New("inbound: too many parts or attachments")
	// ErrMalformed is a mail go-message cannot read.
	ErrMalformed = errors.New("inbound: malformed message")
)

// Message is a received mail, read: its headers of interest, its text,
// and its attachments spooled to files that Close removes.
type Message struct {
	// From is the header From address, lower case; empty if missing or
	// unreadable.
	From      string
	MessageID string
	InReplyTo []string
	Subject   string
	// AutoReply is an out-of-office or list mail (Auto-Submitted,
	// Precedence, X-Autoreply), which must not post.
	AutoReply bool
	// Text is the text/plain body, or the HTML body made text.
	Text        string
	Attachments []Attachment
}

// Attachment is one attached file, spooled to Path.
type Attachment struct {
	Filename, ContentType, Path string
	Size                        int64
}

// Close removes the spooled attachments.
func (m *Message) Close() {
	for _, a := range m.Attachments {
		_ = os.Remove(a.Path) // a temp file; the OS temp cleaner gets any left
	}
}

// ReadMessage parses a mail from r, spooling attachments into files in
// dir (the system's temporary directory if empty). On error nothing is
// left in dir.
func ReadMessage(r io.Reader, dir string) (_ *Message, err error) {
	e, err := message.Read(r)
	if err != nil && !message.IsUnknownCharset(err) {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	m := &Message{}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	h := mail.Header{Header: e.Header}
	if l, err := h.AddressList("From"); err == nil && len(l) > 0 {
		m.From = strings.ToLower(strings.TrimSpace(l[0].Address))
	}
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = id
	} else {
		m.MessageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	}
	m.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	m.Subject, _ = h.Subject()
	m.AutoReply = autoReply(h)
	var plain, htmlText string
	leaf := func(p *message.Entity) error {
		ct, _, _ := p.Header.ContentType()
		ct = strings.ToLower(ct)
		disp, _, _ := p.Header.ContentDisposition()
		name := filename(p.Header)
		isText := ct == "" || ct == "text/plain" || ct == "text/html"
		switch {
		case disp != "attachment" && isText && name == "":
			b, err := io.ReadAll(io.LimitReader(p.Body, maxText))
			if err != nil && !message.IsUnknownCharset(err) {
				return fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			if ct == "text/html" {
				if htmlText == "" {
					htmlText = HTMLText(string(b))
				}
			} else if plain == "" {
				plain = string(b)
			}
		case disp != "attachment" && strings.HasPrefix(ct, "image/") && p.Header.Get("Content-Id") != "":
			// A picture the HTML shows (a signature logo), not a file sent.
		case disp == "attachment" || name != "":
			if len(m.Attachments) == MaxAttachments {
				return ErrTooManyParts
			}
			a, err := spool(p.Body, dir, name, ct)
			if err != nil {
				return err
			}
			m.Attachments = append(m.Attachments, a)
		}
		return nil
	}
	// The walk is go-message's mail.Reader with a cap on nesting: every
	// level wraps the reader of the one above, so each byte costs one
	// step per level, and unbounded nesting makes reading quadratic.
	if err := walk(e, leaf); err != nil {
		return nil, err
	}
	m.Text = plain
	if strings.TrimSpace(m.Text) == "" {
		m.Text = htmlText
	}
	if !utf8.ValidString(m.Text) {
		m.Text = strings.ToValidUTF8(m.Text, "\uFFFD")
	}
	return m, nil
}

// maxDepth is the deepest multipart nesting read; real mail nests three
// or four levels (mixed, related, alternative).
const maxDepth = 8

// walk calls leaf for each part of e that is not multipart, in order,
// at most MaxParts parts in all.
func walk(e *message.Entity, leaf func(*message.Entity) error) error {
	mr := e.MultipartReader()
	if mr == nil {
		return leaf(e)
	}
	stack := []message.MultipartReader{mr}
	parts := 0
	for len(stack) > 0 {
		p, err := stack[len(stack)-1].NextPart()
		if errors.Is(err, io.EOF) {
			stack = stack[:len(stack)-1]
			continue
		}
		if err != nil && !message.IsUnknownCharset(err) {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if parts++; parts > MaxParts {
			return ErrTooManyParts
		}
		if pmr := p.MultipartReader(); pmr != nil {
			if len(stack) == maxDepth {
				return ErrTooManyParts
			}
			stack = append(stack, pmr)
			continue
		}
		if err := leaf(p); err != nil {
			return err
		}
	}
	return nil
}

func filename(h message.Header) string {
	name, _ := (&mail.AttachmentHeader{Header: h}).Filename()
	name = strings.TrimSpace(strings.ToValidUTF8(name, ""))
	if utf8.RuneCountInString(name) > 255 {
		name = string([]rune(name)[:255])
	}
	return name
}

func spool(r io.Reader, dir, name, ct string) (Attachment, error) {
	f, err := os.CreateTemp(dir, "tierlink-inbound-*")
	if err != nil {
		return Attachment{}, err
	}
	a := Attachment{Filename: name, ContentType: ct, Path: f.Name()}
	if a.Filename == "" {
		a.Filename = "attachment"
	}
	a.Size, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil && !message.IsUnknownCharset(err) {
		_ = os.Remove(f.Name())
		if pe := (*os.PathError)(nil); errors.As(err, &pe) {
			return Attachment{}, err // the disk, not the mail
		}
		return Attachment{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return a, nil
}

// autoReply recognises the mail that answers mail by itself: RFC 3834's
// Auto-Submitted, the older Precedence values, and the X- headers of
// vacation responders.
func autoReply(h mail.Header) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "auto_reply", "list", "junk":
		return true
	}
	return h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" || h.Get("List-Id") != ""
}
