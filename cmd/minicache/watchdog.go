package main

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// watchdog cuts off the HTTP connections that stall, in place of
// http.Server's ReadHeaderTimeout, ReadTimeout, WriteTimeout and
// IdleTimeout. Those set a deadline on the connection three or four times
// per request, and each deadline moves a runtime timer: 7–20% of a bare
// net/http server's throughput (bench/results/http.md and
// http-2026-12-02.md). The watchdog
// instead notes, per connection, which phase it is in and since when, on a
// clock it advances itself, and checks every connection a few times a
// second:
//
//   - waiting for a new connection's first request: header from accept;
//   - between requests of a kept-alive connection: idle;
//   - reading a request's headers, from its first byte: header;
//   - serving a request, from the end of its headers to the end of its
//     response (its body read by the handler, the response written):
//     request.
//
// A connection over its phase's time is closed, which fails the read or
// write it is blocked in. So a client that sends its headers slowly
// (slowloris), its body slowly, or does not read the response is cut off as
// the http.Server timeouts would cut it, within two check intervals more.
// One difference: the first bytes of a request that arrived together with
// the request before it are already in net/http's buffer when that one
// ends, so the watchdog sees no first byte, and the rest of the request
// gets the idle limit rather than the header limit. A client gains nothing
// by it that it could not have by idling.
//
// It serves HTTP/1 only: HTTP/2 reports no ConnState per request.
type watchdog struct {
	header, request, idle time.Duration
	every                 time.Duration // the check interval

	start time.Time
	now   atomic.Int64 // nanoseconds since start, advanced every check

	mu    sync.Mutex
	conns map[*watchedConn]struct{}

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// The phases of a watched connection.
const (
	phaseNew     int32 = iota // accepted, no request yet
	phaseIdle                 // between requests, no byte of the next yet
	phaseHeaders              // reading a request's headers
	phaseActive               // serving a request
	phaseClosed
)

// newWatchdog starts a watchdog with the given phase limits (0: none);
// Close stops it.
func newWatchdog(header, request, idle time.Duration) *watchdog {
	every := time.Second
	for _, d := range []time.Duration{header, request, idle} {
		if d > 0 {
			every = min(every, d/10)
		}
	}
	w := &watchdog{
		header: header, request: request, idle: idle,
		every: max(every, time.Millisecond),
		start: time.Now(),
		conns: map[*watchedConn]struct{}{},
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *watchdog) run() {
	defer close(w.done)
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		now := int64(time.Since(w.start))
		w.now.Store(now)
		w.mu.Lock()
		var late []lateConn
		for c := range w.conns {
			// since lags the true start by up to one interval: allow for it,
			// so that no connection is cut early.
			p, since := c.phase.Load(), c.since.Load()
			if d := w.limit(p); d > 0 && now-since > int64(d+w.every) {
				late = append(late, lateConn{c, p, since})
			}
		}
		w.mu.Unlock()
		for _, l := range late {
			// Unless it moved on meanwhile.
			if l.c.phase.Load() == l.phase && l.c.since.Load() == l.since {
				l.c.Close()
			}
		}
	}
}

// lateConn is a connection found over its limit, with the phase and start
// it was found in.
type lateConn struct {
	c     *watchedConn
	phase int32
	since int64
}

// limit returns how long a connection may stay in phase p (0: no limit).
func (w *watchdog) limit(p int32) time.Duration {
	switch p {
	case phaseNew, phaseHeaders:
		return w.header
	case phaseIdle:
		return w.idle
	case phaseActive:
		return w.request
	}
	return 0
}

// Close stops the watchdog; the connections it watched stay open. It may be
// called more than once.
func (w *watchdog) Close() {
	w.closeOnce.Do(func() { close(w.stop) })
	<-w.done
}

// listener wraps l so that the watchdog watches every connection it accepts.
func (w *watchdog) listener(l net.Listener) net.Listener {
	return &watchedListener{Listener: l, w: w}
}

// connState is the http.Server's ConnState hook: it moves a connection to
// the phase net/http reports.
func (w *watchdog) connState(nc net.Conn, s http.ConnState) {
	c, ok := nc.(*watchedConn)
	if !ok {
		return
	}
	switch s {
	case http.StateActive:
		c.enter(phaseActive)
	case http.StateIdle:
		c.enter(phaseIdle)
	case http.StateHijacked, http.StateClosed:
		c.forget()
	}
}

type watchedListener struct {
	net.Listener
	w *watchdog
}

func (l *watchedListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &watchedConn{Conn: nc, w: l.w}
	c.since.Store(l.w.now.Load())
	l.w.mu.Lock()
	l.w.conns[c] = struct{}{}
	l.w.mu.Unlock()
	return c, nil
}

// watchedConn is a connection with its phase and the time it began.
type watchedConn struct {
	net.Conn
	w     *watchdog
	phase atomic.Int32
	since atomic.Int64 // on the watchdog's clock
	once  sync.Once
}

func (c *watchedConn) enter(p int32) {
	c.since.Store(c.w.now.Load())
	c.phase.Store(p)
}

// Read notes the first byte of a request that arrives on an idle
// connection: its headers must then arrive within the header limit. (A new
// connection's header limit already runs from accept.)
func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		switch c.phase.Load() {
		case phaseIdle:
			c.enter(phaseHeaders)
		case phaseNew:
			c.phase.CompareAndSwap(phaseNew, phaseHeaders)
		}
	}
	return n, err
}

// forget stops watching c.
func (c *watchedConn) forget() {
	c.once.Do(func() {
		c.phase.Store(phaseClosed)
		c.w.mu.Lock()
		delete(c.w.conns, c)
		c.w.mu.Unlock()
	})
}

func (c *watchedConn) Close() error {
	c.forget()
	return c.Conn.Close()
}

// CloseWrite half-closes the connection when the one it wraps can, so that
// net/http can still flush an error answer (413, 431) before it closes.
func (c *watchedConn) CloseWrite() error { return closeWrite(c.Conn) }
