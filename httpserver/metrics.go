package httpserver

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/minicache/minicache/internal/metrics"
)

// requestMetrics instruments requests for GET /metrics: a latency histogram
// per route and status. Observing costs two clock reads and two atomic
// additions per request and allocates nothing.
type requestMetrics struct {
	latency *metrics.HistogramVec
	recs    sync.Pool // *statusRecorder
}

func newRequestMetrics() *requestMetrics {
	m := &requestMetrics{latency: metrics.NewHistogramVec("minicache_http_request_duration_seconds",
		"Time to answer a REST request, by route and status code.", metrics.LatencyBuckets, "route", "code")}
	m.recs.New = func() any { return new(statusRecorder) }
	return m
}

// statusRecorder remembers the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// routeOf names the route of a path for the metrics' route label: one of a
// fixed few, so that the label cannot grow without bound.
func routeOf(path string) string {
	switch {
	case path == "/set":
		return "/set"
	case strings.HasPrefix(path, "/get/"):
		return "/get"
	case strings.HasPrefix(path, "/del/"):
		return "/del"
	case path == "/stats", path == "/health", path == "/metrics":
		return path
	}
	return "other"
}

// serve answers r through next and observes its latency.
func (m *requestMetrics) serve(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request)) {
	start := time.Now()
	rec := m.recs.Get().(*statusRecorder)
	rec.ResponseWriter, rec.status = w, http.StatusOK
	next(rec, r)
	m.latency.With(routeOf(r.URL.Path), codeOf(rec.status)).Observe(time.Since(start).Seconds())
	rec.ResponseWriter = nil
	m.recs.Put(rec)
}

// codes holds the label of every status code, so that labelling allocates
// nothing.
var codes = func() (c [600]string) {
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}()

func codeOf(status int) string {
	if status >= 0 && status < len(codes) {
		return codes[status]
	}
	return strconv.Itoa(status)
}

// metricsRoute handles GET /metrics: the cache's counters and gauges, the
// request latencies, the extra families of WithMetrics' text function, and
// the Go runtime's and the process's metrics.
func (s *server) metricsRoute(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	w.Header().Set("Content-Type", metrics.ContentType)
	mw := metrics.NewWriter(w)
	st := s.cache.Stats()
	mw.Counter("minicache_hits_total", "Lookups (GET /get, and Redis reads) that found a live entry.", float64(st.Hits))
	mw.Counter("minicache_misses_total", "Lookups that found no live entry.", float64(st.Misses))
	mw.Counter("minicache_evictions_total", "Entries evicted to honour the entry or memory bound (not expiry).", float64(st.Evictions))
	mw.Counter("minicache_expirations_total", "Entries removed because their TTL had passed.", float64(st.Expirations))
	mw.Counter("minicache_rejections_total", "Writes refused because the entry alone outweighs the memory bound.", float64(st.Rejections))
	mw.Counter("minicache_loads_total", "Loader calls that returned a value.", float64(st.Loads))
	mw.Counter("minicache_load_errors_total", "Loader calls that failed.", float64(st.LoadErrors))
	mw.Gauge("minicache_entries", "Live entries.", float64(s.cache.Len()))
	mw.Gauge("minicache_weight", "Total weight of the entries (bytes of keys and values plus a per-entry overhead, in cmd/minicache).", float64(st.Weight))
	mw.Gauge("minicache_capacity_entries", "Bound on the number of entries (0: unbounded).", float64(s.cache.Capacity()))
	mw.Gauge("minicache_max_weight", "Bound on the total weight (0: unbounded).", float64(s.cache.MaxWeight()))
	s.reqs.latency.Write(mw)
	if err := mw.Flush(); err != nil {
		return // the client went away
	}
	if f := s.cfg.metricsText; f != nil {
		f(w)
	}
	mw = metrics.NewWriter(w)
	metrics.WriteRuntime(mw)
	_ = mw.Flush()
}
