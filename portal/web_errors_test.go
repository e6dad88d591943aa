package portal

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/orders"
)

// hasHan says whether s holds Chinese text.
func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// callIn sends a request with an Accept-Language and extra headers.
func (e *env) callIn(w who, lang, method, path, body string, hdr map[string]string) (int, string, map[string][]string) {
	r := e.req(w, method, path, body)
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	for k, v := range hdr {
		if k == "Cookie" {
			name, val, _ := strings.Cut(v, "=")
			r.AddCookie(&http.Cookie{Name: name, Value: val})
			continue
		}
		r.Header.Set(k, v)
	}
	resp := e.do(r)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// For every page route with a form, a refused post from a Chinese reader
// gives the form's page again in the API's status (never the error
// page), with the field's reason in Chinese beside the field, and
// nothing stored.
func TestRefusedFormInChinese(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	checked := 0
	for _, r := range e.srv.pageRoutes() {
		if r.Form == nil {
			continue
		}
		w := callerFor(r.Access)
		if r.Access == authed {
			w = wBuyer
		}
		path := pagePath(e, r.Path)
		if r.Path == "/orders/:id/edit" {
			// Only a draft has an edit form to show again.
			d, err := e.f.Orders.Create(e.f.Ctx(e.f.Buyer), orders.OrderInput{PartnerID: e.f.PartnerA.ID, Direction: "upstream", Number: "PO-DRAFT-422",
				Currency: "CNY", Lines: []orders.LineInput{{ItemCode: "X-1", Quantity: 1000, UnitPrice: 10000, RequiredDate: "2027-01-15"}}})
			if err != nil {
				t.Fatal(err)
			}
			path = fmt.Sprintf("/orders/%d/edit", d.ID)
		}
		for _, tc := range badFormInputs(reflect.TypeOf(r.Form)) {
			t.Run(r.Method+" "+r.Path+"/"+tc.name, func(t *testing.T) {
				before := e.stored(t)
				form := url.Values{tc.field: {tc.value}}
				if r.Path == "/shipments" {
					form.Set("order_id", e.orderVars()["ORD"]) // the form's page is its order's
				}
				if r.Path == "/cards/:id/act" {
					// A card's buttons sit in its group's feed: the
					// refusal goes back there, said as an alert.
					from := "/groups/" + e.orderVars()["GRP"]
					status, _, hdr := e.callIn(w, "zh-CN", r.Method, path, form.Encode(), map[string]string{"Referer": "http://example.com" + from})
					if status != 303 || strings.Join(hdr["Location"], "") != from || !strings.Contains(strings.Join(hdr["Set-Cookie"], ";"), flashCookie+"=") {
						t.Fatalf("status %d, headers %v", status, hdr)
					}
					if after := e.stored(t); after != before {
						t.Fatalf("stored %s, before %s", after, before)
					}
					return
				}
				status, page, hdr := e.callIn(w, "zh-CN", r.Method, path, form.Encode(), nil)
				if status != 422 {
					t.Fatalf("status %d, want 422\n%.600s", status, page)
				}
				if strings.Contains(page, `class="card narrow error-page"`) {
					t.Fatalf("a refused form is the error page, not the form's page\n%.800s", page)
				}
				if got := strings.Join(hdr["Content-Language"], ","); got != "zh-CN" {
					t.Errorf("Content-Language %q", got)
				}
				reason := pageFieldErrors([]byte(page))[tc.field]
				if !hasHan(reason) {
					t.Fatalf("the reason for %s is %q, not Chinese", tc.field, reason)
				}
				if !strings.Contains(page, `<html lang="zh-CN">`) {
					t.Errorf("the page is not in Chinese")
				}
				if after := e.stored(t); after != before {
					t.Fatalf("stored %s, before %s", after, before)
				}
			})
			checked++
		}
	}
	if checked < 20 {
		t.Fatalf("only %d refusals checked", checked)
	}
}

// "300件" typed as a quantity is a number with a unit, not "too large":
// the API says so in English by default and in Chinese when asked, with
// Content-Language; the order form says it beside the field, the typed
// text kept.
func TestQuantityWithUnit(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	before := e.stored(t)
	api := fmt.Sprintf(`{"partner_id":%d,"number":"PO-UNIT","currency":"CNY","lines":[`+
		`{"item_code":"A","quantity":"300件","unit":"pcs","unit_price":1,"required_date":"2026-12-10"}]}`, e.f.PartnerA.ID)
	for _, c := range []struct{ name, lang, want string }{
		{"EnglishByDefault", "", "must be a number without a unit: type 300"},
		{"Chinese", "zh-CN,zh;q=0.9", "须为数字，不带单位（填 300，而不是 300件）"},
	} {
		t.Run("API/"+c.name, func(t *testing.T) {
			status, body, hdr := e.callIn(wBuyer, c.lang, "POST", "/api/v1/orders", api, nil)
			var p Problem
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			if status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "lines[0].quantity" || p.Errors[0].Reason != c.want {
				t.Fatalf("%d %+v", status, p)
			}
			wantLang := "en"
			if c.lang != "" {
				wantLang = "zh-CN"
			}
			if got := hdr["Content-Language"]; len(got) != 1 || got[0] != wantLang {
				t.Errorf("Content-Language %v, want %s", got, wantLang)
			}
			if p.Type != "urn:tierlink:problem:invalid-input" {
				t.Errorf("type %q: the type stays the English title's", p.Type)
			}
		})
	}
	t.Run("OrderForm", func(t *testing.T) {
		form := url.Values{"partner_id": {itoa(e.f.PartnerA.ID)}, "number": {"PO-UNIT"}, "currency": {"CNY"},
			"lines[0].item_code": {"A"}, "lines[0].quantity": {"300件"}, "lines[0].unit": {"pcs"}, "lines[0].unit_price": {"1"},
			"lines[0].required_date": {"2026-12-10"}}.Encode()
		status, page, _ := e.callIn(wBuyer, "zh-CN", "POST", "/orders", form, nil)
		if got := pageFieldErrors([]byte(page))["lines[0].quantity"]; status != 422 || got != "须为数字，不带单位（填 300，而不是 300件）" {
			t.Fatalf("%d, reason %q", status, got)
		}
		if !strings.Contains(page, `value="300件"`) {
			t.Errorf("the typed quantity is not kept")
		}
	})
	if after := e.stored(t); after != before {
		t.Fatalf("stored %s, before %s", after, before)
	}
	for _, c := range []struct{ in, num string }{{"300件", "300"}, {"12.5 kg", "12.5"}, {"-3pcs", "-3"}, {"40%", "40"}} {
		_, err := orders.ParseQty(c.in)
		if de, ok := err.(*orders.DecimalError); !ok || de.Reason != orders.ErrHasUnit || de.Number != c.num {
			t.Errorf("%q: %v", c.in, err)
		}
	}
	for _, in := range []string{"1e3", "1,000", "1.2.3", "abc"} {
		if _, err := orders.ParseQty(in); err == nil || strings.Contains(err.Error(), "unit") {
			t.Errorf("%q: %v, want a syntax error", in, err)
		}
	}
}

// A button's refusal (retrying a delivery that is no longer a dead
// letter) goes back to the page it was pressed on with the reason shown
// there in the reader's language; without a Referer it is the error
// page, in Chinese, its request id labelled, its back link never "/"
// when the route has a page.
func TestButtonRefusalGoesBack(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	path := pagePath(e, "/deliveries/:id/retry")
	if status, body, _ := e.callIn(wAdmin, "zh-CN", "POST", path, "", nil); status != 303 {
		t.Fatalf("first retry: %d %.300s", status, body)
	}
	from := "http://example.com/groups/" + e.orderVars()["GRP"] + "/bridges"
	status, body, hdr := e.callIn(wAdmin, "zh-CN", "POST", path, "", map[string]string{"Referer": from})
	if status != 303 || strings.Join(hdr["Location"], "") != strings.TrimPrefix(from, "http://example.com") {
		t.Fatalf("second retry: %d, Location %v\n%.300s", status, hdr["Location"], body)
	}
	var flash string
	for _, c := range hdr["Set-Cookie"] {
		if v, ok := strings.CutPrefix(c, flashCookie+"="); ok {
			flash, _, _ = strings.Cut(v, ";")
		}
	}
	if flash == "" {
		t.Fatalf("no alert carried back: %v", hdr["Set-Cookie"])
	}
	status, page, _ := e.callIn(wAdmin, "zh-CN", "GET", strings.TrimPrefix(from, "http://example.com"), "", map[string]string{"Cookie": flashCookie + "=" + flash})
	if status != 200 || !strings.Contains(page, `class="error" role="alert"`) {
		t.Fatalf("the page shows no alert: %d\n%.600s", status, page)
	}
	// No Referer: the error page, in Chinese.
	status, page, _ = e.callIn(wAdmin, "zh-CN", "POST", path, "", nil)
	if status != 409 || !strings.Contains(page, "请求编号") || !strings.Contains(page, "与当前状态冲突") || !strings.Contains(page, "只有投递失败的消息才能重试") || strings.Contains(page, "Conflict") {
		t.Fatalf("error page: %d\n%.800s", status, page)
	}
	// A cross-site Referer is not followed.
	if status, _, _ := e.callIn(wAdmin, "zh-CN", "POST", path, "", map[string]string{"Referer": "https://evil.example/x"}); status != 409 {
		t.Fatalf("cross-site Referer: %d", status)
	}
	for p, want := range map[string]string{"/orders/5/acknowledge": "/orders/5", "/staff/3/deactivate": "/staff/3", "/groups/4/members": "/groups/4"} {
		if got := e.srv.pageAbove(p); got != want {
			t.Errorf("back from %s goes to %q, want %q", p, got, want)
		}
	}
}
