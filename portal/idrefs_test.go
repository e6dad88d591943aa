package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
)

// The authorization matrix proves that ids in a path respect the partner
// boundary; this test proves the same of ids a request names in its
// query string or body. Every matrix route whose request carries an
// id-like field (named id or ending in _id or _ids, at any depth of a
// JSON body), or whose API operation declares one in its query or body
// type, is sent by partner A's user and by a buyer with each such field
// in turn set to a record of partner B of the matching kind and to an id
// that names nothing. Partner A's user must get for B's record exactly
// the answer a missing record gets — a refusal for a change, the same
// status and problem fields, no stored change, none of B's words in the
// answer; a buyer, who may see B, must have a missing record refused and
// nothing stored, and never a 5xx.
//
// "No stored change" is a snapshot of every table's rows, so a PATCH
// that changed its record would show too. Special cases:
//   - A GET with an id in its query is a filter: partner A's user gets
//     for B's record the very answer (status and body) a filter naming
//     nothing gets, an empty list say, rather than a refusal.
//   - The group members page names its member as member=u<id> or
//     member=c<id>: the id is in the value, not the key, so it is not
//     probed here (the API route with user_id and contact_id is).
//   - Fields the API declares but the row leaves out are added at the top
//     level of a JSON body only (not heirs[].to_owner_id, say); the
//     services' own tests cover the nested ones.

// unknownID names no record of any kind (and fits a 32-bit column).
const unknownID = 2147400000

// foreign is partner B's records, built beside partner A's, with the
// words that must never reach partner A's user.
type foreign struct {
	ids     map[string]int // kind → id
	secrets []string
}

// foreignSetup gives partner B a second contact, a group, a published
// order with a shipment, a document and a post; the fixture already has
// B itself, its contact Brian Bravo and its user.
func foreignSetup(e *env) foreign {
	e.t.Helper()
	f := e.f
	must := func(err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	buyer := f.Ctx(f.Buyer)
	ct, err := f.Dir.CreateContact(f.System(), directory.ContactInput{PartnerID: f.PartnerB.ID, Name: "Bea Bravo", Email: "bea@b.test", OwnerID: f.Buyer2.ID})
	must(err)
	g, err := f.Groups.Create(buyer, groups.GroupInput{Name: "Bravo-only room", Kind: "partner", PartnerID: f.PartnerB.ID, ContactIDs: []int{f.ContactB.ID, ct.ID}})
	must(err)
	o, err := f.Orders.Create(buyer, orders.OrderInput{PartnerID: f.PartnerB.ID, Direction: "upstream", Number: "PO-BRAVO-1", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "BRAVO-ITEM", Quantity: 1000, UnitPrice: 1, RequiredDate: "2026-12-01"}}})
	must(err)
	_, err = f.Orders.Publish(buyer, o.ID)
	must(err)
	sh, err := f.Shipments.Create(f.Ctx(f.UserB), shipments.Input{PartnerID: f.PartnerB.ID, Number: "ASN-BRAVO-1",
		Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: 500}}})
	must(err)
	d, err := f.Docs.Upload(buyer, documents.UploadInput{PartnerID: f.PartnerB.ID, Kind: "other", Filename: "bravo-secret.pdf", Title: "Bravo secret drawing"},
		documents.Body{R: bytes.NewReader(pdf), Size: int64(len(pdf)), ClaimedType: "application/pdf"})
	must(err)
	p, err := f.Groups.Post(buyer, g.ID, groups.PostInput{Body: "bravo secret plan"})
	must(err)
	ms, err := f.Groups.Members(buyer, g.ID)
	must(err)
	return foreign{
		ids: map[string]int{"partner": f.PartnerB.ID, "contact": ct.ID, "user": f.UserB.ID, "group": g.ID, "order": o.ID,
			"shipment": sh.ID, "shipment_line": sh.Lines[0].ID, "document": d.ID, "post": p.ID, "member": ms.Items[len(ms.Items)-1].ID},
		secrets: []string{f.PartnerB.Name, f.PartnerB.Code, f.ContactB.Name, f.ContactB.Email, "Bea Bravo", "bea@b.test", "Bravo-only room",
			"PO-BRAVO-1", "BRAVO-ITEM", "ASN-BRAVO-1", "bravo-secret.pdf", "Bravo secret drawing", "bravo secret plan"},
	}
}

