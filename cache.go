// Package minicache is an in-process cache for Go: a generic [Cache] with a
// time to live per entry, least-recently-used eviction at a capacity or a
// weight bound, exact statistics, a loader that collapses concurrent misses,
// and an optional janitor goroutine that removes expired entries.
//
// A Cache is split into shards, each an exact LRU list over a flat array of
// entries with integer links and a Robin Hood hash index, guarded by its own
// mutex. A Get or Set hashes its key once, locks one shard and allocates
// nothing. An entry costs no heap object of its own: what the garbage
// collector sees grows with the number of shards, not of entries. Deadlines
// sit in a heap per shard, so removing what has expired costs time in
// proportion to what has expired, never a scan of the live entries.
//
// Expiry reads time.Now, so a cache created inside a testing/synctest bubble
// runs on the bubble's fake clock, janitor included.
package minicache

import (
	"context"
	"iter"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// NoExpiration, given to [Cache.SetWithTTL], stores an entry that never
// expires; [Cache.TTL] reports it for such entries.
const NoExpiration time.Duration = math.MaxInt64

// DefaultTTL, given to [Cache.SetWithTTL], stores an entry with the cache's
// default time to live (see [WithDefaultTTL]).
const DefaultTTL time.Duration = 0

// Cache is a concurrency-safe map from keys of type K to values of type V
// with a bounded size and per-entry expiry. Build one with [New]; the zero
// Cache is not usable.
//
// Every method is safe for concurrent use and atomic per key. Get, Set,
// Peek, Delete and TTL run in O(1) expected time (a Set with a TTL adds
// O(log n) for its deadline) and allocate nothing, beyond the amortized
// growth of a shard's arrays while the cache fills up.
//
// An entry whose deadline has passed is absent for every method, whether or
// not it has been removed yet: Get and Peek miss it, Len does not count it,
// Delete reports false. Expired entries an operation comes across are
// removed and counted as expirations.
type Cache[K comparable, V any] struct {
	c       *core[K, V]
	cleanup runtime.Cleanup // closes c if the Cache is collected unclosed
}

// core is the cache itself. Cache wraps it so that a Cache nobody references
// any more can be collected, and its cleanup stop the janitor, which
// references only the core.
type core[K comparable, V any] struct {
	shards    []shard[K, V]
	hash      func(K) uint64
	clock     clock
	ttl       time.Duration // the default TTL; NoExpiration when there is none
	capacity  int
	maxWeight uint64
	weigher   func(K, V) uint64        // nil when entries are not weighed
	onRemove  func(K, V, RemovalCause) // nil when nobody listens

	done        context.Context    // canceled by close
	cancel      context.CancelFunc // cancels done
	janitorDone chan struct{}      // closed when the janitor returns; nil without one
	loadMu      sync.Mutex         // guards closed and the loading.Add calls
	closed      bool
	loading     sync.WaitGroup // loader goroutines

	// Written by Sets of weighted caches: kept off the cache line of the
	// read-only fields above, which every operation reads.
	_      [64]byte
	weight atomic.Uint64 // total weight of the live entries
	victim atomic.Uint32 // shard fitWeight starts from next
}

// New returns a cache configured by opts; see the With... functions for the
// options and their defaults. New panics on a programmer error: a negative
// capacity, shard count or cleanup interval, or a typed option whose types do
// not match K and V.
//
// If a cleanup interval is set, New starts the janitor goroutine; call
// [Cache.Close] to stop it. A Cache that becomes unreachable without Close
// has its janitor stopped when the garbage collector reclaims it.
func New[K comparable, V any](opts ...Option) *Cache[K, V] {
	var cfg config
	for _, opt := range opts {
		opt(&cfg)
	}
	cfg.validate()
	c := &core[K, V]{
		hash:      newHasher[K](),
		clock:     newClock(),
		ttl:       NoExpiration,
		capacity:  cfg.capacity,
		maxWeight: cfg.maxWeight,
		weigher:   typed[func(K, V) uint64]("WithWeigher", cfg.weigher),
		onRemove:  typed[func(K, V, RemovalCause)]("WithRemovalCallback", cfg.onRemove),
	}
	if cfg.ttl > 0 {
		c.ttl = cfg.ttl
	}
	if c.weigher == nil && c.maxWeight > 0 {
		c.weigher = func(K, V) uint64 { return 1 }
	}
	n := cfg.shardCount()
	if c.capacity > 0 {
		n = min(n, c.capacity) // every shard holds at least one entry
	}
	c.shards = make([]shard[K, V], n)
	for i := range c.shards {
		s := &c.shards[i]
		s.hash = c.hash
		if c.weigher != nil {
			s.total = &c.weight
		}
		if c.capacity > 0 {
			// Shares differ by at most one and sum to the capacity.
			s.capacity = c.capacity / n
			if i < c.capacity%n {
				s.capacity++
			}
		}
		s.init()
	}
	c.done, c.cancel = context.WithCancel(context.Background())

	cache := &Cache[K, V]{c: c}
	if cfg.interval > 0 {
		c.startJanitor(cfg.interval)
		cache.cleanup = runtime.AddCleanup(cache, func(c *core[K, V]) { c.close() }, c)
	}
	return cache
}

// Set stores v under k with the default time to live (see
// [WithDefaultTTL]), replacing any previous value and making k the most
// recently used key. If the cache is full, it first removes an expired entry
// or, if there is none, evicts the least recently used one.
//
// Set reports whether it stored v. It stores nothing, and reports false, only
// for an entry that alone weighs more than the weight bound (see
// [WithMaxWeight]); a refused Set still removes the previous value of k, so
// the cache never goes on serving a value its caller meant to replace.
func (c *Cache[K, V]) Set(k K, v V) bool {
	return c.c.set(k, v, c.c.ttl)
}

// SetWithTTL is like [Cache.Set] with the time to live ttl: [DefaultTTL]
// (zero) means the cache's default and [NoExpiration] means never. A
// negative ttl means the value has already expired: SetWithTTL stores
// nothing and removes any previous value of k. SetWithTTL reports whether it
// stored v, as Set does; a negative ttl reports false.
func (c *Cache[K, V]) SetWithTTL(k K, v V, ttl time.Duration) bool {
	if ttl == DefaultTTL {
		ttl = c.c.ttl
	}
	return c.c.set(k, v, ttl)
}

// Get returns the value of k and true, or the zero value and false if k is
// absent or expired. A hit makes k the most recently used key; Get counts a
// hit or a miss in [Stats].
func (c *Cache[K, V]) Get(k K) (V, bool) {
	return c.c.get(k)
}

// Peek is like [Cache.Get] but neither counts a hit or miss nor changes
// the recency order.
func (c *Cache[K, V]) Peek(k K) (V, bool) {
	return c.c.peek(k)
}

// Delete removes k and reports whether it was present (and not expired).
func (c *Cache[K, V]) Delete(k K) bool {
	return c.c.delete(k)
}

// TTL returns the time k has left to live and true, [NoExpiration] for an
// entry that does not expire, or 0 and false when k is absent or expired.
// It counts nothing and does not change the recency order.
func (c *Cache[K, V]) TTL(k K) (time.Duration, bool) {
	return c.c.ttlOf(k)
}

// Len returns the number of live entries. It removes the expired entries it
// finds (in time proportional to their number) so that they are not
// counted, and locks each shard in turn.
func (c *Cache[K, V]) Len() int {
	return c.c.len()
}

// Clear removes every entry, reporting each to the removal callback with
// [CauseCleared] (or [CauseExpired] if it had expired). It keeps the
// statistics, and a load in flight does not store its value afterwards.
// Clear empties one shard at a time: entries set concurrently may survive
// it.
func (c *Cache[K, V]) Clear() {
	c.c.clear()
}

// DeleteExpired removes every expired entry now and returns how many it
// removed. It is what the janitor does every cleanup interval; its cost is
// proportional to the number of expired entries, not the size of the cache.
func (c *Cache[K, V]) DeleteExpired() int {
	return c.c.deleteExpired()
}

// All returns an iterator over the live entries. It visits each shard in
// turn, copying the shard's entries under its lock and yielding them after
// releasing it, from the most to the least recently used: with one shard the
// order is exact LRU order, otherwise it is unspecified. The loop body may
// call any method of the cache; changes to shards already visited are not
// seen. Iteration counts nothing and does not change the recency order. Each
// live key is yielded once.
func (c *Cache[K, V]) All() iter.Seq2[K, V] {
	return c.c.all
}

// Keys returns an iterator over the keys of the live entries, in the order
// and with the guarantees of [Cache.All].
func (c *Cache[K, V]) Keys() iter.Seq[K] {
	return func(yield func(K) bool) {
		for k := range c.c.all {
			if !yield(k) {
				return
			}
		}
	}
}

// Stats returns a snapshot of the cache's counters.
func (c *Cache[K, V]) Stats() Stats {
	return c.c.stats()
}

// GetOrLoad returns the value of k, calling load to produce it on a miss and
// storing what it returns with the default time to live.
//
// Concurrent callers that miss the same key share one call of load, which
// runs in a goroutine of its own with a context that carries the values of
// the first caller's ctx but is canceled only when every waiting caller has
// given up, or when the cache is closed. A caller whose ctx ends stops
// waiting and returns ctx.Err(). If load returns an error (or panics), every
// waiting caller gets that error and nothing is stored. A value loaded while
// k was Set, Deleted or Cleared is returned to the waiting callers but not
// stored over the newer state.
//
// GetOrLoad counts a hit or a miss like [Cache.Get]; [Stats] also counts
// Loads and LoadErrors. After [Cache.Close], load runs in the calling
// goroutine with the caller's ctx.
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, k K, load func(ctx context.Context, k K) (V, error)) (V, error) {
	return c.c.getOrLoad(ctx, k, load)
}

