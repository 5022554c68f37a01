package httpserver

import (
	"io"
	"log/slog"

	"github.com/minicache/minicache/admission"
)

// Default limits, used when the corresponding option is absent or not positive.
const (
	// DefaultMaxKeyLen is the longest key accepted, in characters (Unicode
	// code points), as the original Mini Redis README specifies (256 chars).
	DefaultMaxKeyLen = 256

	// DefaultMaxValueBytes is the largest value accepted, in bytes (1 MiB).
	DefaultMaxValueBytes = 1 << 20
)

// config holds the settings that the options fill in; New applies defaults.
type config struct {
	metrics       bool
	metricsOpen   bool
	metricsText   func(w io.Writer)
	maxKeyLen     int
	maxValueBytes int
	maxBodyBytes  int64
	logger        *slog.Logger
	authToken     string
	budget        *admission.Budget
}

// Option configures the handler returned by [New]. Options are plain
// functions with no type parameters; apply them in any order.
type Option func(*config)

// WithMaxKeyLen sets the longest key accepted by PUT /set and looked up by
// GET /get/ and DELETE /del/, counted in Unicode characters (code points), not
// bytes. The default is [DefaultMaxKeyLen]; n ≤ 0 selects the default.
func WithMaxKeyLen(n int) Option {
	return func(c *config) { c.maxKeyLen = n }
}

// WithMaxValueBytes sets the largest value accepted by PUT /set, in bytes of
// the decoded string. A larger value is answered with 413. The default is
// [DefaultMaxValueBytes]; n ≤ 0 selects the default.
func WithMaxValueBytes(n int) Option {
	return func(c *config) { c.maxValueBytes = n }
}

// WithMaxBodyBytes sets the largest PUT /set request body read, in bytes; a
// longer body is answered with 413 without being read to the end. The default,
// used when n ≤ 0, is 6 × the value limit + 64 KiB: enough for any acceptable
// key and value however the client escapes them in JSON (a control character
// takes 6 bytes as \u00XX).
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) { c.maxBodyBytes = n }
}

// WithLogger sets the logger. Each request is logged at [slog.LevelDebug]
// (method, path, status, bytes, duration) when the logger has that level
// enabled, and a recovered panic at [slog.LevelError]. The default, or a nil
// logger, logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithAuthToken turns on bearer-token authentication: every request except
// GET /health must carry the header "Authorization: Bearer <token>", or it is
// answered with 401 and a WWW-Authenticate header. The comparison takes time
// independent of the token's content. The default, or an empty token, turns
// authentication off.
func WithAuthToken(token string) Option {
	return func(c *config) { c.authToken = token }
}

// WithMaxBytesInFlight bounds the memory that PUT /set requests hold at once
// across all connections while their bodies are read and decoded: each is
// charged its Content-Length (the body limit when it sends none) plus the
// value it decodes, at most the value limit. A request that does not fit
// waits, in arrival order, up to 10 s, then gets 503 with Retry-After: 1;
// one larger than n runs alone. The default, or n ≤ 0, sets no bound. It
// replaces a [WithBudget] given before it.
func WithMaxBytesInFlight(n int64) Option {
	return func(c *config) { c.budget = admission.Bound(n) }
}

// WithBudget charges PUT /set requests to b, as [WithMaxBytesInFlight]
// does to a budget of its own; give the same b to other servers
// (httpserver, respserver) so that one bound covers them all, as
// cmd/minicache does. A nil b sets no bound. It replaces a
// [WithMaxBytesInFlight] given before it.
func WithBudget(b *admission.Budget) Option {
	return func(c *config) { c.budget = b }
}

// WithMetrics turns on GET /metrics: the cache's counters and gauges, a
// latency histogram of the requests by route and status code, and the Go
// runtime's and the process's metrics, in the Prometheus text format. With
// open set, /metrics needs no token even under [WithAuthToken], as /health
// does; otherwise it follows the rule of the other routes. Each request then
// costs two clock reads and two atomic additions more.
func WithMetrics(open bool) Option {
	return func(c *config) { c.metrics, c.metricsOpen = true, open }
}

// WithMetricsText adds metric families to GET /metrics: f writes them to w
// in the Prometheus text format, after the cache's and before the runtime's.
// It is how a server adds what the handler does not know, such as its
// snapshots'.
func WithMetricsText(f func(w io.Writer)) Option {
	return func(c *config) { c.metricsText = f }
}
