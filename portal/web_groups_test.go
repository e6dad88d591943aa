package portal

import (
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
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
