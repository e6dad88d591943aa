package portal

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
)

// latinWord finds a run of Latin letters: in a Chinese sentence, an
// English word unless it is a code the reader types or sees elsewhere.
var latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z_]+`)

// columnName is a snake_case column or field name: a code, as the page
// checks count it.
var columnName = regexp.MustCompile(`[a-z]+(_[a-z]+)+`)

// englishWords lists the English words in s, once the codes in allow
// (hosts, encodings, schemes, column names) are taken out.
func englishWords(s string, allow ...string) []string {
	for _, a := range append(allow, "http://", "https://", "UTF-8", "GB18030", "GBK", "CSV", "Excel") {
		s = strings.ReplaceAll(s, a, " ")
	}
	return latinWord.FindAllString(columnName.ReplaceAllString(s, " "), -1)
}

// zhProblem is a problem+json answer as a Chinese reader gets it.
type zhProblem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// checkChinese fails unless text is Chinese with no English words.
func checkChinese(t *testing.T, what, text string, allow ...string) {
	t.Helper()
	if !hasHan(text) {
		t.Errorf("%s is not Chinese: %q", what, text)
	}
	if w := englishWords(text, allow...); len(w) > 0 {
		t.Errorf("%s has English words %q: %q", what, w, text)
	}
}

// A bridge URL that may not be used is refused, to a Chinese reader, in
// Chinese: in the API's problem+json and beside the field on the bridges
// page, with the resolver's and the configuration's English kept out.
func TestBridgeURLRefusedInChinese(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	grp := e.orderVars()["GRP"]
	for _, c := range []struct{ name, url, host string }{
		{"NotHTTP", "ftp://chat.example.com/hook", ""},
		{"NotAbsolute", "chat.example.com/hook", ""},
		{"Userinfo", "https://bot:pw@chat.example.com/hook", ""},
		{"Internal", "http://10.1.2.3/hook", "10.1.2.3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body, hdr := e.callIn(wBuyer, "zh-CN", "POST", "/api/v1/groups/"+grp+"/bridges",
				`{"kind":"wecom","name":"企微群","url":"`+c.url+`"}`, nil)
			if status != 422 || !strings.Contains(strings.Join(hdr["Content-Language"], ","), "zh-CN") {
				t.Fatalf("API: %d %v %s", status, hdr["Content-Language"], body)
			}
			p := decode[zhProblem](t, []byte(body))
			if len(p.Errors) != 1 || p.Errors[0].Field != "url" {
				t.Fatalf("API errors: %s", body)
			}
			checkChinese(t, "API reason", p.Errors[0].Reason, c.host)
			checkChinese(t, "API detail", p.Detail)
			if c.host != "" && !strings.Contains(p.Errors[0].Reason, c.host) {
				t.Errorf("reason does not name the host: %q", p.Errors[0].Reason)
			}

			form := url.Values{"kind": {"wecom"}, "name": {"企微群"}, "url": {c.url}}
			status, page, _ := e.callIn(wBuyer, "zh-CN", "POST", "/groups/"+grp+"/bridges", form.Encode(), nil)
			m := regexp.MustCompile(`<span class="field-error" role="alert">([^<]*)</span>`).FindStringSubmatch(page)
			if status != 422 || m == nil {
				t.Fatalf("page: %d, no field error:\n%s", status, page)
			}
			checkChinese(t, "page reason", html.UnescapeString(m[1]), c.host)
			if !strings.Contains(page, `value="`+html.EscapeString(c.url)+`"`) && !strings.Contains(page, `value="`+c.url+`"`) {
				t.Errorf("page does not keep the typed URL %q", c.url)
			}
		})
	}
	bs, err := e.f.DB.Client.Bridge.Query().Count(e.f.System())
	if err != nil || bs != 1 { // groupSetup's own
		t.Fatalf("bridges stored: %d, %v", bs, err)
	}
}

// An order import refused for its encoding, its CSV or its encoding
// parameter tells a Chinese reader why in Chinese, detail and reasons.
func TestOrderImportRefusedInChinese(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	const header = "partner_code,order_number,currency,item_code,quantity,unit_price,required_date\n"
	gbk := "\xbb\xaa\xd0\xc7" // 华星 in GBK, not UTF-8
	for _, c := range []struct{ name, query, body, want string }{
		{"NeitherEncoding", "", header + "SUP-A,PO-1,CNY,\xff\xfeX,1,1,2026-12-01\n", "GB18030"},
		{"NamedUTF8ButGBK", "?encoding=utf-8", header + "SUP-A,PO-1,CNY," + gbk + ",1,1,2026-12-01\n", "华星"},
		{"BareQuote", "", header + "SUP-A,PO-1,CNY,A\"B,1,1,2026-12-01\n", ""},
		{"Empty", "", "", ""},
		{"UnknownPartner", "", header + "NOPE,PO-1,CNY,A,1,1,2026-12-01\n", "NOPE"},
		{"BadEncodingName", "?encoding=latin1", header, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := e.callIn(wBuyer, "zh-CN", "POST", "/api/v1/orders/import"+c.query, "text/csv\x00"+c.body, nil)
			if status != 422 {
				t.Fatalf("status %d: %s", status, body)
			}
			p := decode[zhProblem](t, []byte(body))
			if len(p.Errors) == 0 {
				t.Fatalf("no reasons: %s", body)
			}
			checkChinese(t, "detail", p.Detail)
			for _, fe := range p.Errors {
				checkChinese(t, "reason of "+fe.Field, fe.Reason, "NOPE", "utf-8", "gb18030")
			}
			if c.want != "" && !strings.Contains(body, c.want) {
				t.Errorf("reasons do not name %q: %s", c.want, body)
			}
		})
	}
	n, err := e.f.DB.Client.Order.Query().Count(e.f.System())
	if err != nil || n != 0 {
		t.Fatalf("orders stored: %d, %v", n, err)
	}
}

// A digest schedule Tierlink cannot read is refused in Chinese, with an
// example rather than the cron parser's English.
func TestDigestScheduleRefusedInChinese(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	grp := e.orderVars()["GRP"]
	status, body, _ := e.callIn(wBuyer, "zh-CN", "PATCH", "/api/v1/groups/"+grp, `{"digest_schedule":"61 * * * *"}`, nil)
	if status != 422 {
		t.Fatalf("status %d: %s", status, body)
	}
	p := decode[zhProblem](t, []byte(body))
	if len(p.Errors) != 1 || p.Errors[0].Field != "digest_schedule" {
		t.Fatalf("errors: %s", body)
	}
	checkChinese(t, "reason", p.Errors[0].Reason, "cron")
	g, err := e.f.Groups.Group(e.f.System(), mustAtoi(t, grp))
	if err != nil || g.Digest.Schedule != "" {
		t.Fatalf("stored schedule %q, %v", g.Digest.Schedule, err)
	}
}