// Capacity returns the bound on the number of entries, 0 when unbounded.
func (c *Cache[K, V]) Capacity() int {
	return c.c.capacity
}

// MaxWeight returns the bound on the total weight, 0 when unbounded.
func (c *Cache[K, V]) MaxWeight() uint64 {
	return c.c.maxWeight
}

// Close stops the janitor, cancels the contexts of the loads in flight, and
// waits for both to return, so that no goroutine of the cache outlives it.
// It is idempotent and safe without a janitor. The cache stays usable after
// Close, without a janitor. Close must not be called from a removal callback
// run by the janitor or from a loader, which it would wait for.
func (c *Cache[K, V]) Close() {
	c.cleanup.Stop()
	c.c.close()
}

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

func (c *core[K, V]) set(k K, v V, ttl time.Duration) bool {
	var w uint64
	if c.weigher != nil {
		w = c.weigher(k, v)
	}
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.mu.Lock()
	stored := false
	switch {
	case c.maxWeight > 0 && w > c.maxWeight:
		s.rejections++
		s.dropLocked(k, h, &now, rp)
	case ttl < 0:
		s.dropLocked(k, h, &now, rp)
	default:
		s.setLocked(k, h, v, expireAt(&now, ttl), w, &now, rp)
		stored = true
	}
	c.fitWeightLocked(s, &now, rp)
	s.mu.Unlock()
	c.report(rp)
	c.fitWeight(s)
	return stored
}

