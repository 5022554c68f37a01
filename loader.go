package minicache

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// call is one load in flight, shared by every GetOrLoad caller of its key.
type call[K comparable, V any] struct {
	done chan struct{} // closed when val and err are set
	val  V
	err  error

	// Guarded by the shard's mu.
	waiters  int  // callers still waiting
	outdated bool // a write of the key came after the load began
	finished bool // val and err are set, and pending if there is work left

	// pending is set, with the shard's lock held, when storing the loaded
	// value left work to do after unlocking: reporting the removals in
	// removed to the callback and making the other shards honour the weight
	// bound. The first caller to wake does it (see afterLoad), so that the
	// callbacks run in a GetOrLoad caller's goroutine, as any write's do,
	// not in the loader's, where a panic would end the process.
	pending atomic.Bool
	removed removals[K, V]

	ctx    context.Context    // the loader's context
	cancel context.CancelFunc // cancels ctx
}

// errLoaderExited is the error of a load whose function never returned: it
// called runtime.Goexit (as t.FailNow does).
var errLoaderExited = errors.New("minicache: loader exited without returning (runtime.Goexit)")

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
	// The load starts before the callbacks of the miss run: one that
	// panics must not leave registered a load that never runs.
	if leader && !c.spawnLoad(s, k, h, cl, load) {
		// The cache is closed and starts no goroutines: load in this one.
		c.runLoad(ctx, s, k, h, cl, load)
	}
	reported := false
	defer func() {
		if !reported { // a callback panicked: stop waiting, as on ctx's end
			c.leave(s, cl)
		}
	}()
	c.report(rp)
	reported = true

	select {
	case <-cl.done:
		c.afterLoad(s, cl)
		return cl.val, cl.err
	case <-ctx.Done():
		select {
		case <-cl.done: // the value is there: better than an error
			c.afterLoad(s, cl)
			return cl.val, cl.err
		default:
		}
	}
	c.leave(s, cl)
	var zero V
	return zero, ctx.Err()
}

// leave takes a caller that stops waiting off cl's waiters. The last to
// leave cancels the load; one that leaves after the load finished, which
// counted on it, does what the store left to do.
func (c *core[K, V]) leave(s *shard[K, V], cl *call[K, V]) {
	s.lock()
	cl.waiters--
	// An abandoned load stays registered until it returns, so that writes
	// of k go on marking it outdated; the next caller starts a new one.
	abandoned := cl.waiters == 0
	finished := cl.finished
	s.unlock()
	if abandoned {
		cl.cancel() // nobody is left to use the value
	}
	if finished {
		c.afterLoad(s, cl)
	}
}

// afterLoad does what storing cl's value left to do once, in the first
// goroutine to call it: reports the removals and fits the weight bound,
// which it does even if a callback panics.
func (c *core[K, V]) afterLoad(s *shard[K, V], cl *call[K, V]) {
	if cl.pending.CompareAndSwap(true, false) {
		defer c.fitWeight(s)
		c.report(&cl.removed)
	}
}

// newCall registers a load of k in s. The loader's context keeps the values
// of ctx but not its cancellation: it is canceled when every waiter has gone
// or the cache is closed. s.mu is held.
func (c *core[K, V]) newCall(s *shard[K, V], k K, ctx context.Context) *call[K, V] {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cl := &call[K, V]{done: make(chan struct{}), ctx: lctx, cancel: cancel}
	if s.calls == nil {
		s.calls = make(map[K]*call[K, V])
	}
	s.calls[k] = cl
	return cl
}

// spawnLoad runs the loader of cl in a goroutine that Close waits for. It
// reports false, starting nothing, once the cache is closed.
func (c *core[K, V]) spawnLoad(s *shard[K, V], k K, h uint64, cl *call[K, V], load func(context.Context, K) (V, error)) bool {
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
		c.runLoad(cl.ctx, s, k, h, cl, load)
	}()
	return true
}

// runLoad calls load with ctx and finishes cl with what it returns. A load
// that never returns, having called runtime.Goexit, finishes cl too, with
// errLoaderExited, so that its callers are not left waiting forever.
func (c *core[K, V]) runLoad(ctx context.Context, s *shard[K, V], k K, h uint64, cl *call[K, V], load func(context.Context, K) (V, error)) {
	returned := false
	defer func() {
		if !returned {
			var zero V
			c.finishLoad(s, k, h, cl, zero, errLoaderExited)
		}
	}()
	v, err := callLoader(ctx, k, load)
	returned = true
	c.finishLoad(s, k, h, cl, v, err)
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
// or loaded anew after every caller of cl gave up). What the store leaves to
// do after unlocking is the waking callers' (see call.pending); if every
// caller has given up, this goroutine does it, and a callback's panic,
// which no caller is left to receive, is dropped.
func (c *core[K, V]) finishLoad(s *shard[K, V], k K, h uint64, cl *call[K, V], v V, err error) {
	var w uint64
	if err == nil {
		w = c.weigh(k, v)
	}
	rp := c.recorder(&cl.removed) // reported by afterLoad
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
		cl.pending.Store(true)
	}
	cl.val, cl.err = v, err
	cl.finished = true
	orphaned := cl.waiters == 0
	s.unlock()
	close(cl.done)
	cl.cancel()
	if orphaned {
		defer func() { recover() }()
		c.afterLoad(s, cl)
	}
}
