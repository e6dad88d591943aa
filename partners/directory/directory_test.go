package directory_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/csvfile"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func TestPartners(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		t.Run("ErrDuplicateCode", func(t *testing.T) {
			_, err := f.Dir.CreatePartner(ctx, directory.PartnerInput{Code: "SUP-A", Name: "Dup", Kind: "supplier"})
			partnerstest.WantCode(t, err, partners.EConflict)
			if fs := partners.ErrorFields(err); len(fs) != 1 || fs[0].Field != "code" {
				t.Fatalf("fields = %+v", fs)
			}
		})
		t.Run("ErrTierOnDealer", func(t *testing.T) {
			tier := 2
			_, err := f.Dir.CreatePartner(ctx, directory.PartnerInput{Code: "DLR-X", Name: "Dealer", Kind: "customer", Tier: &tier})
			partnerstest.WantCode(t, err, partners.EInvalid)
		})
		t.Run("ErrInvalidFields", func(t *testing.T) {
			_, err := f.Dir.CreatePartner(ctx, directory.PartnerInput{Code: "bad code!", Name: "", Kind: "alien", TimeZone: "Mars/Base"})
			partnerstest.WantCode(t, err, partners.EInvalid)
			got := map[string]bool{}
			for _, fe := range partners.ErrorFields(err) {
				got[fe.Field] = true
			}
			for _, want := range []string{"code", "name", "kind", "time_zone"} {
				if !got[want] {
					t.Errorf("no error for field %s in %+v", want, partners.ErrorFields(err))
				}
			}
		})
		t.Run("ViewerCannotCreate", func(t *testing.T) {
			_, err := f.Dir.CreatePartner(f.Ctx(f.Viewer), directory.PartnerInput{Code: "V-1", Name: "V", Kind: "service"})
			partnerstest.WantCode(t, err, partners.EForbidden)
		})
		t.Run("UpdateAudited", func(t *testing.T) {
			name := "华星精密机械"
			p, err := f.Dir.UpdatePartner(ctx, f.PartnerA.ID, directory.PartnerPatch{Name: &name})
			if err != nil || p.Name != name {
				t.Fatalf("update = %+v, %v", p, err)
			}
			page, err := partners.ListAudit(ctx, f.DB.Client, partners.AuditFilter{PartnerID: f.PartnerA.ID})
			if err != nil || len(page.Items) == 0 || page.Items[0].Action != "partner.update" || page.Items[0].Before["name"] != "华星精密" {
				t.Fatalf("audit = %+v, %v", page.Items, err)
			}
		})
	})
}

func TestSearch(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Viewer)
		for i, name := range []string{"安和五金", "Alpen Industrie", "北京华北", "zeta works", "Zhongshan 中山"} {
			if _, err := f.Dir.CreatePartner(f.System(), directory.PartnerInput{Code: fmt.Sprintf("C-%d", i),
				Name: name, Kind: "customer", Tags: []string{"north"}}); err != nil {
				t.Fatal(err)
			}
		}
		names := func(p directory.PartnerPage) []string {
			var out []string
			for _, it := range p.Items {
				out = append(out, it.Name)
			}
			return out
		}
		for _, tc := range []struct{ q, want string }{
			{"华星", "华星精密"}, {"huaxing", "华星精密"}, {"hxjm", "华星精密"}, {"sup-a", "华星精密"}, {"BRAVO", "Bravo Metals"},
		} {
			page, err := f.Dir.ListPartners(ctx, directory.PartnerFilter{Q: tc.q})
			if err != nil || len(page.Items) != 1 || page.Items[0].Name != tc.want {
				t.Errorf("q=%q: %v, %v", tc.q, names(page), err)
			}
		}
		page, err := f.Dir.ListPartners(ctx, directory.PartnerFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := "Alpen Industrie,安和五金,北京华北,Bravo Metals,华星精密,zeta works,Zhongshan 中山"
		if got := strings.Join(names(page), ","); got != want {
			t.Errorf("order = %s\nwant    %s", got, want)
		}
		t.Run("CursorPagesEveryRowOnce", func(t *testing.T) {
			var all []string
			cursor := ""
			for i := 0; i < 10; i++ {
				p, err := f.Dir.ListPartners(ctx, directory.PartnerFilter{Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, names(p)...)
				if i == 0 {
					// A row added behind the cursor mid-paging does not shift later pages.
					if _, err := f.Dir.CreatePartner(f.System(), directory.PartnerInput{Code: "AAA", Name: "Aaa first", Kind: "service"}); err != nil {
						t.Fatal(err)
					}
				}
				if p.NextCursor == "" {
					break
				}
				cursor = p.NextCursor
			}
			if got := strings.Join(all, ","); got != want {
				t.Errorf("paged = %s", got)
			}
		})
		t.Run("Filters", func(t *testing.T) {
			p, _ := f.Dir.ListPartners(ctx, directory.PartnerFilter{Tag: "north"})
			if len(p.Items) != 5 {
				t.Errorf("tag=north: %v", names(p))
			}
			p, _ = f.Dir.ListPartners(ctx, directory.PartnerFilter{Kind: "supplier", Tier: 1})
			if len(p.Items) != 2 {
				t.Errorf("supplier tier 1: %v", names(p))
			}
			p, _ = f.Dir.ListPartners(ctx, directory.PartnerFilter{OwnerID: f.Buyer2.ID})
			if got := names(p); len(got) != 1 || got[0] != "Bravo Metals" {
				t.Errorf("owner=buyer2: %v", got)
			}
			p, _ = f.Dir.ListPartners(ctx, directory.PartnerFilter{Category: "Housings"})
			if len(p.Items) != 1 {
				t.Errorf("category: %v", names(p))
			}
		})
		t.Run("ErrBadCursor", func(t *testing.T) {
			_, err := f.Dir.ListPartners(ctx, directory.PartnerFilter{Cursor: "!!!"})
			partnerstest.WantCode(t, err, partners.EInvalid)
		})
	})
}

