package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// End to end with WeCom on loopback: `tierlink serve` as a subprocess,
// the simulator in the test process, and between them a hook proxy that
// counts, holds or lets through each call, so a test can SIGKILL the
// server at a chosen point of a sync or a hand-over.

const (
	e2eCorp          = "wwe2e"
	e2eContactSecret = "e2e-contact-secret"
	e2eAgentSecret   = "e2e-agent-secret"
	e2ePassword      = "a long enough password"
	batchAPI         = "/cgi-bin/externalcontact/batch/get_by_user"
	transferAPI      = "/cgi-bin/externalcontact/transfer_customer"
)

// hookProxy stands between Tierlink and the simulator. Before, if set,
// is called with each request's path and body before it is forwarded;
// After once WeCom has answered, before Tierlink sees the answer.
// Returning true holds the request until the caller goes away (the
// server was killed): nothing is answered.
type hookProxy struct {
	srv *httptest.Server
	mu  sync.Mutex
	// Before and After decide whether to hold a call.
	Before, After func(path string, body []byte) bool
	// transferred counts each external_userid in the transfer_customer
	// calls WeCom took (answered errcode 0).
	transferred map[string]int
}

func newHookProxy(t testing.TB, sim *wecomsim.Server) *hookProxy {
	t.Helper()
	target, err := url.Parse(sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	p := &hookProxy{transferred: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	// A connection of its own per call: no pooled connection is shared
	// with anything else in the test process, and a held call (closed by
	// the kill) leaves nothing behind to reuse.
	rp.Transport = &http.Transport{DisableKeepAlives: true}
	type bodyKey struct{}
	rp.ModifyResponse = func(resp *http.Response) error {
		req := resp.Request
		body, _ := req.Context().Value(bodyKey{}).([]byte)
		if req.URL.Path == transferAPI {
			// Counted when WeCom took the call (errcode 0), not when it
			// refused it whole (an expired token, say).
			answer, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(answer))
			if err != nil {
				return err
			}
			var in struct {
				ExternalUserID []string `json:"external_userid"`
			}
			var out struct {
				ErrCode int `json:"errcode"`
			}
			_ = json.Unmarshal(body, &in)
			if json.Unmarshal(answer, &out) == nil && out.ErrCode == 0 {
				p.mu.Lock()
				for _, x := range in.ExternalUserID {
					p.transferred[x]++
				}
				p.mu.Unlock()
			}
		}
		p.mu.Lock()
		after := p.After
		p.mu.Unlock()
		if after != nil && after(req.URL.Path, body) {
			<-req.Context().Done()
			return req.Context().Err()
		}
		return nil
	}
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.mu.Lock()
		before := p.Before
		p.mu.Unlock()
		if before != nil && before(r.URL.Path, body) {
			<-r.Context().Done()
			return
		}
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, body)))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// SetHooks replaces both hooks.
func (p *hookProxy) SetHooks(before, after func(path string, body []byte) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Before, p.After = before, after
}

// Transferred is how many transfer_customer calls WeCom took carried
// each external contact.
func (p *hookProxy) Transferred() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.transferred)
}

// wecomE2E is one company: a data dir, a simulator with members, the
// proxy, and what a serve subprocess needs to run against them.
type wecomE2E struct {
	t     *testing.T
	bin   string
	dir   string
	env   []string
	sim   *wecomsim.Server
	proxy *hookProxy
	// admin is an admin's API token; staff maps WeCom userids to the
	// Tierlink users linked to them.
	admin string
	staff map[string]int
	p     *proc
	// session is the admin's page session on server sessionFor.
	session    []*http.Cookie
	sessionFor *proc
}

// neverSchedule keeps the WeCom jobs off their schedule, so only the
// test (as an admin would) starts them: a tick at an unplanned moment
// would blur what each run did.
const neverSchedule = "wecom-sync=0 0 1 1 *;wecom-transfers=0 0 1 1 *;wecom-reconcile=0 0 1 1 *"

