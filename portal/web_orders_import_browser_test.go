package portal

import (
	"os"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/partners/accounts"
)

// A Chinese buyer imports an order file that is neither UTF-8 nor
// GB18030 from the new-order page: the refusal shown on the page, by the
// page's script from the API's problem, is Chinese with no English words
// ("line 2" included), and no order is stored.
func TestBrowserOrderImportRefusedInChinese(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	base := e.live()
	lang := "zh-CN"
	if _, err := e.f.Acc.UpdateMe(e.f.Ctx(e.f.Buyer), accounts.MeInput{Locale: &lang}); err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/orders.csv"
	body := "partner_code,order_number,currency,item_code,quantity,unit_price,required_date\nSUP-A,PO-1,CNY,\xff\xfeX,1,1,2026-12-01\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 1280, 900)
	login(t, ctx, base, "/orders/new", e.f.Buyer.Email)
	const form = `form[data-upload="/api/v1/orders/import"]`
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(form+` input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(form+` input[type=file]`), []string{file}),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(form+` .upload-status`)),
	)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(form+` .upload-status`)))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "order-import-refused-zh")
	checkChinese(t, "import refusal on the page", text)
	n, err := e.f.DB.Client.Order.Query().Count(e.f.System())
	if err != nil || n != 0 {
		t.Fatalf("orders stored: %d, %v", n, err)
	}
}
