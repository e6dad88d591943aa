package portal

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/auditentry"
	"github.com/tierlink/tierlink/ent/wecomsetting"
	"github.com/tierlink/tierlink/partners/wecom"
)

// Admins store the WeCom settings on /admin/wecom: the ids are shown
// back, secrets never (only "stored"); an empty secret field keeps what
// is stored, a checkbox removes it; a bad value is refused beside its
// field with what was typed kept; a TIERLINK_WECOM_* variable wins over
// what is stored, at start and on the page; the audit trail holds no
// secret.
func TestWeComSettings(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	c, sys := e.f.DB.Client, e.f.System()
	const secret = "Agent-Secret-Do-Not-Show-1"
	aesKey := strings.Repeat("k", 43)
	stored := func() map[string]string {
		out := map[string]string{}
		for _, r := range c.WecomSetting.Query().AllX(sys) {
			out[r.Key] = r.Value
		}
		return out
	}
	t.Run("ErrBadAgentID", func(t *testing.T) {
		resp, b := e.call(wAdmin, "POST", "/admin/wecom/settings", url.Values{"corp_id": {"wwTYPED"}, "agent_id": {"abc"}}.Encode())
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `value="wwTYPED"`) {
			t.Fatalf("%d %.2000s", resp.StatusCode, b)
		}
		if i := strings.Index(string(b), `id="setting-agent_id"`); i < 0 || !strings.Contains(string(b)[i:], `class="field-error"`) {
			t.Fatal("no reason beside agent_id")
		}
		if len(stored()) != 0 {
			t.Fatalf("stored %v", stored())
		}
	})
	t.Run("Save", func(t *testing.T) {
		resp, b := e.call(wAdmin, "POST", "/admin/wecom/settings", url.Values{"corp_id": {"wwSTORED"}, "agent_id": {"1000002"},
			"agent_secret": {secret}, "callback_aes_key": {aesKey}}.Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d %.500s", resp.StatusCode, b)
		}
		got := stored()
		if got["corp_id"] != "wwSTORED" || got["agent_id"] != "1000002" || got["agent_secret"] != secret || got["callback_aes_key"] != aesKey {
			t.Fatalf("stored %v", got)
		}
		_, b = e.call(wAdmin, "GET", "/admin/wecom", "")
		page := string(b)
		if strings.Contains(page, secret) || strings.Contains(page, aesKey) {
			t.Fatal("the page shows a secret")
		}
		if !strings.Contains(page, `value="wwSTORED"`) || !strings.Contains(page, `id="s-agent_secret-state">Stored`) {
			t.Fatalf("the page does not show the stored corp id:\n%.3000s", page)
		}
		_, b = e.call(wAdmin, "GET", "/api/v1/wecom/settings", "")
		if strings.Contains(string(b), secret) || !strings.Contains(string(b), `"key":"agent_secret","secret":true,"stored":true`) {
			t.Fatalf("API: %s", b)
		}
		for _, a := range c.AuditEntry.Query().Where(auditentry.Action("wecom.settings")).AllX(sys) {
			if raw, _ := json.Marshal(a.After); strings.Contains(string(raw), secret) {
				t.Fatal("the audit trail holds the secret")
			}
		}
	})
	t.Run("EmptyKeepsClearRemoves", func(t *testing.T) {
		resp, _ := e.call(wAdmin, "POST", "/admin/wecom/settings", url.Values{"corp_id": {"wwSTORED2"}, "agent_secret": {""},
			"clear": {"callback_aes_key"}}.Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatal(resp.StatusCode)
		}
		got := stored()
		if got["agent_secret"] != secret || got["corp_id"] != "wwSTORED2" {
			t.Fatalf("stored %v", got)
		}
		if c.WecomSetting.Query().Where(wecomsetting.Key("callback_aes_key")).ExistX(sys) {
			t.Fatal("the cleared key is still stored")
		}
	})
	t.Run("ViewerAndBuyerRefused", func(t *testing.T) {
		for _, w := range []who{wViewer, wBuyer} {
			resp, _ := e.call(w, "POST", "/admin/wecom/settings", "corp_id=wwEVIL")
			if resp.StatusCode != http.StatusForbidden || stored()["corp_id"] != "wwSTORED2" {
				t.Fatalf("%s: %d, stored %v", w, resp.StatusCode, stored())
			}
		}
	})
	t.Run("EnvWins", func(t *testing.T) {
		env := wecom.Config{CorpID: "wwENV", ContactSecret: "env-contact"}
		cfg, err := wecom.WithStored(context.Background(), c, env)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CorpID != "wwENV" || cfg.ContactSecret != "env-contact" || cfg.AgentSecret != secret || cfg.AgentID != "1000002" {
			t.Fatalf("merged %v (agent secret right: %v)", cfg, cfg.AgentSecret == secret)
		}
		e.srv.deps.WeCom.SetEnv(env)
		_, b := e.call(wAdmin, "GET", "/admin/wecom", "")
		page := string(b)
		i := strings.Index(page, `id="setting-corp_id"`)
		if i < 0 {
			t.Fatal("no corp id setting")
		}
		block := page[i:min(len(page), i+800)]
		if !strings.Contains(block, "TIERLINK_WECOM_CORP_ID") || !strings.Contains(block, "disabled") {
			t.Fatalf("the page does not say the variable wins:\n%s", block)
		}
	})
}
