// Package minicache is an in-process cache for Go: a generic [Cache] with a
// time to live per entry, least-recently-used eviction at a capacity or a
// weight bound, exact statistics, atomic per-key operations, a loader that
// collapses concurrent misses, and an optional janitor goroutine that
// removes expired entries.
//
// A Cache is split into shards, each an eviction order (an exact LRU list
// by default) over a flat array of entries with integer links and a Robin Hood hash index, guarded by its own
// mutex. A Get or Set hashes its key once, locks one shard and allocates
// nothing; under [WTinyLFU] and [Clock] a Get whose hit changes nothing
// reads without the lock. An entry costs no heap object of its own: what the garbage
// collector sees grows with the number of shards, not of entries. Deadlines
// sit in a heap per shard, so removing what has expired costs time in
// proportion to what has expired, never a scan of the live entries.
//
// Every method follows one rule for removal callbacks: the removals an
// operation causes are collected under the shard's lock and reported after
// the operation has released it, before the method returns.
//
// Expiry reads time.Now, so a cache created inside a testing/synctest bubble
// runs on the bubble's fake clock, janitor included.
package minicache

import (
	"context"
	"iter"
	"math"
	"runtime"
	"time"
)

// NoExpiration, given as a ttl, stores an entry that never expires;
// [Cache.TTL] reports it for such entries.
const NoExpiration time.Duration = math.MaxInt64

// DefaultTTL, given as a ttl, stores an entry with the cache's default time
// to live (see [WithDefaultTTL]).
const DefaultTTL time.Duration = 0

// KeepTTL, given as a ttl to [Cache.SetWithTTL] (and the methods that take a
// ttl as it does), [Cache.Compute] or [Cache.GetAndSet], keeps the deadline
// the entry has; for a key that is absent it means [DefaultTTL].
const KeepTTL time.Duration = math.MinInt64

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

// New returns a cache configured by opts; see the With... functions for the
// options and their defaults. New panics on a programmer error: a negative
// capacity, shard count or cleanup interval, or a typed option whose types do
// not match K and V.
//
// If a cleanup interval is set, New starts the janitor goroutine; call
// [Cache.Close] to stop it. A Cache that becomes unreachable without Close
// has its janitor stopped when the garbage collector reclaims it, but only
// if nothing the cache holds refers back to it: a removal callback, weigher
// or loader that captures the *Cache keeps it reachable from its own
// janitor, so such a cache is never collected and must be closed.
func New[K comparable, V any](opts ...Option) *Cache[K, V] {
	var cfg config
	for _, opt := range opts {
		opt(&cfg)
	}
	cfg.validate()
	c := newCore[K, V](&cfg)
	cache := &Cache[K, V]{c: c}
	if cfg.interval > 0 {
		c.startJanitor(cfg.interval)
		cache.cleanup = runtime.AddCleanup(cache, func(c *core[K, V]) { c.close() }, c)
	}
	return cache
}

// Set stores v under k with the default time to live (see
// [WithDefaultTTL]), replacing any previous value and making k the most
// recently used key (under [Clock] an overwrite marks k where it stands; a
// new key goes to the front). If the cache is full, it first removes an
// expired entry or, if there is none, evicts the entry its policy chooses:
// under LRU the least recently used.
//
// Set reports whether it stored v. It refuses an entry that alone weighs
// more than the weight bound (see [WithMaxWeight]), counting it in
// [Stats.Rejections]. A refused Set still removes the previous value of k:
// whenever a write does not store its value, the key is left absent, so the
// cache never goes on serving a value that its caller meant to replace.
func (c *Cache[K, V]) Set(k K, v V) bool {
	return c.c.set(k, v, DefaultTTL)
}

// SetWithTTL is like [Cache.Set] with the time to live ttl: [DefaultTTL]
// (zero) means the cache's default, [NoExpiration] means never and
// [KeepTTL] keeps k's deadline. Any other negative ttl means the value has
// already expired: SetWithTTL stores nothing, removes any previous value of
// k and reports false. A deadline
// past 2262-04-11, the last instant time.Time's UnixNano can express, is
// cut to it (so a snapshot can write it), as is every deadline the cache
// is given.
func (c *Cache[K, V]) SetWithTTL(k K, v V, ttl time.Duration) bool {
	return c.c.set(k, v, ttl)
}

// SetWithDeadline is like [Cache.Set] with an absolute deadline, as a
// snapshot restores it: the zero Time means never. A deadline that has
// passed stores nothing, removes any previous value of k and reports false;
// one past 2262-04-11 is cut to it (see [Cache.SetWithTTL]).
func (c *Cache[K, V]) SetWithDeadline(k K, v V, at time.Time) bool {
	return c.c.setWithDeadline(k, v, at)
}

// SetIfAbsent stores v under k with the time to live ttl (as for
// [Cache.SetWithTTL]) only if k is absent or expired, and reports whether it
// stored v (Redis SET NX). It also reports false when the weight bound
// refuses v. It counts no hit or miss and leaves a present entry untouched.
func (c *Cache[K, V]) SetIfAbsent(k K, v V, ttl time.Duration) bool {
	return c.c.setIf(k, v, ttl, false)
}

