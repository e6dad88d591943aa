package partners_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// limitedField is one text field with a length limit, saved through its
// service; save returns the value as stored in the database.
type limitedField struct {
	name  string // what the subtest is called
	key   string // the JSON key a refusal must name
	limit int    // in characters (runes)
	ascii bool   // only ASCII is valid here (codes, numbers)
	save  func(v string) (stored string, err error)
}

// A limit counts runes (Unicode code points), as go-playground's max and
// PostgreSQL's varchar(n) do: 华 and 😀 are one each, and e followed by
// the combining acute accent U+0301 is two. A value made of units is
// built to exactly n runes; one more rune is refused.
var lengthUnits = []struct{ name, unit string }{
	{"ASCII", "a"},
	{"CJK", "华"},
	{"Emoji", "😀"},
	{"Combining", "e\u0301"},
}

// runes returns a value of exactly n runes made of unit, padded with "x"
// when unit's runes do not divide n.
func runes(unit string, n int) string {
	per := utf8.RuneCountInString(unit)
	return strings.Repeat(unit, n/per) + strings.Repeat("x", n%per)
}

func TestLengthsCountCharacters(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			for _, fl := range limitedFields(t, f) {
				t.Run(fl.name, func(t *testing.T) {
					for _, u := range lengthUnits {
						if fl.ascii && u.unit != "a" {
							continue
						}
						t.Run(u.name, func(t *testing.T) {
							at := runes(u.unit, fl.limit)
							stored, err := fl.save(at)
							if err != nil {
								t.Fatalf("%d runes (%d bytes) refused: %v %+v", fl.limit, len(at), err, partners.ErrorFields(err))
							}
							if stored != at {
								t.Fatalf("stored %d runes %q…, want the %d given unchanged", utf8.RuneCountInString(stored), prefix(stored), fl.limit)
							}
							over := at + "e"
							if u.unit == "e\u0301" {
								// Each é here is two runes: half the limit of
								// them fits, one more does not.
								over = at + "e\u0301"
							}
							_, err = fl.save(over)
							wantRefused(t, err, fl.key, fl.limit)
						})
					}
				})
			}
		})
	}
}

func wantRefused(t *testing.T, err error, key string, limit int) {
	t.Helper()
	if partners.ErrorCode(err) != partners.EInvalid {
		t.Fatalf("over the limit: err = %v, want invalid input", err)
	}
	fs := partners.ErrorFields(err)
	want := fmt.Sprintf("must be at most %d characters", limit)
	if len(fs) != 1 || fs[0].Field != key || fs[0].Reason != want {
		t.Fatalf("over the limit: fields %+v, want %s %q", fs, key, want)
	}
}

func prefix(s string) string {
	if r := []rune(s); len(r) > 10 {
		return string(r[:10])
	}
	return s
}

