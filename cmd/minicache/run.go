package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/admission"
	"github.com/minicache/minicache/httpserver"
	"github.com/minicache/minicache/internal/persist"
	"github.com/minicache/minicache/respserver"
)

// Limits of the HTTP server, so that a slow or hostile client cannot hold
// it; the watchdog enforces the times (see watchdog). Variables so that
// tests can shorten them.
var (
	// headerTimeout bounds a request's headers, from a new connection's
	// accept or from the first byte of a later request.
	headerTimeout = 5 * time.Second
	// requestTimeout bounds a request from the end of its headers to the
	// end of its response: reading its body (a 1 MiB value at a slow
	// 50 KiB/s still fits) and writing the answer.
	requestTimeout = 30 * time.Second
	// idleTimeout bounds the wait for a kept-alive connection's next
	// request.
	idleTimeout = 2 * time.Minute
)

const (
	// headerLimit bounds the request line and headers together. net/http
	// reads 4 KiB beyond http.Server.MaxHeaderBytes before it answers 431,
	// so MaxHeaderBytes is set that much lower.
	headerLimit    = 64 << 10
	maxHeaderBytes = headerLimit - 4096
	// shutdownTimeout bounds the wait for in-flight requests at shutdown.
	shutdownTimeout = 10 * time.Second
)

// The memory model. CACHE_MAX_MEMORY (M) bounds the weight of the entries:
// the bytes of each key and value plus entryOverhead. On top of it the
// server holds request bodies and Redis-protocol arguments in flight, bounded
// together by one budget of inFlightBudget(M) bytes, and a few tens of KiB
// per open connection, bounded by CACHE_MAX_CONNECTIONS. The
// Go runtime is told the sum (GOMEMLIMIT, unless the operator set one), so
// that it collects garbage (replaced values, read bodies) before the heap
// outgrows it rather than at twice the live heap. Below the limit it
// collects at gcPercentUnderLimit (unless GOGC is set): each collection
// marks every cached entry, and with the default of 100 a server of 100k
// entries spent 8.7% of its CPU marking them under net/http's allocation
// (2.2 KB a request); the limit, not GOGC, bounds the heap.
const (
	// entryOverhead is what the cache spends per entry besides the bytes
	// of its key and value: the entry record, which is the two string
	// headers (32 bytes), its LRU links and weight (16), its hash index
	// bucket and hash tag (about 10) and allocation rounding.
	entryOverhead = 64
	// memLimitHeadroom is GOMEMLIMIT beyond M and the bytes in flight: the
	// runtime, the connections and the garbage between two collections.
	memLimitHeadroom = 32 << 20
	// gcPercentUnderLimit is GOGC while GOMEMLIMIT bounds the heap.
	gcPercentUnderLimit = 400
)

// weigh is the weight of an entry under CACHE_MAX_MEMORY.
func weigh(k, v string) uint64 { return uint64(len(k)+len(v)) + entryOverhead }

// inFlightBudget is the bound on the bytes of PUT bodies (and the values
// decoded from them) and, under a memory bound, of Redis-protocol arguments
// (and their copies) held at once: a quarter of maxMemory, at least 16 MiB
// (two requests of the largest body and value) and at most 256 MiB; 64 MiB
// without a memory bound, which the Redis front end then does not share.
func inFlightBudget(maxMemory uint64) int64 {
	if maxMemory == 0 {
		return 64 << 20
	}
	return int64(min(max(maxMemory/4, 16<<20), 256<<20))
}

