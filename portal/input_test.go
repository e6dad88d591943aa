package portal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// The OpenAPI document describes exactly the API routes the router serves.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	resp, b := e.call(anon, "GET", "/api/openapi.json", "")
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	doc := decode[struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}](t, b)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	for _, k := range routeKeys(e.srv) {
		method, path, _ := strings.Cut(k, " ")
		if !strings.HasPrefix(path, "/api/v1") {
			continue
		}
		key := method + " " + openAPIPath(path)
		if !documented[key] {
			t.Errorf("route %s is not in the OpenAPI document", key)
		}
		delete(documented, key)
	}
	for k := range documented {
		t.Errorf("OpenAPI documents %s, which the router does not serve", k)
	}
}

type apiOp struct {
	method, path string
	o            op
}

// apiOps lists documented operations with a concrete path for partner A's
// records and the caller who may use them.
func apiOps(e *env) []apiOp {
	var out []apiOp
	for p, ops := range e.srv.doc.ops {
		for m, o := range ops {
			out = append(out, apiOp{method: m, path: p, o: o})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].method+out[i].path < out[j].method+out[j].path })
	return out
}

func callerFor(a access) who {
	switch a {
	case admin:
		return wAdmin
	case anyone:
		return anon
	}
	return wBuyer
}

func concrete(e *env, p string) string {
	id := fmt.Sprint(e.f.PartnerA.ID)
	switch {
	case strings.HasPrefix(p, "/api/v1/documents/"):
		id = fmt.Sprint(e.docA())
	case strings.HasPrefix(p, "/api/v1/orders/"):
		id = e.orderVars()["ORD"]
	case strings.HasPrefix(p, "/api/v1/change-requests/"):
		id = e.orderVars()["CR"]
	case strings.HasPrefix(p, "/api/v1/shipments/"):
		id = e.orderVars()["SHIP"]
	case strings.HasPrefix(p, "/api/v1/groups/"):
		id = e.orderVars()["GRP"]
	case strings.HasPrefix(p, "/api/v1/cards/"):
		id = e.orderVars()["CRCARD"]
	case strings.HasPrefix(p, "/api/v1/bridges/"):
		id = e.orderVars()["BR"]
	case strings.HasPrefix(p, "/api/v1/deliveries/"):
		id = e.orderVars()["DEAD"]
	}
	p = strings.ReplaceAll(p, ":external_userid", "wmMATRIX")
	return strings.ReplaceAll(strings.ReplaceAll(p, ":id", id), ":name", "session-purge")
}

// Every JSON body is decoded strictly: malformed, empty, oversize,
// wrongly typed, unknown-field and wrong-content-type bodies each get a
// clear problem+json answer and change nothing.
func TestBadBodies(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for _, a := range apiOps(e) {
		if a.o.Body == nil {
			continue
		}
		w := callerFor(a.o.Access)
		path := concrete(e, a.path)
		before := e.f.Snapshot(t, "sessions")
		for _, tc := range []struct {
			name, body, ctype string
			status            int
			field             string
		}{
			{"Malformed", `{"name": `, "application/json", 400, ""},
			{"NotAnObject", `[1,2]`, "application/json", 400, ""},
			{"Missing", ``, "application/json", 400, ""},
			{"TwoValues", `{} {}`, "application/json", 400, ""},
			{"Unknown", `{"no_such_field": 1}`, "application/json", 422, "no_such_field"},
			{"WrongContentType", `{}`, "text/plain", 415, ""},
		} {
			t.Run(a.method+" "+a.path+"/"+tc.name, func(t *testing.T) {
				r := e.req(w, a.method, path, "")
				r.Body = http.NoBody
				if tc.body != "" {
					r = e.req(w, a.method, path, tc.body)
				}
				r.Header.Set("Content-Type", tc.ctype)
				resp := e.do(r)
				defer resp.Body.Close()
				var p Problem
				json.NewDecoder(resp.Body).Decode(&p)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d (%+v)", resp.StatusCode, tc.status, p)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("content type %q", ct)
				}
				if p.Status != tc.status || p.Detail == "" || p.RequestID == "" {
					t.Fatalf("problem = %+v", p)
				}
				if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
					t.Fatalf("errors = %+v, want field %s", p.Errors, tc.field)
				}
			})
		}
		if d := partnerstest.DiffSnapshots(before, e.f.Snapshot(t, "sessions")); len(d) > 0 {
			t.Errorf("%s %s: refused bodies stored: %v", a.method, a.path, d)
		}
	}
}

// Required fields that are missing are each named in the problem.
// TestMissingFieldsNamed sends {} to every operation with a JSON body: one
// whose body type requires fields answers 422 naming each of them and
// stores nothing; one whose fields are all optional (a patch) accepts it.
func TestMissingFieldsNamed(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for _, a := range apiOps(e) {
		if a.o.Body == nil {
			continue
		}
		required, want := requiredFields(reflect.TypeOf(a.o.Body)), 422
		if ex, ok := emptyBodyAnswers[a.method+" "+a.path]; ok {
			required, want = ex.fields, ex.status
		}
		t.Run(a.method+" "+a.path, func(t *testing.T) {
			before := e.f.Snapshot(t, "sessions")
			resp, b := e.call(callerFor(a.o.Access), a.method, concrete(e, a.path), `{}`)
			if len(required) == 0 && want == 422 {
				if resp.StatusCode/100 != 2 {
					t.Fatalf("every field is optional, yet {} got %d: %s", resp.StatusCode, b)
				}
				return
			}
			p := decode[Problem](t, b)
			if resp.StatusCode != want {
				t.Fatalf("status %d, want %d naming %v: %+v", resp.StatusCode, want, required, p)
			}
			named := map[string]bool{}
			for _, fe := range p.Errors {
				named[fe.Field] = true
			}
			for _, f := range required {
				if !named[f] {
					t.Errorf("required field %q not named in %+v", f, p.Errors)
				}
			}
			if d := partnerstest.DiffSnapshots(before, e.f.Snapshot(t, "sessions")); len(d) > 0 {
				t.Fatalf("a refused body stored: %v", d)
			}
		})
	}
}

