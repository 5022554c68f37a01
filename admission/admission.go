// Package admission bounds the bytes that requests hold at once across
// connections, and across front ends when they share one [Budget]: the REST
// handler charges a PUT /set its body and decoded value, the Redis-protocol
// server charges a command the buffer of its arguments and their copy into
// the cache. cmd/minicache gives both front ends one Budget, so that one
// bound covers the process, as its memory model says.
package admission

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Budget is a weighted semaphore over bytes whose waiters are served in
// arrival order, so that a large request is not starved by small ones. It
// is safe for concurrent use. Acquire and Release take O(1) time plus one
// step per waiter they admit.
type Budget struct {
	max int64 // the bound, > 0

	mu      sync.Mutex // guards used and waiters
	used    int64
	waiters list.List // of *waiter, oldest first
}

// waiter is a request waiting to be admitted; ready is closed once its n
// bytes are granted.
type waiter struct {
	n     int64
	ready chan struct{}
}

// New returns a budget of max bytes. It panics if max ≤ 0: a budget of
// nothing would admit nothing (a front end leaves the bound off instead).
func New(max int64) *Budget {
	if max <= 0 {
		panic("admission: New called with a bound ≤ 0")
	}
	return &Budget{max: max}
}

// Bound returns a budget of max bytes, or nil, no bound, when max ≤ 0: the
// rule of the front ends' WithMaxBytesInFlight options.
func Bound(max int64) *Budget {
	if max <= 0 {
		return nil
	}
	return New(max)
}

// Max returns the bound, in bytes.
func (b *Budget) Max() int64 { return b.max }

// Used returns the bytes granted and not yet released.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Acquire waits until n bytes are free (n is capped at the bound, so that a
// request larger than the bound runs alone) and returns the amount to
// release, or returns 0 and false when ctx ends or wait passes first. A
// request does not overtake an older one still waiting, even when it would
// fit.
func (b *Budget) Acquire(ctx context.Context, n int64, wait time.Duration) (int64, bool) {
	n = min(max(n, 1), b.max)
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.used+n <= b.max {
		b.used += n
		b.mu.Unlock()
		return n, true
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	elem := b.waiters.PushBack(w)
	b.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return n, true
	case <-ctx.Done():
	case <-timer.C:
	}
	b.mu.Lock()
	select {
	case <-w.ready: // granted while we gave up: give it back
		b.mu.Unlock()
		b.Release(n)
	default:
		b.waiters.Remove(elem)
		// Our place at the head may have blocked smaller waiters behind.
		b.grantLocked()
		b.mu.Unlock()
	}
	return 0, false
}

// Release returns n bytes that Acquire granted and admits the waiters that
// now fit.
func (b *Budget) Release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.grantLocked()
	b.mu.Unlock()
}

// grantLocked admits waiters in order while the oldest fits. b.mu must be
// held.
func (b *Budget) grantLocked() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*waiter)
		if b.used+w.n > b.max {
			return
		}
		b.used += w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}
