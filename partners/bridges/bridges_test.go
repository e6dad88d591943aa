package bridges_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/delivery"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/bridges"
)

var (
	now      = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	loopback = bridges.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	long     = strings.Repeat("供应商发货更新 shipment update ", 400) // ~13 KB
)

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return m
}

func TestFormatWeCom(t *testing.T) {
	r, err := bridges.Format(bridges.WeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", "", bridges.Message{ID: "m1", Title: "华星", Text: long, Link: "https://t.example/groups/1#post-2"}, now)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, r.Body)
	md := m["markdown"].(map[string]any)
	content := md["content"].(string)
	if m["msgtype"] != "markdown" || len(content) > 4096 || !utf8.ValidString(content) || !strings.HasSuffix(content, "(full text: https://t.example/groups/1#post-2)") {
		t.Fatalf("msgtype %v, %d bytes, ends %q", m["msgtype"], len(content), content[len(content)-60:])
	}
	if r.URL != "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K" {
		t.Fatalf("url %s", r.URL)
	}
}

func TestFormatDingTalkSignsTheURL(t *testing.T) {
	r, err := bridges.Format(bridges.DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=T", "SECxyz", bridges.Message{Title: "G", Text: "hi"}, now)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(r.URL)
	ts := u.Query().Get("timestamp")
	if ts != strconv.FormatInt(now.UnixMilli(), 10) || u.Query().Get("access_token") != "T" {
		t.Fatalf("query %v", u.Query())
	}
	h := hmac.New(sha256.New, []byte("SECxyz"))
	h.Write([]byte(ts + "\nSECxyz"))
	if want := base64.StdEncoding.EncodeToString(h.Sum(nil)); u.Query().Get("sign") != want {
		t.Fatalf("sign %s, want %s", u.Query().Get("sign"), want)
	}
	m := decode(t, r.Body)
	if m["msgtype"] != "markdown" || m["markdown"].(map[string]any)["title"] != "G" {
		t.Fatalf("body %v", m)
	}
}

func TestFormatFeishuSignsTheBody(t *testing.T) {
	r, err := bridges.Format(bridges.Feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/x", "sec", bridges.Message{Title: "G", Text: long + long}, now)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, r.Body)
	ts := strconv.FormatInt(now.Unix(), 10)
	h := hmac.New(sha256.New, []byte(ts+"\nsec"))
	if m["timestamp"] != ts || m["sign"] != base64.StdEncoding.EncodeToString(h.Sum(nil)) || m["msg_type"] != "text" {
		t.Fatalf("body head %v %v %v", m["timestamp"], m["sign"], m["msg_type"])
	}
	if len(r.Body) > 20<<10 {
		t.Fatalf("request body %d bytes is over Feishu's 20 KB", len(r.Body))
	}
}

func TestFormatSlack(t *testing.T) {
	r, err := bridges.Format(bridges.Slack, "https://hooks.slack.com/services/A/B/C", "", bridges.Message{Title: "G<1>", Text: "a & b", Link: "https://t/x"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, r.Body)["text"]; got != "*G&lt;1&gt;*\na &amp; b\n<https://t/x|Open in Tierlink>" {
		t.Fatalf("text %q", got)
	}
	r, _ = bridges.Format(bridges.Slack, "https://hooks.slack.com/services/A/B/C", "", bridges.Message{Text: strings.Repeat("长", 50000)}, now)
	if n := utf8.RuneCountInString(decode(t, r.Body)["text"].(string)); n > 40000 {
		t.Fatalf("%d characters", n)
	}
}

func TestStandardWebhookSignature(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	r, err := bridges.Format(bridges.Webhook, "https://example.com/hook", secret, bridges.Message{ID: "msg_1", Title: "G", Text: "t", Time: now}, now)
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, []byte("0123456789abcdef0123456789abcdef"))
	h.Write([]byte("msg_1." + strconv.FormatInt(now.Unix(), 10) + "."))
	h.Write(r.Body)
	if want := "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil)); r.Header.Get("webhook-signature") != want {
		t.Fatalf("signature %s, want %s", r.Header.Get("webhook-signature"), want)
	}
	if err := bridges.VerifyWebhook(secret, r.Header, r.Body, now, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		body []byte
		at   time.Time
	}{"Tampered": {append(r.Body, ' '), now}, "Replayed": {r.Body, now.Add(time.Hour)}} {
		if err := bridges.VerifyWebhook(secret, r.Header, tc.body, tc.at, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestGuard(t *testing.T) {
	var g bridges.Guard
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1:9/x", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data", "http://[::1]/",
		"http://[::ffff:127.0.0.1]/", "http://100.64.0.1/", "http://0.0.0.0/", "http://localhost/", "ftp://example.com/", "//nohost", "http://u:p@8.8.8.8/"} {
		if err := g.CheckURL(ctx, u); err == nil {
			t.Errorf("CheckURL(%s) allowed", u)
		}
	}
	if err := g.CheckURL(ctx, "https://8.8.8.8/hook"); err != nil {
		t.Errorf("public address refused: %v", err)
	}
	if err := loopback.CheckURL(ctx, "http://127.0.0.1:9/x"); err != nil {
		t.Errorf("allowed network refused: %v", err)
	}
	// The dialer checks too, after resolution.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	if _, err := g.Client(time.Second).Get(srv.URL); err == nil || !strings.Contains(err.Error(), "internal address") {
		t.Fatalf("dial to loopback: %v", err)
	}
}

// receiver is a loopback chat endpoint that records what it accepts.
type receiver struct {
	mu    sync.Mutex
	ids   []string // webhook-ids or texts, in arrival order
	texts []string
	hits  int
	srv   *httptest.Server
}

func (r *receiver) got() ([]string, []string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...), append([]string(nil), r.texts...), r.hits
}

// weCom behaves like a WeCom group robot: markdown only, 4,096 bytes,
// and errcode 45009 once more than limit messages arrive in window.
func weCom(t *testing.T, limit int, window time.Duration) *receiver {
	r := &receiver{}
	var stamps []time.Time
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m struct {
			MsgType  string `json:"msgtype"`
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		_ = json.NewDecoder(req.Body).Decode(&m)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.hits++
		now := time.Now()
		for len(stamps) > 0 && now.Sub(stamps[0]) > window {
			stamps = stamps[1:]
		}
		switch {
		case len(stamps) >= limit:
			fmt.Fprint(w, `{"errcode":45009,"errmsg":"api freq out of limit"}`)
		case m.MsgType != "markdown" || len(m.Markdown.Content) > 4096:
			fmt.Fprint(w, `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}`)
		default:
			stamps = append(stamps, now)
			r.texts = append(r.texts, m.Markdown.Content)
			fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// generic is a Standard Webhooks endpoint that checks signatures and
// fails the first failures requests.
func generic(t *testing.T, secret string, failures int) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.hits++
		if r.hits <= failures {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if err := bridges.VerifyWebhook(secret, req.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		r.ids = append(r.ids, req.Header.Get("webhook-id"))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

type outbox struct {
	c      *ent.Client
	ctx    context.Context
	d      *bridges.Dispatcher
	group  int
	bridge int
	pad    string
}

func newOutbox(t *testing.T, d string, kind bridge.Kind, target, secret string, rate int) *outbox {
	t.Helper()
	db := dbtest.Open(t, d)
	ctx := viewer.NewContext(context.Background(), viewer.System("test"))
	g, err := db.Client.Group.Create().SetName("华星 coordination").SetKind("internal").SetOwnerID(1).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Client.Bridge.Create().SetGroupID(g.ID).SetKind(kind).SetName("x").SetURL(target).SetSecret(secret).
		SetRatePerMinute(rate).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	disp := bridges.NewDispatcher(db.Client, loopback, slog.New(slog.DiscardHandler))
	disp.Backoff = func(int) time.Duration { return time.Millisecond }
	return &outbox{c: db.Client, ctx: ctx, d: disp, group: g.ID, bridge: b.ID}
}

func (o *outbox) enqueue(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if _, err := bridges.Enqueue(o.ctx, o.c, bridges.Outgoing{GroupID: o.group, PostID: i + 1, Title: "华星", Text: fmt.Sprintf("post %04d %s", i, o.pad), Link: "http://t/p"}); err != nil {
			t.Fatal(err)
		}
	}
}

// drain runs passes until nothing is pending or due.
func (o *outbox) drain(t *testing.T, until time.Duration) {
	t.Helper()
	deadline := time.Now().Add(until)
	for time.Now().Before(deadline) {
		if _, err := o.d.RunOnce(o.ctx); err != nil {
			t.Fatal(err)
		}
		n, err := o.c.Delivery.Query().Where(delivery.StateEQ(delivery.StatePending)).Count(o.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("outbox not drained in %s", until)
}

// Over WeCom's rate, messages merge into batches instead of being
// dropped; when the far end still says 45009, the bridge pauses and
// nothing is lost.
func TestWeComRateLimitMergesAndPauses(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			rcv := weCom(t, 3, time.Second)
			// The bridge believes it may send 20 a window; the robot takes 3.
			o := newOutbox(t, d, bridges.WeCom, rcv.srv.URL+"/cgi-bin/webhook/send?key=k", "", 20)
			o.d.Window = time.Second
			o.pad = strings.Repeat("详", 150) // 450 bytes: a batch holds about 8
			o.enqueue(t, 120)
			o.drain(t, 60*time.Second)
			_, texts, hits := rcv.got()
			all := strings.Join(texts, "\n")
			for i := range 120 {
				if c := strings.Count(all, fmt.Sprintf("post %04d", i)); c != 1 {
					t.Fatalf("post %d arrived %d times", i, c)
				}
			}
			// In order, too.
			if idx := strings.Index(all, "post 0119"); idx < strings.Index(all, "post 0000") {
				t.Fatal("out of order")
			}
			if hits == len(texts) {
				t.Fatal("the robot never said 45009; the pause was not exercised")
			}
			if len(texts) >= 120 {
				t.Fatalf("%d messages for 120 posts: nothing was merged", len(texts))
			}
			var batched int
			rows, _ := o.c.Delivery.Query().All(o.ctx)
			for _, r := range rows {
				if r.BatchID != "" {
					batched++
				}
				if r.State != delivery.StateSent {
					t.Fatalf("delivery %d is %s (%s)", r.ID, r.State, r.LastError)
				}
			}
			if batched == 0 {
				t.Fatal("no delivery records its batch")
			}
		})
	}
}

// A failing endpoint is retried with backoff and the same webhook-id,
// in order; one that never answers ends in dead letters.
func TestRetriesAndDeadLetters(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("k3y-k3y-k3y-k3y-k3y-k3y"))
	rcv := generic(t, secret, 3)
	o := newOutbox(t, dialect.SQLite, bridges.Webhook, rcv.srv.URL, secret, 0)
	o.enqueue(t, 50)
	o.drain(t, 20*time.Second)
	ids, _, hits := rcv.got()
	if len(ids) != 50 || hits != 53 {
		t.Fatalf("%d delivered in %d requests", len(ids), hits)
	}
	rows, _ := o.c.Delivery.Query().Order(ent.Asc(delivery.FieldID)).All(o.ctx)
	for i, r := range rows {
		if ids[i] != r.MsgID {
			t.Fatalf("delivery %d arrived as %s, want %s (order)", i, ids[i], r.MsgID)
		}
	}
	if rows[0].Attempts != 3 {
		t.Fatalf("first delivery attempts = %d", rows[0].Attempts)
	}

	dead := newOutbox(t, dialect.SQLite, bridges.Webhook, "http://127.0.0.1:1/unreachable", secret, 0)
	dead.enqueue(t, 2)
	dead.drain(t, 20*time.Second)
	n, _ := dead.c.Delivery.Query().Where(delivery.StateEQ(delivery.StateDead), delivery.Attempts(bridges.MaxAttempts)).Count(dead.ctx)
	if n != 2 {
		t.Fatalf("%d dead letters, want 2", n)
	}
}

func TestBackoffSchedule(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 5: 80 * time.Second, 8: 10 * time.Minute, 14: 10 * time.Minute} {
		got := bridges.Backoff(attempt)
		if got < want*9/10 || got > want*11/10 {
			t.Errorf("Backoff(%d) = %s, want %s ±10%%", attempt, got, want)
		}
	}
}

// The dispatcher refuses an internal address at dial time, even for a
// bridge saved before the rule (or resolving differently later).
func TestDispatcherRefusesInternalAddresses(t *testing.T) {
	rcv := generic(t, "s", 0)
	o := newOutbox(t, dialect.SQLite, bridges.Webhook, rcv.srv.URL, "s", 0)
	o.d = bridges.NewDispatcher(o.c, bridges.Guard{}, slog.New(slog.DiscardHandler))
	o.d.Backoff = func(int) time.Duration { return time.Hour }
	o.enqueue(t, 1)
	if _, err := o.d.RunOnce(o.ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := o.c.Delivery.Query().Only(o.ctx)
	if _, _, hits := rcv.got(); hits != 0 || !strings.Contains(r.LastError, "internal address") {
		t.Fatalf("hits %d, last error %q", hits, r.LastError)
	}
}
