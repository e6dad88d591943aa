package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func api(t *testing.T, base, tok, method, path, body string, out any) int {
	t.Helper()
	st, err := apiDo(base, tok, method, path, body, out)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return st
}

// apiDo calls the API with a token and decodes the answer into out.
func apiDo(base, tok, method, path, body string, out any) (int, error) {
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// Killing the server (SIGKILL) in the middle of a load of shipment
// updates loses no update that was answered 2xx, leaves no update
// half-written (its event, its domain event and its idempotency key
// exist together or not at all), and keeps the database intact; after a
// restart, retries apply nothing twice.
func TestKillDuringShipmentUpdates(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	env := []string{"TIERLINK_DATA_DIR=" + dir, "TIERLINK_LOG_LEVEL=warn"}
	tok := prepare(t, env)
	p := startServe(t, bin, env)

	var o struct{ ID int }
	lines := make([]string, 16)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"item_code":"I%d","quantity":100,"unit_price":1,"required_date":"2026-12-31"}`, i)
	}
	if st := api(t, p.base, tok, "POST", "/api/v1/orders", `{"partner_id":1,"direction":"upstream","number":"PO-K","currency":"CNY","lines":[`+strings.Join(lines, ",")+`]}`, &o); st != 201 {
		t.Fatalf("order: %d", st)
	}
	api(t, p.base, tok, "POST", fmt.Sprintf("/api/v1/orders/%d/publish", o.ID), "", nil)
	ships := make([]int, 16)
	for i := range ships {
		var sh struct{ ID int }
		if st := api(t, p.base, tok, "POST", "/api/v1/shipments", fmt.Sprintf(`{"partner_id":1,"lines":[{"order_id":%d,"line_no":%d,"quantity":1}]}`, o.ID, i+1), &sh); st != 201 {
			t.Fatalf("shipment: %d", st)
		}
		ships[i] = sh.ID
		for _, k := range []string{"shipped", "in_transit"} {
			api(t, p.base, tok, "POST", fmt.Sprintf("/api/v1/shipments/%d/events", sh.ID), `{"kind":"`+k+`"}`, nil)
		}
	}

	post := func(base string, ship int, tag string) (int, bool) {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/shipments/%d/events", base, ship), bytes.NewReader([]byte(`{"kind":"in_transit","location":"`+tag+`"}`)))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", tag)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true"
	}
	var mu sync.Mutex
	acked := map[string]int{}
	sent := map[string]int{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tag := fmt.Sprintf("k-%d-%d", w, i)
				ship := ships[(w+i)%len(ships)]
				mu.Lock()
				sent[tag] = ship
				mu.Unlock()
				if st, _ := post(p.base, ship, tag); st == 201 {
					mu.Lock()
					acked[tag] = ship
					mu.Unlock()
				} else if st == 0 {
					return // the server is gone
				}
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d updates acknowledged before the kill", len(acked))
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "tierlink.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	stored := map[string]bool{}
	rows, _ := db.Query(`SELECT location FROM shipment_events WHERE location LIKE 'k-%'`)
	for rows.Next() {
		var loc string
		rows.Scan(&loc)
		if stored[loc] {
			t.Fatalf("update %s stored twice", loc)
		}
		stored[loc] = true
	}
	rows.Close()
	keys := map[string]bool{}
	rows, _ = db.Query(`SELECT key FROM idempotency_keys WHERE key LIKE 'k-%'`)
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys[k] = true
	}
	rows.Close()
	var domainEvents, events int
	db.QueryRow(`SELECT count(*) FROM domain_events WHERE kind = 'shipment.in_transit'`).Scan(&domainEvents)
	db.QueryRow(`SELECT count(*) FROM shipment_events WHERE kind = 'in_transit'`).Scan(&events)
	for tag := range acked {
		if !stored[tag] {
			t.Errorf("acknowledged update %s is missing", tag)
		}
	}
	for tag := range stored {
		if !keys[tag] {
			t.Errorf("update %s stored without its idempotency key", tag)
		}
	}
	for k := range keys {
		if !stored[k] {
			t.Errorf("idempotency key %s recorded without its update", k)
		}
	}
	if domainEvents != events {
		t.Errorf("%d shipment events but %d domain events", events, domainEvents)
	}
	t.Logf("%d sent, %d acknowledged, %d stored before the kill", len(sent), len(acked), len(stored))

	// After a restart, retrying every update sent applies none twice.
	p2 := startServe(t, bin, env)
	replayed, conflicts := 0, 0
	n := 0
	for tag, ship := range sent {
		if n == 300 {
			break
		}
		n++
		st, replay := post(p2.base, ship, tag)
		switch {
		case st == 201 && replay:
			replayed++
		case st == 201:
			if stored[tag] {
				t.Errorf("retry of stored update %s applied it again", tag)
			}
		case st == 409:
			conflicts++
		default:
			t.Errorf("retry of %s: %d", tag, st)
		}
	}
	var after int
	db.QueryRow(`SELECT count(*) FROM shipment_events WHERE location LIKE 'k-%'`).Scan(&after)
	var distinct int
	db.QueryRow(`SELECT count(DISTINCT location) FROM shipment_events WHERE location LIKE 'k-%'`).Scan(&distinct)
	if after != distinct {
		t.Fatalf("retries duplicated updates: %d rows, %d distinct", after, distinct)
	}
	t.Logf("retries: %d replayed, %d answered 409 (applied, answer lost)", replayed, conflicts)
}
