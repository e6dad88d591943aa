package portal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/shipments"
)

// rawInserts measures single-row autocommit inserts through database/sql
// on a database opened exactly like Tierlink's (a SQLite file, or a fresh
// PostgreSQL database): on SQLite the floor of what its one writer
// connection can do; on PostgreSQL, 64 connections at once, as the
// portal's clients are.
func rawInserts(b *testing.B, d string, dur time.Duration) float64 {
	var db *database.DB
	if d == dialect.Postgres {
		db = dbtest.Open(b, d)
	} else {
		var err error
		db, err = database.Open(context.Background(), database.Target{Dialect: dialect.SQLite, Path: filepath.Join(b.TempDir(), "raw.db")})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
	}
	ins := `INSERT INTO ev (shipment, kind, at) VALUES (?, ?, ?)`
	create := `CREATE TABLE ev (id INTEGER PRIMARY KEY, shipment INTEGER, kind TEXT, at TEXT)`
	workers := 1
	if d == dialect.Postgres {
		ins = `INSERT INTO ev (shipment, kind, at) VALUES ($1, $2, $3)`
		create = `CREATE TABLE ev (id BIGSERIAL PRIMARY KEY, shipment INTEGER, kind TEXT, at TIMESTAMPTZ)`
		workers = 64
	}
	if _, err := db.Writer.Exec(create); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(dur)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if _, err := db.Writer.Exec(ins, w, "in_transit", time.Now().UTC()); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / dur.Seconds()
}

// BenchmarkShipmentUpdates: 64 clients post shipment status updates, each
// with a fresh Idempotency-Key, through the whole portal, on SQLite and
// (when configured) PostgreSQL. Goal: ≥ 2,000 accepted updates/s on
// SQLite, beside a raw database/sql insert loop measured in the same run.
func BenchmarkShipmentUpdates(b *testing.B) {
	for _, d := range dbtest.Dialects(b) {
		b.Run(d, func(b *testing.B) { benchShipmentUpdates(b, d) })
	}
}

func benchShipmentUpdates(b *testing.B, d string) {
	e := newEnv(b, d)
	e.srv.cfg.QuietAccessLog = true
	base := e.live()
	ctx := e.f.Ctx(e.f.Buyer)
	in := orders.OrderInput{PartnerID: e.f.PartnerA.ID, Direction: "upstream", Number: "PO-BENCH", Currency: "CNY"}
	for i := 0; i < 64; i++ {
		in.Lines = append(in.Lines, orders.LineInput{ItemCode: fmt.Sprint("I", i), Quantity: 1000_000, UnitPrice: 1, RequiredDate: "2026-12-31"})
	}
	o, err := e.f.Orders.Create(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	e.f.Orders.Publish(ctx, o.ID)
	a := e.f.Ctx(e.f.UserA)
	ids := make([]int, 64)
	for i := range ids {
		sh, err := e.f.Shipments.Create(a, shipments.Input{PartnerID: e.f.PartnerA.ID, Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: i + 1, Quantity: 1000}}})
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range []shipmentevent.Kind{shipmentevent.KindShipped, shipmentevent.KindInTransit} {
			if _, err := e.f.Shipments.AddEvent(a, sh.ID, shipments.EventInput{Kind: k}); err != nil {
				b.Fatal(err)
			}
		}
		ids[i] = sh.ID
	}
	tok, err := e.f.Acc.CreateToken(a, accounts.TokenInput{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64 // unique keys: every update is a new request
	run := func(d time.Duration) (float64, int64) {
		tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		var ok, bad atomic.Int64
		var wg sync.WaitGroup
		stop := time.Now().Add(d)
		start := time.Now()
		for w := 0; w < 64; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; time.Now().Before(stop); i++ {
					body := []byte(`{"kind":"in_transit","location":"Yangshan"}`)
					req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/shipments/%d/events", base, ids[w]), bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+tok.Secret)
					req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", seq.Add(1)))
					resp, err := client.Do(req)
					if err != nil {
						bad.Add(1)
						continue
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode == 201 {
						ok.Add(1)
					} else {
						if bad.Add(1) < 3 {
							b.Logf("update answered %d: %.300s", resp.StatusCode, out)
						}
					}
				}
			}(w)
		}
		wg.Wait()
		return float64(ok.Load()) / time.Since(start).Seconds(), bad.Load()
	}
	run(time.Second) // warm up
	b.ResetTimer()
	ref := rawInserts(b, d, 3*time.Second)
	got, bad := run(5 * time.Second)
	b.StopTimer()
	if bad > 0 {
		b.Fatalf("%d updates failed", bad)
	}
	b.ReportMetric(got, "req/s")
	b.ReportMetric(ref, "ref_req/s")
	b.ReportMetric(100*got/ref, "%_of_ref")
}