func limitedFields(t *testing.T, f *partnerstest.Fixture) []limitedField {
	sys, buyer := f.System(), f.Ctx(f.Buyer)
	db := f.DB.Client
	n := 0
	next := func() int { n++; return n }
	newPartner := func(name, address, code string) (int, error) {
		if code == "" {
			code = fmt.Sprintf("LEN-%d", next())
		}
		p, err := f.Dir.CreatePartner(buyer, directory.PartnerInput{Code: code, Name: name, Kind: "customer", Address: address})
		return p.ID, err
	}
	newContact := func(name, title, phone string) (int, error) {
		c, err := f.Dir.CreateContact(buyer, directory.ContactInput{PartnerID: f.PartnerA.ID, Name: name, Title: title, Phone: phone, OwnerID: f.Buyer.ID})
		return c.ID, err
	}
	newOrder := func(number, notes string, l orders.LineInput) (int, error) {
		if number == "" {
			number = fmt.Sprintf("PO-LEN-%d", next())
		}
		if l.ItemCode == "" {
			l.ItemCode = "ITEM"
		}
		l.Quantity, l.UnitPrice, l.RequiredDate = 1000, 1, "2030-01-31"
		o, err := f.Orders.Create(buyer, orders.OrderInput{PartnerID: f.PartnerA.ID, Direction: "upstream", Number: number,
			Currency: "CNY", Notes: notes, Lines: []orders.LineInput{l}})
		return o.ID, err
	}
	pdf := []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
	newDocument := func(title, description string) (int, error) {
		d, err := f.Docs.Upload(buyer, documents.UploadInput{PartnerID: f.PartnerA.ID, Kind: "other", Filename: "drawing.pdf",
			Title: title, Description: description}, documents.Body{R: bytes.NewReader(pdf), Size: int64(len(pdf)), ClaimedType: "application/pdf"})
		return d.ID, err
	}
	newGroup := func(name, purpose string) (int, error) {
		g, err := f.Groups.Create(buyer, groups.GroupInput{Name: name, Purpose: purpose, Kind: "internal"})
		return g.ID, err
	}
	feed, err := newGroup("Lengths", "")
	if err != nil {
		t.Fatal(err)
	}
	// line reads an order's only line.
	line := func(id int, err error) (*entLine, error) {
		if err != nil {
			return nil, err
		}
		o, err := db.Order.Get(sys, id)
		if err != nil {
			return nil, err
		}
		l, err := o.QueryLines().Only(sys)
		if err != nil {
			return nil, err
		}
		return &entLine{number: o.Number, notes: o.Notes, itemCode: l.ItemCode, description: l.Description, unit: l.Unit}, nil
	}
	return []limitedField{
		{name: "Partner.code", key: "code", limit: 32, ascii: true, save: func(v string) (string, error) {
			id, err := newPartner("Code", "", v)
			return stored(id, err, func(id int) (string, error) {
				return read(func(p *ent.Partner) string { return p.Code })(db.Partner.Get(sys, id))
			})
		}},
		{name: "Partner.name", key: "name", limit: 200, save: func(v string) (string, error) {
			id, err := newPartner(v, "", "")
			return stored(id, err, func(id int) (string, error) {
				return read(func(p *ent.Partner) string { return p.Name })(db.Partner.Get(sys, id))
			})
		}},
		{name: "Partner.address", key: "address", limit: 500, save: func(v string) (string, error) {
			id, err := newPartner("Address", v, "")
			return stored(id, err, func(id int) (string, error) {
				return read(func(p *ent.Partner) string { return p.Address })(db.Partner.Get(sys, id))
			})
		}},
		{name: "Contact.name", key: "name", limit: 200, save: func(v string) (string, error) {
			id, err := newContact(v, "", "")
			return stored(id, err, func(id int) (string, error) {
				return read(func(c *ent.Contact) string { return c.Name })(db.Contact.Get(sys, id))
			})
		}},
		{name: "Contact.title", key: "title", limit: 200, save: func(v string) (string, error) {
			id, err := newContact("Title", v, "")
			return stored(id, err, func(id int) (string, error) {
				return read(func(c *ent.Contact) string { return c.Title })(db.Contact.Get(sys, id))
			})
		}},
		{name: "Contact.phone", key: "phone", limit: 64, save: func(v string) (string, error) {
			id, err := newContact("Phone", "", v)
			return stored(id, err, func(id int) (string, error) {
				return read(func(c *ent.Contact) string { return c.Phone })(db.Contact.Get(sys, id))
			})
		}},
		{name: "Order.number", key: "number", limit: 64, ascii: true, save: func(v string) (string, error) {
			l, err := line(newOrder(v, "", orders.LineInput{}))
			return lineField(l, err, func(l *entLine) string { return l.number })
		}},
		{name: "Order.notes", key: "notes", limit: 2000, save: func(v string) (string, error) {
			l, err := line(newOrder("", v, orders.LineInput{}))
			return lineField(l, err, func(l *entLine) string { return l.notes })
		}},
		{name: "OrderLine.item_code", key: "lines[0].item_code", limit: 64, save: func(v string) (string, error) {
			l, err := line(newOrder("", "", orders.LineInput{ItemCode: v}))
			return lineField(l, err, func(l *entLine) string { return l.itemCode })
		}},
		{name: "OrderLine.description", key: "lines[0].description", limit: 500, save: func(v string) (string, error) {
			l, err := line(newOrder("", "", orders.LineInput{Description: v}))
			return lineField(l, err, func(l *entLine) string { return l.description })
		}},
		{name: "OrderLine.unit", key: "lines[0].unit", limit: 16, save: func(v string) (string, error) {
			l, err := line(newOrder("", "", orders.LineInput{Unit: v}))
			return lineField(l, err, func(l *entLine) string { return l.unit })
		}},
		{name: "Document.title", key: "title", limit: 200, save: func(v string) (string, error) {
			id, err := newDocument(v, "")
			return stored(id, err, func(id int) (string, error) {
				return read(func(d *ent.Document) string { return d.Title })(db.Document.Get(sys, id))
			})
		}},
		{name: "Document.description", key: "description", limit: 2000, save: func(v string) (string, error) {
			id, err := newDocument("Description", v)
			return stored(id, err, func(id int) (string, error) {
				return read(func(d *ent.Document) string { return d.Description })(db.Document.Get(sys, id))
			})
		}},
		{name: "Group.name", key: "name", limit: 200, save: func(v string) (string, error) {
			id, err := newGroup(v, "")
			return stored(id, err, func(id int) (string, error) {
				return read(func(g *ent.Group) string { return g.Name })(db.Group.Get(sys, id))
			})
		}},
		{name: "Group.purpose", key: "purpose", limit: 1000, save: func(v string) (string, error) {
			id, err := newGroup("Purpose", v)
			return stored(id, err, func(id int) (string, error) {
				return read(func(g *ent.Group) string { return g.Purpose })(db.Group.Get(sys, id))
			})
		}},
		{name: "Post.body", key: "body", limit: 10000, save: func(v string) (string, error) {
			p, err := f.Groups.Post(buyer, feed, groups.PostInput{Body: v})
			return stored(p.ID, err, func(id int) (string, error) {
				return read(func(p *ent.Post) string { return p.Body })(db.Post.Get(sys, id))
			})
		}},
		{name: "User.name", key: "name", limit: 200, save: func(v string) (string, error) {
			u, err := f.Acc.CreateUser(sys, accounts.UserInput{Email: fmt.Sprintf("len%d@co.test", next()), Name: v, Role: "viewer", Password: partnerstest.Password})
			return stored(u.ID, err, func(id int) (string, error) {
				return read(func(u *ent.User) string { return u.Name })(db.User.Get(sys, id))
			})
		}},
	}
}

