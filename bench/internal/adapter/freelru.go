package adapter

import (
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/elastic/go-freelru"
)

func init() {
	register(Spec{
		Name:   "go-freelru",
		Module: "github.com/elastic/go-freelru v0.16.0",
		Config: "`freelru.NewSharded[K, V](n, hash)`, the thread-safe sharded LRU (16×GOMAXPROCS shards, 25% spare " +
			"buckets), with xxhash for strings as its README shows and a multiply-xorshift mixer for int64; TTLs through " +
			"`AddWithLifetime`.",
		Features: Features{Bounded: true, FixedTTL: true, PerEntryTTL: true, IntKeys: true},
		Int:      newFreeLRU[int64, int64](hashInt64),
		Str:      newFreeLRU[string, []byte](hashString),
	})
}

func hashString(s string) uint32 { return uint32(xxhash.Sum64String(s)) }

func hashInt64(k int64) uint32 {
	x := uint64(k)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return uint32(x)
}

type freeLRU[K comparable, V any] struct {
	c *freelru.ShardedLRU[K, V]
}

func newFreeLRU[K comparable, V any](hash func(K) uint32) func(Config[K]) Cache[K, V] {
	return func(cfg Config[K]) Cache[K, V] {
		c, err := freelru.NewSharded[K, V](uint32(cfg.Capacity), hash)
		if err != nil {
			panic(err)
		}
		if cfg.TTL > 0 && cfg.TTLOf == nil {
			c.SetLifetime(cfg.TTL)
		}
		return &freeLRU[K, V]{c: c}
	}
}

func (a *freeLRU[K, V]) Get(k K) (V, bool) { return a.c.Get(k) }
func (a *freeLRU[K, V]) Set(k K, v V)      { a.c.Add(k, v) }
func (a *freeLRU[K, V]) SetWithTTL(k K, v V, ttl time.Duration) {
	a.c.AddWithLifetime(k, v, ttl)
}
func (a *freeLRU[K, V]) Len() int { return a.c.Len() }
func (a *freeLRU[K, V]) Close()   {}
