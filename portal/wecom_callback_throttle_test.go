package portal

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/loginthrottle"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// Two instances behind one load balancer share the callback endpoint's
// failure count through the database: forgeries spread over both are
// refused on both once 60 failed, where a per-instance count would let
// each take 60. The count lives in the login throttle table under the
// callback's own key, and a refused address stores nothing.
func TestWeComCallbackThrottleSharedByInstances(t *testing.T) {
	a := withWeComCallbacks(newEnv(t, dialect.SQLite))
	// A second instance over the same database: its own server and its
	// own accounts service, nothing in memory shared with the first.
	deps := testDeps(t, a.f)
	deps.WeCom = a.svc
	deps.Accounts = accounts.New(a.f.DB.Client, a.f.Dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	base, _ := url.Parse("http://127.0.0.1:8080")
	b, err := New(Config{BaseURL: base, QuietAccessLog: true, Logger: quiet}, deps)
	if err != nil {
		t.Fatal(err)
	}
	post := func(srv *Server, q url.Values, body []byte) int {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "text/xml")
		resp, err := srv.App().Test(r, -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ev := change(callback.AddExternalContact, "m0", "wmTHROTTLE", time.Now().Unix())
	q, body := seal(t, a.crypto, ev)
	forged := url.Values{}
	for k, v := range q {
		forged[k] = v
	}
	forged.Set("msg_signature", strings.Repeat("0", 40))
	for i := range 60 {
		srv := a.srv
		if i%2 == 1 {
			srv = b
		}
		if status := post(srv, forged, body); status != http.StatusUnauthorized {
			t.Fatalf("forgery %d: %d, want 401", i+1, status)
		}
	}
	row, err := a.f.DB.Client.LoginThrottle.Query().Where(loginthrottle.Key("wecom-callback:0.0.0.0")).Only(a.f.System())
	if err != nil {
		rows := a.f.DB.Client.LoginThrottle.Query().AllX(a.f.System())
		t.Fatalf("no shared count: %v (rows %v)", err, rows)
	}
	if row.Failures != 60 || row.LockedUntil == nil {
		t.Fatalf("stored count %+v", row)
	}
	for name, srv := range map[string]*Server{"first": a.srv, "second": b} {
		if status := post(srv, forged, body); status != http.StatusTooManyRequests {
			t.Fatalf("61st forgery on the %s instance: %d, want 429", name, status)
		}
		// While refused, even a good request from that address is turned
		// away before any work, and stores nothing.
		if status := post(srv, q, body); status != http.StatusTooManyRequests {
			t.Fatalf("good request on the %s instance while refused: %d, want 429", name, status)
		}
	}
	if n := a.f.DB.Client.WecomEvent.Query().Where(wecomevent.ExternalUserid("wmTHROTTLE")).CountX(a.f.System()); n != 0 {
		t.Fatalf("%d events stored from a refused address", n)
	}
}