// Partner users see their own partner and nothing of any other: other
// partners' records read as not found, and internal records are refused.
func TestPartnerBoundary(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		a := f.Ctx(f.UserA)
		if _, err := f.Dir.Partner(a, f.PartnerA.ID); err != nil {
			t.Fatalf("own partner: %v", err)
		}
		_, err := f.Dir.Partner(a, f.PartnerB.ID)
		partnerstest.WantCode(t, err, partners.ENotFound)
		_, err = f.Dir.Contact(a, f.ContactB.ID)
		partnerstest.WantCode(t, err, partners.ENotFound)
		page, err := f.Dir.ListPartners(a, directory.PartnerFilter{})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != f.PartnerA.ID {
			t.Fatalf("list = %+v, %v", page.Items, err)
		}
		cs, err := f.Dir.ListContacts(a, directory.ContactFilter{})
		if err != nil || len(cs.Items) != 2 {
			t.Fatalf("contacts = %+v, %v", cs.Items, err)
		}
		for _, c := range cs.Items {
			if c.Partner.ID != f.PartnerA.ID {
				t.Fatalf("saw contact of partner %d", c.Partner.ID)
			}
		}
		_, err = f.Dir.ListTransfers(a, directory.TransferFilter{})
		partnerstest.WantCode(t, err, partners.EForbidden)
		_, err = partners.ListAudit(a, f.DB.Client, partners.AuditFilter{})
		partnerstest.WantCode(t, err, partners.EForbidden)
		name := "hijack"
		_, err = f.Dir.UpdateContact(a, f.ContactA.ID, directory.ContactPatch{Name: &name})
		if c := partners.ErrorCode(err); c != partners.EForbidden && c != partners.ENotFound {
			t.Fatalf("partner user changed a contact: %v", err)
		}
		_, err = f.Dir.Transfer(a, directory.TransferInput{ContactIDs: []int{f.ContactA.ID}, ToOwnerID: f.Buyer2.ID})
		if err == nil {
			t.Fatal("partner user transferred a contact")
		}
		got, _ := f.Dir.Contact(f.System(), f.ContactA.ID)
		if got.Name != "刘洋" || got.Owner.ID != f.Buyer.ID {
			t.Fatalf("contact changed: %+v", got)
		}
	})
}

