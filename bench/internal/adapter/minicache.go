package adapter

import (
	"time"

	"github.com/minicache/minicache"
)

func init() {
	register(minicacheSpec("minicache", minicache.LRU, "`minicache.New[K, V](minicache.WithCapacity(n))` with default sharding; TTLs through "+
		"`SetWithTTL` on every Set; no `WithCleanupInterval` (no janitor: expired entries are dropped lazily and by eviction)."))
	register(minicacheSpec("minicache-wtinylfu", minicache.WTinyLFU,
		"as minicache, plus `minicache.WithPolicy(minicache.WTinyLFU)`: adaptive W-TinyLFU per shard."))
	register(minicacheSpec("minicache-clock", minicache.Clock,
		"as minicache, plus `minicache.WithPolicy(minicache.Clock)`: CLOCK (second chance) per shard, hits without the lock."))
}

// minicacheSpec describes minicache with policy p (LRU is the default, so
// WithPolicy(LRU) changes nothing).
func minicacheSpec(name string, p minicache.Policy, config string) Spec {
	return Spec{
		Name:     name,
		Module:   "github.com/minicache/minicache (this repository)",
		Config:   config,
		Features: Features{Bounded: true, FixedTTL: true, PerEntryTTL: true, IntKeys: true},
		Int:      newMinicacheWith[int64, int64](p),
		Str:      newMinicacheWith[string, []byte](p),
	}
}

// newMinicacheWith returns the constructor of a minicache with policy p.
func newMinicacheWith[K comparable, V any](p minicache.Policy) func(Config[K]) Cache[K, V] {
	return func(cfg Config[K]) Cache[K, V] {
		return &miniCache[K, V]{c: minicache.New[K, V](minicache.WithCapacity(cfg.Capacity), minicache.WithPolicy(p))}
	}
}

type miniCache[K comparable, V any] struct {
	c *minicache.Cache[K, V]
}

func (a *miniCache[K, V]) Get(k K) (V, bool) { return a.c.Get(k) }
func (a *miniCache[K, V]) Set(k K, v V)      { a.c.Set(k, v) }
func (a *miniCache[K, V]) SetWithTTL(k K, v V, ttl time.Duration) {
	a.c.SetWithTTL(k, v, ttl)
}
func (a *miniCache[K, V]) Len() int { return a.c.Len() }
func (a *miniCache[K, V]) Close()   { a.c.Close() }