func newWeComE2E(t *testing.T, bin string) *wecomE2E {
	t.Helper()
	sim := wecomsim.New(e2eCorp, e2eContactSecret, e2eAgentSecret)
	t.Cleanup(sim.Close)
	e := &wecomE2E{t: t, bin: bin, dir: t.TempDir(), sim: sim, staff: map[string]int{}}
	e.proxy = newHookProxy(t, sim)
	e.env = []string{"TIERLINK_DATA_DIR=" + e.dir, "TIERLINK_LOG_LEVEL=warn", "TIERLINK_WECOM_CORP_ID=" + e2eCorp,
		"TIERLINK_WECOM_CONTACT_SECRET=" + e2eContactSecret, "TIERLINK_WECOM_AGENT_ID=1000002",
		"TIERLINK_WECOM_AGENT_SECRET=" + e2eAgentSecret, "TIERLINK_WECOM_API_BASE=" + e.proxy.srv.URL,
		"TIERLINK_JOB_SCHEDULES=" + neverSchedule}
	run := runEnv(e.env)
	if r := run(e2ePassword+"\n", "user", "create", "--email", "admin@co.test", "--role", "admin", "--password-stdin"); r.code != 0 {
		t.Fatalf("user create: %+v", r)
	}
	r := run("", "token", "create", "--email", "admin@co.test", "--name", "e2e")
	if r.code != 0 {
		t.Fatalf("token create: %+v", r)
	}
	e.admin = strings.TrimSpace(r.stdout)
	return e
}

// importPartners imports partners named names (codes P-0…).
func (e *wecomE2E) importPartners(names []string) {
	e.t.Helper()
	var b strings.Builder
	b.WriteString("code,name,kind\n")
	for i, n := range names {
		fmt.Fprintf(&b, "P-%d,%s,supplier\n", i, n)
	}
	csv := filepath.Join(e.dir, "partners.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		e.t.Fatal(err)
	}
	if r := runEnv(e.env)("", "import", "partners", "--quiet", csv); r.code != 0 {
		e.t.Fatalf("import: %+v", r)
	}
}

// start starts (or restarts) the serve subprocess.
func (e *wecomE2E) start() {
	e.t.Helper()
	e.p = startServe(e.t, e.bin, e.env)
}

// kill SIGKILLs the serve subprocess and waits for it to be gone.
func (e *wecomE2E) kill() {
	e.t.Helper()
	if err := e.p.cmd.Process.Kill(); err != nil {
		e.t.Fatal(err)
	}
	_ = e.p.cmd.Wait()
}

// call makes an API call as the admin and decodes a JSON answer into out
// (if not nil); it fails the test on a status other than want.
func (e *wecomE2E) call(method, path string, in, out any, want int) {
	e.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.p.base+path, body)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d: %s\n%s", method, path, resp.StatusCode, want, b, e.p.logs)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// addStaff creates a buyer per WeCom userid through the API, with the
// e-mail the simulated member has, so the sync links them by e-mail.
func (e *wecomE2E) addStaff(userids ...string) {
	e.t.Helper()
	for _, uid := range userids {
		var u struct {
			ID int `json:"id"`
		}
		e.call("POST", "/api/v1/users", map[string]any{"email": uid + "@co.test", "name": "Buyer " + uid, "role": "buyer",
			"password": e2ePassword}, &u, 201)
		e.staff[uid] = u.ID
	}
}

// runJob starts a job the way the admin's "run now" does (POST
// /api/v1/jobs/{name}/run, answered 202) and, if wait, waits for that
// run to end and returns its outcome and report.
func (e *wecomE2E) runJob(name string, wait bool, timeout time.Duration) (int, string, string) {
	e.t.Helper()
	var run struct {
		ID int `json:"id"`
	}
	e.call("POST", "/api/v1/jobs/"+name+"/run", nil, &run, 202)
	if !wait {
		return run.ID, "", ""
	}
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		var d struct {
			Runs struct {
				Items []struct {
					ID      int    `json:"id"`
					Outcome string `json:"outcome"`
					Error   string `json:"error"`
					Report  string `json:"report"`
				} `json:"items"`
			} `json:"runs"`
		}
		e.call("GET", "/api/v1/jobs/"+name+"?limit=20", nil, &d, 200)
		for _, r := range d.Runs.Items {
			if r.ID == run.ID && r.Outcome != "running" {
				return r.ID, r.Outcome, cmp.Or(r.Error, r.Report)
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s run %d did not end in %v\n%s", name, run.ID, timeout, e.p.logs)
		}
	}
}