// Replace stores v under k with the time to live ttl (as for
// [Cache.SetWithTTL]) only if k holds a live entry, and reports whether it
// stored v (Redis SET XX). When the weight bound refuses v, the old value is
// removed, as for [Cache.Set], and Replace reports false.
func (c *Cache[K, V]) Replace(k K, v V, ttl time.Duration) bool {
	return c.c.setIf(k, v, ttl, true)
}

// Get returns the value of k and true, or the zero value and false if k is
// absent or expired. A hit makes k the most recently used key (under
// [WTinyLFU]: marks and counts it; under [Clock]: marks it); Get counts a
// hit or a miss in [Stats].
func (c *Cache[K, V]) Get(k K) (V, bool) {
	return c.c.get(k)
}

// GetAndExpire is [Cache.Get] that also gives a live k the time to live ttl
// without changing its value, as [Cache.Expire] does: sliding expiry on
// demand (Redis GETEX). With a ttl of zero or less it returns the value and
// removes k.
func (c *Cache[K, V]) GetAndExpire(k K, ttl time.Duration) (V, bool) {
	return c.c.getAndExpire(k, ttl)
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

// GetAndDelete removes k and returns the value it had and true, or the zero
// value and false if it was absent or expired (Redis GETDEL). It counts no
// hit or miss.
func (c *Cache[K, V]) GetAndDelete(k K) (V, bool) {
	return c.c.getAndDelete(k)
}

// GetAndSet stores v under k with the time to live ttl, as
// [Cache.SetWithTTL] does, and returns the value it replaced and true, or
// the zero value and false if k was absent (Redis SET GET, GETSET). A ttl of
// [KeepTTL] keeps the deadline of the value it replaces. It counts no hit or
// miss.
func (c *Cache[K, V]) GetAndSet(k K, v V, ttl time.Duration) (old V, found bool) {
	return c.c.getAndSet(k, v, ttl)
}

// A ComputeOp tells [Cache.Compute] what to do with the entry.
type ComputeOp uint8

const (
	// ComputeKeep leaves the entry as it was, or k absent.
	ComputeKeep ComputeOp = iota
	// ComputeStore stores the returned value with the returned ttl.
	ComputeStore
	// ComputeDelete removes the entry, if any.
	ComputeDelete
)

// Compute is an atomic read-modify-write of one key. It calls f with the
// live value of k (found reports whether there is one) and the time it has
// left to live ([NoExpiration] when it has no deadline, 0 when absent), and
// does what f returns:
//   - [ComputeStore] stores the value with the ttl, which may be
//     [DefaultTTL], [NoExpiration], a positive duration or [KeepTTL] (a
//     negative ttl removes k, as for [Cache.SetWithTTL]);
//   - [ComputeDelete] removes k;
//   - [ComputeKeep] changes nothing.
//
// Compute returns the value k holds afterwards and true, or the zero value
// and false if k is absent afterwards (including a store that the weight
// bound refused, which removes the old value as [Cache.Set] does).
//
// f runs with the lock of k's shard held, so no other operation on the keys
// of that shard runs meanwhile: f must be quick and must not call the cache
// (it would deadlock). If f panics, the cache is left unchanged and the
// panic goes on to the caller. Compute counts no hit or miss; a store counts
// as a use of k, as Set's does. Increment, append and every other
// read-modify-write of one key can be built on it.
func (c *Cache[K, V]) Compute(k K, f func(v V, ttl time.Duration, found bool) (V, time.Duration, ComputeOp)) (V, bool) {
	return c.c.compute(k, f)
}

// ComputeIfPresent is [Cache.Compute] for a key that is live: it calls f
// with k's value and the time it has left to live, and does what f
// returns, as Compute does; for an absent (or expired) k it calls nothing
// and returns the zero value and false. It never stores k itself (the
// entry keeps its key), so k does not escape: a key converted from a byte
// slice for the call, as in c.ComputeIfPresent(string(b), f), is not
// copied to the heap. Update an existing entry with it first and fall back
// to Compute for a new one to allocate a key only when one is added.
func (c *Cache[K, V]) ComputeIfPresent(k K, f func(v V, ttl time.Duration) (V, time.Duration, ComputeOp)) (V, bool) {
	return c.c.computeIfPresent(k, f)
}

// TTL returns the time k has left to live and true, [NoExpiration] for an
// entry that does not expire, or 0 and false when k is absent or expired.
// It counts nothing and does not change the recency order.
func (c *Cache[K, V]) TTL(k K) (time.Duration, bool) {
	return c.c.ttlOf(k)
}

// Expire gives a live k the time to live ttl without changing its value or
// its recency (Redis EXPIRE; [NoExpiration] is PERSIST), and reports whether
// k was present. A ttl of zero or less removes k at once, as an expiry.
func (c *Cache[K, V]) Expire(k K, ttl time.Duration) bool {
	return c.c.expire(k, ttl)
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
// releasing it, in the order of its policy: under LRU from the most to the
// least recently used (with one shard, exact LRU order); under W-TinyLFU
// its protected entries, then probation, then the window, each from the
// most recently moved; under Clock its list, from the most recently
// inserted or given a second chance. Across shards the order is unspecified. Memory is O(one
// shard). The loop body may call any method of the cache; changes to shards
// already visited are not seen. Iteration counts no hit or miss and does not
// change the recency order; the expired entries of a shard are removed (and
// counted in [Stats.Expirations]) before it is copied. Each live key is
// yielded once.
func (c *Cache[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		c.c.each(func(e *Entry[K, V]) bool { return yield(e.Key, e.Value) })
	}
}

// Keys returns an iterator over the keys of the live entries, in the order
// and with the guarantees of [Cache.All].
func (c *Cache[K, V]) Keys() iter.Seq[K] {
	return func(yield func(K) bool) {
		c.c.each(func(e *Entry[K, V]) bool { return yield(e.Key) })
	}
}

// Entries returns an iterator over the live entries with their deadlines,
// in the order and with the guarantees of [Cache.All]: what a snapshot
// saves, to be restored with [Cache.SetWithDeadline] (most recently used
// first, so a restore should store them in reverse to rebuild the order).
func (c *Cache[K, V]) Entries() iter.Seq[Entry[K, V]] {
	return func(yield func(Entry[K, V]) bool) {
		c.c.each(func(e *Entry[K, V]) bool { return yield(*e) })
	}
}

// Scan appends to buf the keys of up to count live entries from cursor on,
// and returns buf and the cursor to pass next: start with 0, and stop when
// it returns 0. A count below 1 means 10. Scan is incremental iteration that
// tolerates concurrent writes, with the guarantee of Redis SCAN: every key
// present for the whole iteration is returned at least once (here: exactly
// once), while keys added or removed meanwhile may or may not be. Each call
// locks one shard at a time, for O(count) work; cursors stay valid across
// calls and writes, and an invalid cursor ends the iteration.
func (c *Cache[K, V]) Scan(cursor uint64, count int, buf []K) ([]K, uint64) {
	return c.c.scan(cursor, count, buf)
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
// waiting and returns ctx.Err(). If load returns an error (or panics, or
// calls runtime.Goexit), every waiting caller gets an error and nothing is
// stored. A value loaded while
// k was written (set, deleted, cleared, or loaded anew after every caller
// gave up) is returned to the callers still waiting but never stored over
// the newer state.
//
// The removal callback hears of the entries the loaded value's store
// removes in the goroutine of the first caller to wake, before that caller
// returns, so a callback's panic reaches a caller as it would from Set (if
// every caller has given up, the loader's goroutine reports them, and a
// panic there is dropped). GetOrLoad counts a hit or a miss like
// [Cache.Get]; [Stats] also counts Loads and LoadErrors. After
// [Cache.Close], load runs in the calling goroutine with the caller's ctx.
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, k K, load func(ctx context.Context, k K) (V, error)) (V, error) {
	return c.c.getOrLoad(ctx, k, load)
}

// Capacity returns the bound on the number of entries, 0 when unbounded.
func (c *Cache[K, V]) Capacity() int {
	return int(c.c.capacity.Load())
}

// SetCapacity changes the bound on the number of entries (0: unbounded),
// evicting entries as its policy chooses (under LRU the least recently
// used), shard by shard, until the cache
// holds no more than n (otter's SetMaximum). The shard count stays what
// [New] chose, so a capacity below it leaves some shards no room: a Set to
// them is evicted as it arrives, and one above 46,976,202 entries a shard
// holds no more than that (see [WithCapacity]). It takes O(evicted
// entries) time, locking one shard at a time; a negative n makes it panic.
func (c *Cache[K, V]) SetCapacity(n int) {
	if n < 0 {
		panic("minicache: negative capacity")
	}
	c.c.setCapacity(n)
}

// Policy returns the eviction policy the cache was built with (see
// [WithPolicy]).
func (c *Cache[K, V]) Policy() Policy {
	return c.c.policy
}

// MaxWeight returns the bound on the total weight, 0 when unbounded.
func (c *Cache[K, V]) MaxWeight() uint64 {
	if c.c.bound == nil {
		return 0
	}
	return c.c.bound.max.Load()
}

// SetMaxWeight changes the bound on the total weight (0: unbounded),
// evicting until the total fits (Redis CONFIG SET maxmemory). The cache
// must weigh its entries: it panics for a cache built without
// [WithMaxWeight] or [WithWeigher].
func (c *Cache[K, V]) SetMaxWeight(w uint64) {
	c.c.setMaxWeight(w)
}

// Close stops the janitor, cancels the contexts of the loads in flight, and
// waits for both to return, so that no goroutine of the cache outlives it.
// It is idempotent and safe without a janitor. The cache stays usable after
// Close, without a janitor. Close must not be called from a removal callback
// run by the janitor or from a loader, which it would wait for (nor from a
// callback of a load every caller gave up on, see [Cache.GetOrLoad]).
func (c *Cache[K, V]) Close() {
	c.cleanup.Stop()
	c.c.close()
}
