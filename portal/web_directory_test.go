package portal

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
)

// page fetches a page as w in lang ("" for the saved or default one) and
// fails unless it answers 200.
func (e *env) page(w who, lang, path string) string {
	e.t.Helper()
	r := e.req(w, "GET", path, "")
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	resp := e.do(r)
	b := readAll(resp)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s as %s: %d\n%.800s", path, w, resp.StatusCode, b)
	}
	return b
}

// section is the part of page from the element with id to the end of
// its first closing tag of the given name.
func section(t *testing.T, page, id, tag string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no #%s on the page:\n%.2000s", id, page)
	}
	rest := page[i:]
	j := strings.Index(rest, "</"+tag+">")
	if j < 0 {
		t.Fatalf("#%s is not closed by </%s>", id, tag)
	}
	return rest[:j]
}

func (e *env) invitationsOf(t *testing.T, contactID int) int {
	t.Helper()
	p, err := e.f.Acc.ListInvitations(e.f.Ctx(e.f.Admin), accounts.InvitationFilter{PartnerID: e.f.PartnerA.ID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, inv := range p.Items {
		if inv.ContactID == contactID {
			n++
		}
	}
	return n
}

func TestDirectoryInviteOnlyWithoutLogin(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	a, a2 := e.f.ContactA.ID, e.f.ContactA2.ID // ContactA logs in as UserA
	pagePath := fmt.Sprintf("/partners/%d", e.f.PartnerA.ID)

	t.Run("NotOfferedToAContactWithALogin", func(t *testing.T) {
		b := e.page(wBuyer, "en", pagePath)
		row := section(t, b, fmt.Sprintf("contact-%d", a), "tr")
		if strings.Contains(row, "/invite") || !strings.Contains(row, "Can log in") {
			t.Errorf("the contact who logs in is offered an invitation:\n%s", row)
		}
		row2 := section(t, b, fmt.Sprintf("contact-%d", a2), "tr")
		if !strings.Contains(row2, fmt.Sprintf(`action="/contacts/%d/invite"`, a2)) || !strings.Contains(row2, ">Invite to portal<") {
			t.Errorf("the contact without a login is not offered an invitation:\n%s", row2)
		}
	})

	t.Run("RefusedOnThePageAndTheAPI", func(t *testing.T) {
		before := e.invitationsOf(t, a)
		resp, _ := e.call(wBuyer, "POST", fmt.Sprintf("/contacts/%d/invite", a), "_csrf="+e.sessions[wBuyer].csrf)
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("page invite of a contact who logs in: %d, want 409", resp.StatusCode)
		}
		resp, body := e.call(wBuyer, "POST", "/api/v1/invitations", fmt.Sprintf(`{"contact_id":%d}`, a))
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("API invite of a contact who logs in: %d, want 409: %s", resp.StatusCode, body)
		}
		if got := e.invitationsOf(t, a); got != before {
			t.Errorf("invitations stored for the contact who logs in: %d, was %d", got, before)
		}
	})

	t.Run("RefusedEvenAfterTheContactsEmailChanged", func(t *testing.T) {
		email := "liu.new@a.test"
		if _, err := e.f.Dir.UpdateContact(e.f.Ctx(e.f.Buyer), a, directory.ContactPatch{Email: &email}); err != nil {
			t.Fatal(err)
		}
		before := e.invitationsOf(t, a)
		resp, body := e.call(wBuyer, "POST", "/api/v1/invitations", fmt.Sprintf(`{"contact_id":%d}`, a))
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("API invite under a new e-mail: %d, want 409: %s", resp.StatusCode, body)
		}
		if got := e.invitationsOf(t, a); got != before {
			t.Errorf("an invitation was stored: %d, was %d", got, before)
		}
	})

	t.Run("PendingInvitationShowsDateAndResend", func(t *testing.T) {
		resp, _ := e.call(wBuyer, "POST", fmt.Sprintf("/contacts/%d/invite", a2), "_csrf="+e.sessions[wBuyer].csrf)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("invite: %d", resp.StatusCode)
		}
		if n := e.invitationsOf(t, a2); n != 1 {
			t.Fatalf("stored invitations: %d, want 1", n)
		}
		row := section(t, e.page(wBuyer, "en", pagePath), fmt.Sprintf("contact-%d", a2), "tr")
		if !strings.Contains(row, "Invited on <time") || !strings.Contains(row, ">Resend invitation<") {
			t.Errorf("pending invitation not shown with its date and a resend:\n%s", row)
		}
		zh := section(t, e.page(wBuyer, "zh-CN", fmt.Sprintf("/contacts/%d", a2)), "invite-state", "dd")
		if !strings.Contains(zh, "邀请发送于") || !strings.Contains(zh, "重新发送邀请") {
			t.Errorf("contact page (zh) lacks the pending invitation:\n%s", zh)
		}
	})
}

