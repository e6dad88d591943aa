package portal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
)

// who is a kind of caller in the authorization matrix.
type who string

const (
	anon     who = "anon"
	wViewer  who = "viewer"
	wBuyer   who = "buyer"
	wAdmin   who = "admin"
	wPartner who = "partnerA"
	wForeign who = "partnerB"
)

var everyone = []who{anon, wViewer, wBuyer, wAdmin, wPartner, wForeign}

type testSession struct{ cookie, csrf string }

type env struct {
	t        testing.TB
	f        *partnerstest.Fixture
	srv      *Server
	sessions map[who]testSession
	vars     map[string]string
	liveURL  string
	docID    int
	orders   map[string]string
}

func newEnv(t testing.TB, dialect string) *env {
	t.Helper()
	return newEnvWith(t, partnerstest.New(t, dialect))
}

// newEnvWith builds the server over a prepared fixture (one whose
// documents live in MinIO, say).
func newEnvWith(t testing.TB, f *partnerstest.Fixture) *env {
	t.Helper()
	base, _ := url.Parse("http://127.0.0.1:8080")
	srv, err := New(Config{BaseURL: base, QuietAccessLog: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, testDeps(t, f))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, f: f, srv: srv, sessions: map[who]testSession{}}
	users := map[who]accounts.User{wViewer: f.Viewer, wBuyer: f.Buyer, wAdmin: f.Admin, wPartner: f.UserA, wForeign: f.UserB}
	for w, u := range users {
		tok, s, err := f.Acc.Login(context.Background(), accounts.LoginInput{Email: u.Email, Password: partnerstest.Password}, "127.0.0.1", "test")
		if err != nil {
			t.Fatalf("login %s: %v", w, err)
		}
		e.sessions[w] = testSession{cookie: tok, csrf: s.CSRF}
	}
	return e
}

// req builds a request as w; bodies starting with '{' or '[' are JSON,
// others are forms.
func (e *env) req(w who, method, path, body string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else if ct, raw, ok := strings.Cut(body, "\x00"); ok && strings.Contains(ct, "/") {
		// "type\x00bytes" sends raw bytes of a content type (uploads).
		r = httptest.NewRequest(method, path, strings.NewReader(raw))
		r.Header.Set("Content-Type", ct)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		if body[0] == '{' || body[0] == '[' {
			r.Header.Set("Content-Type", "application/json")
		} else {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if s, ok := e.sessions[w]; ok {
		r.AddCookie(&http.Cookie{Name: e.srv.cookieName, Value: s.cookie})
		r.Header.Set("X-CSRF-Token", s.csrf)
	}
	return r
}

// do sends r through the app and checks the exchange against the API
// contract (contract_test.go).
func (e *env) do(r *http.Request) *http.Response {
	e.t.Helper()
	var reqBody []byte
	if r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	probe := r.Clone(context.Background())
	var resp *http.Response
	if strings.HasSuffix(r.URL.Path, "/stream") {
		resp = e.doStream(r)
	} else {
		var err error
		if resp, err = e.srv.App().Test(r, -1); err != nil {
			e.t.Fatalf("%s %s: %v", r.Method, r.URL, err)
		}
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	e.checkContract(probe, reqBody, resp, respBody)
	return resp
}

// doStream sends r over a real connection (a stream never ends, which
// app.Test would wait for) and keeps the start of an event stream: its
// first event, enough to tell that it flows.
func (e *env) doStream(r *http.Request) *http.Response {
	e.t.Helper()
	u, _ := url.Parse(e.live() + r.URL.RequestURI())
	r.URL, r.RequestURI, r.Host = u, "", u.Host
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(r.WithContext(ctx))
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	var head []byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		br := bufio.NewReader(resp.Body)
		for !bytes.HasSuffix(head, []byte("\n\n")) {
			b, err := br.ReadByte()
			if err != nil {
				break
			}
			head = append(head, b)
		}
	} else {
		head, _ = io.ReadAll(resp.Body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(head))
	return resp
}

func (e *env) call(w who, method, path, body string) (*http.Response, []byte) {
	e.t.Helper()
	resp := e.do(e.req(w, method, path, body))
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, b)
	}
	return v
}

// live serves the app on a loopback port for tests that need a real
// connection (body limits, streaming) and returns its base URL.
func (e *env) live() string {
	e.t.Helper()
	if e.liveURL != "" {
		return e.liveURL
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go e.srv.Serve(ln)
	e.t.Cleanup(func() { e.srv.Shutdown(context.Background()) })
	e.liveURL = "http://" + ln.Addr().String()
	return e.liveURL
}

// pdf is a small valid PDF for upload tests.
var pdf = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj " +
	"3 0 obj<</Type/Page/MediaBox[0 0 3 3]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// docA returns the id of a certificate of partner A, uploading it once.
func (e *env) docA() int {
	e.t.Helper()
	if e.docID != 0 {
		return e.docID
	}
	d, err := e.f.Docs.Upload(e.f.Ctx(e.f.Buyer), documents.UploadInput{PartnerID: e.f.PartnerA.ID, Kind: "certificate",
		Filename: "ISO9001.pdf", ExpiresOn: "2030-01-31"}, documents.Body{R: bytes.NewReader(pdf), Size: int64(len(pdf)), ClaimedType: "application/pdf"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.docID = d.ID
	return d.ID
}

// testDeps are the portal's dependencies over a fixture, with the
// standard jobs registered on a scheduler that is not started (runs are
// asked for by hand) and stopped before the database closes.
func testDeps(t testing.TB, f *partnerstest.Fixture) Deps {
	t.Helper()
	js, err := jobs.Standard(jobs.Services{Client: f.DB.Client, Directory: f.Dir, Accounts: f.Acc, Documents: f.Docs, Status: f.Status, Scorecards: f.Scorecards}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sched := jobs.New(f.DB.Client, slog.New(slog.NewTextHandler(io.Discard, nil)), time.UTC, "test")
	for _, j := range js {
		if err := sched.Add(j); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { sched.Stop(context.Background()) })
	wapi, err := wecom.NewClient(wecom.Config{}, f.DB.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	return withNotify(t, f, Deps{DB: f.DB, Directory: f.Dir, Accounts: f.Acc, Documents: f.Docs, Orders: f.Orders, Shipments: f.Shipments, Groups: f.Groups, Jobs: sched, Scorecards: f.Scorecards,
		WeCom: wecom.NewService(f.DB.Client, wapi, f.Dir, nil), Mail: f.Acc.Mail})
}
