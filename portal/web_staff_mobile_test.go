package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
)

// A staff user sets their mobile on the settings page (what the WeCom
// sync links them by when the e-mail differs); the staff page shows it
// to admins; a value that is no phone number is refused beside the
// field with what was typed kept, and nothing stored.
func TestStaffMobile(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	mobile := func() string { return e.f.DB.Client.User.GetX(e.f.System(), e.f.Buyer.ID).Mobile }
	t.Run("ErrNotANumber", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", "/settings", url.Values{"mobile": {"call me maybe"}}.Encode())
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `value="call me maybe"`) ||
			!strings.Contains(string(b), `class="field-error"`) {
			t.Fatalf("%d %.1500s", resp.StatusCode, b)
		}
		if mobile() != "" {
			t.Fatal("stored")
		}
	})
	t.Run("OK", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", "/settings", url.Values{"mobile": {" +86 138-0013-8000 "}}.Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d %.500s", resp.StatusCode, b)
		}
		if got := mobile(); got != "+86 138-0013-8000" {
			t.Fatalf("stored %q", got)
		}
		_, b = e.call(wBuyer, "GET", "/settings", "")
		if !strings.Contains(string(b), `value="&#43;86 138-0013-8000"`) && !strings.Contains(string(b), `value="+86 138-0013-8000"`) {
			t.Fatalf("the settings page does not show it:\n%.2000s", b)
		}
		_, b = e.call(wAdmin, "GET", fmt.Sprintf("/staff/%d", e.f.Buyer.ID), "")
		if !strings.Contains(string(b), `id="user-mobile">+86 138-0013-8000<`) && !strings.Contains(string(b), `id="user-mobile">&#43;86 138-0013-8000<`) {
			t.Fatalf("the staff page does not show it:\n%.2000s", b)
		}
	})
	t.Run("LanguageSwitchKeepsIt", func(t *testing.T) {
		if resp, _ := e.call(wBuyer, "POST", "/settings", "locale=en"); resp.StatusCode != http.StatusSeeOther {
			t.Fatal(resp.StatusCode)
		}
		if got := mobile(); got != "+86 138-0013-8000" {
			t.Fatalf("the language switch changed the mobile to %q", got)
		}
	})
}
