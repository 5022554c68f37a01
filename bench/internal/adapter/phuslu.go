package adapter

import (
	"runtime"
	"time"

	"github.com/phuslu/lru"
)

func init() {
	register(Spec{
		Name:   "phuslu-lru",
		Module: "github.com/phuslu/lru v1.0.18",
		Config: "`lru.NewLRUCache[K, V](n)` with its default sharding (16×GOMAXPROCS shards, its own hash; n rounded down " +
			"to a multiple of the shard count, since each shard holds ⌈n/shards⌉), " +
			"as its README recommends for a plain LRU. Its TTL cache (`NewTTLCache`) keeps TTLs to the second and is " +
			"a separate type, so it is not in the TTL workloads.",
		Features: Features{Bounded: true, IntKeys: true},
		Int:      newPhuslu[int64, int64],
		Str:      newPhuslu[string, []byte],
	})
}

type phusluCache[K comparable, V any] struct {
	c *lru.LRUCache[K, V]
}

func newPhuslu[K comparable, V any](cfg Config[K]) Cache[K, V] {
	// Its default shard count, 16×GOMAXPROCS rounded up to a power of two,
	// and a size rounded down to a multiple of it: each shard holds
	// ceil(size/shards), so this never holds more than the capacity.
	shards := 1
	for shards < 16*runtime.GOMAXPROCS(0) && 2*shards <= cfg.Capacity {
		shards *= 2
	}
	size := cfg.Capacity - cfg.Capacity%shards
	return &phusluCache[K, V]{c: lru.NewLRUCache[K, V](size, lru.WithShards[K, V](uint32(shards)))}
}

func (a *phusluCache[K, V]) Get(k K) (V, bool) { return a.c.Get(k) }
func (a *phusluCache[K, V]) Set(k K, v V)      { a.c.Set(k, v) }
func (a *phusluCache[K, V]) SetWithTTL(K, V, time.Duration) {
	panic("phuslu-lru: the plain LRU has no TTL")
}
func (a *phusluCache[K, V]) Len() int { return a.c.Len() }
func (a *phusluCache[K, V]) Close()   {}
