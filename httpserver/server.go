// Package httpserver serves a [minicache.Cache] over the REST API of the
// original Mini Redis server: PUT /set, GET /get/{key}, DELETE /del/{key},
// GET /stats and GET /health, every answer a JSON object.
//
// [New] returns an [http.Handler] with no global state, so a service can run
// it on its own or mount it under a prefix of its own mux:
//
//	mux.Handle("/cache/", http.StripPrefix("/cache", httpserver.New(c)))
//
// Keys travel in the path with ordinary URL escaping ([url.PathEscape]), so
// any key that PUT /set accepts, including one that contains '/', '%', '?',
// '#', spaces or non-ASCII characters, can be read and deleted again. The
// keys "." and ".." are refused because clients and muxes rewrite such path
// segments before the handler sees them.
//
// The handler is safe for concurrent use, as is the cache behind it.
package httpserver

import (
	"crypto/sha256"
	"github.com/minicache/minicache/admission"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/command"
)

// server is the handler returned by New. It holds no state besides the cache
// and its own immutable configuration, plus a pool of scratch buffers.
type server struct {
	cache *minicache.Cache[string, string]
	// cmds applies the rules shared with the other front ends (limits,
	// refused Sets, stats) to cache.
	cmds   *command.Commands
	router *httprouter.Router
	// admit bounds the bytes of PUT bodies in flight; nil for no bound.
	admit *admission.Budget
	cfg   config

	// auth reports whether bearer authentication is on; tokenHash is then the
	// SHA-256 of the expected token, compared in constant time.
	auth      bool
	tokenHash [sha256.Size]byte

	// bufs pools *[]byte scratch buffers for request bodies and responses.
	bufs sync.Pool

	// reqs instruments requests for GET /metrics; nil without WithMetrics.
	reqs *requestMetrics
}

var _ http.Handler = (*server)(nil)

// New returns an http.Handler that serves c with the REST API described in
// the package documentation. The routes are rooted at "/"; mount the handler
// under a prefix with [http.StripPrefix].
//
// Every response, errors included, has Content-Type application/json. A
// request with bad input gets a 4xx status and a body {"error": "..."} that
// says what is wrong: 400 for malformed JSON, an invalid field or text that
// is not UTF-8, 404 for a missing key or an unknown route, 405 (with an
// Allow header) for a method a route does not support, 413 for a body or
// value over the limit or an entry heavier than the cache's whole weight
// bound, 422 for a stored value that is not UTF-8 (a JSON string cannot
// carry it unchanged), 401 for a missing or wrong token when
// [WithAuthToken] is set, and 503 with Retry-After for a PUT that waited in
// vain under [WithMaxBytesInFlight] or [WithBudget]. Keys and values are never altered.
//
// PUT /set stores with [minicache.Cache.SetWithTTL]; a request without ttl
// (or with "ttl": null) passes [minicache.DefaultTTL], so the cache's own
// default TTL applies. When the cache refuses the entry as too heavy, the
// key's old value is gone too (the cache's rule) and the answer is 413.
// GET /get/{key} uses [minicache.Cache.Get] and so counts a hit or a miss;
// HEAD uses [minicache.Cache.Peek] and counts nothing. The handler never
// closes c.
func New(c *minicache.Cache[string, string], opts ...Option) http.Handler {
	if c == nil {
		panic("httpserver: New called with a nil cache")
	}
	s := &server{cache: c}
	for _, o := range opts {
		o(&s.cfg)
	}
	if s.cfg.maxKeyLen <= 0 {
		s.cfg.maxKeyLen = DefaultMaxKeyLen
	}
	if s.cfg.maxValueBytes <= 0 {
		s.cfg.maxValueBytes = DefaultMaxValueBytes
	}
	if s.cfg.maxBodyBytes <= 0 {
		s.cfg.maxBodyBytes = 6*int64(s.cfg.maxValueBytes) + 64<<10
	}
	s.cmds = command.New(c, command.Limits{MaxKeyLen: s.cfg.maxKeyLen, MaxValueBytes: s.cfg.maxValueBytes})
	s.admit = s.cfg.budget
	if s.cfg.authToken != "" {
		s.auth = true
		s.tokenHash = sha256.Sum256([]byte(s.cfg.authToken))
	}
	s.bufs.New = func() any {
		b := make([]byte, 0, 1024)
		return &b
	}

	r := httprouter.New()
	// The redirects would drop a mount prefix (the redirect target is built
	// from the stripped path) and would rewrite keys; answer 404 instead.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.HandleOPTIONS = true
	r.GlobalOPTIONS = http.HandlerFunc(s.options)
	r.NotFound = http.HandlerFunc(s.notFound)
	r.MethodNotAllowed = http.HandlerFunc(s.methodNotAllowed)
	r.PanicHandler = s.panicked

	r.PUT("/set", s.set)
	// Catch-all parameters, because a key may contain '/' (escaped by the
	// client as %2F, which the server decodes before routing).
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r.Handle(m, "/get/*key", s.get)
		r.Handle(m, "/stats", s.stats)
		r.Handle(m, "/health", s.health)
	}
	r.DELETE("/del/*key", s.del)
	if s.cfg.metrics {
		s.reqs = newRequestMetrics()
		r.GET("/metrics", s.metricsRoute)
	}
	s.router = r
	return s
}

// ServeHTTP checks the bearer token (except for /health), routes the request
// and, when the logger has debug enabled, logs it.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l := s.cfg.logger; l != nil && l.Enabled(r.Context(), slog.LevelDebug) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK, start: time.Now()}
		defer rec.log(l, r)
		w = rec
	}
	if s.reqs != nil {
		s.reqs.serve(w, r, s.serve)
		return
	}
	s.serve(w, r)
}

// serve checks the bearer token and routes the request.
func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	if s.auth && !s.open(r.URL.Path) && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="minicache"`)
		writeError(w, errUnauthorized)
		return
	}
	s.router.ServeHTTP(w, r)
}

// open reports whether path is served without a token: /health always,
// /metrics with WithMetrics(true).
func (s *server) open(path string) bool {
	return path == "/health" || (path == "/metrics" && s.cfg.metricsOpen)
}

// getBuf returns an empty scratch buffer from the pool.
func (s *server) getBuf() *[]byte {
	b := s.bufs.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// putBuf returns b to the pool unless it grew too large to keep around.
func (s *server) putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		s.bufs.Put(b)
	}
}
