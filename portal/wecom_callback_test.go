package portal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/ent/wecomfollow"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/callback"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

const (
	cbCorp    = "wwcallbacktest"
	cbSecret  = "contact-secret-callback-test"
	cbToken   = "callback-token-test"
	cbAESKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	cbGetPath = "/cgi-bin/externalcontact/get"
)

// cbEnv is the portal env with WeCom callbacks configured against a
// simulator, the event worker, and WeCom's side of the crypto.
type cbEnv struct {
	*env
	sim    *wecomsim.Server
	svc    *wecom.Service
	worker *wecom.EventWorker
	crypto *callback.Crypto
}

// withWeComCallbacks rebuilds e's server with callbacks configured.
func withWeComCallbacks(e *env) *cbEnv {
	t := e.t
	// First: testDeps builds an unconfigured client, which routes the
	// SDK (a process-wide setting) back to WeCom's own host.
	deps := testDeps(t, e.f)
	sim := wecomsim.New(cbCorp, cbSecret)
	t.Cleanup(sim.Close)
	cfg := wecom.Config{CorpID: cbCorp, ContactSecret: cbSecret, CallbackToken: cbToken, CallbackAESKey: cbAESKey, APIBase: sim.URL()}
	api, err := wecom.NewClient(cfg, e.f.DB.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	api.Backoff = wecom.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond, Retries: 3}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := wecom.NewService(e.f.DB.Client, api, e.f.Dir, quiet)
	deps.WeCom = svc
	base, _ := url.Parse("http://127.0.0.1:8080")
	srv, err := New(Config{BaseURL: base, QuietAccessLog: true, Logger: quiet}, deps)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	c, err := callback.New(callback.Config{Token: cbToken, EncodingAESKey: cbAESKey, ReceiveID: cbCorp})
	if err != nil {
		t.Fatal(err)
	}
	return &cbEnv{env: e, sim: sim, svc: svc, worker: wecom.NewEventWorker(svc, quiet), crypto: c}
}

