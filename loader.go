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
	outdated bool // a Set, Delete or Clear of the key came after the load began

	ctx    context.Context    // the loader's context
	cancel context.CancelFunc // cancels ctx
}

// getOrLoad implements Cache.GetOrLoad.
func (c *core[K, V]) getOrLoad(ctx context.Context, k K, load func(context.Context, K) (V, error)) (V, error) {
	h := c.hash(k)
	s := c.shardFor(h)
	s.mu.Lock()
	if i := c.findLocked(s, k, h); i != 0 {
		s.list.moveToFront(i)
		s.hits++
		v := s.list.entries[i].value
		s.mu.Unlock()
		return v, nil
	}
	s.misses++
	cl, leader := s.calls[k], false
	if cl == nil {
		cl, leader = c.newCall(s, k, ctx), true
	}
	cl.waiters++
	s.mu.Unlock()
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
	s.mu.Lock()
	cl.waiters--
	abandoned := cl.waiters == 0
	if abandoned && s.calls[k] == cl {
		delete(s.calls, k) // a later caller starts a load of its own
	}
	s.mu.Unlock()
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
// default TTL, unless the key was set, deleted or cleared meanwhile.
func (c *core[K, V]) finishLoad(s *shard[K, V], k K, h uint64, cl *call[V], v V, err error) {
	var w uint64
	if err == nil && c.weigher != nil {
		w = c.weigher(k, v)
	}
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.mu.Lock()
	if s.calls[k] == cl {
		delete(s.calls, k)
	}
	switch {
	case err != nil:
		s.loadErrors++
	case cl.outdated:
		s.loads++
	case c.maxWeight > 0 && w > c.maxWeight:
		s.loads++
		s.rejections++
	default:
		s.loads++
		s.setLocked(k, h, v, expireAt(&now, c.ttl), w, &now, rp)
		c.fitWeightLocked(s, &now, rp)
	}
	cl.val, cl.err = v, err
	s.mu.Unlock()
	// Report the removals the store caused before waking the callers, so
	// that GetOrLoad, like Set, returns after its callbacks have run.
	c.report(rp)
	c.fitWeight(s)
	close(cl.done)
	cl.cancel()
}
