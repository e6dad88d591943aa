package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/storage"
	"github.com/tierlink/tierlink/storage/miniotest"
)

// liveReq sends a request as w to the live server.
func (e *env) liveReq(w who, method, path string, body io.Reader, size int64, ctype string) *http.Response {
	e.t.Helper()
	r, _ := http.NewRequest(method, e.live()+path, body)
	r.ContentLength = size
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if s, ok := e.sessions[w]; ok {
		r.AddCookie(&http.Cookie{Name: e.srv.cookieName, Value: s.cookie})
		r.Header.Set("X-CSRF-Token", s.csrf)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(r)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func withMinIO(t *testing.T) (*env, *storage.MinIO) {
	f := partnerstest.New(t, dialect.SQLite)
	st := miniotest.Start(t).Store(t)
	f.UseStore(st)
	return newEnvWith(t, f), st
}

func bucketObjects(t *testing.T, st storage.Store) int {
	n := 0
	for range st.List(context.Background(), "docs/") {
		n++
	}
	return n
}

func TestDocumentsOverHTTPWithMinIO(t *testing.T) {
	e, st := withMinIO(t)
	resp := e.liveReq(wPartner, "POST", fmt.Sprintf("/api/v1/documents?partner_id=%d&kind=certificate&filename=%s&expires_on=2030-01-31",
		e.f.PartnerA.ID, "ISO%209001%20%E8%AF%81%E4%B9%A6.pdf"), bytes.NewReader(pdf), int64(len(pdf)), "application/pdf")
	var d documents.Document
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if resp.StatusCode != 201 || d.Current == nil || d.Current.Filename != "ISO 9001 证书.pdf" {
		t.Fatalf("upload: %d %+v", resp.StatusCode, d)
	}
	// The download redirects to a short-lived presigned link that names
	// the file.
	resp = e.liveReq(wBuyer, "GET", fmt.Sprintf("/api/v1/documents/%d/download", d.ID), nil, 0, "")
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 302 || !strings.Contains(loc, "X-Amz-Expires=300") || !strings.Contains(loc, "response-content-disposition") {
		t.Fatalf("download: %d %s", resp.StatusCode, loc)
	}
	got, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(b, pdf) || !strings.Contains(got.Header.Get("Content-Disposition"), "filename*=UTF-8''ISO%209001%20%E8%AF%81%E4%B9%A6.pdf") {
		t.Fatalf("presigned GET: %d bytes, %q\n%s\n%s", len(b), got.Header.Get("Content-Disposition"), b, loc)
	}
	resp = e.liveReq(wPartner, "GET", fmt.Sprintf("/api/v1/documents/%d/download?redirect=false", d.ID), nil, 0, "")
	var link downloadLink
	json.NewDecoder(resp.Body).Decode(&link)
	resp.Body.Close()
	if resp.StatusCode != 200 || link.URL == "" || link.SHA256 != d.Current.SHA256 {
		t.Fatalf("link: %d %+v", resp.StatusCode, link)
	}
	// Partner B gets no link to A's document: not even its existence.
	resp = e.liveReq(wForeign, "GET", fmt.Sprintf("/api/v1/documents/%d/download?redirect=false", d.ID), nil, 0, "")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("foreign download: %d", resp.StatusCode)
	}
	resp = e.liveReq(wBuyer, "GET", fmt.Sprintf("/api/v1/documents/%d/downloads", d.ID), nil, 0, "")
	var recs listResult[documents.DownloadRecord]
	json.NewDecoder(resp.Body).Decode(&recs)
	resp.Body.Close()
	if len(recs.Items) != 2 || recs.Items[0].User != "liu@a.test" || recs.Items[1].Via != "presigned" {
		t.Fatalf("download record: %+v", recs.Items)
	}

	before := bucketObjects(t, st)
	up := fmt.Sprintf("/api/v1/documents?partner_id=%d&kind=drawing&filename=x.pdf", e.f.PartnerA.ID)
	for _, tc := range []struct {
		name   string
		path   string
		body   io.Reader
		size   int64
		ctype  string
		status int
		detail string
	}{
		{"Oversize", up, bytes.NewReader(pdf), 600 << 20, "application/pdf", 413, "limit"},
		{"NoLength", up, bytes.NewReader(pdf), -1, "application/pdf", 411, "Content-Length"},
		{"Mismatch", up, bytes.NewReader(png1x1), int64(len(png1x1)), "application/pdf", 415, "PNG image"},
		{"Unknown", up + "&colour=red", bytes.NewReader(pdf), int64(len(pdf)), "application/pdf", 422, ""},
		{"Missing", fmt.Sprintf("/api/v1/documents?partner_id=%d&kind=drawing", e.f.PartnerA.ID), bytes.NewReader(pdf), int64(len(pdf)), "application/pdf", 422, ""},
		{"BadKind", fmt.Sprintf("/api/v1/documents?partner_id=%d&kind=poem&filename=x.pdf", e.f.PartnerA.ID), bytes.NewReader(pdf), int64(len(pdf)), "application/pdf", 422, ""},
		{"Foreign", fmt.Sprintf("/api/v1/documents?partner_id=%d&kind=drawing&filename=x.pdf", e.f.PartnerB.ID), bytes.NewReader(pdf), int64(len(pdf)), "application/pdf", 422, "partner_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := wBuyer
			if tc.name == "Foreign" {
				w = wPartner
			}
			var resp *http.Response
			if tc.name == "Oversize" {
				resp = rawUpload(t, e, w, tc.path, tc.size)
			} else {
				resp = e.liveReq(w, "POST", tc.path, tc.body, tc.size, tc.ctype)
			}
			var p Problem
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(p.Detail+fmt.Sprint(p.Errors), tc.detail) {
				t.Fatalf("status %d, %+v", resp.StatusCode, p)
			}
			if n := bucketObjects(t, st); n != before {
				t.Fatalf("refused upload stored objects: %d → %d", before, n)
			}
		})
	}
}