// post sends one callback as WeCom does; it answers the status and body.
func (e *cbEnv) post(t testing.TB, q url.Values, body []byte) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "text/xml")
	resp, err := e.srv.App().Test(r, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// seal encrypts an event with c as WeCom would send it.
func seal(t testing.TB, c *callback.Crypto, ev callback.Event) (url.Values, []byte) {
	t.Helper()
	msg, err := callback.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return sealRaw(t, c, msg)
}

func sealRaw(t testing.TB, c *callback.Crypto, msg []byte) (url.Values, []byte) {
	t.Helper()
	s, err := c.Encrypt(msg)
	if err != nil {
		t.Fatal(err)
	}
	return s.Params().Query(), s.Envelope(cbCorp, "1000002")
}

func change(kind callback.ChangeType, user, ext string, at int64) *callback.ExternalContactChange {
	return &callback.ExternalContactChange{Header: callback.Header{ToUserName: cbCorp, FromUserName: "sys", CreateTime: at,
		MsgType: "event", Event: string(callback.TypeExternalContact)}, ChangeType: kind, UserID: user, ExternalUserID: ext}
}

func (e *cbEnv) drain(t testing.TB) int {
	t.Helper()
	total := 0
	for range 50 {
		n, err := e.worker.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n == 0 {
			return total
		}
	}
	t.Fatal("the worker never ran dry")
	return 0
}

// counts is what a refused request must leave unchanged.
func (e *cbEnv) counts(t testing.TB) [3]int {
	t.Helper()
	sys := e.f.System()
	c := e.f.DB.Client
	return [3]int{c.WecomEvent.Query().CountX(sys), c.WecomContact.Query().CountX(sys), c.WecomFollow.Query().CountX(sys)}
}

// A storm of 1,000 callbacks through the real endpoint: 800 events about
// 100 contacts, 200 of them sent twice, all in shuffled order, with the
// worker applying as they arrive (so older events arrive after newer ones
// were applied). The simulator holds each contact as its history ends.
// Afterwards every event is stored once and applied, each contact's
// follows are exactly its final ones, and a full reconcile finds no drift.
func TestWeComCallbackStorm(t *testing.T) {
	e := withWeComCallbacks(newEnv(t, dialect.SQLite))
	sys := e.f.System()
	members := []string{"m0", "m1", "m2", "m3", "m4"}
	for _, m := range members {
		e.sim.AddMember(wecomsim.Member{UserID: m, Name: m, Follow: true})
	}
	for uid, u := range map[string]int{"m0": e.f.Buyer.ID, "m1": e.f.Buyer2.ID, "m2": e.f.Admin.ID} {
		if err := e.f.DB.Client.User.UpdateOneID(u).SetWecomUserid(uid).Exec(sys); err != nil {
			t.Fatal(err)
		}
	}
	e.sim.AddTagGroup(wecomsim.TagGroup{GroupID: "etG", GroupName: "等级", Tag: []wecomsim.Tag{{ID: "etT1", Name: "重点"}}})
	rng := rand.New(rand.NewPCG(17, 17))
	base := time.Now().Add(-2 * time.Hour).Unix()
	type follow struct {
		at     int64
		remark string
	}
	var events []callback.Event
	final := map[string]map[string]follow{}
	for i := range 100 {
		ext := fmt.Sprintf("wmSTORM%03d", i)
		state := map[string]follow{}
		for k := range 8 {
			at := base + int64(i*10+k)
			m := members[rng.IntN(len(members))]
			_, follows := state[m]
			switch {
			case !follows:
				state[m] = follow{at: at, remark: fmt.Sprintf("r%d", k)}
				events = append(events, change(callback.AddExternalContact, m, ext, at))
			case rng.IntN(2) == 0:
				f := state[m]
				f.remark = fmt.Sprintf("r%d", k)
				state[m] = f
				events = append(events, change(callback.EditExternalContact, m, ext, at))
			default:
				delete(state, m)
				kind := callback.DelFollowUser
				if rng.IntN(2) == 0 {
					kind = callback.DelExternalContact
				}
				events = append(events, change(kind, m, ext, at))
			}
		}
		final[ext] = state
		if len(state) == 0 {
			continue
		}
		c := wecomsim.Contact{ExternalUserID: ext, Name: "联系人 " + ext, Type: 2, CorpName: "华星", CorpFullName: e.f.PartnerA.Name}
		for _, m := range members {
			if f, ok := state[m]; ok {
				c.Follows = append(c.Follows, wecomsim.Follow{UserID: m, CreateTime: f.at, Remark: f.remark, TagIDs: []string{"etT1"}})
			}
		}
		e.sim.AddContact(c)
	}
	if len(events) != 800 {
		t.Fatalf("%d events", len(events))
	}
	posts := slices.Clone(events)
	for _, i := range rng.Perm(len(events))[:200] {
		posts = append(posts, events[i])
	}
	rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
	start := time.Now()
	for i, ev := range posts {
		q, body := seal(t, e.crypto, ev)
		if status, text := e.post(t, q, body); status != http.StatusOK || text != "success" {
			t.Fatalf("post %d: %d %q", i, status, text)
		}
		if i%250 == 249 {
			e.drain(t)
		}
	}
	e.drain(t)
	t.Logf("1,000 callbacks stored and applied in %v", time.Since(start))

	c := e.f.DB.Client
	if n := c.WecomEvent.Query().CountX(sys); n != 800 {
		t.Fatalf("%d events stored, want 800 (duplicates must store nothing)", n)
	}
	if n := c.WecomEvent.Query().Where(wecomevent.StateNEQ(wecomevent.StateApplied)).CountX(sys); n != 0 {
		t.Fatalf("%d events not applied", n)
	}
	for ext, state := range final {
		wc, err := c.WecomContact.Query().Where(wecomcontact.ExternalUserid(ext)).WithFollows().Only(sys)
		if len(state) == 0 {
			if err == nil && wc.RemovedAt == nil {
				t.Errorf("%s: no follower is left, but the contact is active", ext)
			}
			if err == nil {
				for _, f := range wc.Edges.Follows {
					if f.RemovedAt == nil {
						t.Errorf("%s: follow %s active", ext, f.Userid)
					}
				}
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if wc.RemovedAt != nil || wc.PartnerID == nil || *wc.PartnerID != e.f.PartnerA.ID {
			t.Errorf("%s: removed %v, partner %v", ext, wc.RemovedAt, wc.PartnerID)
		}
		active := map[string]bool{}
		for _, f := range wc.Edges.Follows {
			if f.RemovedAt != nil {
				continue
			}
			active[f.Userid] = true
			want, ok := state[f.Userid]
			switch {
			case !ok:
				t.Errorf("%s: %s follows, but deleted it last", ext, f.Userid)
			case f.Remark != want.remark || f.AddedAt.Unix() != want.at || !slices.Equal(f.Tags, []string{"重点"}):
				t.Errorf("%s/%s: remark %q added %d tags %v, want %q %d [重点]", ext, f.Userid, f.Remark, f.AddedAt.Unix(), f.Tags, want.remark, want.at)
			}
		}
		for m := range state {
			if !active[m] {
				t.Errorf("%s: %s follows it in WeCom, but not here", ext, m)
			}
		}
		if (active["m0"] || active["m1"] || active["m2"]) && wc.ContactID == nil {
			t.Errorf("%s: followed by staff but not in the directory", ext)
		}
	}
	// Contacts WeCom still has are on file; those it no longer has were
	// never fetched (84061) or are marked removed, never deleted.
	held := 0
	for _, state := range final {
		if len(state) > 0 {
			held++
		}
	}
	if n := c.WecomContact.Query().Where(wecomcontact.RemovedAtIsNil()).CountX(sys); n != held {
		t.Errorf("%d active contacts on file, want %d", n, held)
	}
	r, err := e.svc.Reconcile(sys)
	if err != nil {
		t.Fatal(err)
	}
	if r.Drift() != 0 || r.Events.Pending != 0 || r.Events.Dead != 0 {
		t.Fatalf("reconcile after the storm: drift %d (%s), events %+v", r.Drift(), r.Sync.Report(), r.Events)
	}
}

// Each kind of bad request is answered with an error status and changes
// nothing; a duplicate is answered "success" and stores nothing.
func TestWeComCallbackRefusals(t *testing.T) {
	e := withWeComCallbacks(newEnv(t, dialect.SQLite))
	e.sim.AddMember(wecomsim.Member{UserID: "m0", Follow: true})
	e.sim.AddContact(wecomsim.Contact{ExternalUserID: "wmREFUSE", Name: "X", Type: 1,
		Follows: []wecomsim.Follow{{UserID: "m0", CreateTime: time.Now().Unix()}}})
	ev := change(callback.AddExternalContact, "m0", "wmREFUSE", time.Now().Unix())
	other := func(cfg callback.Config) *callback.Crypto {
		c, err := callback.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	stale := other(callback.Config{Token: cbToken, EncodingAESKey: cbAESKey, ReceiveID: cbCorp,
		Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }})
	foreign := other(callback.Config{Token: cbToken, EncodingAESKey: cbAESKey, ReceiveID: "wwsomeoneelse"})
	wrongKey := other(callback.Config{Token: cbToken, EncodingAESKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut", ReceiveID: cbCorp})
	for name, tc := range map[string]struct {
		build func() (url.Values, []byte)
		want  int
	}{
		"ErrBadSignature": {func() (url.Values, []byte) {
			q, b := seal(t, e.crypto, ev)
			q.Set("msg_signature", strings.Repeat("0", 40))
			return q, b
		}, http.StatusUnauthorized},
		"ErrNoSignature":    {func() (url.Values, []byte) { _, b := seal(t, e.crypto, ev); return url.Values{}, b }, http.StatusUnauthorized},
		"ErrStaleTimestamp": {func() (url.Values, []byte) { return seal(t, stale, ev) }, http.StatusUnauthorized},
		"ErrReplayedTimestamp": {func() (url.Values, []byte) {
			// A captured request replayed later: its timestamp is signed,
			// so it cannot be refreshed without the token.
			q, b := seal(t, stale, ev)
			q.Set("timestamp", fmt.Sprint(time.Now().Unix()))
			return q, b
		}, http.StatusUnauthorized},
		"ErrWrongReceiveID": {func() (url.Values, []byte) { return seal(t, foreign, ev) }, http.StatusForbidden},
		"ErrWrongKey":       {func() (url.Values, []byte) { return seal(t, wrongKey, ev) }, http.StatusBadRequest},
		"ErrMalformedEventXML": {func() (url.Values, []byte) {
			return sealRaw(t, e.crypto, []byte("<xml><MsgType>event</MsgType><Event>change_external_contact"))
		}, http.StatusBadRequest},
		"ErrMissingField": {func() (url.Values, []byte) {
			return sealRaw(t, e.crypto, []byte("<xml><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>add_external_contact</ChangeType><CreateTime>1</CreateTime><UserID>m0</UserID></xml>"))
		}, http.StatusBadRequest},
		"ErrMalformedEnvelope": {func() (url.Values, []byte) {
			q, _ := seal(t, e.crypto, ev)
			return q, []byte("not xml at all")
		}, http.StatusBadRequest},
		"ErrTooLarge": {func() (url.Values, []byte) {
			q, _ := seal(t, e.crypto, ev)
			return q, []byte("<xml><Encrypt>" + strings.Repeat("A", 70<<10) + "</Encrypt></xml>")
		}, http.StatusRequestEntityTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			before := e.counts(t)
			q, b := tc.build()
			if status, text := e.post(t, q, b); status != tc.want {
				t.Fatalf("status %d (%s), want %d", status, text, tc.want)
			}
			e.drain(t)
			if after := e.counts(t); after != before {
				t.Fatalf("stored rows %v became %v", before, after)
			}
		})
	}
	t.Run("OKThenDuplicate", func(t *testing.T) {
		q, b := seal(t, e.crypto, ev)
		if status, text := e.post(t, q, b); status != http.StatusOK || text != "success" {
			t.Fatalf("%d %q", status, text)
		}
		before := e.counts(t)
		// WeCom's resend: the same event, sealed afresh.
		q, b = seal(t, e.crypto, ev)
		if status, text := e.post(t, q, b); status != http.StatusOK || text != "success" {
			t.Fatalf("resend: %d %q", status, text)
		}
		if after := e.counts(t); after != before || after[0] != 1 {
			t.Fatalf("a resend stored something: %v → %v", before, after)
		}
		if n := e.drain(t); n != 1 {
			t.Fatalf("%d events applied, want 1", n)
		}
		wc := e.f.DB.Client.WecomContact.Query().Where(wecomcontact.ExternalUserid("wmREFUSE")).OnlyX(e.f.System())
		if wc.RemovedAt != nil || e.f.DB.Client.WecomFollow.Query().Where(wecomfollow.WecomContactID(wc.ID)).CountX(e.f.System()) != 1 {
			t.Fatalf("applied: %+v", wc)
		}
	})
	t.Run("URLVerification", func(t *testing.T) {
		s, err := e.crypto.Encrypt([]byte("echo-1234567890"))
		if err != nil {
			t.Fatal(err)
		}
		p := s.Params()
		p.EchoStr = s.Encrypt
		get := func(q url.Values) (int, string) {
			resp, err := e.srv.App().Test(httptest.NewRequest(http.MethodGet, "/wecom/callback?"+q.Encode(), nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if status, body := get(p.Query()); status != http.StatusOK || body != "echo-1234567890" {
			t.Fatalf("verify: %d %q", status, body)
		}
		bad := p.Query()
		bad.Set("msg_signature", strings.Repeat("f", 40))
		if status, _ := get(bad); status != http.StatusUnauthorized {
			t.Fatalf("bad signature: %d", status)
		}
		if status, _ := get(url.Values{}); status != http.StatusBadRequest {
			t.Fatalf("no echostr: %d", status)
		}
	})
	t.Run("ErrTooManyFailures", func(t *testing.T) {
		e := withWeComCallbacks(newEnv(t, dialect.SQLite))
		q, b := seal(t, e.crypto, ev)
		q.Set("msg_signature", strings.Repeat("0", 40))
		for range 60 {
			if status, _ := e.post(t, q, b); status != http.StatusUnauthorized {
				t.Fatalf("status %d", status)
			}
		}
		if status, _ := e.post(t, q, b); status != http.StatusTooManyRequests {
			t.Fatalf("61st forgery: %d, want 429", status)
		}
	})
}

// Events stored but not applied (the instance died after answering
// WeCom) are applied by a fresh worker; an event whose fetch fails stays
// pending with its error and attempts shown, and is applied on retry.
func TestWeComCallbackWorkerResumes(t *testing.T) {
	e := withWeComCallbacks(newEnv(t, dialect.SQLite))
	sys := e.f.System()
	e.sim.AddMember(wecomsim.Member{UserID: "m0", Follow: true})
	now := time.Now().Unix()
	for i := range 3 {
		ext := fmt.Sprintf("wmRESUME%d", i)
		e.sim.AddContact(wecomsim.Contact{ExternalUserID: ext, Name: ext, Type: 1, Follows: []wecomsim.Follow{{UserID: "m0", CreateTime: now}}})
		q, b := seal(t, e.crypto, change(callback.AddExternalContact, "m0", ext, now))
		if status, _ := e.post(t, q, b); status != http.StatusOK {
			t.Fatal(status)
		}
	}
	c := e.f.DB.Client
	if n := c.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StatePending)).CountX(sys); n != 3 {
		t.Fatalf("%d pending", n)
	}
	if n := c.WecomContact.Query().CountX(sys); n != 0 {
		t.Fatalf("applied before any worker ran: %d", n)
	}
	// A fresh worker, as after a restart; the first fetch fails.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fresh := wecom.NewEventWorker(e.svc, quiet)
	clock := time.Now()
	fresh.SetClock(func() time.Time { return clock })
	e.sim.FailNext(cbGetPath, wecomsim.ErrUnknownUser, 1)
	n, err := fresh.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d applied, want 2 (one failed)", n)
	}
	failed := c.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StatePending)).OnlyX(sys)
	if failed.Attempts != 1 || !strings.Contains(failed.LastError, "60111") || !failed.NextAttemptAt.After(clock) {
		t.Fatalf("failure not recorded: %+v", failed)
	}
	if n, _ := fresh.RunOnce(context.Background()); n != 0 {
		t.Fatalf("retried before its back-off: %d", n)
	}
	clock = clock.Add(time.Hour)
	if n, err := fresh.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if n := c.WecomContact.Query().Where(wecomcontact.RemovedAtIsNil()).CountX(sys); n != 3 {
		t.Fatalf("%d contacts, want 3", n)
	}
}

// weComCallbackRoutes sets up the authorization matrix's rows for the
// callback URL: the server gets callbacks configured, {CBQ} is a signed
// event's query and {VQ} a URL verification's. WeCom calls without a
// session, so every caller gets the same answer; the event is stored
// once and its repeats are duplicates.
func weComCallbackRoutes(e *env, vars map[string]string) {
	ce := withWeComCallbacks(e)
	q, body := seal(e.t, ce.crypto, change(callback.AddExternalContact, "m0", "wmMATRIX", time.Now().Unix()))
	vars["CBQ"], vars["CBBODY"] = q.Encode(), string(body)
	s, err := ce.crypto.Encrypt([]byte("matrix-echo"))
	if err != nil {
		e.t.Fatal(err)
	}
	p := s.Params()
	p.EchoStr = s.Encrypt
	vars["VQ"] = p.Query().Encode()
}

// BenchmarkWeComCallback measures callback handling end to end, each
// event verified, decrypted, stored through the HTTP endpoint and then
// applied by the worker (a fetch from the simulator and an upsert), and,
// in the same run, the raw verify-and-decrypt rate.
func BenchmarkWeComCallback(b *testing.B) {
	e := withWeComCallbacks(newEnv(b, dialect.SQLite))
	e.sim.AddMember(wecomsim.Member{UserID: "m0", Follow: true})
	now := time.Now().Unix()
	type sealed struct {
		q    url.Values
		body []byte
	}
	// A stream of events per iteration, so that -benchtime 1x (make
	// bench) measures more than one.
	n := b.N * 1000
	reqs := make([]sealed, n)
	for i := range n {
		ext := fmt.Sprintf("wmBENCH%07d", i)
		e.sim.AddContact(wecomsim.Contact{ExternalUserID: ext, Name: ext, Type: 1, Follows: []wecomsim.Follow{{UserID: "m0", CreateTime: now}}})
		q, body := seal(b, e.crypto, change(callback.AddExternalContact, "m0", ext, now))
		reqs[i] = sealed{q, body}
	}
	b.ResetTimer()
	start := time.Now()
	for _, r := range reqs {
		if status, _ := e.post(b, r.q, r.body); status != http.StatusOK {
			b.Fatal(status)
		}
	}
	stored := time.Since(start)
	if got := e.drain(b); got != n {
		b.Fatalf("%d applied, want %d", got, n)
	}
	total := time.Since(start)
	b.StopTimer()
	decStart := time.Now()
	for _, r := range reqs {
		p := callback.ParamsFromQuery(r.q)
		if _, err := e.crypto.Receive(p, r.body); err != nil {
			b.Fatal(err)
		}
	}
	dec := time.Since(decStart)
	b.ReportMetric(float64(n)/stored.Seconds(), "stored/s")
	b.ReportMetric(float64(n)/total.Seconds(), "applied/s")
	b.ReportMetric(float64(n)/dec.Seconds(), "decrypted/s")
}
