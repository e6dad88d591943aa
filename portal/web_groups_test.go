package portal

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/groups"
)

// The group page shows one "open" link per post, a red reject button, and
// names the zone its script must format live times in.
func TestGroupPageCardsAndZone(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := e.orderVars()
	resp, b := e.call(wBuyer, "GET", "/groups/"+vars["GRP"], "")
	if resp.StatusCode != 200 {
		t.Fatalf("group page: %d", resp.StatusCode)
	}
	page := string(b)
	t.Run("FeedNamesTheReadersZone", func(t *testing.T) {
		m := regexp.MustCompile(`id="feed"[^>]*data-zone="([^"]+)"`).FindStringSubmatch(page)
		if m == nil || m[1] == "Local" {
			t.Fatalf("feed has no IANA data-zone: %v", m)
		}
	})
	start := strings.Index(page, `id="post-`+vars["CRCARD"]+`"`)
	if start < 0 {
		t.Fatalf("change-request card %s not on the page", vars["CRCARD"])
	}
	post := page[start:]
	post = post[:strings.Index(post, "</li>\n")]
	t.Run("OneOpenLinkPerPost", func(t *testing.T) {
		if !strings.Contains(post, `class="post-link" hidden`) || !strings.Contains(post, `class="card-link"`) {
			t.Errorf("card post shows the post link and the card link:\n%s", post)
		}
	})
	t.Run("RejectIsDanger", func(t *testing.T) {
		if !regexp.MustCompile(`class="card-button danger"[^>]*>|value="reject" class="card-button danger"`).MatchString(post) {
			t.Errorf("reject button is not danger:\n%s", post)
		}
		if strings.Contains(post, `value="approve" class="card-button danger"`) {
			t.Errorf("approve is danger")
		}
	})
}

// The digest schedule is picked as days and a time, stored as the spec
// the API takes, and read back in words.
func TestDigestSchedulePicker(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := e.orderVars()
	grp := "/groups/" + vars["GRP"]
	t.Run("ErrTimeNotHHMM", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", grp+"/digest", "digest_enabled=true&digest_days=weekdays&digest_time=8h")
		if resp.StatusCode != 422 || !strings.Contains(string(b), "digest_time") {
			t.Fatalf("bad time: %d %.300s", resp.StatusCode, b)
		}
	})
	t.Run("MondaysAt0915", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", grp+"/digest", "digest_enabled=true&digest_days=1&digest_time=09%3A15")
		if resp.StatusCode != 303 {
			t.Fatalf("save: %d %.300s", resp.StatusCode, b)
		}
		_, b = e.call(wBuyer, "GET", "/api/v1"+grp, "")
		if g := decode[groups.Group](t, b); g.Digest.Schedule != "15 9 * * 1" || !g.Digest.Enabled {
			t.Fatalf("stored digest %+v", g.Digest)
		}
		_, b = e.call(wBuyer, "GET", grp, "")
		page := string(b)
		if !strings.Contains(page, ">Mondays at 09:15<") || !strings.Contains(page, `<option value="1" selected>`) || !strings.Contains(page, `value="09:15"`) {
			t.Errorf("page does not read back the choice:\n%s", page[strings.Index(page, `id="digest"`):][:1500])
		}
	})
	t.Run("DefaultClearsTheSpec", func(t *testing.T) {
		if resp, b := e.call(wBuyer, "POST", grp+"/digest", "digest_enabled=true&digest_days=default&digest_time=09%3A15"); resp.StatusCode != 303 {
			t.Fatalf("save: %d %.300s", resp.StatusCode, b)
		}
		_, b := e.call(wBuyer, "GET", "/api/v1"+grp, "")
		if g := decode[groups.Group](t, b); g.Digest.Schedule != "" {
			t.Fatalf("stored digest %+v", g.Digest)
		}
		_, b = e.call(wBuyer, "GET", grp, "")
		if !strings.Contains(string(b), ">weekdays at 08:30<") {
			t.Errorf("default not worded")
		}
	})
}

// Group, bridges and job pages carry breadcrumbs back to their lists.
func TestGroupsAndJobsCrumbs(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := e.orderVars()
	for _, c := range []struct{ path, parent, current string }{
		{"/groups/" + vars["GRP"], `<a href="/groups">`, `<li aria-current="page">`},
		{"/groups/" + vars["GRP"] + "/bridges", `<a href="/groups/` + vars["GRP"] + `">`, `<li aria-current="page">`},
		{"/admin/jobs/certificate-expiry", `<a href="/admin/jobs">`, `<li aria-current="page">certificate-expiry</li>`},
	} {
		resp, b := e.call(wAdmin, "GET", c.path, "")
		page := string(b)
		i := strings.Index(page, `<nav class="crumbs"`)
		if resp.StatusCode != 200 || i < 0 {
			t.Errorf("%s: %d, crumbs at %d", c.path, resp.StatusCode, i)
			continue
		}
		nav := page[i : i+strings.Index(page[i:], "</nav>")]
		if !strings.Contains(nav, c.parent) || !strings.Contains(nav, c.current) {
			t.Errorf("%s crumbs = %s", c.path, nav)
		}
	}
}

// The change-request card on the page shows the asked change.
func TestGroupPageChangeRequestCard(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := e.orderVars()
	_, b := e.call(wBuyer, "GET", "/groups/"+vars["GRP"], "")
	page := string(b)
	start := strings.Index(page, `id="post-`+vars["CRCARD"]+`"`)
	if start < 0 {
		t.Fatal("no change-request card")
	}
	post := page[start:]
	post = post[:strings.Index(post, "</li>\n")]
	if !regexp.MustCompile(`class="card-changes"><li>Line \d+ <code>[^<]+</code>: [a-z ]+ <span class="nw">[^<]+</span> → <strong class="nw">[^<]+</strong>`).MatchString(post) {
		t.Errorf("card does not say what changes:\n%s", post)
	}
}

// The bridges page says when a waiting delivery is tried next and the
// rate limit in words.
func TestBridgesPageReadable(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	grp := e.orderVars()["GRP"]
	resp, b := e.call(wBuyer, "POST", "/api/v1/groups/"+grp+"/bridges", `{"kind":"webhook","name":"erp","url":"http://127.0.0.1:9/hook"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("bridge: %d %s", resp.StatusCode, b)
	}
	br := decode[groups.Bridge](t, b)
	if resp, b := e.call(wBuyer, "POST", "/api/v1/bridges/"+strconv.Itoa(br.ID)+"/test", ""); resp.StatusCode >= 300 {
		t.Fatalf("send test: %d %s", resp.StatusCode, b)
	}
	_, b = e.call(wBuyer, "GET", "/groups/"+grp+"/bridges", "")
	page := string(b)
	if !strings.Contains(page, "messages a minute") || strings.Contains(page, "/min<") {
		t.Errorf("rate not in words")
	}
	if !regexp.MustCompile(`class="d-state">Pending</span><br><small class="muted">next attempt <time`).MatchString(page) {
		i := strings.Index(page, `class="list deliveries"`)
		t.Errorf("pending delivery without its next attempt:\n%s", page[i:min(len(page), i+1500)])
	}
}
