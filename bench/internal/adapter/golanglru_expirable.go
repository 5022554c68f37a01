package adapter

import (
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

func init() {
	register(Spec{
		Name:   "golang-lru-expirable",
		Module: "github.com/hashicorp/golang-lru/v2/expirable v2.0.7",
		Config: "`expirable.NewLRU[K, V](n, nil, ttl)`: one TTL for the whole cache (0 = none), " +
			"so varied per-key TTLs are unsupported. Its cleanup goroutine cannot be stopped " +
			"(a documented limitation of v2).",
		Features: Features{Bounded: true, FixedTTL: true, IntKeys: true},
		Int:      newExpirable[int64, int64],
		Str:      newExpirable[string, []byte],
	})
}

type expirableLRU[K comparable, V any] struct {
	c *expirable.LRU[K, V]
}

func newExpirable[K comparable, V any](cfg Config[K]) Cache[K, V] {
	if cfg.TTLOf != nil {
		panic("golang-lru expirable has no per-entry TTL")
	}
	return &expirableLRU[K, V]{c: expirable.NewLRU[K, V](cfg.Capacity, nil, cfg.TTL)}
}

func (a *expirableLRU[K, V]) Get(k K) (V, bool) { return a.c.Get(k) }
func (a *expirableLRU[K, V]) Set(k K, v V)      { a.c.Add(k, v) }

// SetWithTTL ignores ttl: the workload only calls it with the cache-wide TTL.
func (a *expirableLRU[K, V]) SetWithTTL(k K, v V, _ time.Duration) { a.c.Add(k, v) }
func (a *expirableLRU[K, V]) Len() int                             { return a.c.Len() }
func (a *expirableLRU[K, V]) Close()                               {}
