package directory_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/partners/csvfile"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dirState is every stored partner and contact, every field, in id order.
func dirState(t *testing.T, f *partnerstest.Fixture) string {
	t.Helper()
	ctx := f.System()
	ps, err := f.DB.Client.Partner.Query().Order(ent.Asc(partner.FieldID)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := f.DB.Client.Contact.Query().Order(ent.Asc(contact.FieldID)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	for _, c := range cs {
		b.WriteString(c.String() + "\n")
	}
	return b.String()
}

// importErr returns the problems of a refused import, one per line.
func importErr(t *testing.T, err error) string {
	t.Helper()
	return strings.Join(partnerstest.Refusal(t, err), "\n")
}

// TestCSVFileEncodings imports the files LibreOffice wrote, in UTF-8 with
// and without BOM, GBK and GB18030: every name arrives exactly, and each
// file after the first finds every row unchanged.
func TestCSVFileEncodings(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.System()
		names := map[string]string{"CN-001": "华星精密", "CN-002": "上海五金制品有限公司", "CN-003": "德龙物流", "CN-004": "Bravo Metals"}
		for i, c := range []struct {
			file string
			enc  csvfile.Encoding
			how  string
		}{
			{"utf8.csv", csvfile.UTF8, "detected"},
			{"utf8-bom.csv", csvfile.UTF8, "byte-order mark"},
			{"gbk.csv", csvfile.GB18030, "detected"},
			{"gb18030.csv", csvfile.GB18030, "detected"},
		} {
			t.Run(c.file, func(t *testing.T) {
				res, err := f.Dir.ImportPartners(ctx, bytes.NewReader(readFile(t, "partners-"+c.file)), nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Encoding != c.enc || res.EncodingHow != c.how {
					t.Errorf("encoding = %s (%s), want %s (%s)", res.Encoding, res.EncodingHow, c.enc, c.how)
				}
				if i > 0 && (res.Created > 1 || res.Updated != 0 || res.Unchanged != 4) {
					t.Errorf("result = %+v, want the 4 partners unchanged", res)
				}
				for code, name := range names {
					p, err := f.Dir.PartnerByCode(ctx, code)
					if err != nil || p.Name != name {
						t.Fatalf("%s = %q, %v; want %q", code, p.Name, err, name)
					}
				}
				p, _ := f.Dir.PartnerByCode(ctx, "CN-003")
				if p.Address != "深圳市南山区, 科技园" {
					t.Errorf("address = %q", p.Address)
				}
				res, err = f.Dir.ImportContacts(ctx, bytes.NewReader(readFile(t, "contacts-"+c.file)), nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Encoding != c.enc {
					t.Errorf("contacts encoding = %s", res.Encoding)
				}
				// These files carry no ids, and 王芳 has no e-mail: each
				// import adds her again, with the same name and title.
				all, _ := f.Dir.ListContacts(ctx, directory.ContactFilter{Q: "王芳"})
				if len(all.Items) != i+1 {
					t.Fatalf("王芳 = %+v", all.Items)
				}
				for _, c := range all.Items {
					if c.Name != "王芳" || c.Title != "质量工程师" {
						t.Fatalf("王芳 = %+v", c)
					}
				}
			})
		}
		if p, _ := f.Dir.PartnerByCode(ctx, "CN-009"); p.Name != "𪚥龍精工" {
			t.Errorf("GB18030-only name = %q", p.Name)
		}
	})
}

// TestCSVEncodingNeverGuesses: GBK bytes that are also valid UTF-8 are
// asked about, never stored as mojibake, unless the sender names the
// encoding; a file in neither encoding is refused naming both.
func TestCSVEncodingNeverGuesses(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.System()
		taishan := readFile(t, "taishan-gbk.csv")
		before := dirState(t, f)
		t.Run("ErrAmbiguous", func(t *testing.T) {
			_, err := f.Dir.ImportPartners(ctx, bytes.NewReader(taishan), nil)
			msg := importErr(t, err)
			for _, want := range []string{"line 2: name", "泰山实业", "̩ɽʵҵ", "utf-8", "gb18030"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q: %s", want, msg)
				}
			}
		})
		t.Run("ErrNamedUTF8ButMisread", func(t *testing.T) {
			_, err := f.Dir.ImportPartners(ctx, csvfile.Named(bytes.NewReader(taishan), csvfile.UTF8), nil)
			if msg := importErr(t, err); !strings.Contains(msg, "name gb18030") {
				t.Errorf("message: %s", msg)
			}
		})
		t.Run("ErrNamedWrong", func(t *testing.T) {
			_, err := f.Dir.ImportPartners(ctx, csvfile.Named(bytes.NewReader(readFile(t, "partners-gbk.csv")), csvfile.UTF8), nil)
			if msg := importErr(t, err); !strings.Contains(msg, "line 2: name: is not valid UTF-8") || !strings.Contains(msg, "华星精密") {
				t.Errorf("message: %s", msg)
			}
			_, err = f.Dir.ImportPartners(ctx, csvfile.Named(bytes.NewReader(readFile(t, "partners-utf8-bom.csv")), csvfile.GB18030), nil)
			importErr(t, err)
		})
		t.Run("ErrNeither", func(t *testing.T) {
			in := "code,name,kind\nX-1,\xe5\x8d\x8e\xff,supplier\nX-2,\xd0\x2c,supplier\n"
			_, err := f.Dir.ImportPartners(ctx, strings.NewReader(in), nil)
			if msg := importErr(t, err); !strings.Contains(msg, "neither UTF-8 nor GB18030") {
				t.Errorf("message: %s", msg)
			}
		})
		if after := dirState(t, f); after != before {
			t.Fatalf("a refused import stored something:\n%s\n---\n%s", before, after)
		}
		t.Run("NamedGB18030", func(t *testing.T) {
			res, err := f.Dir.ImportPartners(ctx, csvfile.Named(bytes.NewReader(taishan), csvfile.GB18030), nil)
			if err != nil || res.Created != 1 || res.EncodingHow != "named" {
				t.Fatalf("import = %+v, %v", res, err)
			}
			if p, _ := f.Dir.PartnerByCode(ctx, "TS-001"); p.Name != "泰山实业" {
				t.Fatalf("name = %q", p.Name)
			}
		})
	})
}

