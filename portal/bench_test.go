package portal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// load drives GETs of the paths (round robin) at a server with conc
// keep-alive clients for d, and returns completed requests per second.
// Any non-200 answer fails the benchmark.
func load(b *testing.B, base string, paths []string, header http.Header, conc int, d time.Duration) float64 {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; time.Now().Before(stop); i++ {
				req, _ := http.NewRequest("GET", base+paths[i%len(paths)], nil)
				req.Header = header
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		}(w)
	}
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("%d requests failed", failed.Load())
	}
	return float64(done.Load()) / d.Seconds()
}

// bareFiber serves the reference: a Fiber JSON handler doing no work.
func bareFiber(b *testing.B) string {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/ping", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go app.Listener(ln)
	b.Cleanup(func() { app.Shutdown() })
	return "http://" + ln.Addr().String()
}

var syllables = []rune("华星精密东岳电子金龙铝业永通紧固瑞祥塑胶恒通轴承新光线缆正峰模具博远包装联钢材长兴表面处理方磁盛荣橡安和五天成玻璃")

func seedDirectory(b *testing.B, f *partnerstest.Fixture, partners, contacts int) (importPartners, importContacts time.Duration) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var pb bytes.Buffer
	pb.WriteString("code,name,kind,tier,tags,categories\n")
	for i := 0; i < partners; i++ {
		name := ""
		if i%3 == 0 {
			name = fmt.Sprintf("Supplier %05d Ltd", i)
		} else {
			for j := 0; j < 2+r.IntN(3); j++ {
				name += string(syllables[r.IntN(len(syllables))])
			}
			name += fmt.Sprintf("%d", i)
		}
		kind, tier := "supplier", fmt.Sprint(1+r.IntN(3))
		if i%5 == 0 {
			kind, tier = "customer", ""
		}
		fmt.Fprintf(&pb, "P%05d,%s,%s,%s,t%d,c%d\n", i, name, kind, tier, r.IntN(20), r.IntN(50))
	}
	owners := []string{"buyer@co.test", "buyer2@co.test", "admin@co.test", "viewer@co.test"}
	var cb bytes.Buffer
	cb.WriteString("partner_code,name,title,email,owner_email\n")
	for i := 0; i < contacts; i++ {
		fmt.Fprintf(&cb, "P%05d,联系人%d,Sales,c%d@p.test,%s\n", i%partners, i, i, owners[i%len(owners)])
	}
	ctx := f.System()
	start := time.Now()
	if _, err := f.Dir.ImportPartners(ctx, &pb, nil); err != nil {
		b.Fatal(err)
	}
	importPartners = time.Since(start)
	start = time.Now()
	if _, err := f.Dir.ImportContacts(ctx, &cb, nil); err != nil {
		b.Fatal(err)
	}
	return importPartners, time.Since(start)
}

// BenchmarkDirectorySearch measures directory search over 10,000 partners
// and 100,000 contacts through the whole portal (auth, privacy, JSON),
// against a bare Fiber JSON handler measured in the same run. Goal: the
// search serves at least 25% of the bare handler's requests per second.
// Run once per dialect: go test -bench DirectorySearch -benchtime 1x.
func BenchmarkDirectorySearch(b *testing.B) {
	for _, d := range dbtest.Dialects(b) {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, d)
			ip, ic := seedDirectory(b, e.f, 10_000, 100_000)
			base := e.live()
			tok, err := e.f.Acc.CreateToken(e.f.Ctx(e.f.Buyer), accounts.TokenInput{Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			h := http.Header{"Authorization": {"Bearer " + tok.Secret}}
			paths := []string{
				"/api/v1/partners?limit=50",
				"/api/v1/partners?q=hua&limit=50",
				"/api/v1/partners?q=supplier%200012&limit=20",
				"/api/v1/partners?kind=supplier&tier=2&limit=50",
				fmt.Sprintf("/api/v1/partners?owner_id=%d&limit=50", e.f.Buyer2.ID),
				"/api/v1/partners?tag=t7&limit=50",
				"/api/v1/contacts?q=联系人123&limit=50",
			}
			if one := os.Getenv("TIERLINK_BENCH_ONLY"); one != "" {
				paths = []string{one}
			}
			if one := os.Getenv("TIERLINK_BENCH_EACH"); one != "" {
				for _, p := range paths {
					b.Logf("%8.0f req/s  %s", load(b, base, []string{p}, h, 32, 2*time.Second), p)
				}
			}
			const conc, dur = 32, 4 * time.Second
			bare := bareFiber(b)
			load(b, bare, []string{"/ping"}, nil, conc, time.Second) // warm up
			load(b, base, paths, h, conc, time.Second)
			b.ResetTimer()
			ref := load(b, bare, []string{"/ping"}, nil, conc, dur)
			got := load(b, base, paths, h, conc, dur)
			b.StopTimer()
			b.ReportMetric(got, "req/s")
			b.ReportMetric(ref, "ref_req/s")
			b.ReportMetric(100*got/ref, "%_of_ref")
			b.ReportMetric(ip.Seconds(), "import_10k_partners_s")
			b.ReportMetric(ic.Seconds(), "import_100k_contacts_s")
			_ = context.Background()
		})
	}
}
