package portal

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
)

// apiTwin is the API operation that takes the same input as a page form.
func apiTwin(e *env, form any) (apiOp, bool) {
	for _, a := range apiOps(e) {
		if a.o.Body != nil && reflect.TypeOf(a.o.Body) == reflect.TypeOf(form) {
			return a, true
		}
	}
	return apiOp{}, false
}

// apiFieldErrors calls the API and reads the field reasons of its
// problem+json answer.
func apiFieldErrors(t *testing.T, e *env, w who, a apiOp, body string) (int, map[string]string) {
	t.Helper()
	path := concrete(e, a.path)
	if strings.Contains(path, ":token") {
		vars := map[string]string{}
		invitation(e, vars)
		path = strings.ReplaceAll(path, ":token", vars["INV"])
	}
	resp, b := e.call(w, a.method, path, body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("API %s %s: content type %q, status %d", a.method, path, ct, resp.StatusCode)
	}
	var p Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, fe := range p.Errors {
		out[fe.Field] = fe.Reason
	}
	return resp.StatusCode, out
}

// A page form and its API route hold the same rules: the same bad input
// gets the same status and the same field reason from both, the page in
// HTML beside its form, the API as problem+json. Every field the page
// names, the API names alike (the API may name more: a page fills some
// fields from its path).
func TestFormsMatchAPI(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	checked := 0
	for _, r := range e.srv.pageRoutes() {
		if r.Form == nil {
			continue
		}
		a, ok := apiTwin(e, r.Form)
		if !ok {
			t.Errorf("page form %s %s (%T) has no API route taking the same input", r.Method, r.Path, r.Form)
			continue
		}
		w := callerFor(r.Access)
		path := pagePath(e, r.Path)
		for _, tc := range badFormInputs(reflect.TypeOf(r.Form)) {
			t.Run(r.Method+" "+r.Path+"/"+tc.name, func(t *testing.T) {
				resp, b := e.call(w, r.Method, path, url.Values{tc.field: {tc.value}}.Encode())
				page := pageFieldErrors(b)
				raw, _ := json.Marshal(map[string]string{tc.field: tc.value})
				status, api := apiFieldErrors(t, e, w, a, string(raw))
				if page[tc.field] == "is not a known field" && api[tc.field] != page[tc.field] && strings.Contains(r.Path, ":") {
					t.Skipf("the page's path gives %s; the API takes it in the body", tc.field)
				}
				if resp.StatusCode != status {
					t.Fatalf("page status %d, API (%s %s) status %d", resp.StatusCode, a.method, a.path, status)
				}
				if page[tc.field] == "" || page[tc.field] != api[tc.field] {
					t.Fatalf("%s: page says %q, API says %q", tc.field, page[tc.field], api[tc.field])
				}
				for f, reason := range page {
					if api[f] != reason {
						t.Errorf("%s: page says %q, API says %q", f, reason, api[f])
					}
				}
				checked++
			})
		}
	}
	if checked == 0 {
		t.Fatal("no form was checked")
	}
}