// TestCSVExportRoundTrip exports and imports back into the same
// directory, in every encoding: nothing is created or written, and the
// stored rows are exactly as before (contacts without e-mail included).
func TestCSVExportRoundTrip(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.System()
		ps := "code,name,kind,tags,address\nINJ-1,'=1+2,supplier,'+x;-y,'@SUM(A1)\nINJ-2,'-负号公司,customer,,\nINJ-3,''=quoted,service,,'\tTab\n"
		if _, err := f.Dir.ImportPartners(ctx, strings.NewReader(ps), nil); err != nil {
			t.Fatal(err)
		}
		if p, _ := f.Dir.PartnerByCode(ctx, "INJ-1"); p.Name != "=1+2" || p.Address != "@SUM(A1)" || strings.Join(p.Tags, ";") != "+x;-y" {
			t.Fatalf("unescaped = %+v", p)
		}
		if p, _ := f.Dir.PartnerByCode(ctx, "INJ-3"); p.Name != "'=quoted" {
			t.Fatalf("quoted = %q", p.Name)
		}
		cs := "partner_code,name,title,owner_email\nSUP-A,王五,\"=HYPERLINK(\"\"x\"\")\",buyer@co.test\nSUP-A,赵六,,buyer@co.test\nSUP-B,No Mail,,buyer2@co.test\n"
		if _, err := f.Dir.ImportContacts(ctx, strings.NewReader(cs), nil); err != nil {
			t.Fatal(err)
		}
		for _, enc := range []struct {
			name string
			enc  csvfile.Encoding
			bom  bool
		}{{"UTF8BOM", csvfile.UTF8, true}, {"UTF8", csvfile.UTF8, false}, {"GB18030", csvfile.GB18030, false}} {
			t.Run(enc.name, func(t *testing.T) {
				before := dirState(t, f)
				var pb, cb bytes.Buffer
				if _, err := f.Dir.ExportPartners(ctx, &pb, enc.enc); err != nil {
					t.Fatal(err)
				}
				if _, err := f.Dir.ExportContacts(ctx, &cb, enc.enc); err != nil {
					t.Fatal(err)
				}
				if got := bytes.HasPrefix(pb.Bytes(), []byte("\ufeff")); got != (enc.enc == csvfile.UTF8) {
					t.Fatalf("BOM = %v", got)
				}
				strip := func(b []byte) io.Reader {
					if !enc.bom {
						b = bytes.TrimPrefix(b, []byte("\ufeff"))
					}
					return bytes.NewReader(b)
				}
				res, err := f.Dir.ImportPartners(ctx, strip(pb.Bytes()), nil)
				if err != nil || res.Created != 0 || res.Updated != 0 || res.Unchanged != 5 || res.Encoding != enc.enc {
					t.Fatalf("partners = %+v, %v\n%s", res, err, pb.String())
				}
				res, err = f.Dir.ImportContacts(ctx, strip(cb.Bytes()), nil)
				if err != nil || res.Created != 0 || res.Updated != 0 || res.Unchanged != 6 {
					t.Fatalf("contacts = %+v, %v\n%s", res, err, cb.String())
				}
				if after := dirState(t, f); after != before {
					t.Fatalf("the round trip changed stored rows:\n%s\n---\n%s", before, after)
				}
			})
		}
		t.Run("FormulasEscaped", func(t *testing.T) {
			var pb, cb bytes.Buffer
			f.Dir.ExportPartners(ctx, &pb, csvfile.UTF8)
			f.Dir.ExportContacts(ctx, &cb, csvfile.UTF8)
			for _, want := range []string{"INJ-1,'=1+2,", "'+x;-y", "'@SUM(A1)", "INJ-2,'-负号公司", "INJ-3,''=quoted", "'\tTab"} {
				if !strings.Contains(pb.String(), want) {
					t.Errorf("partners export lacks %q:\n%s", want, pb.String())
				}
			}
			if !strings.Contains(cb.String(), `"'=HYPERLINK(""x"")"`) {
				t.Errorf("contacts export:\n%s", cb.String())
			}
		})
		t.Run("ErrContactID", func(t *testing.T) {
			in := "id,partner_code,name,owner_email\n999999,SUP-A,X,buyer@co.test\n" +
				strconv.Itoa(f.ContactB.ID) + ",SUP-A,Y,buyer@co.test\n"
			_, err := f.Dir.ImportContacts(ctx, strings.NewReader(in), nil)
			msg := importErr(t, err)
			if !strings.Contains(msg, "line 2: id: no contact has id 999999") || !strings.Contains(msg, "line 3: id: contact") {
				t.Errorf("message: %s", msg)
			}
		})
	})
}
