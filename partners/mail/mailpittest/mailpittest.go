// Package mailpittest runs a real Mailpit SMTP server for tests: the
// binary on PATH, or one built once from the Go module proxy at a pinned
// version into a cache directory, and a client of its REST API. There is
// no fake SMTP server.
package mailpittest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
)

// Version is the Mailpit version the harness builds when none is on PATH.
const Version = "v1.33.1"

// Server is a running Mailpit.
type Server struct {
	SMTPAddr string // host:port of SMTP
	HTTPAddr string // host:port of the web API
	Dir      string
	cmd      *exec.Cmd
	hc       *http.Client
}

// Binary returns a Mailpit binary: TIERLINK_MAILPIT_BIN, else mailpit
// on PATH, else the cached build, building it if needed.
func Binary() (string, error) {
	if p := os.Getenv("TIERLINK_MAILPIT_BIN"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	return Build()
}

// Build builds Mailpit into the tool cache once and returns its path;
// .ci/run calls it (go run ./partners/mail/mailpittest/build) so tests
// do not pay for the build under their timeout.
func Build() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "tierlink-tools", "mailpit-"+Version)
	bin := filepath.Join(dir, "mailpit")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Test packages run in parallel processes; one builds, the rest wait.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "install", "github.com/axllent/mailpit@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=", "CGO_ENABLED=0")
	cmd.Dir = os.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install mailpit@%s: %v\n%s", Version, err, tail(out))
	}
	return bin, nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Option adds a command-line flag to the server.
type Option func(*[]string)

// IgnoreDuplicateIDs makes Mailpit drop a message whose Message-ID it
// already holds (counted in RuntimeStats.SMTPIgnored).
func IgnoreDuplicateIDs() Option {
	return func(a *[]string) { *a = append(*a, "--ignore-duplicate-ids") }
}

// EnableChaos allows SetChaos.
func EnableChaos() Option { return func(a *[]string) { *a = append(*a, "--enable-chaos") } }

// NoCompression stores messages uncompressed (for benchmarks).
func NoCompression() Option { return func(a *[]string) { *a = append(*a, "--compression", "0") } }

// Start runs Mailpit on loopback until the test ends. A missing Mailpit
// skips the test locally and fails it under CI=true.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		dbtest.Require(tb, "Mailpit ("+err.Error()+")", true)
	}
	smtpPort, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	httpPort, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{
		SMTPAddr: fmt.Sprintf("127.0.0.1:%d", smtpPort),
		HTTPAddr: fmt.Sprintf("127.0.0.1:%d", httpPort),
		Dir:      tb.TempDir(),
		hc:       &http.Client{Timeout: 30 * time.Second},
	}
	args := []string{"--smtp", s.SMTPAddr, "--listen", s.HTTPAddr,
		"--database", filepath.Join(s.Dir, "mailpit.db"), "--max", "0",
		"--disable-version-check", "--smtp-disable-rdns", "--quiet",
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure"}
	for _, o := range opts {
		o(&args)
	}
	s.cmd = exec.Command(bin, args...)
	var logs strings.Builder
	s.cmd.Stdout, s.cmd.Stderr = &logs, &logs
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start mailpit: %v", err)
	}
	stopAtCleanup(tb, s.cmd)
	waitHealthy(tb, "http://"+s.HTTPAddr+"/readyz", 60*time.Second, &logs)
	return s
}

// stopAtCleanup ends a server when the test does: SIGTERM, then SIGKILL
// after ten seconds.
func stopAtCleanup(tb testing.TB, cmd *exec.Cmd) {
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }() //nolint:errcheck
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
		}
	})
}

