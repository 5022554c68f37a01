package minicache

import (
	"fmt"
	"runtime"
	"time"
)

// An Option configures a [Cache] built by [New]. Options are not generic, so a
// call site never spells type arguments on them; the two options that take a
// typed function ([WithWeigher], [WithRemovalCallback]) infer them from it.
type Option func(*config)

// config collects what the options set. Zero values mean "off" or "unbounded".
type config struct {
	capacity  int           // max live entries; 0 = unbounded
	ttl       time.Duration // default TTL for Set; 0 = entries do not expire
	interval  time.Duration // janitor period; 0 = no janitor
	shards    int           // lock stripes; 0 = chosen by New
	maxWeight uint64        // bound on the summed weights; 0 = unbounded
	weigher   any           // func(K, V) uint64, checked by New
	onRemove  any           // func(K, V, RemovalCause), checked by New
	policy    Policy        // eviction policy; LRU by default
}

// WithCapacity bounds the number of live entries. When a Set would exceed it,
// the entry the policy chooses is evicted, under LRU the least recently used
// (an expired entry is reclaimed first, if there is one). Capacity is a hard bound: [Cache.Len] never
// exceeds it. Zero, the default, means unbounded; a negative n makes [New]
// panic. Unbounded or not, one shard holds at most 46,976,202 entries (its
// index has 2²⁶ buckets): [New] gives a capacity enough shards for it, up to
// 1024 (48 billion entries), and a cache evicts past that many a shard, so
// an unbounded one with the 128 shards of two CPUs holds 6 billion entries
// at most, and so does one whose capacity [Cache.SetCapacity] raises.
func WithCapacity(n int) Option {
	return func(c *config) { c.capacity = n }
}

// WithDefaultTTL sets the time to live that [Cache.Set], [Cache.GetOrLoad]
// and SetWithTTL with [DefaultTTL] give an entry. Zero, the default, or a
// negative d means that such entries do not expire.
func WithDefaultTTL(d time.Duration) Option {
	return func(c *config) { c.ttl = d }
}

// WithCleanupInterval starts a janitor goroutine that removes expired entries
// every d, as [Cache.DeleteExpired] does. Without it (or with d = 0, the
// default) expired entries are still never returned: they are removed when an
// operation finds them, or when a full cache needs room. [Cache.Close] stops
// the janitor. A negative d makes [New] panic.
func WithCleanupInterval(d time.Duration) Option {
	return func(c *config) { c.interval = d }
}

// WithShards sets the number of independently locked shards a key is spread
// over by its hash. WithShards(1) makes eviction order exactly global LRU.
//
// With n > 1 each shard holds an equal share of the capacity (the shares
// differ by at most one) and evicts its own victim (under LRU its least
// recently used entry), so eviction approximates the policy's global order, and a full cache holds exactly its
// capacity only once every shard has filled its share. The total never
// exceeds the capacity. Hash spreading keeps the approximation close: on
// Zipf workloads the hit ratio of 64 shards is within 0.1% of one shard's
// (see the README).
//
// When n is 0 (the default), [New] uses one shard for a capacity under 4096,
// so that small caches are exact LRU, and otherwise 64×GOMAXPROCS shards
// (at most 1024), but no more than leave each shard 512 entries. A cache
// without a capacity (unbounded, or bounded by weight alone) is sharded so
// too, however few entries its weight bound lets it hold: give it
// WithShards(1) for an exact order. Either
// way n is raised, up to 1024, to leave each shard no more than 46,976,202
// entries, the most a shard holds (see [WithCapacity]). A negative n makes
// [New] panic.
func WithShards(n int) Option {
	return func(c *config) { c.shards = n }
}

// WithMaxWeight bounds the sum of the weights of the live entries, as
// measured by the function given to [WithWeigher] (without one, every entry
// weighs 1). When a Set makes the total exceed w, entries are evicted as the
// policy chooses (under LRU the least recently used) until it fits; an entry heavier than w on its own is rejected:
// it is not stored, any previous value of its key is removed, and
// [Stats.Rejections] counts it. Zero, the default, means unbounded; a w
// above [MaxWeightLimit] makes [New] panic. The weight bound can be changed
// later with [Cache.SetMaxWeight].
//
// With several shards, eviction starts in the shard that received the Set and
// moves on to the other shards only if that is not enough, so the order is
// approximately LRU; concurrent Sets may exceed w for the moment it takes
// them to evict.
func WithMaxWeight(w uint64) Option {
	return func(c *config) { c.maxWeight = w }
}

