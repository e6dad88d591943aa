package documents_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/storage"
	"github.com/tierlink/tierlink/storage/miniotest"
)

var pdf = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), make([]byte, 40)...)

func body(b []byte, ct string) documents.Body {
	return documents.Body{R: bytes.NewReader(b), Size: int64(len(b)), ClaimedType: ct}
}

func objects(t *testing.T, st storage.Store) int {
	n := 0
	for _, err := range st.List(context.Background(), "docs/") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// forEach runs fn on every dialect with each storage backend.
func forEach(t *testing.T, fn func(t *testing.T, f *partnerstest.Fixture)) {
	mio := miniotest.Start(t)
	for _, d := range dbtest.Dialects(t) {
		for _, backend := range []string{"local", "minio"} {
			t.Run(d+"/"+backend, func(t *testing.T) {
				f := partnerstest.New(t, d)
				if backend == "minio" {
					f.UseStore(mio.Store(t))
				}
				fn(t, f)
			})
		}
	}
}

func upload(t *testing.T, f *partnerstest.Fixture, ctx context.Context, partnerID int, b []byte, ct string) documents.Document {
	t.Helper()
	d, err := f.Docs.Upload(ctx, documents.UploadInput{PartnerID: partnerID, Kind: "certificate", Filename: "合格证.pdf",
		CertIssuer: "TÜV", CertNumber: "Q-1", ExpiresOn: "2030-06-30"}, body(b, ct))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fetch(t *testing.T, f *partnerstest.Fixture, ctx context.Context, id, version int) []byte {
	t.Helper()
	d, err := f.Docs.Download(ctx, id, version, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Body == nil { // presigned: fetch through the link like a browser
		return getURL(t, d.URL)
	}
	defer d.Body.Close()
	b, _ := io.ReadAll(d.Body)
	return b
}

func TestUploadVersionsDownload(t *testing.T) {
	forEach(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		d := upload(t, f, ctx, f.PartnerA.ID, pdf, "application/pdf")
		sum := sha256.Sum256(pdf)
		if d.CurrentVersion != 1 || d.Current.SHA256 != hex.EncodeToString(sum[:]) || d.Current.ContentType != "application/pdf" ||
			d.Current.Filename != "合格证.pdf" || d.Certificate.Status != "valid" || d.Title != "合格证.pdf" {
			t.Fatalf("uploaded = %+v %+v", d, d.Current)
		}
		v2 := append(append([]byte{}, pdf...), []byte("% second\n")...)
		d2, err := f.Docs.AddVersion(ctx, d.ID, documents.VersionInput{Filename: "v2.pdf"}, body(v2, "application/pdf"))
		if err != nil || d2.CurrentVersion != 2 || len(d2.Versions) != 2 {
			t.Fatalf("v2 = %+v, %v", d2, err)
		}
		if got := fetch(t, f, ctx, d.ID, 1); !bytes.Equal(got, pdf) {
			t.Fatal("version 1 changed")
		}
		if got := fetch(t, f, ctx, d.ID, 0); !bytes.Equal(got, v2) {
			t.Fatal("current is not version 2")
		}
		// Every download is recorded, with who and which version.
		fetch(t, f, f.Ctx(f.UserA), d.ID, 1)
		recs, err := f.Docs.Downloads(ctx, d.ID)
		if err != nil || len(recs) != 3 || recs[0].User != "liu@a.test" || recs[0].Version != 1 {
			t.Fatalf("downloads = %+v, %v", recs, err)
		}
		_, err = f.Docs.Downloads(f.Ctx(f.UserA), d.ID)
		partnerstest.WantCode(t, err, partners.EForbidden)
		t.Run("ConcurrentVersionsNumberedInOrder", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					_, err := f.Docs.AddVersion(ctx, d.ID, documents.VersionInput{Filename: fmt.Sprintf("c%d.pdf", i)}, body(pdf, "application/pdf"))
					errs <- err
				}(i)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got, _ := f.Docs.Document(ctx, d.ID)
			if got.CurrentVersion != 6 || len(got.Versions) != 6 || got.Versions[0].Version != 6 || got.Versions[5].Version != 1 {
				t.Fatalf("versions = %d, %+v", got.CurrentVersion, got.Versions)
			}
		})
		t.Run("DeleteRemovesEveryObject", func(t *testing.T) {
			before := objects(t, f.Docs.Store())
			if err := f.Docs.Delete(f.Ctx(f.Buyer), d.ID); err != nil {
				t.Fatal(err)
			}
			if after := objects(t, f.Docs.Store()); after != before-6 {
				t.Fatalf("objects %d → %d", before, after)
			}
			_, err := f.Docs.Document(ctx, d.ID)
			partnerstest.WantCode(t, err, partners.ENotFound)
		})
	})
}

