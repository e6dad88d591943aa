package partners_test

import (
	"bytes"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

var auditPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj " +
	"3 0 obj<</Type/Page/MediaBox[0 0 3 3]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// TestDescribeAuditTellsSentences proves the trail reads as sentences:
// people by name, values formatted, internal fields left out, and a
// deleted record named but no longer linkable.
func TestDescribeAuditTellsSentences(t *testing.T) {
	f := partnerstest.New(t, dialect.SQLite)
	ctx := f.Ctx(f.Buyer)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sla, block := 48, true
	_, err := f.Dir.UpdatePartner(ctx, f.PartnerA.ID, directory.PartnerPatch{AckSLAHours: &sla, BlockOnLapsedCertificate: &block})
	must(err)
	title, lang := "采购经理", "en"
	_, err = f.Dir.UpdateContact(ctx, f.ContactA2.ID, directory.ContactPatch{Title: &title, Language: &lang})
	must(err)
	_, err = f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactA2.ID}, ToOwnerID: f.Buyer2.ID, Reason: "departure", Note: "leaving in May"})
	must(err)
	d, err := f.Docs.Upload(ctx, documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "certificate", Title: "ISO 9001", Filename: "iso.pdf", ExpiresOn: "2030-01-31"},
		documents.Body{R: bytes.NewReader(auditPDF), Size: int64(len(auditPDF)), ClaimedType: "application/pdf"})
	must(err)
	must(f.Docs.Delete(ctx, d.ID))

	page, err := partners.ListAudit(ctx, f.DB.Client, partners.AuditFilter{PartnerID: f.PartnerA.ID, Limit: 100})
	must(err)
	lines, err := partners.DescribeAudit(ctx, f.DB.Client, page.Items)
	must(err)
	if len(lines) != len(page.Items) {
		t.Fatalf("%d lines for %d entries", len(lines), len(page.Items))
	}
	render := func(lang string) (string, map[string]partners.AuditLine) {
		l := i18n.For(lang)
		var all []string
		byAction := map[string]partners.AuditLine{}
		for _, ln := range lines {
			s := l.Render(ln.Sentence)
			for _, c := range ln.Changes {
				s += " / " + l.Render(c)
			}
			all = append(all, s)
			byAction[ln.Action] = ln
		}
		return strings.Join(all, "\n"), byAction
	}
	en, byAction := render(i18n.English)
	for _, want := range []string{
		"Bo Buyer updated partner 华星精密 / changed the acknowledgement target from 24 h to 48 h / changed blocking new orders on a lapsed certificate from no to yes",
		"Bo Buyer updated contact 孙丽 / set the job title to 采购经理 / changed the language from 简体中文 to English",
		"Bo Buyer handed contact 孙丽 over from Bo Buyer to Cai Buyer / Note: leaving in May / Reason: Departure",
		"Bo Buyer uploaded document ISO 9001 (Certificate)",
		"Bo Buyer deleted document ISO 9001 and its only version",
		"Tierlink created partner 华星精密",
	} {
		if !strings.Contains(en, want) {
			t.Errorf("English trail lacks %q:\n%s", want, en)
		}
	}
	for _, raw := range []string{"sha256", "<nil>", "@co.test", "#", "owner_id", "batch", "partner.update", "page.", "audit."} {
		if strings.Contains(en, raw) {
			t.Errorf("English trail shows raw %q:\n%s", raw, en)
		}
	}
	zh, _ := render(i18n.Chinese)
	for _, want := range []string{
		"Bo Buyer 修改了伙伴 华星精密 / 将确认时限从 24 小时 改为 48 小时",
		"将职务设为 采购经理",
		"Bo Buyer 把联系人 孙丽 从 Bo Buyer 转交给 Cai Buyer",
	} {
		if !strings.Contains(zh, want) {
			t.Errorf("Chinese trail lacks %q:\n%s", want, zh)
		}
	}
	if !byAction["partner.update"].Exists {
		t.Error("the partner still exists but its entry is not linkable")
	}
	if byAction["document.delete"].Exists || byAction["document.upload"].Exists {
		t.Error("a deleted document's entries are still linkable")
	}
}