func TestTransfers(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		t.Run("NowMovesEveryContactOnTheLedger", func(t *testing.T) {
			ts, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactA.ID, f.ContactA2.ID},
				ToOwnerID: f.Buyer2.ID, Note: "交接：华星项目"})
			if err != nil || len(ts) != 2 {
				t.Fatalf("transfer = %+v, %v", ts, err)
			}
			for _, tr := range ts {
				if tr.State != "done" || tr.From.ID != f.Buyer.ID || tr.To.ID != f.Buyer2.ID || tr.Batch != ts[0].Batch {
					t.Fatalf("ledger entry = %+v", tr)
				}
			}
			c, _ := f.Dir.Contact(ctx, f.ContactA.ID)
			if c.Owner.ID != f.Buyer2.ID {
				t.Fatalf("owner = %d", c.Owner.ID)
			}
			hist, _ := f.Dir.ListTransfers(ctx, directory.TransferFilter{ContactID: f.ContactA.ID})
			if len(hist.Items) != 1 || hist.Items[0].Note != "交接：华星项目" {
				t.Fatalf("history = %+v", hist.Items)
			}
		})
		t.Run("ErrAllOrNothing", func(t *testing.T) {
			f.Refuses(t, partners.EInvalid, "contact_ids[1]", func() error {
				_, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactB.ID, 99999}, ToOwnerID: f.Buyer.ID})
				return err
			})
			c, _ := f.Dir.Contact(ctx, f.ContactB.ID)
			if c.Owner.ID != f.Buyer2.ID {
				t.Fatal("a contact moved although the transfer was refused")
			}
		})
		t.Run("ErrToPartnerUser", func(t *testing.T) {
			f.Refuses(t, partners.EInvalid, "to_owner_id", func() error {
				_, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactB.ID}, ToOwnerID: f.UserA.ID})
				return err
			})
		})
		t.Run("ScheduledRunsWhenDue", func(t *testing.T) {
			now := time.Now()
			f.Dir.SetClock(func() time.Time { return now })
			defer f.Dir.SetClock(time.Now)
			at := now.Add(48 * time.Hour)
			ts, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactB.ID}, ToOwnerID: f.Buyer.ID, EffectiveAt: &at})
			if err != nil || ts[0].State != "pending" {
				t.Fatalf("scheduled = %+v, %v", ts, err)
			}
			if done, failed, err := f.Dir.RunDueTransfers(f.System()); done+failed != 0 || err != nil {
				t.Fatalf("ran early: %d %d %v", done, failed, err)
			}
			now = at.Add(time.Second)
			if done, failed, err := f.Dir.RunDueTransfers(f.System()); done != 1 || failed != 0 || err != nil {
				t.Fatalf("run = %d %d %v", done, failed, err)
			}
			c, _ := f.Dir.Contact(ctx, f.ContactB.ID)
			if c.Owner.ID != f.Buyer.ID {
				t.Fatalf("owner after run = %d", c.Owner.ID)
			}
		})
		t.Run("ScheduledFailsWhenOwnerChanged", func(t *testing.T) {
			now := time.Now()
			f.Dir.SetClock(func() time.Time { return now })
			defer f.Dir.SetClock(time.Now)
			at := now.Add(time.Hour)
			ts, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactB.ID}, ToOwnerID: f.Buyer2.ID, EffectiveAt: &at})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactB.ID}, ToOwnerID: f.Admin.ID}); err != nil {
				t.Fatal(err)
			}
			now = at.Add(time.Minute)
			if done, failed, err := f.Dir.RunDueTransfers(f.System()); done != 0 || failed != 1 || err != nil {
				t.Fatalf("run = %d %d %v", done, failed, err)
			}
			hist, _ := f.Dir.ListTransfers(ctx, directory.TransferFilter{State: "failed"})
			if len(hist.Items) != 1 || hist.Items[0].ID != ts[0].ID || !strings.Contains(hist.Items[0].FailureReason, "owner changed") {
				t.Fatalf("failed entry = %+v", hist.Items)
			}
		})
		t.Run("CancelPendingOnly", func(t *testing.T) {
			at := time.Now().Add(time.Hour)
			ts, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactA.ID}, ToOwnerID: f.Buyer.ID, EffectiveAt: &at})
			if err != nil {
				t.Fatal(err)
			}
			if c, err := f.Dir.CancelTransfer(ctx, ts[0].ID); err != nil || c.State != "cancelled" {
				t.Fatalf("cancel = %+v, %v", c, err)
			}
			f.Refuses(t, partners.EConflict, "", func() error {
				_, err := f.Dir.CancelTransfer(ctx, ts[0].ID)
				return err
			})
		})
	})
}