// entLine is what the order tests read back of an order and its line.
type entLine struct{ number, notes, itemCode, description, unit string }

func lineField(l *entLine, err error, get func(*entLine) string) (string, error) {
	if err != nil {
		return "", err
	}
	return get(l), nil
}

// read returns one field of a record just read.
func read[T any](get func(T) string) func(T, error) (string, error) {
	return func(v T, err error) (string, error) {
		if err != nil {
			return "", err
		}
		return get(v), nil
	}
}

func stored(id int, err error, get func(int) (string, error)) (string, error) {
	if err != nil {
		return "", err
	}
	return get(id)
}

// A name within its limit is never refused for the keys derived from it:
// 200 characters of 双 spell a sort key of 1,399 bytes, cut to the
// column's 800, and a contact whose name and title are 200 Chinese
// characters each has a search text over 2,000.
func TestLongNamesKeepTheirKeys(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := partnerstest.New(t, d)
			sys, ctx := f.System(), f.Ctx(f.Buyer)
			name := strings.Repeat("双", 200)
			p, err := f.Dir.CreatePartner(ctx, directory.PartnerInput{Code: "LONG-1", Name: name, Kind: "supplier"})
			if err != nil {
				t.Fatal(err)
			}
			row, err := f.DB.Client.Partner.Get(sys, p.ID)
			if err != nil || row.Name != name || len(row.SortKey) > 800 || !strings.HasPrefix(row.SortKey, "shuang shuang") {
				t.Fatalf("stored %d bytes of sort key, %v", len(row.SortKey), err)
			}
			c, err := f.Dir.CreateContact(ctx, directory.ContactInput{PartnerID: p.ID, Name: strings.Repeat("华", 200),
				Title: strings.Repeat("星", 200), Email: "long@a.test", OwnerID: f.Buyer.ID})
			if err != nil {
				t.Fatal(err)
			}
			cs, err := f.Dir.ListContacts(ctx, directory.ContactFilter{Q: "long@a.test"})
			if err != nil || len(cs.Items) != 1 || cs.Items[0].ID != c.ID {
				t.Fatalf("contact not found by its e-mail after a long name and title: %+v, %v", cs.Items, err)
			}
		})
	}
}

// An ent validation error that reaches the transport names the field as
// the caller knows it and gives the validator's reason, not ent's wording
// with the record's Go type in it.
func TestEntValidationErrorNamesTheField(t *testing.T) {
	f := partnerstest.New(t, dialect.SQLite)
	sys, db := f.System(), f.DB.Client
	_, err := db.Partner.Create().SetCode("ENT-1").SetName(strings.Repeat("华", 201)).SetKind("supplier").
		SetSortKey("hua").SetSearchText("hua").Save(sys)
	if fs := partners.ErrorFields(err); len(fs) != 1 || fs[0].Field != "name" || fs[0].Reason != "must be at most 200 characters" {
		t.Fatalf("fields %+v of %v", fs, err)
	}
	_, err = db.Partner.Create().SetCode("ENT-2").SetName("").SetKind("supplier").SetSortKey("").SetSearchText("").Save(sys)
	if fs := partners.ErrorFields(err); len(fs) != 1 || fs[0].Field != "name" || fs[0].Reason != "must not be empty" {
		t.Fatalf("fields %+v of %v", fs, err)
	}
	_, err = db.Partner.Create().SetCode("ENT-3").SetName("Hua").SetSortKey("hua").SetSearchText("hua").Save(sys)
	if fs := partners.ErrorFields(err); len(fs) != 1 || fs[0].Field != "kind" || fs[0].Reason != "is required" {
		t.Fatalf("fields %+v of %v", fs, err)
	}
	g, err := f.Groups.Create(f.Ctx(f.Buyer), groups.GroupInput{Name: "Digest", Kind: "internal"})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Group.UpdateOneID(g.ID).SetDigestSpec(strings.Repeat("*", 201)).Exec(sys)
	if fs := partners.ErrorFields(err); len(fs) != 1 || fs[0].Field != "digest_schedule" || fs[0].Reason != "must be at most 200 characters" {
		t.Fatalf("fields %+v of %v", fs, err)
	}
}