// page logs the admin in (once per server) and returns a page's HTML.
func (e *wecomE2E) page(path string) string {
	e.t.Helper()
	if e.session == nil || e.sessionFor != e.p {
		resp, err := http.Post(e.p.base+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"email":"admin@co.test","password":"`+e2ePassword+`"}`))
		if err != nil || resp.StatusCode != 200 {
			e.t.Fatalf("login: %v %v", resp, err)
		}
		resp.Body.Close()
		e.session, e.sessionFor = resp.Cookies(), e.p
	}
	req, _ := http.NewRequest("GET", e.p.base+path, nil)
	for _, c := range e.session {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		e.t.Fatalf("GET %s: %d: %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// db opens the server's database beside it (SQLite allows readers while
// the server writes); closed at the end of the test.
func (e *wecomE2E) db() (*ent.Client, context.Context) {
	e.t.Helper()
	db, err := database.Open(context.Background(), database.Target{Dialect: dialect.SQLite, Path: filepath.Join(e.dir, "tierlink.db")})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db.Client, viewer.NewContext(context.Background(), viewer.System("e2e test"))
}

// e2eCompany is the generated company: n external contacts over the
// members m00…m(members-1), of which the first linked are Tierlink
// buyers. Contact i is followed by m(i%members); every third also by
// m((i+7)%members), who added it earlier. A WeCom user (type 2) names
// its corp; a WeChat user's corp is the follower's remark_corp_name.
// Every tenth contact's corp is no partner (it waits unmatched).
type e2eCompany struct {
	members, linked, n int
	base               int64
}

func (c e2eCompany) member(i int) string { return fmt.Sprintf("m%02d", i%c.members) }

func (c e2eCompany) ext(i int) string { return fmt.Sprintf("wmE2E%06d", i) }

func (c e2eCompany) corp(i int) string {
	if i%10 == 9 {
		return "Stranger Trading Ltd"
	}
	return fmt.Sprintf("Supplier %02d", i%7)
}

func (c e2eCompany) partners() []string {
	var out []string
	for i := range 7 {
		out = append(out, fmt.Sprintf("Supplier %02d", i))
	}
	return out
}

func (c e2eCompany) contact(i int) wecomsim.Contact {
	typ := 1 + i%2
	ct := wecomsim.Contact{ExternalUserID: c.ext(i), Name: fmt.Sprintf("联系人 %d", i), Type: typ, Position: "采购"}
	f := wecomsim.Follow{UserID: c.member(i), CreateTime: c.base + int64(i)*10, Remark: fmt.Sprintf("remark %d", i)}
	if typ == 2 {
		ct.CorpName, ct.CorpFullName = c.corp(i), c.corp(i)+" 有限公司"
	} else {
		f.RemarkCorpName = c.corp(i)
	}
	ct.Follows = []wecomsim.Follow{f}
	if i%3 == 0 {
		ct.Follows = append(ct.Follows, wecomsim.Follow{UserID: c.member(i + 7), CreateTime: c.base + int64(i)*10 - 5})
	}
	return ct
}

// owner is who the owner rule must pick for contact i: the follower
// linked to Tierlink who added it first; "" when none is linked.
func (c e2eCompany) owner(i int) string {
	fs := slices.Clone(c.contact(i).Follows)
	slices.SortFunc(fs, func(a, b wecomsim.Follow) int {
		return cmp.Or(cmp.Compare(a.CreateTime, b.CreateTime), strings.Compare(a.UserID, b.UserID))
	})
	for _, f := range fs {
		var k int
		fmt.Sscanf(f.UserID, "m%d", &k)
		if k < c.linked {
			return f.UserID
		}
	}
	return ""
}

// populate fills the simulator and Tierlink's side (partners, staff).
func (c e2eCompany) populate(e *wecomE2E) {
	for i := range c.members {
		uid := c.member(i)
		e.sim.AddMember(wecomsim.Member{UserID: uid, Name: "Member " + uid, Email: uid + "@co.test", Follow: true})
	}
	for i := range c.n {
		e.sim.AddContact(c.contact(i))
	}
	e.importPartners(c.partners())
}

// linkStaff creates the linked members' Tierlink users (the server must
// be running).
func (c e2eCompany) linkStaff(e *wecomE2E) {
	var uids []string
	for i := range c.linked {
		uids = append(uids, c.member(i))
	}
	e.addStaff(uids...)
}

// check asserts the stored mirror and directory are exactly the
// company's: every contact once, with its kind, corp and followers; the
// matched ones linked to one directory contact of the right partner and
// owner; the rest unmatched; nothing removed.
func (c e2eCompany) check(e *wecomE2E) {
	t := e.t
	t.Helper()
	db, ctx := e.db()
	wcs, err := db.WecomContact.Query().WithFollows().WithContact().WithPartner().Order(ent.Asc(wecomcontact.FieldExternalUserid)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(wcs) != c.n {
		t.Fatalf("%d WeCom contacts stored, want %d", len(wcs), c.n)
	}
	dirContacts, err := db.Contact.Query().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	linked, unmatched, follows := 0, 0, 0
	for i, wc := range wcs {
		want := c.contact(i)
		if wc.ExternalUserid != want.ExternalUserID || wc.Name != want.Name || wc.RemovedAt != nil ||
			(want.Type == 2) != (wc.Kind == wecomcontact.KindWecom) {
			t.Fatalf("contact %d stored as %+v, want %+v", i, wc, want)
		}
		var got, exp []string
		for _, f := range wc.Edges.Follows {
			if f.RemovedAt == nil {
				got = append(got, f.Userid)
			}
		}
		for _, f := range want.Follows {
			exp = append(exp, f.UserID)
		}
		slices.Sort(got)
		slices.Sort(exp)
		follows += len(got)
		if !slices.Equal(got, exp) {
			t.Fatalf("contact %s followed by %v, want %v", wc.ExternalUserid, got, exp)
		}
		if c.corp(i) == "Stranger Trading Ltd" {
			if wc.PartnerID != nil || wc.ContactID != nil {
				t.Fatalf("contact %s of no partner matched to %v, linked to %v", wc.ExternalUserid, wc.PartnerID, wc.ContactID)
			}
			unmatched++
			continue
		}
		if p := wc.Edges.Partner; p == nil || p.Name != c.corp(i) {
			t.Fatalf("contact %s matched to %+v, want %s", wc.ExternalUserid, p, c.corp(i))
		}
		owner := c.owner(i)
		ct := wc.Edges.Contact
		switch {
		case owner == "" && ct != nil:
			t.Fatalf("contact %s has no linked follower but directory contact %d", wc.ExternalUserid, ct.ID)
		case owner == "":
		case ct == nil:
			t.Fatalf("contact %s not linked to the directory (owner %s)", wc.ExternalUserid, owner)
		case ct.OwnerID != e.staff[owner] || ct.PartnerID != *wc.PartnerID:
			t.Fatalf("contact %s: directory owner %d partner %d, want %d (%s) partner %d", wc.ExternalUserid, ct.OwnerID,
				ct.PartnerID, e.staff[owner], owner, *wc.PartnerID)
		default:
			linked++
		}
	}
	if dirContacts != linked {
		t.Fatalf("%d directory contacts, want exactly the %d linked", dirContacts, linked)
	}
	t.Logf("%d contacts, %d follows, %d linked to the directory, %d unmatched", len(wcs), follows, linked, unmatched)
}

// Through `tierlink serve`, an admin's "run now" of wecom-sync reads
// 5,000 external contacts of 20 members page by page (cursor, 100 a
// page) and stores each contact, its followers, its partner and its
// owner exactly, though its access token expires after the 30th page
// and WeCom answers 45009 to the 50th; a second run changes nothing.
func TestServeWeComSync5000(t *testing.T) {
	bin := buildBinary(t)
	e := newWeComE2E(t, bin)
	c := e2eCompany{members: 20, linked: 18, n: 5000, base: time.Now().Add(-400 * 24 * time.Hour).Unix()}
	c.populate(e)
	e.start()
	c.linkStaff(e)
	// The follow-user list, 20 member lookups (app secret), the tag list
	// and 30 pages are answered; then every token expires, so the 31st
	// page is refused (42001) and asked again with a new token. A later
	// page is refused once with 45009 and asked again after the
	// back-off.
	e.sim.ExpireTokensAfter(1 + c.members + 1 + 30)
	e.sim.FailAfter(batchAPI, 49, wecomsim.ErrFrequencyLimit, 1)
	start := time.Now()
	_, outcome, report := e.runJob("wecom-sync", true, 90*time.Second)
	if outcome != "ok" {
		t.Fatalf("wecom-sync: %s: %s\n%s", outcome, report, e.p.logs)
	}
	t.Logf("synced in %v: %s", time.Since(start), report)
	// 5,000 contacts, a third followed twice: 6,667 entries, 100 a page;
	// one call more for the expired token, one for the 45009.
	if pages := e.sim.Calls(batchAPI); pages != 67+2 {
		t.Fatalf("%d batch/get_by_user calls, want 67 pages of 100 and 2 refused", pages)
	}
	if n := e.sim.TokensIssued(); n != 3 {
		t.Fatalf("%d access tokens issued, want 3 (the app's, the contact secret's, and that one again after it expired)", n)
	}
	c.check(e)
	// A second run over the same data changes nothing.
	_, outcome, report = e.runJob("wecom-sync", true, 90*time.Second)
	if outcome != "ok" || !strings.Contains(report, "0 new, 0 changed, 0 marked removed; 0 linked") {
		t.Fatalf("second wecom-sync: %s: %s", outcome, report)
	}
	c.check(e)
}