func TestDeactivateWithHeirs(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Admin)
		_, err := f.Acc.Deactivate(ctx, f.Buyer.ID, accounts.DeactivateInput{})
		partnerstest.WantCode(t, err, partners.EConflict)
		if u, _ := f.Acc.User(ctx, f.Buyer.ID); !u.Active || u.OwnedContacts != 2 {
			t.Fatalf("refused deactivation changed the user: %+v", u)
		}
		_, err = f.Acc.Deactivate(f.Ctx(f.Buyer2), f.Buyer.ID, accounts.DeactivateInput{HeirID: f.Buyer2.ID})
		partnerstest.WantCode(t, err, partners.EForbidden)
		// A pending transfer to the leaver can no longer apply.
		at := time.Now().Add(time.Hour)
		if _, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactB.ID}, ToOwnerID: f.Buyer.ID, EffectiveAt: &at}); err != nil {
			t.Fatal(err)
		}
		res, err := f.Acc.Deactivate(ctx, f.Buyer.ID, accounts.DeactivateInput{HeirID: f.Buyer2.ID, Note: "离职交接",
			Heirs: []accounts.PartnerHeir{{PartnerID: f.PartnerB.ID, ToOwnerID: f.Admin.ID}}})
		if err != nil || res.Moved != 2 || res.Cancelled != 1 || res.User.Active {
			t.Fatalf("deactivate = %+v, %v", res, err)
		}
		for _, id := range []int{f.ContactA.ID, f.ContactA2.ID} {
			if c, _ := f.Dir.Contact(ctx, id); c.Owner.ID != f.Buyer2.ID {
				t.Fatalf("contact %d owner = %d", id, c.Owner.ID)
			}
		}
		hist, _ := f.Dir.ListTransfers(ctx, directory.TransferFilter{ContactID: f.ContactA.ID})
		if len(hist.Items) != 1 || hist.Items[0].Reason != "departure" || hist.Items[0].Note != "离职交接" {
			t.Fatalf("ledger = %+v", hist.Items)
		}
		if _, _, err := f.Acc.Login(context.Background(), accounts.LoginInput{Email: "buyer@co.test", Password: partnerstest.Password}, "1.2.3.4", ""); err == nil {
			t.Fatal("deactivated user logged in")
		}
		_, err = f.Acc.Deactivate(ctx, f.Buyer.ID, accounts.DeactivateInput{HeirID: f.Buyer2.ID})
		partnerstest.WantCode(t, err, partners.EConflict)
		_, err = f.Acc.Deactivate(ctx, f.Admin.ID, accounts.DeactivateInput{HeirID: f.Buyer2.ID})
		partnerstest.WantCode(t, err, partners.EConflict)
		// Contacts can no longer be given to the deactivated user.
		_, err = f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactB.ID}, ToOwnerID: f.Buyer.ID})
		partnerstest.WantCode(t, err, partners.EInvalid)
	})
}