// rawUpload announces size bytes and sends only a little, as a client
// would before the server answers.
func rawUpload(t *testing.T, e *env, w who, path string, size int64) *http.Response {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		pw.Write(pdf)
		pw.Write(make([]byte, 32<<10))
		// Never finish: the server must answer without the rest.
	}()
	t.Cleanup(func() { pw.Close() })
	return e.liveReq(w, "POST", path, pr, size, "application/pdf")
}

var png1x1 = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), make([]byte, 40)...)

func TestOrderFormCreatesOrder(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	resp, _ := e.call(wBuyer, "POST", "/orders", fmt.Sprintf("partner_id=%d&number=PO-FORM-1&currency=cny&item_code=HX-220&description=%%E5%%A4%%96%%E5%%A3%%B3&quantity=12.5&unit=pcs&unit_price=3.25&required_date=2026-12-01&item_code=&quantity=&unit=pcs&unit_price=&required_date=&publish=true", e.f.PartnerA.ID))
	if resp.StatusCode != 303 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	page, err := e.f.Orders.List(e.f.Ctx(e.f.UserA), orders.Filter{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("supplier sees %+v, %v", page.Items, err)
	}
	o := page.Items[0]
	if o.Number != "PO-FORM-1" || o.Status != "published" || o.Currency != "CNY" || len(o.Lines) != 1 || o.Lines[0].Quantity.String() != "12.5" || o.Lines[0].Description != "外壳" {
		t.Fatalf("stored %+v", o)
	}
	resp, b := e.call(wBuyer, "POST", "/orders", fmt.Sprintf("partner_id=%d&number=PO-FORM-2&currency=CNY&item_code=X&quantity=1.00001&unit_price=1&required_date=2026-12-01", e.f.PartnerA.ID))
	if resp.StatusCode != 422 || !strings.Contains(string(b), "decimals") {
		t.Fatalf("bad quantity: %d", resp.StatusCode)
	}
}

// The buyer's list of change requests to decide shows open ones only.
func TestChangeRequestsPage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := e.orderVars()
	_, b := e.call(wBuyer, "GET", "/change-requests", "")
	if !strings.Contains(string(b), "PO-M3") || !strings.Contains(string(b), "2026-12-09") {
		t.Fatalf("open change request missing:\n%.2000s", b)
	}
	e.call(wBuyer, "POST", "/change-requests/"+vars["CR"]+"/decision", "decision=approve")
	_, b = e.call(wBuyer, "GET", "/change-requests", "")
	if strings.Contains(string(b), "PO-M3") {
		t.Fatal("a decided change request is still listed")
	}
}

// The order import answers bad files with problems naming line and
// column, refuses oversize and unknown input, and stores nothing then.
func TestOrderImportOverHTTP(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	header := "partner_code,order_number,currency,item_code,quantity,unit_price,required_date\n"
	count := func() int {
		p, err := e.f.Orders.List(e.f.System(), orders.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Items)
	}
	for _, tc := range []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"MalformedCSV", "/api/v1/orders/import", "partner_code,\"unterminated\n", 422, "line 1"},
		{"UnknownColumn", "/api/v1/orders/import", "partner_code,colour\n", 422, "line 1: colour"},
		{"BadRow", "/api/v1/orders/import", header + "SUP-A,PO-X,CNY,X,1.00001,1,2026-12-01\n", 422, "line 2: quantity"},
		{"ForeignPartnerCode", "/api/v1/orders/import", header + "NOPE,PO-X,CNY,X,1,1,2026-12-01\n", 422, "line 2: partner_code"},
		{"Empty", "/api/v1/orders/import", "", 422, "line 1"},
		{"UnknownParam", "/api/v1/orders/import?colour=red", header, 422, "colour"},
		{"BadParam", "/api/v1/orders/import?publish=maybe", header, 422, "publish"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := "text/csv\x00" + tc.body
			if tc.body == "" {
				body = ""
			}
			r := e.req(wBuyer, "POST", tc.path, body)
			r.Header.Set("Content-Type", "text/csv")
			resp := e.do(r)
			var p Problem
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(fmt.Sprint(p.Errors), tc.field) {
				t.Fatalf("status %d, %+v", resp.StatusCode, p)
			}
			if n := count(); n != 0 {
				t.Fatalf("%d orders stored by a refused import", n)
			}
		})
	}
	t.Run("Oversize", func(t *testing.T) {
		resp := rawUpload(t, e, wBuyer, "/api/v1/orders/import", 65<<20)
		var p Problem
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 413 || count() != 0 {
			t.Fatalf("status %d, %+v", resp.StatusCode, p)
		}
	})
}