// fitWeightLocked evicts entries of s, which just received a Set, while the
// total weight is over the bound and s holds more than that entry. s.mu is
// held.
func (c *core[K, V]) fitWeightLocked(s *shard[K, V], now *moment, r *removals[K, V]) {
	for c.maxWeight > 0 && c.weight.Load() > c.maxWeight && s.list.len > 1 {
		s.evict(now, r)
	}
}

// fitWeight evicts from the shards other than from, in turn, while the total
// weight is over the bound. No lock may be held.
func (c *core[K, V]) fitWeight(from *shard[K, V]) {
	if c.maxWeight == 0 || c.weight.Load() <= c.maxWeight {
		return
	}
	n := uint32(len(c.shards))
	start := c.victim.Add(1)
	for j := range n {
		s := &c.shards[(start+j)%n]
		if s == from {
			continue
		}
		var r removals[K, V]
		rp := c.recorder(&r)
		now := moment{clk: &c.clock}
		s.mu.Lock()
		for c.weight.Load() > c.maxWeight && s.list.len > 0 {
			s.evict(&now, rp)
		}
		s.mu.Unlock()
		c.report(rp)
		if c.weight.Load() <= c.maxWeight {
			return
		}
	}
}

// findLocked returns the slot of k's live entry in s, or 0. An expired
// entry it finds is removed. s.mu is held.
func (c *core[K, V]) findLocked(s *shard[K, V], k K, h uint64) uint32 {
	pos, i := s.lookup(k, h)
	if i != 0 && s.list.expire(i) != 0 {
		return c.unlessExpired(s, pos, i)
	}
	return i
}

