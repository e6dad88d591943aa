package portal

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// metrics is a small Prometheus text-format registry: request counts and
// latency histograms by route, plus Go runtime gauges. It avoids the
// client library's dependency tree for the handful of series we export.
type metrics struct {
	mu       sync.Mutex
	started  time.Time
	requests map[reqKey]uint64
	hist     map[string]*histogram
	// streams counts open live-feed streams.
	streams atomic.Int64
}

type reqKey struct {
	method, route string
	status        int
}

var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{started: time.Now(), requests: map[reqKey]uint64{}, hist: map[string]*histogram{}}
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{method, route, status}]++
	h := m.hist[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.hist[route] = h
	}
	sec := d.Seconds()
	for i, b := range buckets {
		if sec <= b {
			h.counts[i]++
		}
	}
	h.sum += sec
	h.n++
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.status < b.status
	})
	fmt.Fprintln(w, "# HELP tierlink_feed_streams Open live-feed (SSE) streams.")
	fmt.Fprintln(w, "# TYPE tierlink_feed_streams gauge")
	fmt.Fprintf(w, "tierlink_feed_streams %d\n", m.streams.Load())
	fmt.Fprintln(w, "# HELP tierlink_http_requests_total HTTP requests by method, route and status.")
	fmt.Fprintln(w, "# TYPE tierlink_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "tierlink_http_requests_total{method=%q,route=%q,status=\"%d\"} %d\n", k.method, k.route, k.status, m.requests[k])
	}
	routes := make([]string, 0, len(m.hist))
	for r := range m.hist {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	fmt.Fprintln(w, "# HELP tierlink_http_request_duration_seconds HTTP request latency by route.")
	fmt.Fprintln(w, "# TYPE tierlink_http_request_duration_seconds histogram")
	for _, r := range routes {
		h := m.hist[r]
		for i, b := range buckets {
			fmt.Fprintf(w, "tierlink_http_request_duration_seconds_bucket{route=%q,le=%q} %d\n", r, strconv.FormatFloat(b, 'g', -1, 64), h.counts[i])
		}
		fmt.Fprintf(w, "tierlink_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r, h.n)
		fmt.Fprintf(w, "tierlink_http_request_duration_seconds_sum{route=%q} %g\n", r, h.sum)
		fmt.Fprintf(w, "tierlink_http_request_duration_seconds_count{route=%q} %d\n", r, h.n)
	}
	m.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintln(w, "# TYPE go_goroutines gauge")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintln(w, "# TYPE go_memstats_heap_alloc_bytes gauge")
	fmt.Fprintf(w, "go_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintln(w, "# TYPE go_memstats_sys_bytes gauge")
	fmt.Fprintf(w, "go_memstats_sys_bytes %d\n", ms.Sys)
	fmt.Fprintln(w, "# TYPE process_uptime_seconds gauge")
	fmt.Fprintf(w, "process_uptime_seconds %g\n", time.Since(m.started).Seconds())
}
