//go:build cluster

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/jobrun"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/storage/miniotest"
)

// TestCluster runs the scale-out shape for real: three tierlink serve
// instances on loopback over one PostgreSQL and a four-node MinIO in
// distributed, erasure-coded mode (make test-cluster).
func TestCluster(t *testing.T) {
	url := dbtest.PostgresURL(t)
	nodes := miniotest.StartDistributed(t, 4)
	bin := buildBinary(t)

	var (
		mu      sync.Mutex
		arrived = map[int]int{} // post id → deliveries seen
	)
	postRE := regexp.MustCompile(`#post-(\d+)$`)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Data struct{ Link string } `json:"data"`
		}
		json.NewDecoder(r.Body).Decode(&m)
		if sm := postRE.FindStringSubmatch(m.Data.Link); sm != nil {
			id, _ := strconv.Atoi(sm[1])
			mu.Lock()
			arrived[id]++
			mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	envFor := func(node int) []string {
		n := nodes[node%len(nodes)]
		return []string{"TIERLINK_DATABASE_URL=" + url, "TIERLINK_DATA_DIR=" + t.TempDir(), "TIERLINK_TIME_ZONE=UTC", "TIERLINK_LOG_LEVEL=warn",
			"TIERLINK_S3_ENDPOINT=" + n.Endpoint, "TIERLINK_S3_ACCESS_KEY=" + n.AccessKey, "TIERLINK_S3_SECRET_KEY=" + n.SecretKey,
			"TIERLINK_S3_SECURE=false", "TIERLINK_S3_BUCKET=cluster", "TIERLINK_BRIDGE_ALLOW_NETS=127.0.0.0/8",
			"TIERLINK_JOB_SCHEDULES=group-digests=* * * * * *"}
	}
	tok := prepare(t, envFor(0))
	a := startServe(t, bin, envFor(0))
	b := startServe(t, bin, envFor(1))
	c := startServe(t, bin, envFor(2))

	var g struct{ ID int }
	if st := api(t, a.base, tok, "POST", "/api/v1/groups", `{"name":"Cluster","kind":"partner","partner_id":1}`, &g); st != 201 {
		t.Fatalf("group: %d", st)
	}
	var br struct{ ID int }
	if st := api(t, a.base, tok, "POST", fmt.Sprintf("/api/v1/groups/%d/bridges", g.ID),
		fmt.Sprintf(`{"kind":"webhook","name":"erp","url":%q,"rate_per_minute":6000}`, rcv.URL+"/hook"), &br); st != 201 {
		t.Fatalf("bridge: %d", st)
	}
	t.Run("PostOnAReachesStreamOnC", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/groups/%d/stream", c.base, g.ID), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stream on C: %v %v", resp, err)
		}
		defer resp.Body.Close()
		var p struct{ ID int }
		if st := api(t, a.base, tok, "POST", fmt.Sprintf("/api/v1/groups/%d/posts", g.ID), `{"body":"from A to C"}`, &p); st != 201 {
			t.Fatalf("post on A: %d", st)
		}
		got := make(chan string, 1)
		go func() {
			r := bufio.NewReader(resp.Body)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(line, "data: ") && strings.Contains(line, "from A to C") {
					got <- line
					return
				}
			}
		}()
		select {
		case <-got:
		case <-time.After(3 * time.Second):
			t.Fatal("the post made on A never reached the stream on C")
		}
	})

	// Only now does the group get a digest every second: a digest posted
	// on C would wake C's streams by itself and hide a missing relay.
	if st := api(t, a.base, tok, "PATCH", fmt.Sprintf("/api/v1/groups/%d", g.ID), `{"digest_schedule":"* * * * * *"}`, nil); st != 200 {
		t.Fatalf("digest schedule: %d", st)
	}
	digestsFrom := time.Now()

	t.Run("UploadOnBDownloadsOnA", func(t *testing.T) {
		body := zipBytes(3 << 20)
		resp, err := upload(b.base, tok, bytes.NewReader(body), int64(len(body)))
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("upload on B: %v %v", resp, err)
		}
		var doc struct{ ID int }
		json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/documents/%d/download", a.base, doc.ID), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noFollow.Do(req)
		if err != nil || res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusTemporaryRedirect {
			t.Fatalf("download on A: %v %v", res, err)
		}
		res.Body.Close()
		// The presigned link to MinIO, fetched as a browser would: no token.
		dl, err := http.Get(res.Header.Get("Location"))
		if err != nil || dl.StatusCode != 200 {
			t.Fatalf("presigned link: %v %v", dl, err)
		}
		h := sha256.New()
		io.Copy(h, dl.Body)
		dl.Body.Close()
		if want := sha256.Sum256(body); !bytes.Equal(h.Sum(nil), want[:]) {
			t.Fatal("the download differs from the upload")
		}
	})

	db, err := database.Open(context.Background(), database.Target{Dialect: dialect.Postgres, URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := viewer.NewContext(context.Background(), viewer.System("test"))

	t.Run("KillOneMidLoadLosesNothing", func(t *testing.T) {
		instances := []*proc{a, b, c}
		var (
			amu   sync.Mutex
			acked []int
			wg    sync.WaitGroup
		)
		stop := make(chan struct{})
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					p := instances[(w+i)%3]
					var out struct{ ID int }
					st, _ := apiDo(p.base, tok, "POST", fmt.Sprintf("/api/v1/groups/%d/posts", g.ID), fmt.Sprintf(`{"body":"load %d-%d"}`, w, i), &out)
					if st == 201 {
						amu.Lock()
						acked = append(acked, out.ID)
						amu.Unlock()
					}
				}
			}()
		}
		time.Sleep(3 * time.Second)
		b.cmd.Process.Signal(syscall.SIGKILL)
		b.cmd.Wait()
		time.Sleep(3 * time.Second)
		close(stop)
		wg.Wait()
		if len(acked) < 100 {
			t.Fatalf("only %d posts acknowledged", len(acked))
		}
		// Every acknowledged post is stored, and reaches the bridge
		// (instance B's outbox lease lapses and A or C takes over).
		deadline := time.Now().Add(90 * time.Second)
		for {
			mu.Lock()
			missing := 0
			for _, id := range acked {
				if arrived[id] == 0 {
					missing++
				}
			}
			mu.Unlock()
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d acknowledged posts never reached the bridge", missing, len(acked))
			}
			time.Sleep(200 * time.Millisecond)
		}
		n, err := db.Client.Post.Query().Where(post.IDIn(acked...)).Count(sys)
		if err != nil || n != len(acked) {
			t.Fatalf("%d of %d acknowledged posts stored (%v)", n, len(acked), err)
		}
		t.Logf("%d posts acknowledged across the three, B killed mid-load, all stored and delivered", len(acked))
	})

	t.Run("DigestOncePerTick", func(t *testing.T) {
		var rs []*ent.JobRun
		for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(500 * time.Millisecond) {
			var err error
			rs, err = db.Client.JobRun.Query().Where(jobrun.Job("group-digests"), jobrun.TickGT(digestsFrom)).Order(ent.Asc(jobrun.FieldTick)).All(sys)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) >= 15 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d digest runs in 40 s", len(rs))
			}
		}
		who := map[string]int{}
		for i, r := range rs {
			who[r.Instance]++
			if i > 0 && !r.Tick.Equal(rs[i-1].Tick.Add(time.Second)) {
				t.Errorf("ticks %v and %v: gap or repeat", rs[i-1].Tick, r.Tick)
			}
		}
		t.Logf("%d ticks, one run each, by instance: %v", len(rs), who)
	})
}