func TestDirectoryPagesTheList(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	ctx := e.f.Ctx(e.f.Admin)
	for i := range 40 {
		if _, err := e.f.Dir.CreatePartner(ctx, directory.PartnerInput{Code: fmt.Sprintf("LOG-%02d", i), Name: fmt.Sprintf("Logistics %02d", i), Kind: "logistics"}); err != nil {
			t.Fatal(err)
		}
	}
	link := regexp.MustCompile(`href="(/partners/\d+)" class="partner-link"`)
	seen := map[string]bool{}
	b := e.page(wBuyer, "en", "/partners?kind=logistics")
	first := link.FindAllStringSubmatch(b, -1)
	if len(first) != directoryPageSize {
		t.Fatalf("first page lists %d partners, want %d", len(first), directoryPageSize)
	}
	if !strings.Contains(b, `id="filters-toggle" class="dir-toggle" aria-controls="more-filters" checked`) {
		t.Error("a set filter leaves the phone's filters collapsed")
	}
	if strings.Contains(b, `id="first"`) {
		t.Error("the first page links to itself")
	}
	m := regexp.MustCompile(`href="([^"]+)" id="next"`).FindStringSubmatch(b)
	if m == nil {
		t.Fatal("no next-page link")
	}
	next := html.UnescapeString(m[1])
	if !strings.Contains(next, "kind=logistics") || !strings.Contains(next, "cursor=") {
		t.Fatalf("next link drops the filter or the cursor: %s", next)
	}
	for _, l := range first {
		seen[l[1]] = true
	}
	b = e.page(wBuyer, "en", next)
	rest := link.FindAllStringSubmatch(b, -1)
	if len(rest) != 40-directoryPageSize {
		t.Fatalf("second page lists %d partners, want %d", len(rest), 40-directoryPageSize)
	}
	for _, l := range rest {
		if seen[l[1]] {
			t.Errorf("%s is on both pages", l[1])
		}
	}
	if strings.Contains(b, `id="next"`) || !strings.Contains(b, `id="first"`) {
		t.Error("the last page should link back to the first, and nowhere further")
	}
	if b := e.page(wBuyer, "en", "/partners"); strings.Contains(b, `aria-controls="more-filters" checked`) {
		t.Error("with no filter set, the phone's filters should start collapsed")
	}
}

