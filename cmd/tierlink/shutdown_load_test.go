package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/viewer"
)

// SIGTERM while 64 clients are busy posting: no request the server took
// fails — each is answered 201 or was never taken (the connection was
// refused) — and the process drains HTTP, then stops jobs and the
// outbox, then closes the database, within its shutdown timeout. Every
// answered post is stored.
func TestShutdownUnderLoad(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	env := []string{"TIERLINK_DATA_DIR=" + dir, "TIERLINK_LOG_LEVEL=info", "TIERLINK_SHUTDOWN_TIMEOUT=10s"}
	tok := prepare(t, env)
	p := startServe(t, bin, env)
	var g struct{ ID int }
	if st := api(t, p.base, tok, "POST", "/api/v1/groups", `{"name":"Shutdown","kind":"internal"}`, &g); st != 201 {
		t.Fatalf("group: %d", st)
	}
	tr := &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		ok, refused atomic.Int64
		mu          sync.Mutex
		failures    []string
		wg          sync.WaitGroup
		seq         atomic.Int64
		stored      = map[int]bool{} // ids of the posts answered 201
	)
	stop := make(chan struct{})
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := seq.Add(1)
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/groups/%d/posts", p.base, g.ID), strings.NewReader(fmt.Sprintf(`{"body":"load %d"}`, n)))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				// The key also lets Go's transport resend a request whose
				// kept-alive connection the server closed before taking it.
				req.Header.Set("Idempotency-Key", fmt.Sprintf("shutdown-%d", n))
				resp, err := client.Do(req)
				var op *net.OpError
				switch {
				case err == nil && resp.StatusCode == 201:
					var out struct{ ID int }
					json.NewDecoder(resp.Body).Decode(&out)
					resp.Body.Close()
					ok.Add(1)
					mu.Lock()
					stored[out.ID] = true
					mu.Unlock()
				case err != nil && errors.As(err, &op) && op.Op == "dial":
					refused.Add(1) // the server had stopped listening: never in flight
					time.Sleep(20 * time.Millisecond)
				default:
					mu.Lock()
					if err != nil {
						failures = append(failures, err.Error())
					} else {
						failures = append(failures, fmt.Sprintf("status %d", resp.StatusCode))
						resp.Body.Close()
					}
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	busy := ok.Load()
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	err := p.cmd.Wait()
	took := time.Since(start)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("exit: %v\n%s", err, p.logs)
	}
	if busy < 50 {
		t.Fatalf("only %d posts before SIGTERM: no load", busy)
	}
	if len(failures) > 0 {
		t.Fatalf("%d in-flight requests failed, e.g. %q", len(failures), failures[0])
	}
	if took > 12*time.Second {
		t.Fatalf("shutdown took %v with a 10s timeout", took)
	}
	logs := p.logs.String()
	order := []string{"shutting down", "shutdown: requests drained", "shutdown: jobs stopped", "shutdown: outbox dispatcher stopped", "shutdown: database closed"}
	at := -1
	for _, m := range order {
		i := strings.Index(logs, m)
		if i < at {
			t.Fatalf("%q logged out of order:\n%s", m, logs)
		}
		at = i
	}
	// Every answered post is stored, and nothing else.
	db, err := database.Open(context.Background(), database.Target{Dialect: dialect.SQLite, Path: filepath.Join(dir, "tierlink.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.Client.Post.Query().Where(post.GroupID(g.ID)).Count(viewer.NewContext(context.Background(), viewer.System("test")))
	if err != nil || n != len(stored) {
		t.Fatalf("%d posts stored, %d distinct posts answered 201 (%v)", n, len(stored), err)
	}
	t.Logf("%d posts answered before and during shutdown (%d before SIGTERM), %d refused after, none failed; stopped in %v",
		ok.Load(), busy, refused.Load(), took.Round(time.Millisecond))
}
