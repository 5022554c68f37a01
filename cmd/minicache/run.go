package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
)

// Limits of the HTTP server, so that a slow or hostile client cannot hold it.
const (
	readHeaderTimeout = 5 * time.Second
	// readTimeout bounds reading a whole request; a 1 MiB value at a slow
	// 50 KiB/s still fits.
	readTimeout    = 30 * time.Second
	writeTimeout   = 30 * time.Second
	idleTimeout    = 2 * time.Minute
	maxHeaderBytes = 64 << 10
	// shutdownTimeout bounds the wait for in-flight requests at shutdown.
	shutdownTimeout = 10 * time.Second
)

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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s (CACHE_HOST, CACHE_PORT): %w", addr, err)
	}

	opts := []minicache.Option{
		minicache.WithCapacity(cfg.maxEntries),
		minicache.WithDefaultTTL(cfg.defaultTTL),
		minicache.WithCleanupInterval(cfg.cleanupInterval),
	}
	hopts := []httpserver.Option{
		httpserver.WithLogger(logger),
		httpserver.WithAuthToken(cfg.authToken),
	}
	if cfg.maxMemory > 0 {
		weigh := func(k, v string) uint64 { return uint64(len(k) + len(v)) }
		opts = append(opts, minicache.WithMaxWeight(cfg.maxMemory), minicache.WithWeigher(weigh))
	}
	cache := minicache.New[string, string](opts...)
	defer cache.Close()

	srv := &http.Server{
		Handler:           httpserver.New(cache, hopts...),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	logger.Info("minicache started",
		slog.String("addr", ln.Addr().String()),
		slog.Int("max_entries", cfg.maxEntries),
		slog.Duration("default_ttl", cfg.defaultTTL),
		slog.Duration("cleanup_interval", cfg.cleanupInterval),
		slog.Uint64("max_memory", cfg.maxMemory),
		slog.String("log_level", cfg.logLevel.String()),
		slog.Bool("auth", cfg.authToken != ""))
	if cfg.authToken == "" && !isLoopback(ln.Addr()) {
		logger.Warn("listening beyond loopback without CACHE_AUTH_TOKEN: anyone who can reach the port can read and write the cache")
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	start := time.Now()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if shutdownErr != nil {
		srv.Close() // the wait is over: cut the requests still running
	}
	<-served // http.ErrServerClosed
	st, entries := cache.Stats(), cache.Len()
	cache.Close()

	logger.Info("minicache stopped",
		slog.Duration("shutdown", time.Since(start)),
		slog.Bool("in_flight_cut", shutdownErr != nil),
		slog.Int("entries", entries),
		slog.Uint64("hits", st.Hits),
		slog.Uint64("misses", st.Misses))
	return nil
}

// isLoopback reports whether a listens on a loopback address only.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
