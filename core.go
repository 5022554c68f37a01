package minicache

import (
	"context"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// core is the cache itself. Cache wraps it so that a Cache nobody references
// any more can be collected, and its cleanup stop the janitor, which
// references only the core.
type core[K comparable, V any] struct {
	shards   []shard[K, V]
	hashFn   func(K) uint64 // see hash
	clock    clock
	ttl      time.Duration            // the default TTL; NoExpiration when there is none
	weigher  func(K, V) uint64        // nil when entries are not weighed
	onRemove func(K, V, RemovalCause) // nil when nobody listens
	bound    *weightBound             // nil when entries are not weighed
	policy   Policy

	// Hits and misses of optimistic reads, in 1<<(64-readShift) stripes;
	// nil when the shards take no optimistic reads. Read-only once set, as
	// the fields above: the stripes are written, not the slice.
	reads     []readCounters
	readShift uint8

	done        context.Context    // canceled by close
	cancel      context.CancelFunc // cancels done
	janitorDone chan struct{}      // closed when the janitor returns; nil without one
	loadMu      sync.Mutex         // guards closed and the loading.Add calls
	closed      bool
	loading     sync.WaitGroup // loader goroutines

	resizeMu sync.Mutex   // serializes SetCapacity calls
	capacity atomic.Int64 // the bound on entries; 0 = unbounded

	// Written by Sets of weighted caches: kept off the cache line of the
	// read-only fields above, which every operation reads.
	_      [64]byte
	weight weightBound
	victim atomic.Uint32 // shard fitWeight starts from next
}

// newCore builds the core for cfg.
func newCore[K comparable, V any](cfg *config) *core[K, V] {
	c := &core[K, V]{
		hashFn:   newHasher[K](),
		clock:    newClock(),
		ttl:      NoExpiration,
		weigher:  typed[func(K, V) uint64]("WithWeigher", cfg.weigher),
		onRemove: typed[func(K, V, RemovalCause)]("WithRemovalCallback", cfg.onRemove),
		policy:   cfg.policy,
	}
	if cfg.ttl > 0 {
		c.ttl = cfg.ttl
	}
	if c.weigher == nil && cfg.maxWeight > 0 {
		c.weigher = func(K, V) uint64 { return 1 }
	}
	if c.weigher != nil {
		c.bound = &c.weight
		c.bound.max.Store(cfg.maxWeight)
	}
	c.capacity.Store(int64(cfg.capacity))
	n := cfg.shardCount()
	if cfg.capacity > 0 {
		n = min(n, cfg.capacity) // every shard holds at least one entry
	}
	c.shards = make([]shard[K, V], n)
	var sz *windowSizer
	if cfg.policy == WTinyLFU {
		sz = newWindowSizer(n)
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.bound = c.bound
		s.hash = c.hashFn
		s.capacity = share(cfg.capacity, n, i)
		if cfg.policy != LRU {
			s.order.lfu = &tinyLFU{tagOf: s.tagOf, hits: &s.lfuHits, sizer: sz, clock: cfg.policy == Clock}
			s.optimistic = optimisticReads
		}
		s.init()
	}
	if optimisticReads && cfg.policy != LRU {
		stripes := 8
		for stripes < 4*runtime.GOMAXPROCS(0) && stripes < 256 {
			stripes *= 2
		}
		c.reads = make([]readCounters, stripes)
		c.readShift = uint8(64 - bits.TrailingZeros(uint(stripes)))
	}
	c.done, c.cancel = context.WithCancel(context.Background())
	return c
}

// share returns shard i's part of a capacity split over n shards: shares
// differ by at most one and sum to the capacity; 0, unbounded, gives
// noLimit.
func share(capacity, n, i int) int {
	if capacity == 0 {
		return noLimit
	}
	part := capacity / n
	if i < capacity%n {
		part++
	}
	return part
}

// hash returns k's hash without letting k escape (see newHasher).
func (c *core[K, V]) hash(k K) uint64 { return c.hashFn(*hide(&k)) }

// shardFor returns the shard of a key with hash h.
func (c *core[K, V]) shardFor(h uint64) *shard[K, V] {
	// The low half of h, scaled to the shard count; the high half is the
	// tag and bucket inside the shard.
	return &c.shards[uint64(uint32(h))*uint64(len(c.shards))>>32]
}

// recorder returns r when removals must be reported, nil otherwise.
func (c *core[K, V]) recorder(r *removals[K, V]) *removals[K, V] {
	if c.onRemove == nil {
		return nil
	}
	return r
}

// report tells the removal callback of the removals in r, which may be nil.
// No lock may be held.
func (c *core[K, V]) report(r *removals[K, V]) {
	if r != nil {
		r.report(c.onRemove)
	}
}

// unlockAndReport unlocks s, reports the removals in r, and makes the other
// shards honour the weight bound. Every write ends with it.
func (c *core[K, V]) unlockAndReport(s *shard[K, V], r *removals[K, V]) {
	s.unlock()
	c.report(r)
	c.fitWeight(s)
}

// setCapacity implements Cache.SetCapacity.
func (c *core[K, V]) setCapacity(n int) {
	c.resizeMu.Lock()
	defer c.resizeMu.Unlock()
	c.capacity.Store(int64(n))
	for i := range c.shards {
		s := &c.shards[i]
		var r removals[K, V]
		rp := c.recorder(&r)
		now := moment{clk: &c.clock}
		s.lock()
		s.setCapacityLocked(share(n, len(c.shards), i), &now, rp)
		s.unlock()
		c.report(rp)
	}
}

// wallTime returns the wall-clock time of expire, a deadline on c's clock;
// the zero Time for 0, no deadline.
func (c *core[K, V]) wallTime(expire int64) time.Time {
	if expire == 0 {
		return time.Time{}
	}
	return c.clock.epoch.Add(time.Duration(expire)).Round(0)
}

// clockTime returns the deadline on c's clock of the wall-clock time at,
// and never for the zero Time. A time past the clock's end gives the end; a
// time before the cache's creation gives a value of 0 or less, which every
// caller treats as past.
func (c *core[K, V]) clockTime(at time.Time) (expire int64, never bool) {
	if at.IsZero() {
		return 0, true
	}
	return min(int64(at.Sub(c.clock.epoch)), c.clock.end), false
}
