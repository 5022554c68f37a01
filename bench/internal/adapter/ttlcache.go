package adapter

import (
	"time"

	"github.com/jellydator/ttlcache/v3"
)

func init() {
	register(Spec{
		Name:   "ttlcache",
		Module: "github.com/jellydator/ttlcache/v3 v3.4.1",
		Config: "`ttlcache.New(WithCapacity(n), WithDisableTouchOnHit())`, plus `WithTTL(ttl)` and " +
			"`go c.Start()` (the README's automatic expiry) when entries carry TTLs. Touch-on-hit is " +
			"disabled so that a TTL counts from the write, as in every other cache here.",
		Features: Features{Bounded: true, FixedTTL: true, PerEntryTTL: true, IntKeys: true},
		Int:      newTTLCache[int64, int64],
		Str:      newTTLCache[string, []byte],
	})
}

type ttlCache[K comparable, V any] struct {
	c       *ttlcache.Cache[K, V]
	started bool
}

func newTTLCache[K comparable, V any](cfg Config[K]) Cache[K, V] {
	opts := []ttlcache.Option[K, V]{
		ttlcache.WithCapacity[K, V](uint64(cfg.Capacity)),
		ttlcache.WithDisableTouchOnHit[K, V](),
	}
	if cfg.TTL > 0 {
		opts = append(opts, ttlcache.WithTTL[K, V](cfg.TTL))
	}
	a := &ttlCache[K, V]{c: ttlcache.New(opts...)}
	if cfg.TTL > 0 || cfg.TTLOf != nil {
		a.started = true
		go a.c.Start()
	}
	return a
}

func (a *ttlCache[K, V]) Get(k K) (V, bool) {
	it := a.c.Get(k)
	if it == nil {
		var zero V
		return zero, false
	}
	return it.Value(), true
}
func (a *ttlCache[K, V]) Set(k K, v V) { a.c.Set(k, v, ttlcache.DefaultTTL) }
func (a *ttlCache[K, V]) SetWithTTL(k K, v V, ttl time.Duration) {
	a.c.Set(k, v, ttl)
}
func (a *ttlCache[K, V]) Len() int { return a.c.Len() }
func (a *ttlCache[K, V]) Close() {
	if a.started {
		a.c.Stop()
	}
}
