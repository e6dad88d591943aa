package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database/dbtest"
)

// buildCrashBinary compiles tierlink with the crash points the tests
// use (portal/idempotency_crashpoints.go).
func buildCrashBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tierlink")
	if out, err := exec.Command("go", "build", "-tags", "tierlink_crashpoints", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// crashWorld is one data dir (and database) the crash tests restart a
// server over: a buyer's token, shipments in transit, an internal group.
type crashWorld struct {
	env   []string
	tok   string
	ships []int
	group int
	db    *sql.DB
}

func newCrashWorld(t *testing.T, bin, d string) *crashWorld {
	dir := t.TempDir()
	w := &crashWorld{env: []string{"TIERLINK_DATA_DIR=" + dir, "TIERLINK_LOG_LEVEL=warn", "TIERLINK_TIME_ZONE=UTC"}}
	driver, dsn := "sqlite", "file:"+filepath.Join(dir, "tierlink.db")
	if d == dialect.Postgres {
		url := dbtest.PostgresURL(t)
		w.env = append(w.env, "TIERLINK_DATABASE_URL="+url)
		driver, dsn = "pgx", url
	}
	w.tok = prepare(t, w.env)
	p := startServe(t, bin, w.env)
	var o struct{ ID int }
	lines := make([]string, 8)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"item_code":"I%d","quantity":100,"unit_price":1,"required_date":"2026-12-31"}`, i)
	}
	if st := api(t, p.base, w.tok, "POST", "/api/v1/orders", `{"partner_id":1,"direction":"upstream","number":"PO-I","currency":"CNY","lines":[`+strings.Join(lines, ",")+`]}`, &o); st != 201 {
		t.Fatalf("order: %d", st)
	}
	api(t, p.base, w.tok, "POST", fmt.Sprintf("/api/v1/orders/%d/publish", o.ID), "", nil)
	for i := range lines {
		var sh struct{ ID int }
		if st := api(t, p.base, w.tok, "POST", "/api/v1/shipments", fmt.Sprintf(`{"partner_id":1,"lines":[{"order_id":%d,"line_no":%d,"quantity":1}]}`, o.ID, i+1), &sh); st != 201 {
			t.Fatalf("shipment: %d", st)
		}
		w.ships = append(w.ships, sh.ID)
		for _, k := range []string{"shipped", "in_transit"} {
			api(t, p.base, w.tok, "POST", fmt.Sprintf("/api/v1/shipments/%d/events", sh.ID), `{"kind":"`+k+`"}`, nil)
		}
	}
	var g struct{ ID int }
	if st := api(t, p.base, w.tok, "POST", "/api/v1/groups", `{"name":"Dispatch","kind":"internal"}`, &g); st != 201 {
		t.Fatalf("group: %d", st)
	}
	w.group = g.ID
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	return w
}

// keyedWrite is one write sent with an Idempotency-Key: a shipment
// update or a group message, tagged with the key so it can be counted.
type keyedWrite struct {
	key, path, body string
}

func (w *crashWorld) write(key string, i int) keyedWrite {
	if i%2 == 0 {
		return keyedWrite{key, fmt.Sprintf("/api/v1/shipments/%d/events", w.ships[i/2%len(w.ships)]), `{"kind":"in_transit","location":"` + key + `"}`}
	}
	return keyedWrite{key, fmt.Sprintf("/api/v1/groups/%d/posts", w.group), `{"body":"` + key + `"}`}
}

// send posts kw; status 0 means no answer (the server died).
func (w *crashWorld) send(base string, kw keyedWrite, timeout time.Duration) (int, bool, string) {
	req, _ := http.NewRequest("POST", base+kw.path, bytes.NewReader([]byte(kw.body)))
	req.Header.Set("Authorization", "Bearer "+w.tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", kw.key)
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return 0, false, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", string(b)
}

// stored counts the rows written under key: shipment events placed at
// it and messages saying it.
func (w *crashWorld) stored(t *testing.T, key string) int {
	q := `SELECT (SELECT count(*) FROM shipment_events WHERE location = $1) + (SELECT count(*) FROM posts WHERE body = $1)`
	var n int
	if err := w.db.QueryRow(q, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// keyState is what the database holds of key: "none", "committed" (the
// work, not its answer) or "done".
func (w *crashWorld) keyState(t *testing.T, key string) string {
	var st string
	err := w.db.QueryRow(`SELECT state FROM idempotency_keys WHERE key = $1`, key).Scan(&st)
	if err == sql.ErrNoRows {
		return "none"
	} else if err != nil {
		t.Fatal(err)
	}
	return st
}

// A server killed (SIGKILL) right after a request's work committed and
// before its answer was saved: after the restart every retry is
// answered 2xx within a second, from the record the work created, and
// nothing is stored twice. The crash point is deterministic: the binary
// is built with the tierlink_crashpoints tag and dies on keys starting
// with "crash-".
func TestKillBetweenCommitAndAnswer(t *testing.T) {
	bin := buildCrashBinary(t)
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newCrashWorld(t, bin, d)
			env := append(append([]string(nil), w.env...), "TIERLINK_TEST_CRASH_AFTER_COMMIT=crash-")
			const cycles = 4
			var slowest time.Duration
			for i := 0; i < cycles; i++ {
				p := startServe(t, bin, env)
				kw := w.write(fmt.Sprintf("crash-%d", i), i)
				if st, _, out := w.send(p.base, kw, 10*time.Second); st != 0 {
					t.Fatalf("cycle %d: the server answered %d %s instead of dying after the commit", i, st, out)
				}
				p.cmd.Wait()
				if n := w.stored(t, kw.key); n != 1 {
					t.Fatalf("cycle %d: %d rows stored before the answer, want 1 (the crash point is after the commit)", i, n)
				}
				p = startServe(t, bin, env)
				for r := 0; r < 3; r++ {
					start := time.Now()
					st, replayed, out := w.send(p.base, kw, time.Second)
					took := time.Since(start)
					slowest = max(slowest, took)
					if st != 201 || !replayed || !strings.Contains(out, kw.key) {
						t.Fatalf("cycle %d, retry %d: %d replayed=%v in %v: %s", i, r, st, replayed, took, out)
					}
				}
				if n := w.stored(t, kw.key); n != 1 {
					t.Fatalf("cycle %d: %d rows after the retries, want 1", i, n)
				}
				p.cmd.Process.Signal(syscall.SIGKILL)
				p.cmd.Wait()
			}
			t.Logf("%s: %d kills between commit and answer; every retry 201 from the record, slowest %v", d, cycles, slowest)
		})
	}
}

// Cycles of SIGKILL under 16 clients posting shipment updates and group
// messages with keys: every request in flight at the kill is retried
// after the restart and answered 2xx within a second — the saved answer,
// or one rebuilt from the record, or the work done now if it never
// committed — and no write is stored twice.
func TestKillUnderKeyedWrites(t *testing.T) {
	bin := buildBinary(t)
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			w := newCrashWorld(t, bin, d)
			const cycles, clients = 4, 16
			rng := rand.New(rand.NewSource(1))
			var inFlightTotal, answered, replayed, applied int
			// What each in-flight request had left at the kill: no key
			// (not committed), a key committed without its answer (the
			// gap this test is about), a key with its answer saved.
			left := map[string]int{}
			var lat []time.Duration
			for cycle := 0; cycle < cycles; cycle++ {
				p := startServe(t, bin, w.env)
				var mu sync.Mutex
				var inFlight []keyedWrite
				var wg sync.WaitGroup
				stop := make(chan struct{})
				for c := 0; c < clients; c++ {
					wg.Add(1)
					go func(c int) {
						defer wg.Done()
						for i := 0; ; i++ {
							select {
							case <-stop:
								return
							default:
							}
							kw := w.write(fmt.Sprintf("k%d-%d-%d", cycle, c, i), c+i)
							if st, _, _ := w.send(p.base, kw, 10*time.Second); st == 0 {
								mu.Lock()
								inFlight = append(inFlight, kw)
								mu.Unlock()
								return
							} else if st != 201 {
								t.Errorf("%s: %d", kw.key, st)
								return
							}
						}
					}(c)
				}
				time.Sleep(time.Duration(400+rng.Intn(600)) * time.Millisecond)
				p.cmd.Process.Signal(syscall.SIGKILL)
				p.cmd.Wait()
				close(stop)
				wg.Wait()
				inFlightTotal += len(inFlight)

				p = startServe(t, bin, w.env)
				for _, kw := range inFlight {
					before := w.stored(t, kw.key)
					left[w.keyState(t, kw.key)]++
					start := time.Now()
					st, rep, out := w.send(p.base, kw, time.Second)
					lat = append(lat, time.Since(start))
					if st != 201 {
						t.Fatalf("retry of %s after the kill: %d %s", kw.key, st, out)
					}
					answered++
					if rep {
						replayed++
					} else {
						applied++
					}
					if before == 1 && !rep {
						t.Fatalf("retry of %s, stored before the kill, was applied again", kw.key)
					}
					if n := w.stored(t, kw.key); n != 1 {
						t.Fatalf("%s stored %d times", kw.key, n)
					}
				}
				p.cmd.Process.Signal(syscall.SIGKILL)
				p.cmd.Wait()
			}
			var dup int
			w.db.QueryRow(`SELECT count(*) - count(DISTINCT location) FROM shipment_events WHERE location LIKE 'k%'`).Scan(&dup)
			if dup != 0 {
				t.Fatalf("%d shipment updates stored twice", dup)
			}
			w.db.QueryRow(`SELECT count(*) - count(DISTINCT body) FROM posts WHERE body LIKE 'k%'`).Scan(&dup)
			if dup != 0 {
				t.Fatalf("%d messages stored twice", dup)
			}
			if inFlightTotal == 0 {
				t.Fatal("no request was in flight at any kill")
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			t.Logf("%s: in flight at the kills: %d not committed, %d committed without an answer, %d answered", d, left["none"], left["committed"], left["done"])
			t.Logf("%s: %d kills, %d requests in flight; retries: %d answered 201 (%d replayed or rebuilt from the record, %d applied now as they had not committed); latency median %v, max %v",
				d, cycles, inFlightTotal, answered, replayed, applied, lat[len(lat)/2], lat[len(lat)-1])
		})
	}
}