// unlessExpired returns i, or 0 after removing the entry in slot i (bucket
// pos) if its deadline has passed. s.mu is held.
func (c *core[K, V]) unlessExpired(s *shard[K, V], pos uint64, i uint32) uint32 {
	if s.list.expire(i) > c.clock.now() {
		return i
	}
	c.expireLocked(s, pos, i)
	return 0
}

func (c *core[K, V]) get(k K) (V, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	s.mu.Lock()
	// findLocked by hand: the compiler does not inline it here, and this is
	// the hottest path (about 8% fewer instructions per hit).
	pos, i := s.lookup(k, h)
	if i != 0 && s.list.expire(i) != 0 {
		i = c.unlessExpired(s, pos, i)
	}
	if i != 0 {
		v := s.list.entries[i].value
		s.list.moveToFront(i)
		s.hits++
		s.mu.Unlock()
		return v, true
	}
	s.misses++
	s.mu.Unlock()
	var zero V
	return zero, false
}

func (c *core[K, V]) peek(k K) (V, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	s.mu.Lock()
	if i := c.findLocked(s, k, h); i != 0 {
		v := s.list.entries[i].value
		s.mu.Unlock()
		return v, true
	}
	s.mu.Unlock()
	var zero V
	return zero, false
}

func (c *core[K, V]) ttlOf(k K) (time.Duration, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	pos, i := s.lookup(k, h)
	if i == 0 {
		return 0, false
	}
	expire := s.list.expire(i)
	if expire == 0 {
		return NoExpiration, true
	}
	if now := c.clock.now(); expire > now {
		return time.Duration(expire - now), true
	}
	c.expireLocked(s, pos, i)
	return 0, false
}

// expireLocked removes the expired entry in slot i (bucket pos) that a read
// found. With a removal callback it unlocks s.mu to report the removal and
// locks it again. s.mu is held.
func (c *core[K, V]) expireLocked(s *shard[K, V], pos uint64, i uint32) {
	if c.onRemove == nil {
		s.remove(pos, i, CauseExpired, nil)
		return
	}
	var r removals[K, V]
	s.remove(pos, i, CauseExpired, &r)
	s.mu.Unlock()
	c.report(&r)
	s.mu.Lock()
}

func (c *core[K, V]) delete(k K) bool {
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	s.mu.Lock()
	s.invalidateLoad(k)
	pos, i := s.lookup(k, h)
	if i == 0 {
		s.mu.Unlock()
		return false
	}
	cause := CauseDeleted
	if s.list.expired(i, &moment{clk: &c.clock}) {
		cause = CauseExpired
	}
	s.remove(pos, i, cause, rp)
	s.mu.Unlock()
	c.report(rp)
	return cause == CauseDeleted
}

func (c *core[K, V]) len() int {
	n := 0
	c.eachSettled(func(s *shard[K, V]) { n += s.list.len })
	return n
}

func (c *core[K, V]) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		var r removals[K, V]
		rp := c.recorder(&r)
		c.lockSettled(s, rp)
		old := s.list
		if s.total != nil {
			s.total.Add(-s.weight)
		}
		s.init()
		for _, cl := range s.calls {
			cl.outdated = true
		}
		s.mu.Unlock()
		c.report(rp)
		if c.onRemove != nil {
			for j := old.entries[0].next; j != 0; j = old.entries[j].next {
				c.onRemove(old.entries[j].key, old.entries[j].value, CauseCleared)
			}
		}
	}
}

// all is the iterator of Cache.All.
func (c *core[K, V]) all(yield func(K, V) bool) {
	type pair struct {
		k K
		v V
	}
	var batch []pair
	for i := range c.shards {
		s := &c.shards[i]
		var r removals[K, V]
		rp := c.recorder(&r)
		c.lockSettled(s, rp)
		batch = batch[:0]
		for j := s.list.entries[0].next; j != 0; j = s.list.entries[j].next {
			batch = append(batch, pair{s.list.entries[j].key, s.list.entries[j].value})
		}
		s.mu.Unlock()
		c.report(rp)
		for _, p := range batch {
			if !yield(p.k, p.v) {
				return
			}
		}
	}
}

func (c *core[K, V]) stats() Stats {
	var st Stats
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.add(&s.shardCounters)
		s.mu.Unlock()
	}
	st.Weight = c.weight.Load()
	return st
}
