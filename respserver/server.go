// Package respserver serves a [minicache.Cache] over the Redis protocol
// (RESP2 and RESP3), so that redis-cli, redis-benchmark and any Redis client
// can use it as they would a Redis server used as a cache.
//
// A [Server] answers the connection, server, string and key commands of
// Redis 7 with Redis's semantics, options and error texts; see the README's
// "Redis protocol" section for the list and for what differs from Redis.
// Keys and values are binary-safe. Commands may be pipelined: replies come
// in order, and are flushed when no more input is waiting. A command that
// reads and writes one key (INCR, APPEND, SET ... GET, GETDEL, ...) is
// atomic; a command that spans keys (MSET, MSETNX, RENAME, COPY) is atomic
// per key only.
//
// The server is usable inside another program, beside or instead of package
// httpserver:
//
//	srv := respserver.New(cache, respserver.WithPassword(token))
//	go srv.Serve(ln)
//	...
//	srv.Shutdown(ctx)
//
// Frames are read with bounds: a bulk string is at most
// [WithMaxBulkLen] bytes and its buffer grows as its bytes arrive, an inline
// command or header line at most 64 KiB; a malformed frame is answered with
// a protocol error and the connection closed. [WithMaxBytesInFlight] (or a
// [Budget] shared with other servers) bounds what the arguments of all
// connections hold at once: a command that cannot get its bytes in time is
// read to its end without being kept and answered Redis's OOM error. A
// client that pipelines without reading its replies stops being read once
// its reply buffer and socket are full, so it cannot grow the server's
// memory.
package respserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/command"
)

// ErrServerClosed is returned by [Server.Serve] after [Server.Shutdown] or
// [Server.Close].
var ErrServerClosed = errors.New("respserver: server closed")

// errTooManyFiles is the accept error of a process out of file
// descriptors: it passes once connections close, so Serve retries.
var errTooManyFiles error = syscall.EMFILE

// RedisVersion is the Redis version whose commands the server follows; it
// answers it as redis_version in INFO and as version in HELLO, which clients
// read to choose features.
const RedisVersion = "7.0.15"

// Server serves one cache over RESP. Build it with [New]; it is safe for
// concurrent use, and one Server may serve several listeners.
type Server struct {
	cache   *minicache.Cache[string, string]
	cmds    *command.Commands
	cfg     config
	started time.Time
	runID   string

	nextID   atomic.Int64 // the last client id handed out
	closing  atomic.Bool  // set by Shutdown and Close, never cleared
	commands atomic.Int64 // commands processed
	accepted atomic.Int64 // connections accepted
	rejected atomic.Int64 // connections refused over max clients

	stats commandStats // per-command counts and sampled latencies, for metrics

	// waits ends when the connections are closed at once (Close, or
	// Shutdown past its context), so that a command waiting for bytes under
	// the budget gives up; stopWaits ends it.
	waits     context.Context
	stopWaits context.CancelFunc

	mu        sync.Mutex // guards listeners and conns
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	wg        sync.WaitGroup // one per connection goroutine
}

// New returns a server for c configured by opts. It serves nothing until
// [Server.Serve] is called. New panics if c is nil.
func New(c *minicache.Cache[string, string], opts ...Option) *Server {
	if c == nil {
		panic("respserver: New called with a nil cache")
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxClients <= 0 {
		cfg.maxClients = DefaultMaxClients
	}
	if cfg.maxBulkLen <= 0 {
		cfg.maxBulkLen = DefaultMaxBulkLen
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	id := make([]byte, 20)
	rand.Read(id)
	waits, stopWaits := context.WithCancel(context.Background())
	return &Server{
		waits:     waits,
		stopWaits: stopWaits,
		cache:     c,
		cmds:      command.New(c, command.Limits{}),
		cfg:       cfg,
		started:   time.Now(),
		runID:     hex.EncodeToString(id),
		stats:     newCommandStats(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
	}
}

// Serve accepts connections on ln and serves each in a goroutine of its own
// until [Server.Shutdown] or [Server.Close], then returns [ErrServerClosed].
// It returns any other error of ln.Accept that is not temporary. Serve
// closes ln when it returns.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.cfg.logger.Error("respserver: accept", slog.Any("err", err), slog.Duration("retry_in", backoff))
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.start(nc)
	}
}

// start registers nc and serves it in a new goroutine, or refuses it when
// the server is closing or full.
func (s *Server) start(nc net.Conn) {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if len(s.conns) >= s.cfg.maxClients {
		s.mu.Unlock()
		s.rejected.Add(1)
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write([]byte("-ERR max number of clients reached\r\n"))
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	s.accepted.Add(1)
	go func() {
		defer s.wg.Done()
		c.serve()
	}()
}

// forget removes c from the connections served. A connection calls it
// before closing its socket, so that a listener that bounds connections
// (cmd/minicache's) admits the next client only once c no longer counts
// towards maxClients.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Shutdown stops the server gracefully: it closes the listeners, lets every
// connection finish the commands its client has sent (replies included),
// closes each connection once no more input arrives for 50 ms, and waits
// for them all. If ctx ends first, Shutdown closes the remaining
// connections at once, waits for their goroutines and returns ctx.Err().
// Shutdown does not close the cache.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	// A connection sets its read deadline and then checks closing, so after
	// this loop every connection either sees closing or has its deadline
	// shortened: each serves what it has been sent and closes when idle.
	s.mu.Lock()
	for c := range s.conns {
		c.nc.SetReadDeadline(time.Now().Add(drainWait))
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeConns()
		<-done
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once, dropping
// commands in flight, and waits for the connection goroutines. It is
// idempotent.
func (s *Server) Close() error {
	s.stop()
	s.closeConns()
	s.wg.Wait()
	return nil
}

// stop marks the server closing and closes its listeners.
func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	for ln := range s.listeners {
		ln.Close()
	}
}

func (s *Server) closeConns() {
	s.stopWaits()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
}

// clients returns the connections being served, for CLIENT LIST and INFO.
func (s *Server) clients() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	return cs
}
