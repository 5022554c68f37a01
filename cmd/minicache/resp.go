package main

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/admission"
	"github.com/minicache/minicache/internal/persist"
	"github.com/minicache/minicache/respserver"
)

// listenRESP opens the Redis protocol server's listener on
// CACHE_HOST:CACHE_RESP_PORT, limited like the HTTP one to
// CACHE_MAX_CONNECTIONS, or returns nil when CACHE_RESP_PORT is 0.
func listenRESP(cfg config) (net.Listener, error) {
	if cfg.respPort == 0 {
		return nil, nil
	}
	addr := net.JoinHostPort(cfg.host, strconv.Itoa(cfg.respPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &configError{fmt.Sprintf("cannot listen on %s (host from %s, port from %s): %v",
			addr, cfg.source["CACHE_HOST"], cfg.source["CACHE_RESP_PORT"], err)}
	}
	if cfg.maxConnections > 0 {
		return newLimitListener(ln, cfg.maxConnections), nil
	}
	return ln, nil
}

// newRESPServer returns the Redis protocol server over the REST server's
// cache: CACHE_AUTH_TOKEN is the default user's password, and under
// CACHE_MAX_MEMORY the arguments of its commands are charged to budget, the
// memory model's bytes in flight that the REST handler charges its bodies
// to, and no argument may be longer than the whole budget (a longer value
// could not be stored anyway). The listener bounds the clients, making the
// ones beyond CACHE_MAX_CONNECTIONS wait; the server is given the same
// bound, which it never reaches (a connection leaves its count before it
// frees the listener's slot) but reports as maxclients.
func newRESPServer(cache *minicache.Cache[string, string], cfg config, logger *slog.Logger, budget *admission.Budget, snap *persist.Snapshotter) *respserver.Server {
	maxClients := math.MaxInt // CACHE_MAX_CONNECTIONS=0: no bound
	if cfg.maxConnections > 0 {
		maxClients = cfg.maxConnections
	}
	opts := []respserver.Option{
		respserver.WithPassword(cfg.authToken),
		respserver.WithLogger(logger),
		respserver.WithMaxClients(maxClients),
	}
	if snap != nil {
		opts = append(opts, respserver.WithSaver(snap))
	}
	if cfg.maxMemory > 0 {
		opts = append(opts,
			respserver.WithBudget(budget),
			respserver.WithMaxBulkLen(min(budget.Max(), respserver.DefaultMaxBulkLen)))
	}
	return respserver.New(cache, opts...)
}

// respAddr is the address the Redis protocol server listens on, for the
// start log: "off" without one.
func respAddr(ln net.Listener) string {
	if ln == nil {
		return "off"
	}
	return ln.Addr().String()
}
