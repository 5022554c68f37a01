package adapter

import (
	"time"

	gocache "github.com/patrickmn/go-cache"
)

func init() {
	register(Spec{
		Name:   "go-cache",
		Module: "github.com/patrickmn/go-cache v2.1.0+incompatible",
		Config: "`cache.New(ttl, 2*ttl)` (the README's pattern: cleanup interval twice the default " +
			"expiration), or `cache.New(NoExpiration, 0)` without TTLs. It has no capacity bound " +
			"and takes only string keys, so bounded and int64-key cells are unsupported; in the " +
			"TTL workload it grows until entries expire.",
		Features: Features{FixedTTL: true, PerEntryTTL: true},
		Str:      newGoCache[[]byte],
	})
}

type goCache[V any] struct {
	c *gocache.Cache
}

func newGoCache[V any](cfg Config[string]) Cache[string, V] {
	if cfg.TTL == 0 {
		return &goCache[V]{c: gocache.New(gocache.NoExpiration, 0)}
	}
	return &goCache[V]{c: gocache.New(cfg.TTL, 2*cfg.TTL)}
}

func (a *goCache[V]) Get(k string) (V, bool) {
	x, ok := a.c.Get(k)
	if !ok {
		var zero V
		return zero, false
	}
	return x.(V), true
}
func (a *goCache[V]) Set(k string, v V) { a.c.Set(k, v, gocache.DefaultExpiration) }
func (a *goCache[V]) SetWithTTL(k string, v V, ttl time.Duration) {
	a.c.Set(k, v, ttl)
}
func (a *goCache[V]) Len() int { return a.c.ItemCount() }
func (a *goCache[V]) Close()   {}
