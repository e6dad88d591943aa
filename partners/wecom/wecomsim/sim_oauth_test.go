package wecomsim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// The web sign-in read through the silenceper SDK's work/oauth
// (GetUserInfo, auth/getuserinfo): a member's code gives the userid once,
// a replayed, unknown or expired code 40029, a visitor's code an openid.
func TestSimulatorOAuthWithSDK(t *testing.T) {
	sim := wecomsim.New("wwsim", "agent-secret")
	defer sim.Close()
	sim.AddMember(wecomsim.Member{UserID: "wang.fang", Name: "王芳"})
	o := sdkOn(t, sim, "agent-secret").GetOauth()

	t.Run("Member", func(t *testing.T) {
		c := sim.IssueCode("wang.fang")
		info, err := o.GetUserInfo(c)
		if err != nil || info.UserID != "wang.fang" || info.OpenID != "" {
			t.Fatalf("info %+v, err %v", info, err)
		}
		if _, err := o.GetUserInfo(c); code(err) != wecomsim.ErrInvalidCode {
			t.Fatalf("a code used twice: err %v, want 40029", err)
		}
	})
	t.Run("ErrUnknownCode", func(t *testing.T) {
		if _, err := o.GetUserInfo("nosuchcode"); code(err) != wecomsim.ErrInvalidCode {
			t.Fatalf("err %v, want 40029", err)
		}
	})
	t.Run("ErrExpiredCode", func(t *testing.T) {
		c := sim.IssueCode("wang.fang")
		now := time.Now()
		sim.SetClock(func() time.Time { return now.Add(wecomsim.CodeLifetime + time.Second) })
		defer sim.SetClock(time.Now)
		// The token itself is still valid (2 h); only the code lapsed.
		if _, err := o.GetUserInfo(c); code(err) != wecomsim.ErrInvalidCode {
			t.Fatalf("err %v, want 40029", err)
		}
	})
	t.Run("Visitor", func(t *testing.T) {
		info, err := o.GetUserInfo(sim.IssueVisitorCode("oWX123", "wmEXT1"))
		if err != nil || info.UserID != "" || info.OpenID != "oWX123" || info.ExternalUserID != "wmEXT1" {
			t.Fatalf("info %+v, err %v", info, err)
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		resp, err := http.Get(sim.URL() + "/cgi-bin/auth/getuserinfo?code=" + sim.IssueCode("wang.fang"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			ErrCode int `json:"errcode"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.ErrCode != wecomsim.ErrMissingToken {
			t.Fatalf("errcode %d, %v; want 41001", body.ErrCode, err)
		}
	})

	t.Run("Authorize", func(t *testing.T) {
		sim.AuthorizeAs("wang.fang")
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		q := url.Values{"appid": {"wwsim"}, "redirect_uri": {"https://portal.example/wecom/oauth?x=1"}, "response_type": {"code"},
			"scope": {"snsapi_base"}, "state": {"s1"}, "agentid": {"1000002"}}
		resp, err := noFollow.Get(sim.URL() + "/connect/oauth2/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Host != "portal.example" || loc.Path != "/wecom/oauth" || loc.Query().Get("state") != "s1" || loc.Query().Get("x") != "1" {
			t.Fatalf("%d %s", resp.StatusCode, loc)
		}
		info, err := o.GetUserInfo(loc.Query().Get("code"))
		if err != nil || info.UserID != "wang.fang" {
			t.Fatalf("the redirect's code: %+v, %v", info, err)
		}
		for name, bad := range map[string][2]string{"ErrWrongCorp": {"appid", "other"}, "ErrScope": {"scope", "snsapi_userinfo"},
			"ErrRelativeRedirect": {"redirect_uri", "/wecom/oauth"}, "ErrResponseType": {"response_type", "token"}} {
			b := url.Values{}
			for k, v := range q {
				b[k] = v
			}
			b.Set(bad[0], bad[1])
			resp, err := noFollow.Get(sim.URL() + "/connect/oauth2/authorize?" + b.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", name, resp.StatusCode)
			}
		}
	})
}
