package orders_test

import (
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// A CSV import's refused quantity carries its catalogue message, so the
// row's reason reads in Chinese as well as English.
func TestCSVQuantityReasonInBothLanguages(t *testing.T) {
	f := partnerstest.New(t, dialect.SQLite)
	file := "partner_code,order_number,currency,item_code,quantity,unit_price,required_date\n" +
		f.PartnerA.Code + ",PO-CSV-1,CNY,HX-1,300件,1,2026-12-10\n"
	_, err := f.Orders.ImportCSV(f.Ctx(f.Buyer), strings.NewReader(file), false)
	fs := partners.ErrorFields(err)
	if len(fs) == 0 || fs[0].Field != "line 2: quantity" {
		t.Fatalf("fields %+v of %v", fs, err)
	}
	if got := fs[0].Text(i18n.For(i18n.English)); got != "must be a number without a unit: type 300" {
		t.Errorf("English %q", got)
	}
	if got := fs[0].Text(i18n.For(i18n.Chinese)); got != "须为数字，不带单位（填 300，而不是 300件）" {
		t.Errorf("Chinese %q", got)
	}
}
