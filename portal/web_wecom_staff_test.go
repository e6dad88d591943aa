package portal

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
)

// The staff page shows the user's WeCom userid once linked, and says so
// when it is not, in both languages.
func TestStaffPageShowsWeComUserID(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	path := fmt.Sprintf("/staff/%d", e.f.Buyer2.ID)
	for lang, want := range map[string]string{"en": "Not linked", "zh-CN": "未关联"} {
		if b := e.page(wAdmin, lang, path); !strings.Contains(b, `id="wecom-userid"><span class="muted">`+want) {
			t.Fatalf("%s: unlinked user's page lacks %q", lang, want)
		}
	}
	if err := e.f.DB.Client.User.UpdateOneID(e.f.Buyer2.ID).SetWecomUserid("cai.buyer").Exec(e.f.System()); err != nil {
		t.Fatal(err)
	}
	for lang, label := range map[string]string{"en": "WeCom userid", "zh-CN": "企业微信账号"} {
		b := e.page(wAdmin, lang, path)
		if !strings.Contains(b, `id="wecom-userid">cai.buyer</dd>`) || !strings.Contains(b, label) {
			t.Fatalf("%s: linked user's page does not show the userid under %q", lang, label)
		}
	}
	resp, body := e.call(wAdmin, "GET", fmt.Sprintf("/api/v1/users/%d", e.f.Buyer2.ID), "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"wecom_userid":"cai.buyer"`) {
		t.Fatalf("API user: %d %s", resp.StatusCode, body)
	}
}
