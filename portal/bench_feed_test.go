package portal

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners/groups"
)

const (
	fanoutSubs  = 1000
	fanoutPosts = 20
)

// subscribe opens n event streams at url (with cookie) and returns, per
// post number found in the data as "#N#", when each stream received it.
func subscribe(b *testing.B, ctx context.Context, url string, cookie *http.Cookie, n int) ([][]time.Time, *sync.Mutex) {
	b.Helper()
	got := make([][]time.Time, fanoutPosts)
	for i := range got {
		got[i] = make([]time.Time, 0, n)
	}
	var mu sync.Mutex
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: -1}
	client := &http.Client{Transport: tr}
	var ready sync.WaitGroup
	for range n {
		ready.Add(1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
			if cookie != nil {
				req.AddCookie(cookie)
			}
			resp, err := client.Do(req)
			if err != nil || resp.StatusCode != 200 {
				b.Errorf("subscribe: %v %v", err, resp)
				ready.Done()
				return
			}
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			first := true
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if first && line == "\n" {
					first = false
					ready.Done()
					continue
				}
				if !strings.HasPrefix(line, "data: ") {
					continue
				}
				at := time.Now()
				var k int
				if i := strings.Index(line, "#"); i >= 0 {
					fmt.Sscanf(line[i+1:], "%d#", &k)
					mu.Lock()
					got[k] = append(got[k], at)
					mu.Unlock()
				}
			}
		}()
	}
	ready.Wait()
	return got, &mu
}

// fanout posts fanoutPosts messages with publish and returns every
// subscriber's delay from the start of the post to its arrival.
func fanout(b *testing.B, publish func(k int), got [][]time.Time, mu *sync.Mutex, n int) []time.Duration {
	b.Helper()
	var lat []time.Duration
	for k := range fanoutPosts {
		t0 := time.Now()
		publish(k)
		deadline := t0.Add(30 * time.Second)
		for {
			mu.Lock()
			c := len(got[k])
			mu.Unlock()
			if c == n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("post %d reached %d of %d subscribers", k, c, n)
			}
			time.Sleep(time.Millisecond)
		}
		mu.Lock()
		for _, at := range got[k] {
			lat = append(lat, at.Sub(t0))
		}
		mu.Unlock()
	}
	slices.Sort(lat)
	return lat
}

func pct(lat []time.Duration, p float64) float64 {
	return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000
}

// BenchmarkFeedFanout: a post made through the API reaches 1,000
// connected SSE subscribers of its group; the figure is the p99 delay
// from the start of the POST to each subscriber's receipt (goal ≤ 200
// ms). The reference is a bare Fiber SSE handler broadcasting a fixed
// payload from a POST to the same number of streams, in the same run.
func BenchmarkFeedFanout(b *testing.B) {
	for _, d := range dbtest.Dialects(b) {
		b.Run(d, func(b *testing.B) { benchFanout(b, d) })
	}
}

func benchFanout(b *testing.B, d string) {
	for range b.N {
		e := newEnv(b, d)
		g, err := e.f.Groups.Create(e.f.Ctx(e.f.Buyer), groups.GroupInput{Name: "fan-out", Kind: "internal"})
		if err != nil {
			b.Fatal(err)
		}
		base := e.live()
		ctx, cancel := context.WithCancel(context.Background())
		cookie := &http.Cookie{Name: e.srv.cookieName, Value: e.sessions[wBuyer].cookie}
		got, mu := subscribe(b, ctx, fmt.Sprintf("%s/api/v1/groups/%d/stream", base, g.ID), cookie, fanoutSubs)
		lat := fanout(b, func(k int) {
			resp, body := e.call(wBuyer, "POST", fmt.Sprintf("/api/v1/groups/%d/posts", g.ID), fmt.Sprintf(`{"body":"bench #%d#"}`, k))
			if resp.StatusCode != 201 {
				b.Fatalf("post: %d %s", resp.StatusCode, body)
			}
		}, got, mu, fanoutSubs)
		cancel()

		refURL, refPost, stop := bareSSE(b)
		rctx, rcancel := context.WithCancel(context.Background())
		rgot, rmu := subscribe(b, rctx, refURL, nil, fanoutSubs)
		ref := fanout(b, refPost, rgot, rmu, fanoutSubs)
		rcancel()
		stop()

		b.ReportMetric(pct(lat, 0.99), "p99_ms")
		b.ReportMetric(pct(ref, 0.99), "ref_p99_ms")
		b.ReportMetric(100*pct(lat, 0.99)/pct(ref, 0.99), "%_of_ref")
		b.ReportMetric(pct(lat, 0.50), "p50_ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
		b.ReportMetric(fanoutSubs, "subscribers")
	}
}

// bareSSE serves the reference: a Fiber app whose GET streams whatever
// its POST broadcasts, with nothing else in the way.
func bareSSE(b *testing.B) (string, func(k int), func()) {
	var mu sync.Mutex
	subs := map[chan string]bool{}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/stream", func(c *fiber.Ctx) error {
		ch := make(chan string, 64)
		mu.Lock()
		subs[ch] = true
		mu.Unlock()
		c.Set("Content-Type", "text/event-stream")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			defer func() { mu.Lock(); delete(subs, ch); mu.Unlock() }()
			fmt.Fprint(w, "retry: 2000\n\n")
			if w.Flush() != nil {
				return
			}
			for m := range ch {
				fmt.Fprintf(w, "data: %s\n\n", m)
				if w.Flush() != nil {
					return
				}
			}
		})
		return nil
	})
	app.Post("/post", func(c *fiber.Ctx) error {
		msg := string(c.Body())
		mu.Lock()
		for ch := range subs {
			select {
			case ch <- msg:
			default:
			}
		}
		mu.Unlock()
		return c.SendStatus(201)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go app.Listener(ln)
	base := "http://" + ln.Addr().String()
	post := func(k int) {
		resp, err := http.Post(base+"/post", "text/plain", strings.NewReader(fmt.Sprintf(`{"body":"bench #%d#"}`, k)))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	return base + "/stream", post, func() {
		mu.Lock()
		for ch := range subs {
			close(ch)
			delete(subs, ch)
		}
		mu.Unlock()
		app.ShutdownWithTimeout(time.Second)
	}
}
