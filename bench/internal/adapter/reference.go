package adapter

import (
	"time"

	"github.com/minicache/minicache/bench/internal/reflru"
)

func init() {
	register(Spec{
		Name:     "lru-reference",
		Module:   "bench/internal/reflru (this module)",
		Config:   "`reflru.New[K, V](n)`: one mutex, a map and a doubly-linked list; the exact global LRU every hit ratio is compared with. No TTL.",
		Features: Features{Bounded: true, IntKeys: true},
		Int:      newReference[int64, int64],
		Str:      newReference[string, []byte],
	})
}

type reference[K comparable, V any] struct {
	c *reflru.LRU[K, V]
}

func newReference[K comparable, V any](cfg Config[K]) Cache[K, V] {
	return &reference[K, V]{c: reflru.New[K, V](cfg.Capacity)}
}

func (a *reference[K, V]) Get(k K) (V, bool) { return a.c.Get(k) }
func (a *reference[K, V]) Set(k K, v V)      { a.c.Set(k, v) }
func (a *reference[K, V]) SetWithTTL(K, V, time.Duration) {
	panic("the reference LRU has no TTL")
}
func (a *reference[K, V]) Len() int { return a.c.Len() }
func (a *reference[K, V]) Close()   {}
