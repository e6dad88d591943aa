package wecom_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

const userInfoPath = "/cgi-bin/auth/getuserinfo"

func TestSignInState(t *testing.T) {
	e := newEnv(t, 1, 0, true)
	st, err := e.svc.StartSignIn("/orders?status=open")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		next, err := e.svc.CheckState(st.Cookie, st.State)
		if err != nil || next != "/orders?status=open" {
			t.Fatalf("next %q, err %v", next, err)
		}
	})
	other, err := e.svc.StartSignIn("/")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(st.Cookie, ".")
	forgedNext := strings.Join([]string{parts[0], parts[1], "Ly9ldmlsLmV4YW1wbGU", parts[3]}, ".")
	later := strings.Join([]string{parts[0], "99999999999", parts[2], parts[3]}, ".")
	// A deployment with another app secret cannot make this one's state.
	otherAPI, err := wecom.NewClient(wecom.Config{CorpID: corpID, AgentID: "1000002", AgentSecret: "another-secret", APIBase: e.sim.URL()}, e.f.DB.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	fst, err := wecom.NewService(e.f.DB.Client, otherAPI, e.f.Dir, nil).StartSignIn("/orders?status=open")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2]string{
		"ErrNoCookie":          {"", st.State},
		"ErrNoState":           {st.Cookie, ""},
		"ErrOtherBrowserState": {st.Cookie, other.State},
		"ErrForgedNext":        {forgedNext, st.State},
		"ErrLongerLife":        {later, st.State},
		"ErrTamperedSignature": {st.Cookie[:len(st.Cookie)-2] + "AA", st.State},
		"ErrGarbage":           {"a.b.c.d", "a"},
		"ErrOtherSecret":       {fst.Cookie, fst.State},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := e.svc.CheckState(c[0], c[1]); wecom.Refused(err) != wecom.RefusedBadState {
				t.Fatalf("err %v, want bad_state", err)
			}
		})
	}
	t.Run("ErrExpired", func(t *testing.T) {
		e.svc.SetClock(func() time.Time { return time.Now().Add(wecom.StateLifetime + time.Second) })
		defer e.svc.SetClock(time.Now)
		if _, err := e.svc.CheckState(st.Cookie, st.State); wecom.Refused(err) != wecom.RefusedBadState {
			t.Fatalf("err %v, want bad_state", err)
		}
	})
}

func TestAuthorizeURL(t *testing.T) {
	cfg := wecom.Config{CorpID: "wwcorp", AgentID: "1000002", AgentSecret: "s"}
	raw := cfg.AuthorizeURL("https://portal.example/wecom/oauth", "abc123")
	want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wwcorp&redirect_uri=https%3A%2F%2Fportal.example%2Fwecom%2Foauth" +
		"&response_type=code&scope=snsapi_base&state=abc123&agentid=1000002#wechat_redirect"
	if raw != want {
		t.Fatalf("got  %s\nwant %s", raw, want)
	}
	cfg.AuthorizeBase = "http://127.0.0.1:9/"
	u, err := url.Parse(cfg.AuthorizeURL("http://127.0.0.1:8080/wecom/oauth", "s"))
	if err != nil || u.Host != "127.0.0.1:9" || u.Path != "/connect/oauth2/authorize" || u.Query().Get("redirect_uri") != "http://127.0.0.1:8080/wecom/oauth" {
		t.Fatalf("%v %v", u, err)
	}
}

