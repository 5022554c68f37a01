package minicache

import (
	"context"
	"fmt"
)

// call is one load in flight, shared by every GetOrLoad caller of its key.
type call[V any] struct {
	done chan struct{} // closed when val and err are set
	val  V
	err  error

	// Guarded by the shard's mu.
	waiters  int  // callers still waiting
	outdated bool // a write of the key came after the load began

	ctx    context.Context    // the loader's context
	cancel context.CancelFunc // cancels ctx
}

// getOrLoad implements Cache.GetOrLoad.
func (c *core[K, V]) getOrLoad(ctx context.Context, k K, load func(context.Context, K) (V, error)) (V, error) {
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	// The miss and the registration of its load are one critical section,
	// so a write in between (a removal callback's, say) cannot be lost.
	s.lock()
	if i := s.liveLocked(k, h, false, &now, rp); i != 0 {
		s.order.hit(i)
		s.hits++
		v := s.slab.entries[i].value
		s.unlock()
		c.report(rp)
		return v, nil
	}
	s.misses++
	cl, leader := s.calls[k], false
	if cl == nil || cl.waiters == 0 {
		// No load, or one that every caller gave up on: its context is
		// canceled, so start afresh. The old one stays outdated.
		if cl != nil {
			cl.outdated = true
		}
		cl, leader = c.newCall(s, k, ctx), true
	}
	cl.waiters++
	s.unlock()
	c.report(rp)
	if leader && !c.spawnLoad(s, k, h, cl, load) {
		// The cache is closed and starts no goroutines: load in this one.
		v, err := callLoader(ctx, k, load)
		c.finishLoad(s, k, h, cl, v, err)
	}

	select {
	case <-cl.done:
		return cl.val, cl.err
	case <-ctx.Done():
		select {
		case <-cl.done: // the value is there: better than an error
			return cl.val, cl.err
		default:
		}
	}
	s.lock()
	cl.waiters--
	// An abandoned load stays registered until it returns, so that writes
	// of k go on marking it outdated; the next caller starts a new one.
	abandoned := cl.waiters == 0
	s.unlock()
	if abandoned {
		cl.cancel() // nobody is left to use the value
	}
	var zero V
	return zero, ctx.Err()
}

// newCall registers a load of k in s. The loader's context keeps the values
// of ctx but not its cancellation: it is canceled when every waiter has gone
// or the cache is closed. s.mu is held.
func (c *core[K, V]) newCall(s *shard[K, V], k K, ctx context.Context) *call[V] {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cl := &call[V]{done: make(chan struct{}), ctx: lctx, cancel: cancel}
	if s.calls == nil {
		s.calls = make(map[K]*call[V])
	}
	s.calls[k] = cl
	return cl
}

// spawnLoad runs the loader of cl in a goroutine that Close waits for. It
// reports false, starting nothing, once the cache is closed.
func (c *core[K, V]) spawnLoad(s *shard[K, V], k K, h uint64, cl *call[V], load func(context.Context, K) (V, error)) bool {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	if c.closed {
		return false
	}
	c.loading.Add(1)
	stop := context.AfterFunc(c.done, cl.cancel)
	go func() {
		defer c.loading.Done()
		defer stop()
		v, err := callLoader(cl.ctx, k, load)
		c.finishLoad(s, k, h, cl, v, err)
	}()
	return true
}

// callLoader runs load, turning a panic into an error so that it cannot take
// down the process from a goroutine the caller does not own.
func callLoader[K comparable, V any](ctx context.Context, k K, load func(context.Context, K) (V, error)) (v V, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("minicache: loader panicked: %v", p)
		}
	}()
	return load(ctx, k)
}

// finishLoad publishes a load's result and stores a loaded value with the
// default TTL, unless the key was written meanwhile (set, deleted, cleared,
// or loaded anew after every caller of cl gave up).
func (c *core[K, V]) finishLoad(s *shard[K, V], k K, h uint64, cl *call[V], v V, err error) {
	var w uint64
	if err == nil {
		w = c.weigh(k, v)
	}
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.lock()
	current := s.calls[k] == cl
	if current {
		delete(s.calls, k)
	}
	switch {
	case err != nil:
		s.loadErrors++
	case cl.outdated || !current:
		s.loads++
	default:
		s.loads++
		s.setLocked(k, h, 0, v, expireAt(&now, c.ttl), w, &now, rp)
	}
	cl.val, cl.err = v, err
	// Report the removals the store caused before waking the callers, so
	// that GetOrLoad, like Set, returns after its callbacks have run.
	c.unlockAndReport(s, rp)
	close(cl.done)
	cl.cancel()
}
