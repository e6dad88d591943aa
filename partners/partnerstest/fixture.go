// Package partnerstest builds a small company in a real database for
// tests: staff of every role, two partners with contacts, and one partner
// user per partner, all made through the domain services.
package partnerstest

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/shipments"
	"github.com/tierlink/tierlink/partners/status"
	"github.com/tierlink/tierlink/storage"
)

// Password is every fixture account's password.
const Password = "correct horse battery"

// Loopback is a bridge guard that lets tests reach their receivers.
var Loopback = bridges.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

// CheapParams keep password hashing fast in tests; production uses OWASP.
var CheapParams = accounts.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// Fixture is the test company.
type Fixture struct {
	DB  *database.DB
	Dir *directory.Service
	Acc *accounts.Service
	// Docs stores objects on local disk unless UseStore swaps the store.
	Docs *documents.Service
	// Orders manages orders.
	Orders *orders.Service
	// Shipments manages shipments.
	Shipments *shipments.Service
	// Groups runs groups, feeds and bridges; its bridges may reach
	// loopback, where tests run their receivers.
	Groups *groups.Service
	// Status posts digests, reminders and warnings into groups.
	Status *status.Service
	// Scorecards computes and snapshots scorecards.
	Scorecards *scorecards.Service

	Admin, Buyer, Buyer2, Viewer accounts.User
	PartnerA, PartnerB           directory.Partner
	ContactA, ContactA2          directory.Contact
	ContactB                     directory.Contact
	UserA, UserB                 accounts.User
}

// New builds the fixture on a fresh database of dialect d.
func New(tb testing.TB, d string) *Fixture {
	tb.Helper()
	return NewOn(tb, dbtest.Open(tb, d))
}

// NewOn builds the fixture on an open, migrated, empty database (one
// that several simulated instances share, say).
func NewOn(tb testing.TB, db *database.DB) *Fixture {
	tb.Helper()
	dir := directory.New(db.Client)
	acc := accounts.New(db.Client, dir)
	acc.Params = CheapParams
	local, err := storage.NewLocal(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	f := &Fixture{DB: db, Dir: dir, Acc: acc, Docs: documents.New(db.Client, local, time.UTC, nil), Orders: orders.New(db.Client), Shipments: shipments.New(db.Client)}
	f.Docs.Dialect = db.Dialect
	f.Groups = groups.New(db.Client, f.Orders, f.Shipments, Loopback, nil)
	f.Status = status.New(db.Client, f.Groups, f.Orders, f.Shipments, time.UTC)
	f.Scorecards = scorecards.New(db.Client, db.Dialect, time.UTC)
	sys := viewer.NewContext(context.Background(), viewer.System("test"))
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	f.Admin, err = acc.CreateUser(sys, accounts.UserInput{Email: "admin@co.test", Name: "Ada Admin", Role: "admin", Password: Password})
	must(err)
	f.Buyer, err = acc.CreateUser(sys, accounts.UserInput{Email: "buyer@co.test", Name: "Bo Buyer", Role: "buyer", Password: Password})
	must(err)
	f.Buyer2, err = acc.CreateUser(sys, accounts.UserInput{Email: "buyer2@co.test", Name: "Cai Buyer", Role: "buyer", Password: Password})
	must(err)
	f.Viewer, err = acc.CreateUser(sys, accounts.UserInput{Email: "viewer@co.test", Name: "Vi Viewer", Role: "viewer", Password: Password})
	must(err)
	tier := 1
	f.PartnerA, err = dir.CreatePartner(sys, directory.PartnerInput{Code: "SUP-A", Name: "华星精密", Kind: "supplier", Tier: &tier,
		Tags: []string{"strategic"}, Categories: []string{"Housings"}})
	must(err)
	f.PartnerB, err = dir.CreatePartner(sys, directory.PartnerInput{Code: "SUP-B", Name: "Bravo Metals", Kind: "supplier", Tier: &tier})
	must(err)
	f.ContactA, err = dir.CreateContact(sys, directory.ContactInput{PartnerID: f.PartnerA.ID, Name: "刘洋", Email: "liu@a.test", OwnerID: f.Buyer.ID})
	must(err)
	f.ContactA2, err = dir.CreateContact(sys, directory.ContactInput{PartnerID: f.PartnerA.ID, Name: "孙丽", Email: "sun@a.test", OwnerID: f.Buyer.ID})
	must(err)
	f.ContactB, err = dir.CreateContact(sys, directory.ContactInput{PartnerID: f.PartnerB.ID, Name: "Brian Bravo", Email: "brian@b.test", OwnerID: f.Buyer2.ID})
	must(err)
	f.UserA = f.partnerUser(tb, f.ContactA)
	f.UserB = f.partnerUser(tb, f.ContactB)
	return f
}

func (f *Fixture) partnerUser(tb testing.TB, c directory.Contact) accounts.User {
	tb.Helper()
	ctx := f.Ctx(f.Buyer)
	inv, err := f.Acc.CreateInvitation(ctx, accounts.InvitationInput{ContactID: c.ID})
	if err != nil {
		tb.Fatal(err)
	}
	u, err := f.Acc.AcceptInvitation(context.Background(), inv.Token, accounts.AcceptInput{Name: c.Name, Password: Password})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// UseStore makes documents live in st (a MinIO store, say).
func (f *Fixture) UseStore(st storage.Store) {
	f.Docs = documents.New(f.DB.Client, st, time.UTC, nil)
	f.Docs.Dialect = f.DB.Dialect
}

// Ctx returns a context acting as u.
func (f *Fixture) Ctx(u accounts.User) context.Context {
	v := viewer.Viewer{UserID: u.ID, Role: viewer.Role(u.Role), Label: u.Email}
	if u.PartnerID != nil {
		v.PartnerID = *u.PartnerID
	}
	if u.ContactID != nil {
		v.ContactID = *u.ContactID
	}
	return viewer.NewContext(context.Background(), v)
}

// System returns a context acting as the system.
func (f *Fixture) System() context.Context {
	return viewer.NewContext(context.Background(), viewer.System("test"))
}
