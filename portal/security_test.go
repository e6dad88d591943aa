package portal

import (
	"io"
	"log/slog"
	"net"
	"strconv"

	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func loginForm(e *env, email, password string) *http.Response {
	r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"email": {email}, "password": {password}, "next": {"/partners"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(r)
}

func sessionCookie(e *env, resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == e.srv.cookieName && c.Value != "" {
			return c
		}
	}
	return nil
}

func TestLoginPageSetsFreshSession(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	// A session id planted by an attacker is never adopted.
	r := httptest.NewRequest("POST", "/login", strings.NewReader("email=buyer%40co.test&password=correct+horse+battery"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: e.srv.cookieName, Value: "attacker-chosen-id"})
	resp := e.do(r)
	c := sessionCookie(e, resp)
	if resp.StatusCode != 303 || c == nil || c.Value == "attacker-chosen-id" {
		t.Fatalf("status %d cookie %+v", resp.StatusCode, c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Fatalf("cookie flags: %+v", c)
	}
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Fatalf("redirect to %q", loc)
	}
	// A second login gets another id: the id changes at every login.
	c2 := sessionCookie(e, loginForm(e, "buyer@co.test", "correct horse battery"))
	if c2 == nil || c2.Value == c.Value {
		t.Fatal("session id not renewed at login")
	}
	t.Run("ErrWrongPassword", func(t *testing.T) {
		resp := loginForm(e, "buyer@co.test", "nope")
		if resp.StatusCode != 401 || sessionCookie(e, resp) != nil {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("OpenRedirectRefused", func(t *testing.T) {
		for _, next := range []string{"//evil.test/x", "https://evil.test", "/\\evil.test", "javascript:alert(1)"} {
			if got := safeNext(next); got != "/" {
				t.Errorf("safeNext(%q) = %q", next, got)
			}
		}
	})
}

func TestSecureCookieOnHTTPS(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base, _ := url.Parse("https://portal.example.com")
	srv, err := New(Config{BaseURL: base, QuietAccessLog: true}, testDeps(t, e.f))
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	c := sessionCookie(e, loginForm(e, "buyer@co.test", "correct horse battery"))
	if c == nil || c.Name != "__Host-tierlink_session" || !c.Secure || !c.HttpOnly || c.Domain != "" || c.Path != "/" {
		t.Fatalf("cookie = %+v", c)
	}
	resp, _ := e.call(anon, "GET", "/login", "")
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS on https")
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	s := e.sessions[wBuyer]
	post := func(path, body, token string) int {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if strings.HasPrefix(body, "{") {
			r.Header.Set("Content-Type", "application/json")
		}
		r.AddCookie(&http.Cookie{Name: e.srv.cookieName, Value: s.cookie})
		if token != "" {
			r.Header.Set("X-CSRF-Token", token)
		}
		return e.do(r).StatusCode
	}
	// Every state-changing form and API call on a cookie session needs
	// the session's token.
	for _, p := range []struct{ path, body string }{
		{"/settings", "locale=en"},
		{"/logout", "x=1"},
		{"/contacts/1/transfer", "to_owner_id=3"},
		{"/transfers", "contact_ids=1&to_owner_id=3"},
		{"/api/v1/partners", `{"code":"Z","name":"Z","kind":"service"}`},
	} {
		if got := post(p.path, p.body, ""); got != 403 {
			t.Errorf("%s without token: %d", p.path, got)
		}
		if got := post(p.path, p.body, "wrong"); got != 403 {
			t.Errorf("%s with wrong token: %d", p.path, got)
		}
	}
	if got := post("/settings", "locale=en&_csrf="+url.QueryEscape(s.csrf), ""); got != 303 {
		t.Errorf("form token accepted? %d", got)
	}
	if got := post("/api/v1/partners", `{"code":"Z","name":"Z","kind":"service"}`, s.csrf); got != 201 {
		t.Errorf("API with token: %d", got)
	}
	// Anonymous cross-site form posts (login CSRF) are refused.
	r := httptest.NewRequest("POST", "/login", strings.NewReader("email=buyer%40co.test&password=correct+horse+battery"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.test")
	if resp := e.do(r); resp.StatusCode != 403 {
		t.Errorf("cross-site login: %d", resp.StatusCode)
	}
	r.Header.Del("Origin")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp := e.do(r); resp.StatusCode != 403 {
		t.Errorf("cross-site (fetch metadata) login: %d", resp.StatusCode)
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for _, p := range []struct {
		w    who
		path string
	}{{anon, "/login"}, {wBuyer, "/partners"}, {wBuyer, "/api/v1/partners"}, {anon, "/api/v1/partners"}, {anon, "/nope"}, {anon, "/assets/app.css"}, {anon, "/healthz"}} {
		resp, _ := e.call(p.w, "GET", p.path, "")
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p.path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: headers %v", p.path, resp.Header)
		}
		// No CORS is offered at all, so credentials can never be shared
		// with a wildcard origin.
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: CORS header present", p.path)
		}
	}
	r := e.req(wBuyer, "OPTIONS", "/api/v1/partners", "")
	r.Header.Set("Origin", "https://evil.test")
	r.Header.Set("Access-Control-Request-Method", "POST")
	if resp := e.do(r); resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight answered with CORS: %v", resp.Header)
	}
}

func TestForwardedForOnlyFromTrustedProxy(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	e.f.Acc.Throttle.PerAddress = 3
	e.f.Acc.Throttle.PerAccount = 100
	try := func(xff string) int {
		r := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"x@y.test","password":"bad"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Forwarded-For", xff)
		return e.do(r).StatusCode
	}
	// Untrusted peer: a fresh spoofed address per attempt changes nothing.
	for i := 0; i < 3; i++ {
		try("203.0.113." + string(rune('1'+i)))
	}
	if got := try("198.51.100.7"); got != 429 {
		t.Fatalf("spoofed X-Forwarded-For bypassed the limit: %d", got)
	}
	// Behind a trusted proxy, the right-most untrusted hop is the client;
	// a client-prepended address is ignored.
	e.srv.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	c := struct{ xff, want string }{"1.1.1.1, 9.9.9.9, 10.0.0.5", "9.9.9.9"}
	if got := e.clientIPFor(c.xff, "10.0.0.1"); got != c.want {
		t.Fatalf("clientIP(%q) = %q, want %q", c.xff, got, c.want)
	}
	if got := e.clientIPFor("1.1.1.1", "192.0.2.1"); got != "192.0.2.1" {
		t.Fatalf("untrusted peer's header believed: %q", got)
	}
}

// TestMalformedFormKeysDoNotPanic posts forms with broken keys to the
// pages that read forms. A body that is not a form (a broken escape, more
// fields than the decoder takes) is a 400; a form with a key no field
// has is refused against that key (422), as the API refuses an unknown
// JSON field; and a refused form stores nothing.
func TestMalformedFormKeysDoNotPanic(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	bodies := []string{"%%%=1", "a[=1&b]]=2", "contact_ids=%zz&to_owner_id=1", strings.Repeat("&", 10000), "heir_x=1&heir_%00=2",
		"contact_ids=1&contact_ids=x", "=&=&=", "_csrf=%E0%A4%A"}
	// Every form answers the same: want is the status for each of bodies.
	want := strings.Fields("400 422 400 400 422 422 422 400")
	for _, tc := range []struct{ name, path string }{
		{"Transfers", "/transfers"},
		{"Deactivate", "/staff/3/deactivate"},
		{"Settings", "/settings"},
		{"Login", "/login"},
		{"ContactTransfer", "/contacts/1/transfer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, body := range bodies {
				before := e.f.Snapshot(t, "sessions")
				resp, _ := e.call(wAdmin, "POST", tc.path, body)
				if got := strconv.Itoa(resp.StatusCode); got != want[i] {
					t.Errorf("POST %s %.40q: %s, want %s", tc.path, body, got, want[i])
				}
				if changed := partnerstest.DiffSnapshots(before, e.f.Snapshot(t, "sessions")); len(changed) > 0 {
					t.Errorf("POST %s %.40q: a refused form stored %v", tc.path, body, changed)
				}
			}
		})
	}
}

func TestPagesSpeakTheUsersLanguage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	r := e.req(wBuyer, "GET", "/partners", "")
	r.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
	resp := e.do(r)
	b := readAll(resp)
	if !strings.Contains(b, "伙伴名录") || !strings.Contains(b, `lang="zh-CN"`) {
		t.Fatalf("zh page:\n%.500s", b)
	}
	if _, err := e.f.Acc.UpdateMe(e.f.Ctx(e.f.Buyer), accountsMe("en")); err != nil {
		t.Fatal(err)
	}
	b = readAll(e.do(r))
	if !strings.Contains(b, "Directory") {
		t.Fatal("saved language setting did not win over Accept-Language")
	}
	// Partner users land on their to-do home, one tap from their own
	// partner, and never see the directory.
	resp, body := e.call(wPartner, "GET", "/", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `href="/partners/`+strconv.Itoa(e.f.PartnerA.ID)+`"`) {
		t.Fatalf("partner landing: %d\n%.500s", resp.StatusCode, body)
	}
}

func readAll(resp *http.Response) string {
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

func accountsMe(locale string) accounts.MeInput { return accounts.MeInput{Locale: &locale} }

// clientIPFor runs clientIP for a request from peer carrying xff.
func (e *env) clientIPFor(xff, peer string) string {
	var got string
	app := e.srv.App()
	h := func(c *fiber.Ctx) error { got = e.srv.clientIP(c); return nil }
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.Set("X-Forwarded-For", xff)
	fctx.SetRemoteAddr(&net.TCPAddr{IP: net.ParseIP(peer), Port: 1234})
	c := app.AcquireCtx(fctx)
	defer app.ReleaseCtx(c)
	_ = h(c)
	return got
}

// A panicking handler answers 500 for its own request and the server
// keeps serving. (The server here lacks its orders service, so the
// orders route panics on a nil dependency.)
func TestPanicIsContained(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base, _ := url.Parse("http://127.0.0.1:8080")
	deps := testDeps(t, e.f)
	deps.Orders = nil
	srv, err := New(Config{BaseURL: base, QuietAccessLog: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, deps)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	resp, body := e.call(wBuyer, "GET", "/api/v1/orders", "")
	if resp.StatusCode != 500 || !strings.Contains(string(body), "internal error") || strings.Contains(string(body), "nil pointer") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if resp, _ := e.call(anon, "GET", "/healthz", ""); resp.StatusCode != 200 {
		t.Fatalf("server unusable after a panic: %d", resp.StatusCode)
	}
}