func TestUploadRefusals(t *testing.T) {
	forEach(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		in := documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "drawing", Filename: "x.pdf"}
		for _, tc := range []struct {
			name string
			b    documents.Body
			code partners.Code
			msg  string
		}{
			{"ErrTypeMismatch", body(png, "application/pdf"), partners.EUnsupported, "PNG image (image/png), but was sent as application/pdf"},
			{"ErrNotAllowed", body([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00"), "application/octet-stream"), partners.EUnsupported, "not accepted"},
			{"ErrHTML", body([]byte("<!DOCTYPE html><script>alert(1)</script>"), "application/pdf"), partners.EUnsupported, "not accepted"},
			{"ErrEmpty", body(nil, "application/pdf"), partners.EInvalid, ""},
			{"ErrNoLength", documents.Body{R: bytes.NewReader(pdf), Size: -1, ClaimedType: "application/pdf"}, partners.ELengthRequired, ""},
			{"ErrTooLarge", documents.Body{R: strings.NewReader(""), Size: 600 << 20, ClaimedType: "application/pdf"}, partners.ETooLarge, ""},
			{"ErrShortBody", documents.Body{R: bytes.NewReader(pdf), Size: int64(len(pdf)) + 100, ClaimedType: "application/pdf"}, partners.EInvalid, "ended before"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.Docs.Upload(ctx, in, tc.b)
				partnerstest.WantCode(t, err, tc.code)
				if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("message %q lacks %q", err.Error(), tc.msg)
				}
				if n := objects(t, f.Docs.Store()); n != 0 {
					t.Fatalf("%d object(s) stored by a refused upload", n)
				}
			})
		}
		t.Run("WordSentAsZipAndOctetStream", func(t *testing.T) {
			for _, ct := range []string{"application/octet-stream", ""} {
				if _, err := f.Docs.Upload(ctx, in, body(pdf, ct)); err != nil {
					t.Fatalf("%q: %v", ct, err)
				}
			}
		})
		t.Run("ErrCertFieldsOnDrawing", func(t *testing.T) {
			bad := in
			bad.ExpiresOn = "2030-01-01"
			_, err := f.Docs.Upload(ctx, bad, body(pdf, "application/pdf"))
			partnerstest.WantCode(t, err, partners.EInvalid)
			bad = documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "certificate", Filename: "c.pdf", ValidFrom: "2030-01-02", ExpiresOn: "2030-01-01"}
			_, err = f.Docs.Upload(ctx, bad, body(pdf, "application/pdf"))
			partnerstest.WantCode(t, err, partners.EInvalid)
			bad.ExpiresOn = "31/01/2030"
			_, err = f.Docs.Upload(ctx, bad, body(pdf, "application/pdf"))
			partnerstest.WantCode(t, err, partners.EInvalid)
		})
	})
}

