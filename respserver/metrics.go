package respserver

import (
	"io"
	"sync/atomic"

	"github.com/minicache/minicache/internal/metrics"
)

// latencySample is one in how many commands of a connection have their
// latency measured: a clock read costs about as much as a GET here, so the
// histogram samples rather than slow every command down.
const latencySample = 16

// commandStats counts commands by name and samples their latency.
type commandStats struct {
	calls   []atomic.Uint64 // by spec id
	latency *metrics.HistogramVec
}

func newCommandStats() commandStats {
	return commandStats{
		calls: make([]atomic.Uint64, len(specs)),
		latency: metrics.NewHistogramVec("minicache_resp_command_duration_seconds",
			"Time to run a Redis-protocol command, by command; one command in 16 per connection is timed.",
			metrics.LatencyBuckets, "command"),
	}
}

// WriteMetrics writes the server's metrics in the Prometheus text format:
// commands run by name, their sampled latency, and connections. It is meant
// for httpserver.WithMetricsText, so that GET /metrics covers both front
// ends.
func (s *Server) WriteMetrics(w io.Writer) {
	mw := metrics.NewWriter(w)
	mw.Family("minicache_resp_commands_total", "counter", "Redis-protocol commands run, by command.")
	for _, sp := range specs {
		if n := s.stats.calls[sp.id].Load(); n > 0 {
			mw.Sample("minicache_resp_commands_total", float64(n), metrics.Label{Name: "command", Value: sp.name})
		}
	}
	s.stats.latency.Write(mw)
	s.mu.Lock()
	clients := len(s.conns)
	s.mu.Unlock()
	mw.Gauge("minicache_resp_connected_clients", "Redis-protocol client connections open.", float64(clients))
	mw.Counter("minicache_resp_connections_total", "Redis-protocol connections accepted.", float64(s.accepted.Load()))
	mw.Counter("minicache_resp_rejected_connections_total", "Redis-protocol connections refused over the client limit.", float64(s.rejected.Load()))
	_ = mw.Flush()
}