// A refused form is shown again: the typed values kept, the reason next
// to its field, the headline in the visitor's language.
func TestRefusedFormShownAgain(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	before := e.stored(t)
	body := url.Values{"partner_id": {itoa(e.f.PartnerA.ID)}, "number": {"PO 1 with spaces"}, "currency": {"CNY"},
		"lines[0].item_code": {"HX-220"}, "lines[0].quantity": {"12"}, "lines[0].unit": {"pcs"}, "lines[0].required_date": {"2026-13-45"},
		"lines[1].unit": {"pcs"}}.Encode()
	r := e.req(wBuyer, "POST", "/orders", body)
	r.Header.Set("Accept-Language", "zh-CN")
	resp := e.do(r)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if resp.StatusCode != 422 {
		t.Fatalf("status %d, want 422\n%.600s", resp.StatusCode, page)
	}
	for _, want := range []string{
		`id="order-form"`,                         // the form again, not an error page
		`value="PO 1 with spaces"`,                // the typed number kept
		`value="HX-220"`,                          // and the typed line
		`<span class="field-error" role="alert">`, // a reason beside a field
		"请更正下面标出的字段",                              // in the visitor's language
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if got := pageFieldErrors([]byte(page)); got["number"] == "" || got["lines[0].required_date"] == "" {
		t.Errorf("reasons shown: %v, want number and lines[0].required_date", got)
	}
	if after := e.stored(t); after != before {
		t.Fatalf("stored %s, before %s", after, before)
	}
}

// A page handler's database failure is a 500 error page, never a 422:
// the one status table decides, not the page.
func TestPageDatabaseFailureIs500(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	body := url.Values{"partner_id": {itoa(e.f.PartnerA.ID)}, "number": {"PO-DB-1"}, "currency": {"CNY"},
		"lines[0].item_code": {"HX-220"}, "lines[0].quantity": {"1"}, "lines[0].unit": {"pcs"}, "lines[0].required_date": {"2026-12-01"}}.Encode()
	if resp, _ := e.call(wBuyer, "GET", "/orders/new", ""); resp.StatusCode != 200 {
		t.Fatalf("the form page: status %d", resp.StatusCode)
	}
	// The partner read fails (the page once turned this into a 422
	// "choose a partner"); logging in still works.
	if _, err := e.f.DB.Writer.Exec(`ALTER TABLE partners RENAME TO partners_gone`); err != nil {
		t.Fatal(err)
	}
	resp, b := e.call(wBuyer, "POST", "/orders", body)
	if resp.StatusCode != 500 || !strings.Contains(string(b), "internal error") {
		t.Fatalf("status %d, want 500\n%.400s", resp.StatusCode, b)
	}
	if n, err := e.f.DB.Client.Order.Query().Count(e.f.System()); err != nil || n != 0 {
		t.Fatalf("%d orders stored (%v), want none", n, err)
	}
}

// A refused decimal in a list is named with its row, by the decoder's
// typed error: the API's field is lines[1].quantity, and the page shows
// the reason beside that row's field.
func TestDecimalRefusalNamesItsRow(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	before := e.stored(t)
	api := fmt.Sprintf(`{"partner_id":%d,"number":"PO-ROW","currency":"CNY","lines":[`+
		`{"item_code":"A","quantity":1,"unit":"pcs","unit_price":1,"required_date":"2026-12-10"},`+
		`{"item_code":"B","quantity":1.0001,"unit":"pcs","unit_price":1,"required_date":"2026-12-10"}]}`, e.f.PartnerA.ID)
	resp, b := e.call(wBuyer, "POST", "/api/v1/orders", api)
	p := decode[Problem](t, b)
	if resp.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "lines[1].quantity" || p.Errors[0].Reason != "has more than 3 decimals" {
		t.Fatalf("API: %d %+v", resp.StatusCode, p)
	}
	form := url.Values{"partner_id": {itoa(e.f.PartnerA.ID)}, "number": {"PO-ROW"}, "currency": {"CNY"},
		"lines[0].item_code": {"A"}, "lines[0].quantity": {"1"}, "lines[0].unit": {"pcs"}, "lines[0].unit_price": {"1"}, "lines[0].required_date": {"2026-12-10"},
		"lines[1].item_code": {"B"}, "lines[1].quantity": {"300件"}, "lines[1].unit": {"pcs"}, "lines[1].unit_price": {"1"}, "lines[1].required_date": {"2026-12-10"}}.Encode()
	resp, b = e.call(wBuyer, "POST", "/orders", form)
	if got := pageFieldErrors(b); resp.StatusCode != 422 || got["lines[1].quantity"] != "must be a number without a unit: type 300" {
		t.Fatalf("page: %d, reasons %v", resp.StatusCode, got)
	}
	if after := e.stored(t); after != before {
		t.Fatalf("stored %s, before %s", after, before)
	}
}