// idKind says which kind of record an id-like field names, by its name.
// A new name fails the test until it is added here.
func idKind(name string) (string, bool) {
	name = strings.TrimSuffix(name, "s") // contact_ids → contact_id
	switch {
	case strings.HasSuffix(name, "partner_id"): // partner_id, carrier_partner_id
		return "partner", true
	case strings.HasSuffix(name, "contact_id"):
		return "contact", true
	case name == "user_id", name == "owner_id", name == "to_owner_id", name == "heir_id":
		// Staff fields; partner B's user is the foreign one.
		return "user", true
	case name == "group_id":
		return "group", true
	case name == "order_id":
		return "order", true
	case name == "shipment_id":
		return "shipment", true
	case name == "line_id":
		return "shipment_line", true
	case name == "document_id":
		return "document", true
	case name == "post_id":
		return "post", true
	case name == "member_id":
		return "member", true
	case name == "entity_id":
		// The audit trail's filter: any record; B itself will do.
		return "partner", true
	}
	return "", false
}

func idLike(name string) bool {
	if name == "corp_id" || name == "agent_id" {
		return false // WeCom's own ids (the WeCom settings), no Tierlink record
	}
	return name == "id" || strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids")
}

// request is one way to send a route: path with query, and body.
type request struct{ path, body string }

// probe is the row's request with one id-like field set to id.
type probe struct {
	field string // as the API names it: group_id, lines[0].order_id
	name  string // the key itself: order_id
	with  func(id int) request
}

// probes finds the id-like fields of a request: those it carries, in the
// query string and in a JSON or form body, and those the route's API
// operation declares in its query or body type but the row leaves out.
func probes(t *testing.T, r request, o *op) []probe {
	t.Helper()
	var out []probe
	base, rawQuery, _ := strings.Cut(r.path, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatalf("query of %s: %v", r.path, err)
	}
	names := map[string]bool{}
	for k := range q {
		names[k] = true
	}
	if o != nil && o.Query != nil {
		for _, name := range tagNames(reflect.TypeOf(o.Query), "query") {
			names[name] = true
		}
	}
	queryNames := slices.Sorted(maps.Keys(names))
	for _, k := range queryNames {
		if !idLike(k) {
			continue
		}
		out = append(out, probe{field: k, name: k, with: func(id int) request {
			q2 := url.Values{}
			for kk, vv := range q {
				q2[kk] = vv
			}
			q2.Set(k, fmt.Sprint(id))
			return request{path: base + "?" + q2.Encode(), body: r.body}
		}})
	}
	switch {
	case r.body == "":
	case strings.Contains(r.body, "\x00"):
		// A raw upload: its ids travel in the query string.
	case r.body[0] == '{':
		out = append(out, jsonProbes(t, r, o)...)
	default:
		form, err := url.ParseQuery(r.body)
		if err != nil {
			t.Fatalf("form %q: %v", r.body, err)
		}
		for _, k := range slices.Sorted(maps.Keys(form)) {
			if !idLike(k) {
				continue
			}
			name := k
			if _, last, ok := strings.Cut(k, "]."); ok {
				name = last // a list row's field: lines[0].order_id
			}
			out = append(out, probe{field: k, name: name, with: func(id int) request {
				f2 := url.Values{}
				for kk, vv := range form {
					f2[kk] = vv
				}
				f2.Set(k, fmt.Sprint(id))
				return request{path: r.path, body: f2.Encode()}
			}})
		}
	}
	return out
}