func TestSignInUser(t *testing.T) {
	e := newEnv(t, 3, 2, true)
	ctx := e.f.System()
	sys := e.f.System()
	for uid, id := range e.staff {
		if err := e.svc.LinkStaff(ctx, id, uid); err != nil {
			t.Fatal(err)
		}
	}
	sim := e.sim
	t.Run("OK", func(t *testing.T) {
		code := sim.IssueCode("u00")
		id, err := e.svc.SignInUser(ctx, code)
		if err != nil || id != e.staff["u00"] {
			t.Fatalf("user %d, err %v; want %d", id, err, e.staff["u00"])
		}
		t.Run("ErrReplayedCode", func(t *testing.T) {
			if _, err := e.svc.SignInUser(ctx, code); wecom.Refused(err) != wecom.RefusedBadCode {
				t.Fatalf("err %v, want bad_code", err)
			}
		})
	})
	t.Run("TokenExpiredIsRenewed", func(t *testing.T) {
		sim.ExpireTokens()
		if id, err := e.svc.SignInUser(ctx, sim.IssueCode("u01")); err != nil || id != e.staff["u01"] {
			t.Fatalf("user %d, err %v", id, err)
		}
	})
	t.Run("ErrMalformedCodeNeverSent", func(t *testing.T) {
		before := sim.Calls(userInfoPath)
		for _, c := range []string{"", "abc&access_token=x", "a b", strings.Repeat("a", 600)} {
			if _, err := e.svc.SignInUser(ctx, c); wecom.Refused(err) != wecom.RefusedBadCode {
				t.Fatalf("%q: err %v, want bad_code", c, err)
			}
		}
		if n := sim.Calls(userInfoPath); n != before {
			t.Fatalf("%d calls reached WeCom", n-before)
		}
	})
	t.Run("ErrExpiredCode", func(t *testing.T) {
		c := sim.IssueCode("u00")
		sim.SetClock(func() time.Time { return time.Now().Add(wecomsim.CodeLifetime + time.Second) })
		defer sim.SetClock(time.Now)
		if _, err := e.svc.SignInUser(ctx, c); wecom.Refused(err) != wecom.RefusedBadCode {
			t.Fatalf("err %v, want bad_code", err)
		}
	})
	t.Run("ErrVisitor", func(t *testing.T) {
		if _, err := e.svc.SignInUser(ctx, sim.IssueVisitorCode("oWX1", "wmX")); wecom.Refused(err) != wecom.RefusedNotMember {
			t.Fatalf("err %v, want not_member", err)
		}
	})
	t.Run("ErrUnlinkedMember", func(t *testing.T) {
		_, err := e.svc.SignInUser(ctx, sim.IssueCode("u02"))
		var se *wecom.SignInError
		if wecom.Refused(err) != wecom.RefusedUnknownUser || !asSignIn(err, &se) || se.UserID != "u02" {
			t.Fatalf("err %v, want unknown_user for u02", err)
		}
	})
	t.Run("ErrPartnerUser", func(t *testing.T) {
		sim.AddMember(wecomsim.Member{UserID: "liu.partner", Name: "刘"})
		if err := e.f.DB.Client.User.UpdateOneID(e.f.UserA.ID).SetWecomUserid("liu.partner").Exec(sys); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SignInUser(ctx, sim.IssueCode("liu.partner")); wecom.Refused(err) != wecom.RefusedPartnerUser {
			t.Fatalf("err %v, want partner_user", err)
		}
	})
	t.Run("ErrInactive", func(t *testing.T) {
		if err := e.f.DB.Client.User.Update().Where(user.ID(e.staff["u01"])).SetActive(false).Exec(sys); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SignInUser(ctx, sim.IssueCode("u01")); wecom.Refused(err) != wecom.RefusedInactive {
			t.Fatalf("err %v, want inactive", err)
		}
	})
	t.Run("ErrWeComRefuses", func(t *testing.T) {
		sim.FailNext(userInfoPath, 60020, 1) // not allowed from this IP
		_, err := e.svc.SignInUser(ctx, sim.IssueCode("u00"))
		if wecom.Refused(err) != wecom.RefusedUnavailable || wecom.Code(err) != 60020 || strings.Contains(err.Error(), agentSecret) {
			t.Fatalf("err %v, want unavailable with errcode 60020", err)
		}
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		off := newEnv(t, 1, 1, false) // no agent secret
		if _, err := off.svc.SignInUser(context.Background(), sim.IssueCode("u00")); wecom.Refused(err) != wecom.RefusedNotConfigured {
			t.Fatalf("err %v, want not_configured", err)
		}
		if _, err := off.svc.StartSignIn("/"); wecom.Refused(err) != wecom.RefusedNotConfigured {
			t.Fatalf("start: err %v, want not_configured", err)
		}
	})
}

func asSignIn(err error, out **wecom.SignInError) bool {
	se, ok := err.(*wecom.SignInError)
	*out = se
	return ok
}
