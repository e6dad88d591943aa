package portal

import (
	"bytes"
	"testing"

	"entgo.io/ent/dialect"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsExposition proves /metrics is valid Prometheus text carrying
// the request series under their documented names and labels, beside the
// Go runtime and process collectors.
func TestMetricsExposition(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	if resp, _ := e.call(wBuyer, "GET", "/api/v1/partners", ""); resp.StatusCode != 200 {
		t.Fatalf("partners: %d", resp.StatusCode)
	}
	resp, body := e.call(anon, "GET", "/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not Prometheus text: %v\n%s", err, body)
	}

	t.Run("RequestCounterByRoute", func(t *testing.T) {
		mf := families["tierlink_http_requests_total"]
		if mf.GetType() != dto.MetricType_COUNTER {
			t.Fatalf("type %v", mf.GetType())
		}
		m := find(mf, map[string]string{"method": "GET", "route": "/api/v1/partners", "status": "200"})
		if m == nil || m.GetCounter().GetValue() != 1 {
			t.Fatalf("no single GET /api/v1/partners 200 in %v", mf)
		}
	})
	t.Run("LatencyHistogramByRoute", func(t *testing.T) {
		mf := families["tierlink_http_request_duration_seconds"]
		if mf.GetType() != dto.MetricType_HISTOGRAM {
			t.Fatalf("type %v", mf.GetType())
		}
		m := find(mf, map[string]string{"route": "/api/v1/partners"})
		if m == nil || m.GetHistogram().GetSampleCount() != 1 {
			t.Fatalf("no one observation for /api/v1/partners in %v", mf)
		}
	})
	t.Run("FeedStreamsGauge", func(t *testing.T) {
		mf := families["tierlink_feed_streams"]
		if mf.GetType() != dto.MetricType_GAUGE || len(mf.GetMetric()) != 1 || mf.GetMetric()[0].GetGauge().GetValue() != 0 {
			t.Fatalf("want one gauge at 0, got %v", mf)
		}
	})
	t.Run("GoCollector", func(t *testing.T) {
		mf := families["go_goroutines"]
		if len(mf.GetMetric()) != 1 || mf.GetMetric()[0].GetGauge().GetValue() < 1 {
			t.Fatalf("go_goroutines: %v", mf)
		}
	})
	t.Run("ProcessCollector", func(t *testing.T) {
		for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds"} {
			if len(families[name].GetMetric()) != 1 {
				t.Errorf("%s missing", name)
			}
		}
	})
}

// find returns the metric of mf whose labels include all of want.
func find(mf *dto.MetricFamily, want map[string]string) *dto.Metric {
	for _, m := range mf.GetMetric() {
		n := 0
		for _, lp := range m.GetLabel() {
			if v, ok := want[lp.GetName()]; ok && v == lp.GetValue() {
				n++
			}
		}
		if n == len(want) {
			return m
		}
	}
	return nil
}