func TestDirectoryAuditReadsAsSentences(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	p := e.f.PartnerA.ID
	resp, _ := e.call(wBuyer, "POST", fmt.Sprintf("/partners/%d/ordering", p),
		"_csrf="+e.sessions[wBuyer].csrf+"&ack_sla_hours=48&over_delivery_pct=0&block_on_lapsed_certificate=false")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ordering: %d", resp.StatusCode)
	}
	e.docA()
	en := section(t, e.page(wAdmin, "en", fmt.Sprintf("/partners/%d", p)), "audit", "ol")
	for _, want := range []string{
		fmt.Sprintf(`<a href="/partners/%d">Bo Buyer updated partner 华星精密</a>`, p),
		"<li>changed the acknowledgement target from 24 h to 48 h</li>",
		"Bo Buyer uploaded document",
		"Bo Buyer invited 刘洋 to the portal",
	} {
		if !strings.Contains(en, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, en)
		}
	}
	for _, raw := range []string{"partner.update", "sha256", "&lt;nil&gt;", "<nil>", "@co.test", "#"} {
		if strings.Contains(en, raw) {
			t.Errorf("audit trail shows raw %q:\n%s", raw, en)
		}
	}
	zh := section(t, e.page(wAdmin, "zh-CN", fmt.Sprintf("/partners/%d", p)), "audit", "ol")
	if !strings.Contains(zh, "将确认时限从 24 小时 改为 48 小时") {
		t.Errorf("Chinese audit trail lacks the change:\n%s", zh)
	}
}

