package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
)

// Every list route pages the same way: limit (1–200 unless the list
// allows more) and an opaque cursor in the query, {items, next_cursor}
// in the answer, next_cursor absent on the last page.

// pageOf is one answer of a list route, read loosely so that any list
// fits; under names where the page sits (runs, for a job's detail).
func pageOf(t *testing.T, b []byte, under string) ([]map[string]any, string) {
	t.Helper()
	if under != "" {
		var outer map[string]json.RawMessage
		if err := json.Unmarshal(b, &outer); err != nil {
			t.Fatalf("decode: %v\n%s", err, b)
		}
		b = outer[under]
	}
	var p struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"next_cursor"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Items == nil {
		t.Fatalf("not a page {items, next_cursor}: %v\n%.400s", err, b)
	}
	if p.NextCursor == nil {
		return p.Items, ""
	}
	if *p.NextCursor == "" {
		t.Fatalf("next_cursor is present but empty; the last page leaves it out\n%.400s", b)
	}
	return p.Items, *p.NextCursor
}

// withQuery adds a parameter to a path that may already have a query.
func withQuery(path, param string) string {
	if strings.Contains(path, "?") {
		return path + "&" + param
	}
	return path + "?" + param
}

// pagingCase is one list route with more rows than a page of two.
type pagingCase struct {
	name  string
	who   who
	path  string
	under string                      // where the page sits in the answer, "" at the top
	key   func(map[string]any) string // what identifies a row
	min   int                         // rows the setup made sure of
}

func byField(names ...string) func(map[string]any) string {
	return func(m map[string]any) string {
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprint(m[n]))
		}
		return strings.Join(parts, "/")
	}
}

