package httpserver

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// admission bounds the bytes that requests hold at once while their bodies
// are read and decoded: a weighted semaphore whose waiters are served in
// arrival order, so that a large request is not starved by small ones.
type admission struct {
	max int64 // the bound; 0 would admit nothing, so New never builds one

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

// acquire waits until n bytes are free (n is capped at the bound, so that a
// request larger than the bound runs alone) and returns the amount to
// release, or returns 0 and false when ctx ends or wait passes first.
func (a *admission) acquire(ctx context.Context, n int64, wait time.Duration) (int64, bool) {
	n = min(max(n, 1), a.max)
	a.mu.Lock()
	if a.waiters.Len() == 0 && a.used+n <= a.max {
		a.used += n
		a.mu.Unlock()
		return n, true
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	elem := a.waiters.PushBack(w)
	a.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return n, true
	case <-ctx.Done():
	case <-timer.C:
	}
	a.mu.Lock()
	select {
	case <-w.ready: // granted while we gave up: give it back
		a.mu.Unlock()
		a.release(n)
	default:
		a.waiters.Remove(elem)
		// Our place at the head may have blocked smaller waiters behind.
		a.grantLocked()
		a.mu.Unlock()
	}
	return 0, false
}

// release returns n bytes and admits the waiters that now fit.
func (a *admission) release(n int64) {
	a.mu.Lock()
	a.used -= n
	a.grantLocked()
	a.mu.Unlock()
}

// grantLocked admits waiters in order while the oldest fits. a.mu must be
// held.
func (a *admission) grantLocked() {
	for e := a.waiters.Front(); e != nil; e = a.waiters.Front() {
		w := e.Value.(*waiter)
		if a.used+w.n > a.max {
			return
		}
		a.used += w.n
		a.waiters.Remove(e)
		close(w.ready)
	}
}