// waitHealthy polls a health URL until it answers 200.
func waitHealthy(tb testing.TB, url string, wait time.Duration, logs *strings.Builder) {
	tb.Helper()
	deadline := time.Now().Add(wait)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mailpit did not become ready: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SMTPURL is the TIERLINK_SMTP_URL of this server: plain SMTP on
// loopback with credentials Mailpit accepts, so AUTH PLAIN is exercised.
func (s *Server) SMTPURL() string {
	return "smtp://t:t@" + s.SMTPAddr + "/?tls=none"
}

// Address is net/mail.Address as Mailpit writes it.
type Address struct {
	Name    string
	Address string
}

// Summary is one message in a list or search.
type Summary struct {
	ID          string
	MessageID   string // without <>
	Read        bool
	From        *Address
	To, Cc, Bcc []Address
	ReplyTo     []Address
	Subject     string
	Created     time.Time
	Tags        []string
	Size        float64
	Attachments int
	Snippet     string
}

// List is a page of messages.
type List struct {
	Total         int `json:"total"`
	Unread        int `json:"unread"`
	Count         int `json:"count"`
	MessagesCount int `json:"messages_count"`
	Start         int `json:"start"`
	Messages      []Summary
}

// Attachment is one part of a message.
type Attachment struct {
	PartID      string
	FileName    string
	ContentType string
	ContentID   string
	Size        float64
}

// Message is one message in full.
type Message struct {
	ID              string
	MessageID       string
	From            *Address
	To, Cc, Bcc     []Address
	ReplyTo         []Address
	ReturnPath      string
	Subject         string
	ListUnsubscribe struct {
		Header     string
		Links      []string
		Errors     string
		HeaderPost string
	}
	Date        time.Time
	Tags        []string
	Text        string
	HTML        string
	Size        float64
	Inline      []Attachment
	Attachments []Attachment
}

// Stats is the RuntimeStats of /api/v1/info.
type Stats struct {
	Uptime           float64
	Memory           uint64
	MessagesDeleted  uint64
	SMTPAccepted     uint64
	SMTPAcceptedSize uint64
	SMTPRejected     uint64
	SMTPIgnored      uint64
}

// Info is /api/v1/info.
type Info struct {
	Version      string
	Messages     uint64
	Unread       uint64
	RuntimeStats Stats
}

// ChaosTrigger makes one SMTP stage fail with ErrorCode, Probability
// percent of the time.
type ChaosTrigger struct {
	ErrorCode   int
	Probability int
}

// Chaos is the chaos setting (needs EnableChaos).
type Chaos struct {
	Sender, Recipient, Authentication ChaosTrigger
}

func (s *Server) do(method, path string, body any, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+s.HTTPAddr+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("mailpit %s %s: %s: %s", method, path, resp.Status, tail(b))
	}
	if out == nil {
		return nil
	}
	if p, ok := out.(*[]byte); ok {
		*p = b
		return nil
	}
	return json.Unmarshal(b, out)
}

func page(start, limit int) string {
	v := url.Values{}
	v.Set("start", strconv.Itoa(start))
	v.Set("limit", strconv.Itoa(limit))
	return v.Encode()
}

// Messages lists messages, newest first.
func (s *Server) Messages(start, limit int) (List, error) {
	var l List
	err := s.do("GET", "/api/v1/messages?"+page(start, limit), nil, &l)
	return l, err
}

// Search lists the messages matching query (to:, from:, subject:,
// message-id:, …), newest first.
func (s *Server) Search(query string, start, limit int) (List, error) {
	var l List
	err := s.do("GET", "/api/v1/search?query="+url.QueryEscape(query)+"&"+page(start, limit), nil, &l)
	return l, err
}

// Message is one message by its Mailpit ID (or "latest").
func (s *Server) Message(id string) (Message, error) {
	var m Message
	err := s.do("GET", "/api/v1/message/"+url.PathEscape(id), nil, &m)
	return m, err
}

// Headers are a message's headers.
func (s *Server) Headers(id string) (map[string][]string, error) {
	var h map[string][]string
	err := s.do("GET", "/api/v1/message/"+url.PathEscape(id)+"/headers", nil, &h)
	return h, err
}

// Raw is a message as received.
func (s *Server) Raw(id string) ([]byte, error) {
	var b []byte
	err := s.do("GET", "/api/v1/message/"+url.PathEscape(id)+"/raw", nil, &b)
	return b, err
}

// Part is one attachment of a message.
func (s *Server) Part(id, partID string) ([]byte, error) {
	var b []byte
	err := s.do("GET", "/api/v1/message/"+url.PathEscape(id)+"/part/"+url.PathEscape(partID), nil, &b)
	return b, err
}

// DeleteAll deletes every message.
func (s *Server) DeleteAll() error { return s.do("DELETE", "/api/v1/messages", nil, nil) }

// Info is the server's counters.
func (s *Server) Info() (Info, error) {
	var i Info
	err := s.do("GET", "/api/v1/info", nil, &i)
	return i, err
}

// SetChaos sets the failures Mailpit injects; the zero Chaos turns
// them off. Needs EnableChaos.
func (s *Server) SetChaos(c Chaos) error { return s.do("PUT", "/api/v1/chaos", c, nil) }

// WaitFor waits until query matches at least n messages and returns
// them; it fails the test after timeout. An empty query counts all.
func (s *Server) WaitFor(tb testing.TB, query string, n int, timeout time.Duration) []Summary {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var l List
		var err error
		if query == "" {
			l, err = s.Messages(0, max(n, 50))
		} else {
			l, err = s.Search(query, 0, max(n, 50))
		}
		if err == nil && len(l.Messages) >= n {
			return l.Messages
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mailpit: %d message(s) matching %q, want %d (err %v)", len(l.Messages), query, n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
