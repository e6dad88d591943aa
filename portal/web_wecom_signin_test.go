package portal

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/auditentry"
	"github.com/tierlink/tierlink/ent/session"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

const (
	simCorp          = "wwportal"
	simAgentID       = "1000002"
	simAgentSecret   = "agent-secret-never-shown"
	simContactSecret = "contact-secret-never-shown"
)

// wecomEnv is the portal served on a loopback port whose address is its
// base URL (WeCom sends browsers back to it), with WeCom configured
// against a simulator that also plays WeCom's OAuth2 page. Bo Buyer is
// the WeCom member bo.buyer.
type wecomEnv struct {
	*env
	sim  *wecomsim.Server
	wc   *wecom.Service
	base string
}

func newWeComEnv(t *testing.T) *wecomEnv {
	t.Helper()
	f := partnerstest.New(t, dialect.SQLite)
	sim := wecomsim.New(simCorp, simAgentSecret, simContactSecret)
	t.Cleanup(sim.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	deps := testDeps(t, f)
	api, err := wecom.NewClient(wecom.Config{CorpID: simCorp, AgentID: simAgentID, AgentSecret: simAgentSecret, ContactSecret: simContactSecret,
		CallbackToken: "callback-token-never-shown", APIBase: sim.URL(), AuthorizeBase: sim.URL()}, f.DB.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps.WeCom = wecom.NewService(f.DB.Client, api, f.Dir, nil)
	// The standard jobs again, this time with the WeCom sync on, as
	// serve wires them when WeCom is configured.
	js, err := jobs.Standard(jobs.Services{Client: f.DB.Client, Directory: f.Dir, Accounts: f.Acc, Documents: f.Docs, Status: f.Status,
		Scorecards: f.Scorecards, WeCom: deps.WeCom}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps.Jobs = jobs.New(f.DB.Client, slog.New(slog.NewTextHandler(io.Discard, nil)), time.UTC, "test")
	for _, j := range js {
		if err := deps.Jobs.Add(j); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { deps.Jobs.Stop(context.Background()) })
	srv, err := New(Config{BaseURL: base, QuietAccessLog: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, deps)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, f: f, srv: srv, sessions: map[who]testSession{}, liveURL: base.String()}
	for w, u := range map[who]accounts.User{wAdmin: f.Admin, wBuyer: f.Buyer} {
		tok, s, err := f.Acc.Login(context.Background(), accounts.LoginInput{Email: u.Email, Password: partnerstest.Password}, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		e.sessions[w] = testSession{cookie: tok, csrf: s.CSRF}
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	sim.AddMember(wecomsim.Member{UserID: "bo.buyer", Name: "Bo"})
	if err := f.DB.Client.User.UpdateOneID(f.Buyer.ID).SetWecomUserid("bo.buyer").Exec(f.System()); err != nil {
		t.Fatal(err)
	}
	return &wecomEnv{env: e, sim: sim, wc: deps.WeCom, base: base.String()}
}

// phone is a browser on loopback: it keeps cookies and does not follow
// redirects, so each hop can be checked.
type phone struct {
	t    *testing.T
	c    *http.Client
	lang string
}

func newPhone(t *testing.T, lang string) *phone {
	jar, _ := cookiejar.New(nil)
	return &phone{t: t, lang: lang, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *phone) get(u string) (*http.Response, string) {
	p.t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Accept-Language", p.lang)
	resp, err := p.c.Do(req)
	if err != nil {
		p.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// location is where resp redirects, resolved against base.
func location(t testing.TB, base string, resp *http.Response) *url.URL {
	t.Helper()
	l, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		t.Fatalf("%d without a Location (%v)", resp.StatusCode, err)
	}
	b, _ := url.Parse(base)
	return b.ResolveReference(l)
}

// toWeCom starts a sign-in and returns WeCom's authorize URL.
func (w *wecomEnv) toWeCom(t *testing.T, p *phone, next string) *url.URL {
	t.Helper()
	path := "/wecom/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	resp, _ := p.get(w.base + path)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("/wecom/login: %d, want 302 to WeCom", resp.StatusCode)
	}
	return location(t, w.base, resp)
}

// back has WeCom sign in as userid (a member, or "" for a WeChat
// visitor) and returns the URL WeCom sends the browser back to.
func (w *wecomEnv) back(t *testing.T, p *phone, authorize *url.URL, userid string) *url.URL {
	t.Helper()
	w.sim.AuthorizeAs(userid)
	resp, _ := p.get(authorize.String())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	return location(t, w.base, resp)
}

func (w *wecomEnv) sessionsOf(userID int) int {
	return w.f.DB.Client.Session.Query().Where(session.UserID(userID)).CountX(w.f.System())
}

func (w *wecomEnv) signInAudits() int {
	return w.f.DB.Client.AuditEntry.Query().Where(auditentry.Action("user.wecom_signin")).CountX(w.f.System())
}

// refused checks that resp sends the browser to the refusal page for
// reason and that the page explains it in the phone's language.
func (w *wecomEnv) refused(t *testing.T, p *phone, resp *http.Response, reason wecom.Refusal) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%d, want 303 to the refusal page", resp.StatusCode)
	}
	loc := location(t, w.base, resp)
	if loc.Path != "/wecom/refused" || loc.Query().Get("reason") != string(reason) {
		t.Fatalf("sent to %s, want the %s refusal", loc, reason)
	}
	page, body := p.get(loc.String())
	want := i18n.For(p.lang).T("page.wecom_refused_"+string(reason), nil)
	if page.StatusCode != http.StatusOK || !strings.Contains(html.UnescapeString(body), want) || !strings.Contains(body, `lang="`+p.lang+`"`) {
		t.Fatalf("refusal page %d lacks %q:\n%s", page.StatusCode, want, body)
	}
}

func TestWeComSignIn(t *testing.T) {
	w := newWeComEnv(t)
	buyer := w.f.Buyer.ID
	t.Run("OK", func(t *testing.T) {
		p := newPhone(t, "zh-CN")
		before, audits := w.sessionsOf(buyer), w.signInAudits()
		auth := w.toWeCom(t, p, "/partners?q=hxjm")
		q := auth.Query()
		if !strings.HasPrefix(auth.String(), w.sim.URL()+"/connect/oauth2/authorize?") || q.Get("appid") != simCorp || q.Get("agentid") != simAgentID ||
			q.Get("scope") != "snsapi_base" || q.Get("response_type") != "code" || q.Get("redirect_uri") != w.base+"/wecom/oauth" ||
			len(q.Get("state")) < 32 || auth.Fragment != "wechat_redirect" {
			t.Fatalf("authorize URL %s", auth)
		}
		ret := w.back(t, p, auth, "bo.buyer")
		if ret.Query().Get("state") != q.Get("state") || ret.Query().Get("code") == "" {
			t.Fatalf("WeCom sent back %s", ret)
		}
		resp, _ := p.get(ret.String())
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/partners?q=hxjm" {
			t.Fatalf("%d to %q, want 303 to /partners?q=hxjm", resp.StatusCode, resp.Header.Get("Location"))
		}
		var sessCookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == w.srv.cookieName {
				sessCookie = c
			}
		}
		if sessCookie == nil || !sessCookie.HttpOnly || sessCookie.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie %+v", sessCookie)
		}
		page, body := p.get(w.base + "/partners?q=hxjm")
		if page.StatusCode != http.StatusOK || !strings.Contains(body, "Bo Buyer") {
			t.Fatalf("signed-in page %d:\n%.400s", page.StatusCode, body)
		}
		// Stored: one more session, the audit entry with the user as
		// actor, the last login.
		if n := w.sessionsOf(buyer); n != before+1 {
			t.Fatalf("sessions %d, want %d", n, before+1)
		}
		a := w.f.DB.Client.AuditEntry.Query().Where(auditentry.Action("user.wecom_signin")).Order(auditentry.ByID()).AllX(w.f.System())
		if len(a) != audits+1 || a[len(a)-1].ActorID == nil || *a[len(a)-1].ActorID != buyer || a[len(a)-1].EntityID != buyer {
			t.Fatalf("audit %+v", a)
		}
		if u := w.f.DB.Client.User.GetX(w.f.System(), buyer); u.LastLoginAt == nil || time.Since(*u.LastLoginAt) > time.Minute {
			t.Fatalf("last login %v", u.LastLoginAt)
		}
		// The audit trail tells it as a sentence, in both languages.
		last := a[len(a)-1]
		lines, err := partners.DescribeAudit(w.f.System(), w.f.DB.Client, []partners.AuditOut{{ID: last.ID, Action: last.Action,
			EntityType: last.EntityType, EntityID: last.EntityID, ActorID: last.ActorID}})
		if err != nil || len(lines) != 1 || i18n.For("en").Render(lines[0].Sentence) != "Bo Buyer signed in via WeCom" ||
			i18n.For("zh-CN").Render(lines[0].Sentence) != "Bo Buyer 通过企业微信登录" {
			t.Fatalf("audit sentence %+v, %v", lines, err)
		}

		t.Run("SignedInSkipsWeCom", func(t *testing.T) {
			resp, _ := p.get(w.base + "/wecom/login?next=/partners")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/partners" {
				t.Fatalf("%d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
		t.Run("ErrStateSpent", func(t *testing.T) {
			// Reloading the return URL: the state cookie went with the
			// first use.
			n := w.sessionsOf(buyer)
			resp, _ := p.get(ret.String())
			w.refused(t, p, resp, wecom.RefusedBadState)
			if w.sessionsOf(buyer) != n {
				t.Fatal("a reload opened another session")
			}
		})
		t.Run("ErrCodeReplay", func(t *testing.T) {
			// A fresh sign-in in another browser, returning with the
			// code already spent: WeCom answers 40029.
			p2 := newPhone(t, "en")
			auth2 := w.toWeCom(t, p2, "")
			replay := w.base + "/wecom/oauth?code=" + url.QueryEscape(ret.Query().Get("code")) + "&state=" + auth2.Query().Get("state")
			n := w.sessionsOf(buyer)
			resp, _ := p2.get(replay)
			w.refused(t, p2, resp, wecom.RefusedBadCode)
			if w.sessionsOf(buyer) != n {
				t.Fatal("a replayed code opened a session")
			}
		})
	})

	t.Run("EndsAnotherSessionInTheBrowser", func(t *testing.T) {
		p := newPhone(t, "en")
		ret := w.back(t, p, w.toWeCom(t, p, ""), "bo.buyer")
		// Meanwhile, in another tab, the admin signed in in this browser.
		tok, _, err := w.f.Acc.Login(context.Background(), accounts.LoginInput{Email: w.f.Admin.Email, Password: partnerstest.Password}, "127.0.0.1", "tab")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := url.Parse(w.base)
		p.c.Jar.SetCookies(b, []*http.Cookie{{Name: w.srv.cookieName, Value: tok, Path: "/"}})
		admins, buyers := w.sessionsOf(w.f.Admin.ID), w.sessionsOf(buyer)
		if resp, _ := p.get(ret.String()); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("%d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if w.sessionsOf(w.f.Admin.ID) != admins-1 || w.sessionsOf(buyer) != buyers+1 {
			t.Fatal("the browser's earlier session was kept beside the new one")
		}
		if _, body := p.get(w.base + "/settings"); !strings.Contains(body, "Bo Buyer") || strings.Contains(body, "Ada Admin") {
			t.Fatal("the browser is not Bo Buyer's now")
		}
	})

	t.Run("ErrForgedState", func(t *testing.T) {
		n, audits := w.sessionsOf(buyer), w.signInAudits()
		victim, attacker := newPhone(t, "en"), newPhone(t, "zh-CN")
		// The attacker signs in through WeCom and sends their return URL
		// to someone else's browser (login CSRF): no state cookie there.
		auth := w.toWeCom(t, attacker, "")
		ret := w.back(t, attacker, auth, "bo.buyer")
		resp, _ := victim.get(ret.String())
		w.refused(t, victim, resp, wecom.RefusedBadState)
		// A browser with a sign-in of its own, and a state that is not it.
		auth2 := w.toWeCom(t, victim, "")
		ret2 := w.back(t, victim, auth2, "bo.buyer")
		q := ret2.Query()
		q.Set("state", strings.Repeat("0", 32))
		ret2.RawQuery = q.Encode()
		resp, _ = victim.get(ret2.String())
		w.refused(t, victim, resp, wecom.RefusedBadState)
		// No state at all.
		auth3 := w.toWeCom(t, victim, "")
		ret3 := w.back(t, victim, auth3, "bo.buyer")
		resp, _ = victim.get(w.base + "/wecom/oauth?code=" + ret3.Query().Get("code"))
		w.refused(t, victim, resp, wecom.RefusedBadState)
		if w.sessionsOf(buyer) != n || w.signInAudits() != audits {
			t.Fatal("a forged state opened a session")
		}
	})

	refusal := func(t *testing.T, userid string, reason wecom.Refusal, before func()) {
		t.Helper()
		total := w.f.DB.Client.Session.Query().CountX(w.f.System())
		audits := w.signInAudits()
		for _, lang := range []string{"zh-CN", "en"} {
			p := newPhone(t, lang)
			auth := w.toWeCom(t, p, "/orders")
			ret := w.back(t, p, auth, userid)
			if before != nil {
				before()
			}
			resp, _ := p.get(ret.String())
			w.refused(t, p, resp, reason)
			for _, c := range p.c.Jar.Cookies(ret) {
				if c.Name == w.srv.cookieName {
					t.Fatal("a refused sign-in left a session cookie")
				}
			}
		}
		if n := w.f.DB.Client.Session.Query().CountX(w.f.System()); n != total || w.signInAudits() != audits {
			t.Fatalf("a refused sign-in stored a session (%d → %d) or an audit entry", total, n)
		}
	}
	t.Run("ErrNotMember", func(t *testing.T) { refusal(t, "", wecom.RefusedNotMember, nil) })
	t.Run("ErrUnknownUser", func(t *testing.T) {
		w.sim.AddMember(wecomsim.Member{UserID: "ghost", Name: "Ghost"})
		refusal(t, "ghost", wecom.RefusedUnknownUser, nil)
	})
	t.Run("ErrInactive", func(t *testing.T) {
		w.sim.AddMember(wecomsim.Member{UserID: "cai.buyer", Name: "Cai"})
		sys := w.f.System()
		if err := w.f.DB.Client.User.Update().Where(user.ID(w.f.Buyer2.ID)).SetWecomUserid("cai.buyer").SetActive(false).Exec(sys); err != nil {
			t.Fatal(err)
		}
		refusal(t, "cai.buyer", wecom.RefusedInactive, nil)
	})
	t.Run("ErrPartnerUser", func(t *testing.T) {
		w.sim.AddMember(wecomsim.Member{UserID: "liu.yang", Name: "刘洋"})
		if err := w.f.DB.Client.User.UpdateOneID(w.f.UserA.ID).SetWecomUserid("liu.yang").Exec(w.f.System()); err != nil {
			t.Fatal(err)
		}
		refusal(t, "liu.yang", wecom.RefusedPartnerUser, nil)
	})
	t.Run("ErrExpiredCode", func(t *testing.T) {
		// Each code is exchanged a second after its five minutes: WeCom's
		// clock moves on by that much more at every sign-in.
		var shift time.Duration
		refusal(t, "bo.buyer", wecom.RefusedBadCode, func() {
			shift += wecomsim.CodeLifetime + time.Second
			d := shift
			w.sim.SetClock(func() time.Time { return time.Now().Add(d) })
		})
		w.sim.SetClock(time.Now)
	})
	t.Run("ErrWeComUnavailable", func(t *testing.T) {
		refusal(t, "bo.buyer", wecom.RefusedUnavailable, func() { w.sim.FailNext("/cgi-bin/auth/getuserinfo", 60020, 1) })
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		off := newEnv(t, dialect.SQLite)
		base := off.live()
		for _, lang := range []string{"zh-CN", "en"} {
			p := newPhone(t, lang)
			for _, path := range []string{"/wecom/login", "/wecom/oauth?code=abc&state=def"} {
				resp, _ := p.get(base + path)
				(&wecomEnv{env: off, base: base}).refused(t, p, resp, wecom.RefusedNotConfigured)
			}
			if _, body := p.get(base + "/login"); strings.Contains(body, `id="wecom-login"`) {
				t.Fatal("the login page offers WeCom while it is not configured")
			}
		}
	})
	t.Run("LoginPageOffersWeCom", func(t *testing.T) {
		for lang, text := range map[string]string{"zh-CN": "企业微信登录", "en": "Sign in with WeCom"} {
			_, body := newPhone(t, lang).get(w.base + "/login?next=/orders")
			if !strings.Contains(body, `id="wecom-login"`) || !strings.Contains(body, text) || !strings.Contains(body, `href="/wecom/login?next=%2forders"`) {
				t.Fatalf("%s login page:\n%s", lang, body)
			}
		}
	})
}

func TestWeComAdminPage(t *testing.T) {
	w := newWeComEnv(t)
	w.sim.AddMember(wecomsim.Member{UserID: "bo.buyer", Name: "Bo", Follow: true})
	w.sim.AddContact(wecomsim.Contact{ExternalUserID: "wmADMIN1", Name: "王芳", Type: 1, CorpName: "无名公司",
		Follows: []wecomsim.Follow{{UserID: "bo.buyer", CreateTime: 1700000000}}})
	page := func(lang string) string {
		t.Helper()
		r := w.req(wAdmin, "GET", "/admin/wecom", "")
		r.Header.Set("Accept-Language", lang)
		resp := w.do(r)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d\n%s", resp.StatusCode, b)
		}
		return html.UnescapeString(string(b))
	}
	t.Run("BeforeTheFirstSync", func(t *testing.T) {
		for _, lang := range []string{"en", "zh-CN"} {
			body := page(lang)
			l := i18n.For(lang)
			for _, want := range []string{simCorp, simAgentID, w.base + "/wecom/callback", w.base + "/wecom/login", l.T("page.wecom_never_synced", nil),
				l.T("page.wecom_config_env", nil), `action="/admin/jobs/wecom-sync/run"`, `id="wecom-sync-now"`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s page lacks %q", lang, want)
				}
			}
			// Which secrets are set, never their values; the callback
			// AES key is not set here.
			for _, id := range []string{"wecom-agent-secret", "wecom-contact-secret", "wecom-callback-token"} {
				if !strings.Contains(body, `id="`+id+`">`+l.T("page.wecom_set", nil)+`<`) {
					t.Errorf("%s: %s not shown as set", lang, id)
				}
			}
			if !strings.Contains(body, `id="wecom-callback-aes-key"><span class="muted">`+l.T("page.wecom_unset", nil)) {
				t.Errorf("%s: the AES key is shown as set", lang)
			}
			for _, secret := range []string{simAgentSecret, simContactSecret, "callback-token-never-shown"} {
				if strings.Contains(body, secret) {
					t.Fatalf("the page shows a secret")
				}
			}
		}
	})
	t.Run("SyncNow", func(t *testing.T) {
		resp, _ := w.call(wAdmin, "POST", "/admin/jobs/wecom-sync/run", "x=1")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sync now: %d", resp.StatusCode)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, err := w.wc.Status(w.f.System())
			if err != nil {
				t.Fatal(err)
			}
			if st.LastSync != nil && st.LastSync.State == "done" {
				if st.Contacts != 1 || st.Unmatched != 1 || st.LastSync.Created != 1 {
					t.Fatalf("status %+v, last sync %+v", st, *st.LastSync)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no finished sync: %+v", st)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, lang := range []string{"en", "zh-CN"} {
			body := page(lang)
			l := i18n.For(lang)
			if !strings.Contains(body, `id="wecom-sync-state">`+l.T("page.wecom_run_done", nil)) || strings.Contains(body, `id="wecom-no-sync"`) ||
				!strings.Contains(body, `id="wecom-contacts">1<`) || !strings.Contains(body, `id="wecom-unmatched">1<`) {
				t.Fatalf("%s page after the sync:\n%s", lang, body)
			}
		}
	})
	t.Run("NotConfigured", func(t *testing.T) {
		off := newEnv(t, dialect.SQLite)
		resp, body := off.call(wAdmin, "GET", "/admin/wecom", "")
		if resp.StatusCode != http.StatusOK || strings.Contains(string(body), `id="wecom-sync-now"`) || !strings.Contains(string(body), `id="wecom-corp-id"><span class="muted">`) {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
}

// The refusal page and the settings page pick keys by value
// (wecom_refused_<reason>, wecom_run_<state>), which the catalogue scan
// cannot see: every value has its text in both languages.
func TestWeComPageKeys(t *testing.T) {
	keys := []string{"page.wecom_refused_title", "page.wecom_admin_title"}
	for _, r := range wecom.Refusals {
		keys = append(keys, "page.wecom_refused_"+string(r))
	}
	for _, s := range []string{"running", "done", "failed"} {
		keys = append(keys, "page.wecom_run_"+s)
	}
	for _, k := range keys {
		for _, lang := range i18n.Languages() {
			if !i18n.Has(lang, k) {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
	}
	if !wecom.Refusal("bad_code").Valid() || wecom.Refusal("nonsense").Valid() {
		t.Fatal("Refusal.Valid")
	}
}
