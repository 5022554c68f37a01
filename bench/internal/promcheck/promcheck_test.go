package promcheck

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetricsParseWithPrometheus scrapes a handler with metrics on and
// parses the answer with expfmt, as a Prometheus server would.
func TestMetricsParseWithPrometheus(t *testing.T) {
	c := minicache.New[string, string](minicache.WithCapacity(100))
	h := httpserver.New(c, httpserver.WithMetrics(true), httpserver.WithMetricsText(func(w io.Writer) {
		io.WriteString(w, "# HELP minicache_snapshot_failures_total Saves that failed.\n# TYPE minicache_snapshot_failures_total counter\nminicache_snapshot_failures_total 0\n")
	}))
	for _, req := range []struct{ method, path, body string }{
		{"PUT", "/set", `{"key":"a","value":"1"}`},
		{"GET", "/get/a", ""},
		{"GET", "/get/b", ""},
		{"GET", "/nope", ""},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, strings.NewReader(req.body)))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, w.Code)

	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(w.Body.Bytes()))
	require.NoError(t, err, w.Body.String())
	assert.Equal(t, 1.0, families["minicache_hits_total"].GetMetric()[0].GetCounter().GetValue())
	assert.Equal(t, 1.0, families["minicache_misses_total"].GetMetric()[0].GetCounter().GetValue())
	assert.Equal(t, 100.0, families["minicache_capacity_entries"].GetMetric()[0].GetGauge().GetValue())
	hist := families["minicache_http_request_duration_seconds"]
	require.NotNil(t, hist)
	counts := map[string]uint64{}
	for _, m := range hist.GetMetric() {
		var route, code string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "route":
				route = l.GetValue()
			case "code":
				code = l.GetValue()
			}
		}
		counts[route+" "+code] = m.GetHistogram().GetSampleCount()
	}
	assert.Equal(t, map[string]uint64{"/set 200": 1, "/get 200": 1, "/get 404": 1, "other 404": 1}, counts)
	for _, name := range []string{"minicache_snapshot_failures_total", "go_goroutines", "process_resident_memory_bytes"} {
		assert.Contains(t, families, name)
	}
}