// Partner users add and read their own partner's documents only; no
// upload they may not make reaches storage.
func TestDocumentBoundary(t *testing.T) {
	forEach(t, func(t *testing.T, f *partnerstest.Fixture) {
		a, b := f.Ctx(f.UserA), f.Ctx(f.UserB)
		d := upload(t, f, a, f.PartnerA.ID, pdf, "application/pdf")
		if _, err := f.Docs.AddVersion(a, d.ID, documents.VersionInput{Filename: "new.pdf"}, body(pdf, "application/pdf")); err != nil {
			t.Fatalf("partner A's new version: %v", err)
		}
		n := objects(t, f.Docs.Store())
		_, err := f.Docs.Upload(b, documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "other", Filename: "x.pdf"}, body(pdf, "application/pdf"))
		partnerstest.WantCode(t, err, partners.EInvalid)
		if fs := partners.ErrorFields(err); len(fs) != 1 || fs[0].Field != "partner_id" {
			t.Fatalf("fields = %+v", fs)
		}
		_, err = f.Docs.AddVersion(b, d.ID, documents.VersionInput{Filename: "x.pdf"}, body(pdf, "application/pdf"))
		partnerstest.WantCode(t, err, partners.ENotFound)
		_, err = f.Docs.Upload(f.Ctx(f.Viewer), documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "other", Filename: "x.pdf"}, body(pdf, "application/pdf"))
		partnerstest.WantCode(t, err, partners.EForbidden)
		if got := objects(t, f.Docs.Store()); got != n {
			t.Fatalf("refused uploads stored objects: %d → %d", n, got)
		}
		_, err = f.Docs.Document(b, d.ID)
		partnerstest.WantCode(t, err, partners.ENotFound)
		_, err = f.Docs.Download(b, d.ID, 0, "")
		partnerstest.WantCode(t, err, partners.ENotFound)
		page, _ := f.Docs.List(b, documents.Filter{})
		if len(page.Items) != 0 {
			t.Fatalf("partner B lists %d documents", len(page.Items))
		}
		err = f.Docs.Delete(a, d.ID)
		if c := partners.ErrorCode(err); c != partners.EForbidden {
			t.Fatalf("partner deleted a document: %v", err)
		}
	})
}

func TestCertificateStatus(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	now := time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC) // 07:30 on the 26th in Shanghai
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	docs := documents.New(f.DB.Client, f.Docs.Store(), shanghai, nil)
	docs.SetClock(func() time.Time { return now })
	ctx := f.Ctx(f.Buyer)
	for _, tc := range []struct {
		expires string
		want    documents.CertStatus
	}{
		{"2026-11-25", documents.CertExpired}, {"2026-11-26", documents.CertExpiring}, {"2026-12-26", documents.CertExpiring}, {"2026-12-27", documents.CertValid},
	} {
		d, err := docs.Upload(ctx, documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "certificate", Filename: "c.pdf", ExpiresOn: tc.expires}, body(pdf, "application/pdf"))
		if err != nil || d.Certificate.Status != tc.want {
			t.Errorf("expires %s: status %q, want %q (%v)", tc.expires, d.Certificate.Status, tc.want, err)
		}
	}
	for status, n := range map[documents.CertStatus]int{documents.CertExpired: 1, documents.CertExpiring: 2, documents.CertValid: 1} {
		page, err := docs.List(ctx, documents.Filter{CertStatus: status})
		if err != nil || len(page.Items) != n {
			t.Errorf("cert_status=%s: %d items, %v", status, len(page.Items), err)
		}
	}
}

func TestSweepAndVerify(t *testing.T) {
	forEach(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		st := f.Docs.Store()
		d := upload(t, f, ctx, f.PartnerA.ID, pdf, "application/pdf")
		// An object whose rows never committed (a crash between the two).
		if err := st.Put(context.Background(), "docs/1/orphan", bytes.NewReader(pdf), int64(len(pdf)), "application/pdf"); err != nil {
			t.Fatal(err)
		}
		if n, err := f.Docs.Sweep(f.System(), time.Hour); err != nil || n != 0 {
			t.Fatalf("young orphan swept: %d %v", n, err)
		}
		if n, err := f.Docs.Sweep(f.System(), -time.Second); err != nil || n != 1 {
			t.Fatalf("sweep = %d, %v", n, err)
		}
		if got := fetch(t, f, ctx, d.ID, 0); !bytes.Equal(got, pdf) {
			t.Fatal("sweep removed a referenced object")
		}
		checked, problems, err := f.Docs.Verify(f.System())
		if err != nil || checked != 1 || len(problems) != 0 {
			t.Fatalf("verify clean: %d %+v %v", checked, problems, err)
		}
		// Tamper with the object: verify names it.
		key := d.Current.SHA256
		_ = key
		var objKey string
		for o := range st.List(context.Background(), "docs/") {
			objKey = o.Key
		}
		st.Put(context.Background(), objKey, strings.NewReader("tampered"), 8, "")
		_, problems, err = f.Docs.Verify(f.System())
		if err != nil || len(problems) != 1 || !strings.Contains(problems[0].Reason, "sha256") {
			t.Fatalf("verify tampered: %+v %v", problems, err)
		}
		st.Delete(context.Background(), objKey)
		_, problems, _ = f.Docs.Verify(f.System())
		if len(problems) != 1 || problems[0].Reason != "object missing" {
			t.Fatalf("verify missing: %+v", problems)
		}
	})
}

