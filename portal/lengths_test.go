package portal

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	entpartner "github.com/tierlink/tierlink/ent/partner"
)

// Limits count characters (runes): a name of 200 Chinese characters (600
// bytes) is stored, one of 201 is a 422 naming the JSON field, the same
// field the caller sent, before ent sees the value.
func TestLengthLimitsNameTheJSONField(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	str := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	han, emoji := strings.Repeat("华", 200), strings.Repeat("😀", 200)
	for _, tc := range []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"PartnerNameOf200CJKIsStored", "/api/v1/partners", `{"code":"LEN-1","kind":"customer","name":` + str(han) + `}`, 201, ""},
		{"PartnerNameOf201CJK", "/api/v1/partners", `{"code":"LEN-2","kind":"customer","name":` + str(han+"华") + `}`, 422, "name"},
		{"ContactTitleOf201Emoji", "/api/v1/contacts", fmt.Sprintf(`{"partner_id":%d,"owner_id":%d,"name":"Li","title":%s}`,
			e.f.PartnerA.ID, e.f.Buyer.ID, str(emoji+"😀")), 422, "title"},
		{"OrderLineItemCodeOf65CJK", "/api/v1/orders", fmt.Sprintf(`{"partner_id":%d,"direction":"upstream","number":"PO-LEN","currency":"CNY",`+
			`"lines":[{"item_code":%s,"quantity":1,"unit_price":1,"required_date":"2030-01-31"}]}`,
			e.f.PartnerA.ID, str(strings.Repeat("华", 65))), 422, "lines[0].item_code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := e.call(wBuyer, "POST", tc.path, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if tc.field == "" {
				return
			}
			p := decode[Problem](t, b)
			want := "must be at most "
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.field || !strings.HasPrefix(p.Errors[0].Reason, want) {
				t.Fatalf("errors %+v, want one on %s", p.Errors, tc.field)
			}
		})
	}
	p, err := e.f.DB.Client.Partner.Query().Where(entpartner.Code("LEN-1")).Only(e.f.System())
	if err != nil || p.Name != han {
		t.Fatalf("stored %v, %v; want the 200 characters given", p, err)
	}
	if n, err := e.f.DB.Client.Partner.Query().Where(entpartner.Code("LEN-2")).Count(e.f.System()); err != nil || n != 0 {
		t.Fatalf("refused partner stored: %d, %v", n, err)
	}
}
