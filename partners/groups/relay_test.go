package groups_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/shipments"
)

// Two instances share a PostgreSQL database: a post made on one reaches
// a stream on the other through LISTEN/NOTIFY, and removing a member on
// one makes the other's streams recheck access.
func TestRelayCarriesChangesBetweenInstances(t *testing.T) {
	url := dbtest.PostgresURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() *database.DB {
		db, err := database.Open(ctx, database.Target{Dialect: dialect.Postgres, URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dbA, dbB := open(), open()
	f := partnerstest.NewOn(t, dbA)
	other := groups.New(dbB.Client, orders.New(dbB.Client), shipments.New(dbB.Client), partnerstest.Loopback, nil)
	connected := make(chan struct{}, 4)
	for _, inst := range []struct {
		db   *database.DB
		svc  *groups.Service
		name string
	}{{dbA, f.Groups, "a"}, {dbB, other, "b"}} {
		r := database.NewRelay(inst.db, inst.name, quiet)
		inst.svc.SetRelay(r.Publish)
		svc := inst.svc
		go r.Run(ctx, svc.Remote, func() { svc.Resync(); connected <- struct{}{} })
	}
	for range 2 {
		select {
		case <-connected:
		case <-time.After(10 * time.Second):
			t.Fatal("relay did not connect")
		}
	}
	b := f.Ctx(f.Buyer)
	g, err := f.Groups.Create(b, groups.GroupInput{Name: "relay", Kind: "partner", PartnerID: f.PartnerA.ID, ContactIDs: []int{f.ContactA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := other.Hub().Subscribe(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Hub().Unsubscribe(sub)
	p, err := f.Groups.Post(b, g.ID, groups.PostInput{Body: "through the relay"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-sub.C:
		if ev.Seq != p.Seq {
			t.Fatalf("got seq %d, want %d", ev.Seq, p.Seq)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the post never reached the other instance's stream")
	}
	ms, _ := f.Groups.Members(b, g.ID)
	var mid int
	for _, m := range ms.Items {
		if m.ContactID != nil {
			mid = m.ID
		}
	}
	if err := f.Groups.RemoveMember(b, g.ID, mid); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Recheck():
	case <-time.After(5 * time.Second):
		t.Fatal("the membership change never reached the other instance")
	}
}
