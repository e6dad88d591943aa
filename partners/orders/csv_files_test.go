package orders_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/partners/csvfile"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// orderState is every stored order and line, every field, in id order.
func orderState(t *testing.T, f *partnerstest.Fixture) string {
	t.Helper()
	os, err := f.DB.Client.Order.Query().Order(ent.Asc(order.FieldID)).All(f.System())
	if err != nil {
		t.Fatal(err)
	}
	ls, err := f.DB.Client.OrderLine.Query().Order(ent.Asc(orderline.FieldID)).All(f.System())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, o := range os {
		b.WriteString(o.String() + "\n")
	}
	for _, l := range ls {
		b.WriteString(l.String() + "\n")
	}
	return b.String()
}

// TestImportCSVFileEncodings imports the order file LibreOffice wrote in
// UTF-8 with and without BOM, GBK and GB18030: the first creates the
// orders with their Chinese text exact, the others find them unchanged.
// Then exports in every encoding import back changing nothing.
func TestImportCSVFileEncodings(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			for _, code := range []string{"CN-001", "CN-002"} {
				if _, err := f.Dir.CreatePartner(f.System(), directory.PartnerInput{Code: code, Name: "供应商 " + code, Kind: "supplier"}); err != nil {
					t.Fatal(err)
				}
			}
			buyer := f.Ctx(f.Buyer)
			for i, c := range []struct {
				file string
				enc  csvfile.Encoding
			}{{"orders-utf8.csv", csvfile.UTF8}, {"orders-utf8-bom.csv", csvfile.UTF8}, {"orders-gbk.csv", csvfile.GB18030}, {"orders-gb18030.csv", csvfile.GB18030}} {
				b, err := os.ReadFile(filepath.Join("testdata", c.file))
				if err != nil {
					t.Fatal(err)
				}
				res, err := f.Orders.ImportCSV(buyer, bytes.NewReader(b), false)
				if err != nil || res.Encoding != c.enc {
					t.Fatalf("%s: %+v, %v", c.file, res, err)
				}
				if i == 0 && (res.Orders != 2 || res.Lines != 3) || i > 0 && (res.Orders != 0 || res.Unchanged != 2) {
					t.Fatalf("%s: %+v", c.file, res)
				}
			}
			st := orderState(t, f)
			for _, want := range []string{"铝合金外壳", "不锈钢螺丝 M4", "请按图纸加工", "unit=套", "紧固件套装"} {
				if !strings.Contains(st, want) {
					t.Errorf("stored orders lack %q:\n%s", want, st)
				}
			}
			// Formula-looking text is exported as text and comes back exact.
			inj := "partner_code,order_number,currency,item_code,description,quantity,unit_price,required_date,notes\n" +
				"CN-002,PO-INJ,CNY,X-1,'=cmd|' /C calc'!A0,1,1,2026-12-01,'@SUM(1)\n" +
				"CN-002,PO-INJ,CNY,X-2,'-减号,1,1,2026-12-01,\n"
			if _, err := f.Orders.ImportCSV(buyer, strings.NewReader(inj), false); err != nil {
				t.Fatal(err)
			}
			if st := orderState(t, f); !strings.Contains(st, "description==cmd|' /C calc'!A0") || !strings.Contains(st, "notes=@SUM(1)") {
				t.Fatalf("unescaped:\n%s", st)
			}
			for _, enc := range []csvfile.Encoding{csvfile.UTF8, csvfile.GB18030} {
				before := orderState(t, f)
				var buf bytes.Buffer
				if n, err := f.Orders.ExportCSV(f.System(), &buf, enc); err != nil || n != 3 {
					t.Fatalf("export = %d, %v", n, err)
				}
				if enc == csvfile.UTF8 {
					out := buf.String()
					if !strings.HasPrefix(out, "\ufeff") || !strings.Contains(out, "'=cmd|' /C calc'!A0") || !strings.Contains(out, ",'@SUM(1)") ||
						!strings.Contains(out, "'-减号") {
						t.Fatalf("export:\n%s", out)
					}
				}
				for _, file := range [][]byte{buf.Bytes(), bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff"))} {
					res, err := f.Orders.ImportCSV(buyer, bytes.NewReader(file), true)
					if err != nil || res.Orders != 0 || res.Unchanged != 3 || res.Encoding != enc {
						t.Fatalf("%s round trip = %+v, %v\n%s", enc, res, err, buf.String())
					}
				}
				if after := orderState(t, f); after != before {
					t.Fatalf("round trip changed orders:\n%s\n---\n%s", before, after)
				}
			}
		})
	}
}