// run is the whole program: it reads the configuration from args and getenv,
// serves until ctx is done, then shuts down gracefully and returns nil. The
// -h text goes to stdout, logs to stderr. An invalid configuration is
// reported at once as a *configError.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv)
	if errors.Is(err, errHelp) {
		printUsage(stdout)
		return nil
	}
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	addr := net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port))
	var ln net.Listener
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		return &configError{fmt.Sprintf("cannot listen on %s (host from %s, port from %s): %v",
			addr, cfg.source["CACHE_HOST"], cfg.source["CACHE_PORT"], err)}
	}
	if cfg.maxConnections > 0 {
		ln = newLimitListener(ln, cfg.maxConnections)
	}

	inFlight := inFlightBudget(cfg.maxMemory)
	memLimit := int64(-1) // as the runtime has it: GOMEMLIMIT, else none
	gcPercent := -1       // as the runtime has it: GOGC, else 100
	if cfg.maxMemory > 0 && getenv("GOMEMLIMIT") == "" {
		memLimit = int64(min(cfg.maxMemory+uint64(inFlight)+memLimitHeadroom, math.MaxInt64))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(memLimit))
		if getenv("GOGC") == "" {
			gcPercent = gcPercentUnderLimit
			defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
		}
	}
	// One budget for the bytes in flight of both front ends.
	budget := admission.New(inFlight)

	// Entries are always weighed, so that the memory bound can be set at
	// run time (CONFIG SET maxmemory) even when it starts unbounded.
	cache := minicache.New[string, string](
		minicache.WithCapacity(cfg.maxEntries),
		minicache.WithDefaultTTL(cfg.defaultTTL),
		minicache.WithCleanupInterval(cfg.cleanupInterval),
		minicache.WithMaxWeight(cfg.maxMemory),
		minicache.WithWeigher(weigh),
		minicache.WithPolicy(cfg.policy),
	)
	defer cache.Close()

	var snap *persist.Snapshotter
	if cfg.snapshotPath != "" {
		if snap, err = persist.New(cfg.snapshotPath, cache, logger); err != nil {
			ln.Close()
			return &configError{fmt.Sprintf("invalid %s=%q: %v", cfg.source["CACHE_SNAPSHOT_PATH"], cfg.snapshotPath, err)}
		}
		if _, err := snap.Load(); err != nil {
			ln.Close()
			return fmt.Errorf("%w (the file is left as it is: move it away to start empty)", err)
		}
	}
	snapCtx, stopSnaps := context.WithCancel(context.Background())
	snapsDone := make(chan struct{})
	go func() {
		defer close(snapsDone)
		if snap != nil && cfg.snapshotEvery > 0 {
			snap.Run(snapCtx, cfg.snapshotEvery)
		}
	}()
	defer func() { stopSnaps(); <-snapsDone }()

	rln, err := listenRESP(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	var rsrv *respserver.Server
	if rln != nil {
		rsrv = newRESPServer(cache, cfg, logger, budget, snap)
	}
	// No http.Server timeouts: the watchdog cuts stalled connections for
	// less than their deadline timers cost.
	dog := newWatchdog(headerTimeout, requestTimeout, idleTimeout)
	defer dog.Close()
	srv := &http.Server{
		Handler:        httpserver.New(cache, httpOptions(cfg, logger, budget, snap, rsrv)...),
		ConnState:      dog.connState,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(dog.listener(ln)) }()
	respServed := make(chan error, 1)
	if rsrv != nil {
		go func() { respServed <- rsrv.Serve(rln) }()
	}

	logger.Info("minicache started",
		slog.String("addr", ln.Addr().String()),
		slog.Int("max_entries", cfg.maxEntries),
		slog.Duration("default_ttl", cfg.defaultTTL),
		slog.Duration("cleanup_interval", cfg.cleanupInterval),
		slog.Uint64("max_memory", cfg.maxMemory),
		slog.Int("max_connections", cfg.maxConnections),
		slog.Int64("max_bytes_in_flight", inFlight),
		slog.Int64("gomemlimit", memLimit),
		slog.Int("gogc", gcPercent),
		slog.String("log_level", cfg.logLevel.String()),
		slog.String("eviction_policy", cfg.policy.String()),
		slog.String("metrics", cfg.metrics),
		slog.String("snapshot_path", cfg.snapshotPath),
		slog.Duration("snapshot_interval", cfg.snapshotEvery),
		slog.Bool("auth", cfg.authToken != ""),
		slog.String("resp_addr", respAddr(rln)))
	if cfg.authToken == "" && !isLoopback(ln.Addr()) {
		logger.Warn("listening beyond loopback without CACHE_AUTH_TOKEN: anyone who can reach the port can read and write the cache")
	}

	select {
	case err := <-served:
		if rsrv != nil {
			rsrv.Close()
		}
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case err := <-respServed:
		srv.Close()
		return fmt.Errorf("serving RESP on %s: %w", rln.Addr(), err)
	case <-ctx.Done():
	}

	start := time.Now()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Both front ends drain at once: RESP clients get the replies to what
	// they sent, HTTP requests in flight finish.
	respShutdown := make(chan error, 1)
	go func() {
		if rsrv == nil {
			respShutdown <- nil
			return
		}
		respShutdown <- rsrv.Shutdown(sctx) // closes what is left when sctx ends
	}()
	shutdownErr := srv.Shutdown(sctx)
	if shutdownErr != nil {
		srv.Close() // the wait is over: cut the requests still running
	}
	<-served // http.ErrServerClosed
	if err := <-respShutdown; err != nil && shutdownErr == nil {
		shutdownErr = err
	}
	stopSnaps()
	<-snapsDone
	var saveErr error
	if snap != nil {
		snap.Wait() // a background save in progress
		saveErr = snap.Save()
	}
	st, entries := cache.Stats(), cache.Len()
	cache.Close()

	logger.Info("minicache stopped",
		slog.Duration("shutdown", time.Since(start)),
		slog.Bool("in_flight_cut", shutdownErr != nil),
		slog.Int("entries", entries),
		slog.Uint64("hits", st.Hits),
		slog.Uint64("misses", st.Misses))
	if saveErr != nil {
		return fmt.Errorf("saving the snapshot at shutdown: %w", saveErr)
	}
	return nil
}

// httpOptions returns the REST handler's options for cfg. GET /metrics also
// covers the snapshots and the Redis front end, when there are.
func httpOptions(cfg config, logger *slog.Logger, budget *admission.Budget, snap *persist.Snapshotter, rsrv *respserver.Server) []httpserver.Option {
	opts := []httpserver.Option{
		httpserver.WithLogger(logger),
		httpserver.WithAuthToken(cfg.authToken),
		httpserver.WithBudget(budget),
	}
	if cfg.metrics != "off" {
		opts = append(opts, httpserver.WithMetrics(cfg.metrics == "open"))
		opts = append(opts, httpserver.WithMetricsText(func(w io.Writer) {
			if snap != nil {
				snap.WriteMetrics(w)
			}
			if rsrv != nil {
				rsrv.WriteMetrics(w)
			}
		}))
	}
	return opts
}

// isLoopback reports whether a listens on a loopback address only.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