// emptyBodyAnswers are the operations whose answer to {} the body type's
// tags do not tell.
var emptyBodyAnswers = map[string]struct {
	status int
	fields []string
}{
	// A post needs a body unless it shares documents: a service rule.
	"POST /api/v1/groups/:id/posts": {422, []string{"body"}},
	// The concrete path names the calling admin, who may not deactivate
	// their own account; the body has nothing to miss.
	"POST /api/v1/users/:id/deactivate": {409, nil},
}

// requiredFields lists the JSON names of a body type's top-level fields
// whose validate tag requires them when absent (required, and
// required_without where the other field is absent too).
func requiredFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		for _, rule := range strings.Split(f.Tag.Get("validate"), ",") {
			if rule == "dive" {
				break // the rules after it are the elements'
			}
			if rule == "required" || strings.HasPrefix(rule, "required_without") {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

func TestBadPathsAndQueries(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for _, a := range apiOps(e) {
		w := callerFor(a.o.Access)
		body := ""
		if a.o.Body != nil {
			body = `{}`
		}
		if strings.Contains(a.path, ":id") {
			for _, id := range []string{"999999", "abc", "-1", "0", "1e3", strings.Repeat("9", 40)} {
				t.Run(a.method+" "+a.path+"/id="+id[:min(len(id), 8)], func(t *testing.T) {
					resp, b := e.call(w, a.method, strings.ReplaceAll(a.path, ":id", id), body)
					if resp.StatusCode != 404 {
						t.Fatalf("status %d, want 404: %s", resp.StatusCode, b)
					}
				})
			}
		}
		if strings.Contains(a.path, ":name") {
			for _, name := range []string{"no-such-job", "Session-Purge", "..", "a%2Fb", "-x", strings.Repeat("j", 65), "%E4%BB%BB%E5%8A%A1"} {
				t.Run(a.method+" "+a.path+"/name="+name[:min(len(name), 8)], func(t *testing.T) {
					resp, b := e.call(wAdmin, a.method, strings.ReplaceAll(a.path, ":name", name), body)
					if resp.StatusCode != 404 {
						t.Fatalf("status %d, want 404: %s", resp.StatusCode, b)
					}
				})
			}
		}
		if a.method == "GET" && a.o.Query != nil {
			t.Run(a.path+"/UnknownParam", func(t *testing.T) {
				resp, b := e.call(w, "GET", concrete(e, a.path)+"?frobnicate=1", "")
				p := decode[Problem](t, b)
				if resp.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "frobnicate" {
					t.Fatalf("status %d: %+v", resp.StatusCode, p)
				}
			})
			t.Run(a.path+"/OversizeParam", func(t *testing.T) {
				resp, _ := e.call(w, "GET", concrete(e, a.path)+"?cursor="+strings.Repeat("A", 5000), "")
				if resp.StatusCode != 422 && resp.StatusCode != 431 && resp.StatusCode != 414 {
					t.Fatalf("status %d", resp.StatusCode)
				}
			})
		}
	}
	resp, b := e.call(wBuyer, "GET", "/api/v1/partners?limit=many", "")
	if p := decode[Problem](t, b); resp.StatusCode != 422 || p.Errors[0].Field != "limit" || !strings.Contains(p.Errors[0].Reason, "whole number") {
		t.Fatalf("limit=many: %d %+v", resp.StatusCode, p)
	}
	resp, b = e.call(wBuyer, "GET", "/api/v1/partners?limit=100000", "")
	if p := decode[Problem](t, b); resp.StatusCode != 422 || p.Errors[0].Field != "limit" {
		t.Fatalf("limit=100000: %d %+v", resp.StatusCode, p)
	}
	// Browsers submit untouched filter fields empty; that means "any".
	resp, b = e.call(wBuyer, "GET", "/api/v1/partners?q=&kind=&tier=&owner_id=&limit=", "")
	if resp.StatusCode != 200 {
		t.Fatalf("empty filters: %d %s", resp.StatusCode, b)
	}
	resp, b = e.call(wBuyer, "GET", "/api/v1/no-such-thing", "")
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("unknown API route: %d %s", resp.StatusCode, b)
	}
}

// A body announced larger than the limit is refused with 413 before it
// is read: the server answers after the headers alone.
func TestOversizeBodyRefusedBeforeReading(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	for _, a := range apiOps(e) {
		if a.o.Body == nil {
			continue
		}
		t.Run(a.method+" "+a.path, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			s := e.sessions[wBuyer]
			fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nCookie: %s=%s\r\nX-CSRF-Token: %s\r\nContent-Length: %d\r\n\r\n",
				a.method, concrete(e, a.path), e.srv.cookieName, s.cookie, s.csrf, 64<<20)
			// fasthttp reads the first 8 KiB before the handler decides;
			// the answer comes long before the declared 64 MiB.
			conn.Write(bytes.Repeat([]byte(" "), 16<<10))
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			var p Problem
			json.NewDecoder(resp.Body).Decode(&p)
			if resp.StatusCode != 413 || p.Status != 413 || p.RequestID == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d, %+v", resp.StatusCode, p)
			}
		})
	}
}

// orderVars makes the matrix's orders once per env and returns their ids.
func (e *env) orderVars() map[string]string {
	if e.orders == nil {
		e.orders = map[string]string{}
		groupSetup(e, e.orders)
	}
	return e.orders
}
