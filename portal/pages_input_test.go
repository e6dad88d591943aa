package portal

import (
	"fmt"
	"html"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
)

// pagePath is a page route's path with partner A's records filled in,
// as concrete does for the API.
func pagePath(e *env, p string) string {
	v := e.orderVars()
	id := fmt.Sprint(e.f.PartnerA.ID)
	for prefix, val := range map[string]string{
		"/orders/": v["ORD"], "/change-requests/": v["CR"], "/shipments/": v["SHIP"], "/groups/": v["GRP"], "/cards/": v["CRCARD"],
		"/bridges/": v["BR"], "/deliveries/": v["DEAD"], "/contacts/": fmt.Sprint(e.f.ContactA.ID), "/staff/": fmt.Sprint(e.f.Buyer2.ID),
		"/documents/": fmt.Sprint(e.docA()),
	} {
		if strings.HasPrefix(p, prefix) {
			id = val
		}
	}
	if strings.HasPrefix(p, "/mail/") {
		return mailPagePath(e, p) // web_notify_test.go: mailed links
	}
	if strings.HasPrefix(p, "/password/reset/") {
		// A refused reset form is shown again only for a link that
		// still works: a real, unused one.
		l, err := e.f.Acc.ResetLinkFor(e.f.Ctx(e.f.Admin), e.f.Viewer.ID)
		if err != nil {
			panic(err)
		}
		return strings.ReplaceAll(p, ":token", l.Token)
	}
	if strings.Contains(p, ":token") {
		vars := map[string]string{}
		invitation(e, vars)
		p = strings.ReplaceAll(p, ":token", vars["INV"])
	}
	p = strings.ReplaceAll(strings.ReplaceAll(p, ":id", id), ":name", "session-purge")
	return p
}

var fieldProblem = regexp.MustCompile(`data-field="([^"]*)" data-reason="([^"]*)"`)

// pageFieldErrors reads the field reasons a page shows.
func pageFieldErrors(body []byte) map[string]string {
	out := map[string]string{}
	for _, m := range fieldProblem.FindAllSubmatch(body, -1) {
		out[html.UnescapeString(string(m[1]))] = html.UnescapeString(string(m[2]))
	}
	return out
}

// formCase is one generated bad input for a form.
type formCase struct {
	name, field, value string
}

// badFormInputs generates, from a form type, one bad value per field the
// form can get wrong: a number field given text, a text field longer
// than its limit, a choice outside its list; and a field the form does
// not have.
func badFormInputs(t reflect.Type) []formCase {
	cases := []formCase{{name: "Unknown", field: "no_such_field", value: "1"}}
	for name, ft := range jsonFields(t) {
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		rules := validateRules(t, name)
		switch {
		case ft.Kind() == reflect.Int:
			cases = append(cases, formCase{"NotANumber_" + name, name, "twelve"})
		case ft.Kind() == reflect.String && rules["max"] != "":
			n, _ := strconv.Atoi(rules["max"])
			cases = append(cases, formCase{"TooLong_" + name, name, strings.Repeat("x", n+1)})
		case ft.Kind() == reflect.String && rules["oneof"] != "":
			cases = append(cases, formCase{"NotAChoice_" + name, name, "no-such-choice"})
		}
	}
	return cases
}

// validateRules reads the validate tag of t's field with JSON name name.
func validateRules(t reflect.Type, name string) map[string]string {
	out := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != name {
			continue
		}
		for _, r := range strings.Split(f.Tag.Get("validate"), ",") {
			k, v, _ := strings.Cut(r, "=")
			out[k] = v
		}
	}
	return out
}

// stored counts the records a refused form must not have written.
func (e *env) stored(t *testing.T) string {
	t.Helper()
	ctx, c := e.f.System(), e.f.DB.Client
	n := func(k int, err error) int {
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return fmt.Sprint(n(c.AuditEntry.Query().Count(ctx)), n(c.DomainEvent.Query().Count(ctx)), n(c.Post.Query().Count(ctx)),
		n(c.ContactTransfer.Query().Count(ctx)), n(c.Order.Query().Count(ctx)), n(c.Shipment.Query().Count(ctx)))
}

// Every page route is declared in the page table, and every one that
// takes a form refuses generated bad input the way the API does: the
// field named with its reason, the form page shown again (or the error
// page) in the API's status, and nothing stored. A path id that names
// nothing is a 404.
func TestPageBadInputs(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	declared := map[string]bool{}
	for _, r := range e.srv.pageRoutes() {
		declared[r.Method+" "+r.Path] = true
	}
	for _, r := range (&weComCallback{}).routes() { // verified by signature, not a form
		declared[r.Method+" "+r.Path] = true
	}
	for _, k := range routeKeys(e.srv) {
		method, path, _ := strings.Cut(k, " ")
		if method == "GET" || method == "POST" {
			if !strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "/assets/") && path != "/healthz" && path != "/readyz" && path != "/metrics" && !declared[k] {
				t.Errorf("page route %s is not declared in pageRoutes", k)
			}
		}
	}
	for _, r := range e.srv.pageRoutes() {
		w := callerFor(r.Access)
		if r.Access == authed {
			w = wBuyer
		}
		if strings.Contains(r.Path, ":id") {
			t.Run(r.Method+" "+r.Path+"/UnknownID", func(t *testing.T) {
				for _, id := range []string{"0", "abc", "999999"} {
					resp, b := e.call(w, r.Method, strings.ReplaceAll(r.Path, ":id", id), pick(r.Method == "POST", "x=1", ""))
					if resp.StatusCode != 404 {
						t.Fatalf("id %s: status %d, want 404\n%.300s", id, resp.StatusCode, b)
					}
				}
			})
		}
		if r.Form == nil {
			continue
		}
		path := pagePath(e, r.Path)
		t.Run(r.Method+" "+r.Path+"/WrongContentType", func(t *testing.T) {
			before := e.stored(t)
			resp, _ := e.call(w, r.Method, path, `{"name":"x"}`)
			if resp.StatusCode != 415 || e.stored(t) != before {
				t.Fatalf("status %d, want 415 and nothing stored", resp.StatusCode)
			}
		})
		t.Run(r.Method+" "+r.Path+"/Malformed", func(t *testing.T) {
			resp, _ := e.call(w, r.Method, path, "name=%zz")
			if resp.StatusCode != 400 {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
		})
		for _, tc := range badFormInputs(reflect.TypeOf(r.Form)) {
			t.Run(r.Method+" "+r.Path+"/"+tc.name, func(t *testing.T) {
				before := e.stored(t)
				resp, b := e.call(w, r.Method, path, url.Values{tc.field: {tc.value}}.Encode())
				if resp.StatusCode != 422 {
					t.Fatalf("status %d, want 422\n%.600s", resp.StatusCode, b)
				}
				if got := pageFieldErrors(b); got[tc.field] == "" {
					t.Fatalf("the page names no reason for %s; it shows %v", tc.field, got)
				}
				if after := e.stored(t); after != before {
					t.Fatalf("stored %s, before %s", after, before)
				}
			})
		}
	}
}