// pagingSetup makes more rows than a page of two in every list that
// changed shape, and returns the routes to page through.
func pagingSetup(t *testing.T, e *env) []pagingCase {
	t.Helper()
	f := e.f
	sys, buyer, pa := f.System(), f.Ctx(f.Buyer), f.Ctx(f.UserA)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		_, err := f.Acc.CreateToken(buyer, accounts.TokenInput{Name: fmt.Sprint("erp-", i)})
		must(err)
	}
	_, err := f.Acc.CreateInvitation(buyer, accounts.InvitationInput{ContactID: f.ContactA2.ID})
	must(err)
	// More partners, and contacts for every staff owner.
	for i, owner := range []accounts.User{f.Admin, f.Viewer} {
		p, err := f.Dir.CreatePartner(sys, directory.PartnerInput{Code: fmt.Sprint("PG-", i), Name: "Paging " + strconv.Itoa(i), Kind: "customer"})
		must(err)
		_, err = f.Dir.CreateContact(sys, directory.ContactInput{PartnerID: p.ID, Name: "Contact", OwnerID: owner.ID})
		must(err)
	}
	// One order answered three times (change, rejected, change again),
	// two more with a change each, and five open lines on the board.
	var lines []orders.LineInput
	for i := 0; i < 5; i++ {
		lines = append(lines, orders.LineInput{ItemCode: fmt.Sprint("PG-", i), Quantity: 1000, UnitPrice: 10000, RequiredDate: fmt.Sprintf("2026-12-%02d", 10+i)})
	}
	newOrder := func(number string) orders.Order {
		t.Helper()
		o, err := f.Orders.Create(buyer, orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: number, Currency: "CNY", Lines: lines})
		must(err)
		o, err = f.Orders.Publish(buyer, o.ID)
		must(err)
		return o
	}
	qty := orders.Qty(500)
	change := orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "change", Quantity: &qty}}}
	answered := newOrder("PO-PAGE-1")
	for i := 0; i < 3; i++ {
		o, err := f.Orders.Acknowledge(pa, answered.ID, change)
		must(err)
		for _, cr := range o.ChangeRequests {
			if cr.State == "open" && i < 2 {
				_, err = f.Orders.Decide(buyer, cr.ID, orders.Decision{Decision: "reject"})
				must(err)
			}
		}
	}
	for _, n := range []string{"PO-PAGE-2", "PO-PAGE-3"} {
		_, err := f.Orders.Acknowledge(pa, newOrder(n).ID, change)
		must(err)
	}
	// A group of six members with three bridges.
	g, err := f.Groups.Create(buyer, groups.GroupInput{Name: "Paging", Kind: "partner", PartnerID: f.PartnerA.ID,
		UserIDs: []int{f.Admin.ID, f.Viewer.ID, f.Buyer2.ID}, ContactIDs: []int{f.ContactA.ID, f.ContactA2.ID}})
	must(err)
	for i := 0; i < 3; i++ {
		_, err := f.Groups.CreateBridge(buyer, g.ID, groups.BridgeInput{Kind: "webhook", Name: fmt.Sprint("ERP ", i), URL: "http://127.0.0.1:9/hook"})
		must(err)
	}
	// Three downloads of a document, and three runs of a job.
	doc := e.docA()
	for i := 0; i < 3; i++ {
		d, err := f.Docs.Download(buyer, doc, 0, "127.0.0.1")
		must(err)
		if d.Body != nil {
			d.Body.Close()
		}
	}
	admin := viewer.NewContext(context.Background(), viewer.Viewer{UserID: f.Admin.ID, Role: viewer.RoleAdmin, Label: f.Admin.Email})
	for i := 0; i < 3; i++ {
		_, err := e.srv.deps.Jobs.RunNow(admin, "session-purge", true)
		must(err)
		time.Sleep(2 * time.Millisecond) // each manual run claims its own tick
	}
	id := byField("id")
	return []pagingCase{
		{"Users", wBuyer, "/api/v1/users", "", id, 6},
		{"Tokens", wBuyer, "/api/v1/tokens", "", id, 3},
		{"Invitations", wBuyer, "/api/v1/invitations", "", id, 3},
		{"ChangeRequests", wBuyer, "/api/v1/change-requests", "", id, 5},
		{"OpenChangeRequests", wBuyer, "/api/v1/change-requests?state=open", "", id, 3},
		{"OrderChangeRequests", wPartner, fmt.Sprintf("/api/v1/orders/%d/change-requests", answered.ID), "", id, 3},
		{"Acknowledgements", wPartner, fmt.Sprintf("/api/v1/orders/%d/acknowledgements", answered.ID), "", id, 3},
		{"Ranking", wBuyer, "/api/v1/scorecards", "", byField("partner_id"), 4},
		{"RankingByName", wBuyer, "/api/v1/scorecards?sort=-name&period=week", "", byField("partner_id"), 4},
		{"Owners", wBuyer, "/api/v1/scorecards/owners", "", byField("user_id"), 4},
		{"Jobs", wViewer, "/api/v1/jobs", "", byField("name"), 9},
		{"JobRuns", wViewer, "/api/v1/jobs/session-purge", "runs", id, 3},
		{"StatusBoard", wBuyer, "/api/v1/status-board", "", byField("order_id", "line_no"), 15},
		{"OpenLines", wBuyer, "/api/v1/status-board?state=open", "", byField("order_id", "line_no"), 15},
		{"Members", wPartner, fmt.Sprintf("/api/v1/groups/%d/members", g.ID), "", id, 6},
		{"Bridges", wBuyer, fmt.Sprintf("/api/v1/groups/%d/bridges", g.ID), "", id, 3},
		{"Downloads", wBuyer, fmt.Sprintf("/api/v1/documents/%d/downloads", doc), "", id, 3},
	}
}

// Paged two at a time, each list serves exactly what one page of 200
// serves, in the same order, every row once.
func TestPagingServesEveryRowOnce(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for _, tc := range pagingSetup(t, e) {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := e.call(tc.who, "GET", withQuery(tc.path, "limit=200"), "")
			if resp.StatusCode != 200 {
				t.Fatalf("one page: %d %s", resp.StatusCode, b)
			}
			all, next := pageOf(t, b, tc.under)
			if next != "" || len(all) < tc.min {
				t.Fatalf("one page: %d rows (want %d or more), next %q", len(all), tc.min, next)
			}
			var want []string
			for _, r := range all {
				want = append(want, tc.key(r))
			}
			var got []string
			seen := map[string]int{}
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatalf("paging does not end: %v", got)
				}
				p := withQuery(tc.path, "limit=2")
				if cursor != "" {
					p += "&cursor=" + url.QueryEscape(cursor)
				}
				resp, b := e.call(tc.who, "GET", p, "")
				if resp.StatusCode != 200 {
					t.Fatalf("page %d: %d %s", pages, resp.StatusCode, b)
				}
				items, next := pageOf(t, b, tc.under)
				if len(items) > 2 || len(items) < 2 && next != "" {
					t.Fatalf("page %d has %d rows with limit 2 (next %q)", pages, len(items), next)
				}
				for _, r := range items {
					k := tc.key(r)
					seen[k]++
					got = append(got, k)
				}
				if cursor = next; cursor == "" {
					break
				}
			}
			for k, n := range seen {
				if n != 1 {
					t.Errorf("row %s served %d times", k, n)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("paged %v\nwant   %v", got, want)
			}
		})
	}
}

