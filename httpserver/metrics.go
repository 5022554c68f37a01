package httpserver

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/minicache/minicache/internal/metrics"
)

// requestMetrics instruments requests for GET /metrics: a latency histogram
// per route and status. Observing costs two reads of the monotonic clock and
// two atomic additions per request and allocates nothing: the histogram of
// each route and status is looked up in the vector once, then kept in hists.
type requestMetrics struct {
	latency *metrics.HistogramVec
	hists   [len(routes)][len(codes)]atomic.Pointer[metrics.Histogram]
	recs    sync.Pool // *statusRecorder
}

// routes are the values of the route label, indexed by the route constants.
var routes = [...]string{routeSet: "/set", routeGet: "/get", routeDel: "/del", routeStats: "/stats",
	routeHealth: "/health", routeMetrics: "/metrics", routeOther: "other"}

// The routes of the route label.
const (
	routeSet = iota
	routeGet
	routeDel
	routeStats
	routeHealth
	routeMetrics
	routeOther
)

// epoch is the origin of the latency clock: time.Since of a time with a
// monotonic reading reads the clock once, time.Now twice.
var epoch = time.Now()

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

// routeOf returns the index in routes of a path's route label: one of a
// fixed few, so that the label cannot grow without bound.
func routeOf(path string) int {
	switch {
	case path == "/set":
		return routeSet
	case strings.HasPrefix(path, "/get/"):
		return routeGet
	case strings.HasPrefix(path, "/del/"):
		return routeDel
	case path == "/stats":
		return routeStats
	case path == "/health":
		return routeHealth
	case path == "/metrics":
		return routeMetrics
	}
	return routeOther
}

// serve answers r through next and observes its latency.
func (m *requestMetrics) serve(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request)) {
	start := time.Since(epoch)
	rec := m.recs.Get().(*statusRecorder)
	rec.ResponseWriter, rec.status = w, http.StatusOK
	next(rec, r)
	m.histogram(routeOf(r.URL.Path), rec.status).Observe((time.Since(epoch) - start).Seconds())
	rec.ResponseWriter = nil
	m.recs.Put(rec)
}

// histogram returns the latency histogram of a route and status.
func (m *requestMetrics) histogram(route, status int) *metrics.Histogram {
	if status < 0 || status >= len(m.hists[route]) {
		return m.latency.With(routes[route], codeOf(status))
	}
	p := &m.hists[route][status]
	if h := p.Load(); h != nil {
		return h
	}
	h := m.latency.With(routes[route], codeOf(status))
	p.Store(h)
	return h
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
