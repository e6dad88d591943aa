package portal

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/groups"
)

// A group page shows the latest 50 posts and follows the feed live;
// every older post is a link back, on a page that does not follow the
// feed, and the way back to the latest posts is a link too.
func TestGroupPageOlderPosts(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	buyer := e.f.Ctx(e.f.Buyer)
	g, err := e.f.Groups.Create(buyer, groups.GroupInput{Name: "Paging", Kind: "partner", PartnerID: e.f.PartnerA.ID, ContactIDs: []int{e.f.ContactA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 60; i++ {
		if _, err := e.f.Groups.Post(buyer, g.ID, groups.PostInput{Body: fmt.Sprintf("message %02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	bodies := func(page string) []string { return regexp.MustCompile(`message \d\d`).FindAllString(page, -1) }
	latest := e.pageAs(t, wPartner, fmt.Sprintf("/groups/%d", g.ID), "en")
	got := bodies(latest)
	if len(got) != 50 || got[0] != "message 11" || got[49] != "message 60" {
		t.Fatalf("latest page shows %d posts, %v … %v", len(got), got[:1], got[len(got)-1:])
	}
	wantNotIn(t, latest, `data-archive`, `id="latest-posts"`)
	m := regexp.MustCompile(`href="(/groups/\d+\?cursor=[^"]+)" id="older-posts"`).FindStringSubmatch(latest)
	if m == nil {
		t.Fatalf("no link to older posts:\n%s", latest)
	}
	older := e.pageAs(t, wPartner, strings.ReplaceAll(m[1], "&amp;", "&"), "zh-CN")
	got = bodies(older)
	if len(got) != 10 || got[0] != "message 01" || got[9] != "message 10" {
		t.Fatalf("older page shows %v", got)
	}
	wantIn(t, older, `data-archive="true"`, `id="latest-posts"`, "最新消息")
	wantNotIn(t, older, `id="older-posts"`)
}