// jsonProbes walks a JSON body for id-like keys at any depth, then adds
// the top-level ones the operation's body type declares and the row
// leaves out.
func jsonProbes(t *testing.T, r request, o *op) []probe {
	t.Helper()
	decode := func() map[string]any {
		d := json.NewDecoder(strings.NewReader(r.body))
		d.UseNumber()
		var v map[string]any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("body %s: %v", r.body, err)
		}
		return v
	}
	encode := func(v any) request {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return request{path: r.path, body: string(b)}
	}
	var out []probe
	// set replaces the value at path (map keys and slice indexes) in v.
	var set func(v any, path []any, to any)
	set = func(v any, path []any, to any) {
		switch k := path[0].(type) {
		case string:
			m := v.(map[string]any)
			if len(path) == 1 {
				m[k] = to
				return
			}
			set(m[k], path[1:], to)
		case int:
			set(v.([]any)[k], path[1:], to)
		}
	}
	var walk func(v any, path []any, field string)
	walk = func(v any, path []any, field string) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				p := append(slices.Clone(path), k)
				name := k
				if field != "" {
					name = field + "." + k
				}
				if idLike(k) {
					out = append(out, probe{field: name, name: k, with: func(id int) request {
						v := decode()
						var to any = id
						if strings.HasSuffix(k, "_ids") {
							to = []int{id}
						}
						set(v, p, to)
						return encode(v)
					}})
					continue
				}
				walk(x[k], p, name)
			}
		case []any:
			for i, el := range x {
				walk(el, append(slices.Clone(path), i), fmt.Sprintf("%s[%d]", field, i))
			}
		}
	}
	top := decode()
	walk(top, nil, "")
	if o != nil && o.Body != nil {
		bt := reflect.TypeOf(o.Body)
		for _, name := range tagNames(bt, "json") {
			if _, present := top[name]; present || !idLike(name) {
				continue
			}
			out = append(out, probe{field: name, name: name, with: func(id int) request {
				v := decode()
				var to any = id
				if strings.HasSuffix(name, "_ids") {
					to = []int{id}
				}
				v[name] = to
				return encode(v)
			}})
		}
	}
	return out
}

// tagNames lists the names a struct type's fields go by under tag.
func tagNames(t reflect.Type, tag string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get(tag), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// answer is what a caller learns from a response.
type answer struct {
	status int
	fields []string // the problem's errors[].field, sorted
	body   []byte
}

func answerOf(status int, b []byte) answer {
	a := answer{status: status, body: b}
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &p) == nil {
		for _, fe := range p.Errors {
			a.fields = append(a.fields, fe.Field)
		}
		sort.Strings(a.fields)
	}
	return a
}