// WithWeigher sets the function that gives an entry's weight for
// [WithMaxWeight], for instance its size in bytes. It is called once per
// stored value: without the shard's lock for Set and its variants, with it
// held for the value a [Cache.Compute] or [Cache.ComputeIfPresent] function
// returns and for [Cache.GetAndSet], which is built on Compute. It must be fast and
// deterministic and must not call the cache. Its type must match the
// cache's: [New] panics otherwise.
func WithWeigher[K comparable, V any](weigh func(key K, value V) uint64) Option {
	return func(c *config) { c.weigher = weigh }
}

// WithRemovalCallback sets a function that is told of every removal: capacity
// or weight eviction, expiry, Delete, replacement by a Set, and Clear, with
// the [RemovalCause].
//
// The callback is synchronous: it runs in the goroutine whose call caused the
// removal (the janitor's goroutine for its removals; for a loaded value's
// store, a [Cache.GetOrLoad] caller's), after the cache's locks
// are released and before that call returns. So it may call any method of the
// cache, and its order follows the operations that cause it. Synchronous
// delivery needs no queue that could grow without bound and no goroutine of
// its own; a slow callback slows only the caller that triggered it, and a
// callback that must not block can hand its work to a goroutine. Its type
// must match the cache's: [New] panics otherwise.
func WithRemovalCallback[K comparable, V any](onRemove func(key K, value V, cause RemovalCause)) Option {
	return func(c *config) { c.onRemove = onRemove }
}

// WithPolicy sets the eviction policy: [LRU], the default, [WTinyLFU] or
// [Clock]. An unknown policy makes [New] panic. The README's Performance
// section compares their hit ratios and throughput and says which suits
// which workload.
func WithPolicy(p Policy) Option {
	return func(c *config) { c.policy = p }
}

// Default sharding: caches below exactLimit entries have one shard; larger
// ones have shardsPerProc shards per GOMAXPROCS, at most maxShards, and at
// least minShardCapacity entries of capacity per shard.
const (
	exactLimit       = 4096
	shardsPerProc    = 64
	maxShards        = 1024
	minShardCapacity = 512
)

// shardCount returns the number of shards for cfg.
func (cfg *config) shardCount() int {
	least := cfg.capacity / maxShardEntries // shards the capacity needs, at most maxShards
	if cfg.capacity%maxShardEntries != 0 {
		least++
	}
	least = min(least, maxShards)
	if cfg.shards > 0 {
		return max(cfg.shards, least)
	}
	if cfg.capacity > 0 && cfg.capacity < exactLimit {
		return 1
	}
	n := min(shardsPerProc*runtime.GOMAXPROCS(0), maxShards)
	if cfg.capacity > 0 {
		n = min(n, cfg.capacity/minShardCapacity)
	}
	return max(n, least)
}

// validate panics with a clear message on a programmer error.
func (cfg *config) validate() {
	switch {
	case cfg.capacity < 0:
		panic(fmt.Sprintf("minicache: negative capacity %d", cfg.capacity))
	case cfg.shards < 0:
		panic(fmt.Sprintf("minicache: negative shard count %d", cfg.shards))
	case cfg.interval < 0:
		panic(fmt.Sprintf("minicache: negative cleanup interval %v", cfg.interval))
	}
	checkWeightLimit(cfg.maxWeight)
	if cfg.policy > Clock {
		panic(fmt.Sprintf("minicache: unknown eviction policy %v", cfg.policy))
	}
}

// typed returns f as a T, panicking when an option's function does not match
// the cache's key and value types.
func typed[T any](option string, f any) T {
	var zero T
	if f == nil {
		return zero
	}
	t, ok := f.(T)
	if !ok {
		panic(fmt.Sprintf("minicache: %s takes a %T, not a %T", option, zero, f))
	}
	return t
}
