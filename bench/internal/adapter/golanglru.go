package adapter

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

func init() {
	register(Spec{
		Name:     "golang-lru",
		Module:   "github.com/hashicorp/golang-lru/v2 v2.0.7",
		Config:   "`lru.New[K, V](n)`: the thread-safe exact LRU. No TTL.",
		Features: Features{Bounded: true, IntKeys: true},
		Int:      newGolangLRU[int64, int64],
		Str:      newGolangLRU[string, []byte],
	})
}

type golangLRU[K comparable, V any] struct {
	c *lru.Cache[K, V]
}

func newGolangLRU[K comparable, V any](cfg Config[K]) Cache[K, V] {
	c, err := lru.New[K, V](cfg.Capacity)
	if err != nil {
		panic(err)
	}
	return &golangLRU[K, V]{c: c}
}

func (a *golangLRU[K, V]) Get(k K) (V, bool) { return a.c.Get(k) }
func (a *golangLRU[K, V]) Set(k K, v V)      { a.c.Add(k, v) }
func (a *golangLRU[K, V]) SetWithTTL(K, V, time.Duration) {
	panic("golang-lru has no TTL")
}
func (a *golangLRU[K, V]) Len() int { return a.c.Len() }
func (a *golangLRU[K, V]) Close()   {}