func TestCSV(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.System()
		t.Run("RowErrorsNameLineAndColumn", func(t *testing.T) {
			in := "code,name,kind,tier\nOK-1,Good,supplier,1\n,Missing code,supplier,\nOK-2,Bad tier,customer,2\nOK-3,Bad kind,alien,\nOK-1,Dup,supplier,x\n"
			_, err := f.Dir.ImportPartners(ctx, strings.NewReader(in), nil)
			got := partnerstest.Refusal(t, err)
			for _, want := range []string{"line 3: code: is required", "line 4: tier: applies only to suppliers",
				"line 6: tier: must be 1, 2 or 3", "line 6: code: repeats the code of line 2"} {
				if !slices.Contains(got, want) {
					t.Errorf("missing %q in %v", want, got)
				}
			}
			if p, _ := f.Dir.ListPartners(ctx, directory.PartnerFilter{Q: "OK-1"}); len(p.Items) != 0 {
				t.Fatal("a refused import stored a row")
			}
		})
		t.Run("ErrHeader", func(t *testing.T) {
			_, err := f.Dir.ImportPartners(ctx, strings.NewReader("code,nme,kind\n"), nil)
			got := strings.Join(partnerstest.Refusal(t, err), "\n")
			if !strings.Contains(got, "line 1: nme: is not a known column") || !strings.Contains(got, "line 1: name: required column is missing") {
				t.Fatalf("problems:\n%s", got)
			}
			_, err = f.Dir.ImportPartners(ctx, strings.NewReader(""), nil)
			if err == nil || !strings.Contains(err.Error(), "empty") {
				t.Fatalf("empty: %v", err)
			}
			_, err = f.Dir.ImportPartners(ctx, strings.NewReader("code,name,kind\n\"unterminated,x,y\n"), nil)
			if err == nil || !strings.Contains(err.Error(), "malformed CSV") {
				t.Fatalf("malformed: %v", err)
			}
		})
		t.Run("BOMAndRoundTrip", func(t *testing.T) {
			in := "\ufeffcode,name,kind,tier,tags,categories,time_zone,ack_sla_hours\nNEW-1,新的供应商,supplier,3,a;b,Castings,Asia/Tokyo,48\n"
			res, err := f.Dir.ImportPartners(ctx, strings.NewReader(in), nil)
			if err != nil || res.Created != 1 {
				t.Fatalf("import = %+v, %v", res, err)
			}
			p, err := f.Dir.PartnerByCode(ctx, "NEW-1")
			if err != nil || p.Name != "新的供应商" || *p.Tier != 3 || p.AckSLAHours != 48 || len(p.Tags) != 2 || p.TimeZone != "Asia/Tokyo" {
				t.Fatalf("stored = %+v, %v", p, err)
			}
			var pbuf, cbuf bytes.Buffer
			if _, err := f.Dir.ExportPartners(ctx, &pbuf, csvfile.UTF8); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Dir.ExportContacts(ctx, &cbuf, csvfile.UTF8); err != nil {
				t.Fatal(err)
			}
			// Into a fresh company with the same staff, the export
			// imports to the same directory.
			g := partnerstest.New(t, f.DB.Dialect)
			if _, err := g.Dir.ImportPartners(g.System(), bytes.NewReader(pbuf.Bytes()), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Dir.ImportContacts(g.System(), bytes.NewReader(cbuf.Bytes()), nil); err != nil {
				t.Fatal(err)
			}
			var pbuf2, cbuf2 bytes.Buffer
			g.Dir.ExportPartners(g.System(), &pbuf2, csvfile.UTF8)
			g.Dir.ExportContacts(g.System(), &cbuf2, csvfile.UTF8)
			if pbuf.String() != pbuf2.String() {
				t.Errorf("partners differ after round trip:\n%s\n---\n%s", pbuf.String(), pbuf2.String())
			}
			if cbuf.String() != cbuf2.String() {
				t.Errorf("contacts differ after round trip:\n%s\n---\n%s", cbuf.String(), cbuf2.String())
			}
		})
		t.Run("ContactOwnerChangeGoesOnLedger", func(t *testing.T) {
			in := "partner_code,name,email,owner_email\nSUP-A,刘洋,liu@a.test,admin@co.test\nSUP-B,New Person,new@b.test,buyer@co.test\n"
			res, err := f.Dir.ImportContacts(ctx, strings.NewReader(in), nil)
			if err != nil || res.Created != 1 || res.Updated != 1 {
				t.Fatalf("import = %+v, %v", res, err)
			}
			c, _ := f.Dir.Contact(ctx, f.ContactA.ID)
			if c.Owner.ID != f.Admin.ID {
				t.Fatalf("owner = %d", c.Owner.ID)
			}
			hist, _ := f.Dir.ListTransfers(ctx, directory.TransferFilter{ContactID: f.ContactA.ID})
			if len(hist.Items) == 0 || hist.Items[0].Reason != "import" {
				t.Fatalf("ledger = %+v", hist.Items)
			}
		})
		t.Run("ErrContactRefs", func(t *testing.T) {
			in := "partner_code,name,email,owner_email\nNOPE,X,x@x.test,buyer@co.test\nSUP-A,Y,y@y.test,liu@a.test\n"
			_, err := f.Dir.ImportContacts(ctx, strings.NewReader(in), nil)
			got := partnerstest.Refusal(t, err)
			if !slices.Contains(got, `line 2: partner_code: no partner has code "NOPE"`) ||
				!slices.Contains(got, `line 3: owner_email: "liu@a.test" is not an active staff user`) {
				t.Fatalf("problems: %v", got)
			}
		})
	})
}