func TestDirectoryLabelsNamesAndCrumbs(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	p, c := e.f.PartnerA.ID, e.f.ContactA.ID

	t.Run("HistoriesSayTheyAreEmpty", func(t *testing.T) {
		doc := e.page(wBuyer, "en", fmt.Sprintf("/documents/%d", e.docA()))
		if d := section(t, doc, "downloads", "table"); !strings.Contains(d, "No downloads yet.") || strings.Contains(d, "Nothing matches") {
			t.Errorf("empty download record:\n%s", d)
		}
		ct := e.page(wBuyer, "zh-CN", fmt.Sprintf("/contacts/%d", c))
		if !strings.Contains(ct, "还没有转交记录。") || strings.Contains(ct, "没有匹配的结果") {
			t.Error("empty hand-over history does not say so")
		}
	})

	t.Run("DocumentTitleIsNotAJobTitle", func(t *testing.T) {
		b := e.page(wBuyer, "zh-CN", fmt.Sprintf("/partners/%d", p))
		if !strings.Contains(b, `<label>标题<input name="title"`) || strings.Contains(b, `<label>职务<input name="title"`) {
			t.Errorf("upload form's title label:\n%s", section(t, b, "upload-title", "label"))
		}
		if d := section(t, b, "documents", "thead"); strings.Contains(d, "职务") || !strings.Contains(d, "标题") {
			t.Errorf("documents table heading: %s", d)
		}
		if ct := section(t, b, "contacts", "thead"); !strings.Contains(ct, "职务") || !strings.Contains(ct, "姓名") {
			t.Errorf("contacts table heading: %s", ct)
		}
	})

	t.Run("LanguageByName", func(t *testing.T) {
		for lang, want := range map[string]string{"en": "简体中文", "zh-CN": "简体中文"} {
			if got := section(t, e.page(wBuyer, lang, fmt.Sprintf("/contacts/%d", c)), "language", "dd"); !strings.Contains(got, want) || strings.Contains(got, "zh-CN") {
				t.Errorf("%s: contact language shown as %q", lang, got)
			}
		}
		en := "en"
		if _, err := e.f.Dir.UpdateContact(e.f.Ctx(e.f.Buyer), c, directory.ContactPatch{Language: &en}); err != nil {
			t.Fatal(err)
		}
		if got := section(t, e.page(wBuyer, "zh-CN", fmt.Sprintf("/contacts/%d", c)), "language", "dd"); !strings.Contains(got, "English") {
			t.Errorf("contact language shown as %q", got)
		}
	})

	t.Run("DownloadsAndUploadsByName", func(t *testing.T) {
		doc := e.docA()
		if resp, _ := e.call(wViewer, "GET", fmt.Sprintf("/api/v1/documents/%d/download", doc), ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("download: %d", resp.StatusCode)
		}
		b := e.page(wBuyer, "en", fmt.Sprintf("/documents/%d", doc))
		if d := section(t, b, "downloads", "table"); !strings.Contains(d, `class="downloader">Vi Viewer<`) || strings.Contains(d, "viewer@co.test") {
			t.Errorf("downloads name the downloader by e-mail:\n%s", d)
		}
		if v := section(t, b, "versions", "table"); !strings.Contains(v, ">Bo Buyer<") || strings.Contains(v, "buyer@co.test") {
			t.Errorf("versions name the uploader by e-mail:\n%s", v)
		}
	})

	t.Run("Breadcrumbs", func(t *testing.T) {
		doc := e.docA()
		for _, tc := range []struct {
			w          who
			path, want string
		}{
			{wBuyer, fmt.Sprintf("/partners/%d", p), `<li><a href="/partners">Directory</a></li><li aria-current="page">华星精密</li>`},
			{wBuyer, fmt.Sprintf("/contacts/%d", c), fmt.Sprintf(`<li><a href="/partners">Directory</a></li><li><a href="/partners/%d">华星精密</a></li><li aria-current="page">刘洋</li>`, p)},
			{wBuyer, fmt.Sprintf("/documents/%d", doc), fmt.Sprintf(`<li><a href="/partners">Directory</a></li><li><a href="/partners/%d">华星精密</a></li><li aria-current="page">`, p)},
			{wPartner, fmt.Sprintf("/documents/%d", doc), fmt.Sprintf(`<li><a href="/partners/%d">My company</a></li><li aria-current="page">`, p)},
		} {
			b := e.page(tc.w, "en", tc.path)
			i := strings.Index(b, `<nav class="crumbs"`)
			if i < 0 {
				t.Errorf("%s as %s: no breadcrumbs", tc.path, tc.w)
				continue
			}
			nav := b[i : i+strings.Index(b[i:], "</nav>")]
			if !strings.Contains(nav, tc.want) {
				t.Errorf("%s as %s: breadcrumbs\n%s\nwant %s", tc.path, tc.w, nav, tc.want)
			}
		}
	})

	t.Run("RecordsReachableFromTheirParents", func(t *testing.T) {
		doc := e.docA()
		partner := e.page(wBuyer, "en", fmt.Sprintf("/partners/%d", p))
		contact := e.page(wBuyer, "en", fmt.Sprintf("/contacts/%d", c))
		for _, tc := range []struct{ page, name, link string }{
			{partner, "partner→contact", fmt.Sprintf(`href="/contacts/%d"`, c)},
			{partner, "partner→document", fmt.Sprintf(`href="/documents/%d"`, doc)},
			{contact, "contact→partner", fmt.Sprintf(`href="/partners/%d" id="partner-link"`, p)},
			{contact, "contact→document", fmt.Sprintf(`href="/documents/%d"`, doc)},
		} {
			if !strings.Contains(tc.page, tc.link) {
				t.Errorf("%s: no %s", tc.name, tc.link)
			}
		}
	})
}

// TestDirectoryTablesStackOnAPhone proves every cell of the tables on the
// directory's pages carries the label the phone layout stacks it under,
// so no table needs to scroll sideways.
func TestDirectoryTablesStackOnAPhone(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	doc := e.docA()
	cell := regexp.MustCompile(`<td( [^>]*)?>`)
	for _, path := range []string{"/partners", fmt.Sprintf("/partners/%d", e.f.PartnerA.ID), fmt.Sprintf("/contacts/%d", e.f.ContactA.ID),
		fmt.Sprintf("/documents/%d", doc), "/transfers/new"} {
		b := e.page(wAdmin, "en", path)
		for _, m := range cell.FindAllString(b, -1) {
			if !strings.Contains(m, "data-label=") && !strings.Contains(m, "colspan=") && !strings.Contains(m, "dir-action") && !strings.Contains(m, "dir-pick") {
				t.Errorf("%s: a cell without data-label: %s", path, m)
			}
		}
		if !strings.Contains(b, "dir-table") && !strings.Contains(b, "dir-partners") {
			t.Errorf("%s: tables lack the directory's phone styles", path)
		}
	}
}