func TestForeignIDReferences(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			probeEnv := newEnv(t, d)
			keys := routeKeys(probeEnv.srv)
			probed := 0
			for _, k := range keys {
				row, ok := matrix[k]
				if !ok {
					continue // TestAuthorizationMatrix reports it
				}
				method, path, _ := strings.Cut(k, " ")
				var o *op
				if m := probeEnv.srv.doc.ops[path]; m != nil {
					if x, ok := m[method]; ok {
						o = &x
					}
				}
				// Whether the route names ids is read from its request as
				// rendered before any setup; a JSON body that needs the
				// setup's ids to be JSON at all is probed to find out.
				carries := false
				for _, w := range []who{wPartner, wBuyer} {
					body := ""
					if row.body != nil {
						body = row.body(probeEnv, w)
					}
					if strings.HasPrefix(body, "{") && !json.Valid([]byte(body)) {
						carries = true
						continue
					}
					carries = carries || len(probes(t, request{path: row.path, body: body}, o)) > 0
				}
				if !carries {
					continue
				}
				probed++
				t.Run(strings.ReplaceAll(k, "/", "_"), func(t *testing.T) {
					e := newEnv(t, d)
					e.vars = map[string]string{"A": fmt.Sprint(e.f.PartnerA.ID), "CA": fmt.Sprint(e.f.ContactA.ID),
						"CA2": fmt.Sprint(e.f.ContactA2.ID), "B2": fmt.Sprint(e.f.Buyer2.ID)}
					if row.setup != nil {
						row.setup(e, e.vars)
					}
					b := foreignSetup(e)
					p := row.path
					for name, v := range e.vars {
						p = strings.ReplaceAll(p, "{"+name+"}", v)
					}
					for _, w := range []who{wPartner, wBuyer} {
						body := ""
						if row.body != nil {
							body = row.body(e, w)
						}
						for _, pr := range probes(t, request{path: p, body: body}, o) {
							kind, ok := idKind(pr.name)
							if !ok {
								t.Errorf("no record of partner B is known for %s; add its kind to idKind", pr.field)
								continue
							}
							send := func(id int) (answer, []string) {
								t.Helper()
								r := pr.with(id)
								before := e.f.Snapshot(t, "sessions")
								resp, rb := e.call(w, method, r.path, r.body)
								return answerOf(resp.StatusCode, rb), partnerstest.DiffSnapshots(before, e.f.Snapshot(t, "sessions"))
							}
							if w == wPartner {
								t.Run(pr.field+"/PartnerBRecordAnsweredLikeNone", func(t *testing.T) {
									none, noneStored := send(unknownID)
									theirs, theirsStored := send(b.ids[kind])
									foreignAnsweredLikeNone(t, method, none, theirs, noneStored, theirsStored, b.secrets)
								})
							} else {
								t.Run(pr.field+"/BuyerNamingNothingRefused", func(t *testing.T) {
									none, stored := send(unknownID)
									if method != "GET" && (none.status < 400 || none.status >= 500) {
										t.Errorf("an id naming nothing answers %d, want a 4xx\n%.300s", none.status, none.body)
									}
									if len(stored) > 0 {
										t.Errorf("an id naming nothing stored: %v", stored)
									}
									theirs, stored := send(b.ids[kind])
									if theirs.status >= 500 {
										t.Errorf("partner B's record answers %d\n%.300s", theirs.status, theirs.body)
									}
									if theirs.status >= 400 && len(stored) > 0 {
										t.Errorf("partner B's record was refused (%d) but stored: %v", theirs.status, stored)
									}
								})
							}
						}
					}
				})
			}
			if probed < 10 {
				t.Fatalf("only %d routes carry id references; the probe is not finding them", probed)
			}
		})
	}
}

// foreignAnsweredLikeNone is what partner A's user may learn from naming
// one of partner B's records: exactly what naming nothing teaches.
func foreignAnsweredLikeNone(t *testing.T, method string, none, theirs answer, noneStored, theirsStored []string, secrets []string) {
	t.Helper()
	if theirs.status != none.status || !slices.Equal(theirs.fields, none.fields) {
		t.Errorf("partner B's record answers %d %v, an id naming nothing %d %v\n%.300s", theirs.status, theirs.fields, none.status, none.fields, theirs.body)
	}
	if method != "GET" && (theirs.status < 400 || theirs.status >= 500) {
		t.Errorf("partner B's record answers %d, want a refusal (4xx)\n%.300s", theirs.status, theirs.body)
	}
	if method == "GET" && theirs.status < 300 && !bytes.Equal(theirs.body, none.body) {
		// A filter naming B's record shows what a filter naming nothing shows.
		t.Errorf("a filter on partner B's record answers\n%.300s\nnaming nothing answers\n%.300s", theirs.body, none.body)
	}
	if len(theirsStored) > 0 || len(noneStored) > 0 {
		t.Errorf("stored: with partner B's record %v, with an id naming nothing %v", theirsStored, noneStored)
	}
	for _, s := range secrets {
		if bytes.Contains(theirs.body, []byte(s)) {
			t.Errorf("the answer shows partner B's %q\n%.300s", s, theirs.body)
		}
	}
}
