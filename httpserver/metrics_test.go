package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrape GETs /metrics from h and returns the status and body.
func scrape(t *testing.T, h http.Handler, header ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Body)
	if w.Code == 200 {
		assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", w.Header().Get("Content-Type"))
	}
	return w.Code, string(b)
}

// sampleLine is a sample of the text format: a name, optional labels, a value.
var sampleLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (\+Inf|-Inf|NaN|[-+0-9.eE]+)$`)

func TestMetrics(t *testing.T) {
	c := minicache.New[string, string](minicache.WithCapacity(10))
	h := httpserver.New(c, httpserver.WithMetrics(false), httpserver.WithMetricsText(func(w io.Writer) {
		io.WriteString(w, "# HELP extra_metric An extra family.\n# TYPE extra_metric gauge\nextra_metric 7\n")
	}))
	serve(t, h, "PUT", "/set", `{"key":"a","value":"1"}`)
	serve(t, h, "GET", "/get/a", "")
	serve(t, h, "GET", "/get/missing", "")
	serve(t, h, "DELETE", "/del/missing", "")
	serve(t, h, "GET", "/stats", "")
	serve(t, h, "GET", "/health", "")
	serve(t, h, "GET", "/nowhere", "")
	status, body := scrape(t, h)
	require.Equal(t, 200, status, body)
	for _, want := range []string{
		"minicache_hits_total 1\n",
		"minicache_misses_total 1\n",
		"minicache_entries 1\n",
		"minicache_capacity_entries 10\n",
		"# TYPE minicache_http_request_duration_seconds histogram\n",
		`minicache_http_request_duration_seconds_count{route="/get",code="200"} 1` + "\n",
		`minicache_http_request_duration_seconds_count{route="/get",code="404"} 1` + "\n",
		`minicache_http_request_duration_seconds_bucket{route="/set",code="200",le="+Inf"} 1` + "\n",
		`minicache_http_request_duration_seconds_count{route="/del",code="404"} 1` + "\n",
		`minicache_http_request_duration_seconds_count{route="/stats",code="200"} 1` + "\n",
		`minicache_http_request_duration_seconds_count{route="/health",code="200"} 1` + "\n",
		`minicache_http_request_duration_seconds_count{route="other",code="404"} 1` + "\n",
		"extra_metric 7\n",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		assert.Contains(t, body, want)
	}
	families := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name = strings.Fields(name)[0]
			assert.False(t, families[name], "family %s written twice", name)
			families[name] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		assert.Regexp(t, sampleLine, line)
	}
	// The scrape itself is counted by the next one.
	_, body = scrape(t, h)
	assert.Contains(t, body, `minicache_http_request_duration_seconds_count{route="/metrics",code="200"} 1`)
}

func TestMetricsFollowTheAuthRule(t *testing.T) {
	h, _ := newHandler(t, httpserver.WithAuthToken("tok"), httpserver.WithMetrics(false))
	status, _ := scrape(t, h)
	assert.Equal(t, 401, status)
	status, _ = scrape(t, h, "Authorization", "Bearer tok")
	assert.Equal(t, 200, status)

	open, _ := newHandler(t, httpserver.WithAuthToken("tok"), httpserver.WithMetrics(true))
	status, _ = scrape(t, open)
	assert.Equal(t, 200, status, "WithMetrics(true) leaves /metrics open like /health")
	assert.Equal(t, 401, serve(t, open, "GET", "/stats", "").status)
}

func TestNoMetricsRouteByDefault(t *testing.T) {
	h, _ := newHandler(t)
	status, _ := scrape(t, h)
	assert.Equal(t, 404, status)
	assert.NotContains(t, serve(t, h, "GET", "/nope", "").body["error"], "/metrics")

	withMetrics, _ := newHandler(t, httpserver.WithMetrics(true))
	assert.Contains(t, serve(t, withMetrics, "GET", "/nope", "").body["error"],
		"GET /health, GET /metrics", "a 404 names every route the server has")
}

// TestObservingAllocatesNothing: a request's latency is observed without
// allocating, once its route and status have been seen.
func TestObservingAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random; .ci/run runs this without it")
	}
	c := minicache.New[string, string]()
	c.Set("k", "v")
	plain := httpserver.New(c)
	measured := httpserver.New(c, httpserver.WithMetrics(true))
	req := httptest.NewRequest("GET", "/get/k", nil)
	w := &discard{h: http.Header{}}
	measured.ServeHTTP(w, req)
	base := testing.AllocsPerRun(100, func() { plain.ServeHTTP(w, req) })
	with := testing.AllocsPerRun(100, func() { measured.ServeHTTP(w, req) })
	assert.Equal(t, base, with, "allocations per GET without metrics and with them")
}