// limitMax is the largest limit a list's query accepts.
func limitMax(q any) int {
	t := reflect.TypeOf(q)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Tag.Get("query") != "limit" {
			continue
		}
		for _, r := range strings.Split(f.Tag.Get("validate"), ",") {
			if v, ok := strings.CutPrefix(r, "max="); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
	}
	return 0
}

// Every list route, found in the router, refuses a limit outside its
// range, a limit that is not a number and a cursor it did not issue,
// with a 422 naming the parameter.
func TestPagingRefusesBadParameters(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	var lists []apiOp
	for _, a := range apiOps(e) {
		if a.method == "GET" && a.o.Query != nil && limitMax(a.o.Query) > 0 {
			lists = append(lists, a)
		}
	}
	if len(lists) < 25 {
		t.Fatalf("found %d list routes; the router has more", len(lists))
	}
	sort.Slice(lists, func(i, j int) bool { return lists[i].path < lists[j].path })
	forged := []string{"bm90LWEtY3Vyc29y", "!!", strings.Repeat("A", 150)}
	for _, a := range lists {
		max := limitMax(a.o.Query)
		if max > 200 && !strings.Contains(a.path, "contacts") && !strings.Contains(a.path, "transfers") &&
			!strings.Contains(a.path, "posts") && !strings.Contains(a.path, "events") {
			t.Errorf("%s takes limit up to %d; lists take up to 200", a.path, max)
		}
		for _, tc := range []struct{ param, value string }{
			{"limit", "0"}, {"limit", strconv.Itoa(max + 1)}, {"limit", "x"}, {"limit", "-1"},
			{"cursor", forged[0]}, {"cursor", forged[1]}, {"cursor", forged[2]},
		} {
			t.Run(a.path+"/"+tc.param+"="+tc.value[:min(len(tc.value), 8)], func(t *testing.T) {
				resp, b := e.call(callerFor(a.o.Access), "GET", concrete(e, a.path)+"?"+tc.param+"="+url.QueryEscape(tc.value), "")
				p := decode[Problem](t, b)
				if resp.StatusCode != 422 || len(p.Errors) == 0 || p.Errors[0].Field != tc.param {
					t.Fatalf("status %d, errors %+v; want 422 naming %s", resp.StatusCode, p.Errors, tc.param)
				}
			})
		}
	}
}

// DELETE answers 204 with no body, and a revoked token stays listed.
func TestDeleteAnswersNoContent(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	nt, err := e.f.Acc.CreateToken(e.f.Ctx(e.f.Buyer), accounts.TokenInput{Name: "erp"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // revoking twice is harmless, and says so the same way
		resp, b := e.call(wBuyer, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", nt.ID), "")
		if resp.StatusCode != 204 || len(b) != 0 {
			t.Fatalf("revoke %d: %d %q", i, resp.StatusCode, b)
		}
	}
	if _, err := e.f.Acc.AuthenticateToken(context.Background(), nt.Secret); err == nil {
		t.Fatal("the revoked token still works")
	}
	resp, b := e.call(wBuyer, "GET", "/api/v1/tokens", "")
	items, _ := pageOf(t, b, "")
	if resp.StatusCode != 200 || len(items) != 1 || items[0]["revoked_at"] == nil {
		t.Fatalf("tokens after revoke: %d %s", resp.StatusCode, b)
	}
	resp, _ = e.call(wViewer, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", nt.ID), "")
	if resp.StatusCode != 404 {
		t.Fatalf("another user's token: %d", resp.StatusCode)
	}
	for p, ops := range e.srv.doc.ops {
		if o, ok := ops["DELETE"]; ok && o.Status != 204 {
			t.Errorf("DELETE %s is declared to answer %d; every DELETE answers 204", p, o.Status)
		}
	}
}