// Documents attach to a shipment or order of their own partner only.
func TestDocumentLinks(t *testing.T) {
	f := partnerstest.New(t, "sqlite3")
	ctx := f.Ctx(f.Buyer)
	o, err := f.Orders.Create(ctx, orders.OrderInput{PartnerID: f.PartnerB.ID, Direction: "upstream", Number: "PO-L", Currency: "CNY",
		Lines: []orders.LineInput{{ItemCode: "X", Quantity: 1000, UnitPrice: 1, RequiredDate: "2026-12-01"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Docs.Upload(ctx, documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "packing_list", Filename: "p.pdf", OrderID: o.ID}, body(pdf, "application/pdf"))
	partnerstest.WantCode(t, err, partners.EInvalid)
	d, err := f.Docs.Upload(ctx, documents.UploadInput{PartnerID: f.PartnerB.ID, Kind: "packing_list", Filename: "p.pdf", OrderID: o.ID}, body(pdf, "application/pdf"))
	if err != nil || d.OrderID == nil || *d.OrderID != o.ID {
		t.Fatalf("linked = %+v, %v", d, err)
	}
	if n := objects(t, f.Docs.Store()); n != 1 {
		t.Fatalf("%d objects: the refused link reached storage", n)
	}
}

// A partner's documents share a storage quota: an upload that would pass
// it is refused before anything is stored, and new versions count.
func TestPartnerStorageQuota(t *testing.T) {
	forEach(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		f.Docs.PartnerQuota = int64(2*len(pdf) + 10)
		in := documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "drawing", Filename: "x.pdf"}
		d, err := f.Docs.Upload(ctx, in, body(pdf, "application/pdf"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Docs.AddVersion(ctx, d.ID, documents.VersionInput{Filename: "x2.pdf"}, body(pdf, "application/pdf")); err != nil {
			t.Fatal(err)
		}
		_, err = f.Docs.Upload(ctx, in, body(pdf, "application/pdf"))
		partnerstest.WantCode(t, err, partners.ETooLarge)
		if fs := partners.ErrorFields(err); len(fs) != 1 || fs[0].Field != "file" || !strings.Contains(err.Error(), "storage quota") {
			t.Fatalf("refusal %v %+v", err, fs)
		}
		_, err = f.Docs.AddVersion(ctx, d.ID, documents.VersionInput{Filename: "x3.pdf"}, body(pdf, "application/pdf"))
		partnerstest.WantCode(t, err, partners.ETooLarge)
		if n := objects(t, f.Docs.Store()); n != 2 {
			t.Fatalf("%d objects stored, want the 2 within quota", n)
		}
		// Another partner has its own quota.
		if _, err := f.Docs.Upload(ctx, documents.UploadInput{PartnerID: f.PartnerB.ID, Kind: "drawing", Filename: "b.pdf"}, body(pdf, "application/pdf")); err != nil {
			t.Fatalf("partner B: %v", err)
		}
	})
}

// A zip bomb is stored as the bytes it is: nothing in Tierlink inflates
// an upload (the type is sniffed from the first bytes), so a 10 KiB file
// that would expand to gigabytes costs 10 KiB.
func TestZipBombIsNeverInflated(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("zeros.bin")
	chunk := make([]byte, 1<<20)
	for range 1024 { // 1 GiB of zeros, deflated to about a megabyte
		w.Write(chunk)
	}
	zw.Close()
	bomb := buf.Bytes()
	forEach(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d, err := f.Docs.Upload(ctx, documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "other", Filename: "bomb.zip"}, body(bomb, "application/zip"))
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if d.Current.Size != int64(len(bomb)) || d.Current.ContentType != "application/zip" {
			t.Fatalf("stored %+v", d.Current)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Fatalf("uploading a %d-byte zip bomb allocated %d MiB", len(bomb), grew>>20)
		}
	})
}
