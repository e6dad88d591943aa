package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomcorpmapping"
)

// inboxRowHTML is the inbox's card of one contact.
func inboxRowHTML(t *testing.T, page []byte, ext string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<li class="card inbox-item" id="wc-` + regexp.QuoteMeta(ext) + `">.*?</li>`).Find(page)
	if m == nil {
		t.Fatalf("no row for %s in\n%.2000s", ext, page)
	}
	return string(m)
}

// The unmatched inbox page: staff see what WeCom has that no partner
// matched; buyers assign a contact or map its corp through the API's
// inputs, a refusal shows beside the row's field with what was typed;
// viewers see no forms.
func TestWeComInboxPage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	unmatchedWeComContact(e, nil)
	c, sys := e.f.DB.Client, e.f.System()
	added := time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
	wc, err := c.WecomContact.Create().SetExternalUserid("wmACME1").SetKind(wecomcontact.KindWecom).SetName("李雷").
		SetCorpName("Acme Trading").SetCorpFullName("").SetAddedAt(added).Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WecomFollow.Create().SetWecomContactID(wc.ID).SetUserid("bo.buyer").SetAddedAt(added).Exec(sys); err != nil {
		t.Fatal(err)
	}
	partnerOf := func(ext string) *int {
		return c.WecomContact.Query().Where(wecomcontact.ExternalUserid(ext)).OnlyX(sys).PartnerID
	}

	t.Run("ViewerSeesNoForms", func(t *testing.T) {
		resp, b := e.call(wViewer, "GET", "/wecom/unmatched", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %.500s", resp.StatusCode, b)
		}
		row := inboxRowHTML(t, b, "wmACME1")
		for _, want := range []string{"李雷", "Acme Trading", "bo.buyer", "2026"} {
			if !strings.Contains(row, want) {
				t.Errorf("row lacks %q:\n%s", want, row)
			}
		}
		if strings.Contains(string(b), `action="/wecom/unmatched/assign`) {
			t.Error("a viewer is offered the assign form")
		}
	})
	t.Run("SearchNarrowsPartnerLists", func(t *testing.T) {
		resp, b := e.call(wBuyer, "GET", "/wecom/unmatched?q="+url.QueryEscape(e.f.PartnerB.Name), "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d", resp.StatusCode)
		}
		row := inboxRowHTML(t, b, "wmACME1")
		if !strings.Contains(row, fmt.Sprintf(`<option value="%d">`, e.f.PartnerB.ID)) || strings.Contains(row, fmt.Sprintf(`<option value="%d">`, e.f.PartnerA.ID)) {
			t.Fatalf("the lists are not narrowed to partner B:\n%s", row)
		}
	})
	t.Run("Linked", func(t *testing.T) {
		for path, who := range map[string]who{"/partners": wBuyer, "/admin/wecom": wAdmin} {
			_, b := e.call(who, "GET", path, "")
			if !strings.Contains(string(b), `href="/wecom/unmatched"`) {
				t.Errorf("%s does not link the inbox", path)
			}
		}
	})
	t.Run("ErrAssignWithoutPartner", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", "/wecom/unmatched/assign", url.Values{"external_userid": {"wmACME1"}, "partner_id": {""}}.Encode())
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%d %.500s", resp.StatusCode, b)
		}
		if row := inboxRowHTML(t, b, "wmACME1"); !strings.Contains(row, `class="field-error"`) {
			t.Fatalf("the reason is not beside the row's field:\n%s", row)
		}
		if row := inboxRowHTML(t, b, "wmMATRIX"); strings.Contains(row, `class="field-error"`) {
			t.Fatalf("another row shows the reason:\n%s", row)
		}
		if partnerOf("wmACME1") != nil {
			t.Fatal("stored")
		}
	})
	t.Run("ErrMapKeepsWhatWasTyped", func(t *testing.T) {
		typed := "Acme " + strings.Repeat("很长", 100)
		resp, b := e.call(wBuyer, "POST", "/wecom/unmatched/map", url.Values{"external_userid": {"wmACME1"}, "corp_name": {typed},
			"partner_id": {fmt.Sprint(e.f.PartnerB.ID)}}.Encode())
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%d %.500s", resp.StatusCode, b)
		}
		row := inboxRowHTML(t, b, "wmACME1")
		if !strings.Contains(row, `value="`+typed+`"`) || !strings.Contains(row, `class="field-error"`) {
			t.Fatalf("the typed corp name or its reason is missing:\n%s", row)
		}
		if !strings.Contains(row, fmt.Sprintf(`<option value="%d" selected>`, e.f.PartnerB.ID)) {
			t.Fatalf("the chosen partner is not kept:\n%s", row)
		}
		if n := c.WecomCorpMapping.Query().CountX(sys); n != 0 {
			t.Fatalf("%d mappings stored", n)
		}
	})
	t.Run("ErrUnknownContact", func(t *testing.T) {
		resp, _ := e.call(wBuyer, "POST", "/wecom/unmatched/assign", url.Values{"external_userid": {"nobody"},
			"partner_id": {fmt.Sprint(e.f.PartnerA.ID)}}.Encode())
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("ViewerCannotAssign", func(t *testing.T) {
		resp, _ := e.call(wViewer, "POST", "/wecom/unmatched/assign", url.Values{"external_userid": {"wmMATRIX"},
			"partner_id": {fmt.Sprint(e.f.PartnerA.ID)}}.Encode())
		if resp.StatusCode != http.StatusForbidden || partnerOf("wmMATRIX") != nil {
			t.Fatalf("%d, partner %v", resp.StatusCode, partnerOf("wmMATRIX"))
		}
	})
	t.Run("Assign", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", "/wecom/unmatched/assign", url.Values{"external_userid": {"wmMATRIX"},
			"partner_id": {fmt.Sprint(e.f.PartnerA.ID)}}.Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d %.500s", resp.StatusCode, b)
		}
		if p := partnerOf("wmMATRIX"); p == nil || *p != e.f.PartnerA.ID {
			t.Fatalf("partner %v", p)
		}
	})
	t.Run("MapCorp", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", "/wecom/unmatched/map", url.Values{"external_userid": {"wmACME1"}, "corp_name": {"  ACME   trading "},
			"partner_id": {fmt.Sprint(e.f.PartnerB.ID)}}.Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d %.500s", resp.StatusCode, b)
		}
		m := c.WecomCorpMapping.Query().Where(wecomcorpmapping.CorpName("acme trading")).OnlyX(sys)
		if m.PartnerID != e.f.PartnerB.ID {
			t.Fatalf("mapping %+v", m)
		}
		got := c.WecomContact.Query().Where(wecomcontact.ExternalUserid("wmACME1")).OnlyX(sys)
		if got.PartnerID == nil || *got.PartnerID != e.f.PartnerB.ID || got.Match != "mapping" || got.ContactID == nil {
			t.Fatalf("the corp's contact was not matched at once: %+v", got)
		}
		_, b = e.call(wBuyer, "GET", "/wecom/unmatched", "")
		if strings.Contains(string(b), "wc-wmACME1") || !strings.Contains(string(b), `id="inbox-empty"`) {
			t.Fatalf("the inbox still lists matched contacts:\n%.3000s", b)
		}
	})
	t.Run("API", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", "/api/v1/wecom/corp-mappings", fmt.Sprintf(`{"corp_name":"Globex","partner_id":%d}`, e.f.PartnerA.ID))
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"corp_name":"globex"`) {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		if !c.WecomCorpMapping.Query().Where(wecomcorpmapping.CorpName("globex"), wecomcorpmapping.PartnerID(e.f.PartnerA.ID)).ExistX(sys) {
			t.Fatal("not stored")
		}
		resp, _ = e.call(wViewer, "POST", "/api/v1/wecom/corp-mappings", fmt.Sprintf(`{"corp_name":"Initech","partner_id":%d}`, e.f.PartnerA.ID))
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer: %d", resp.StatusCode)
		}
	})
}
