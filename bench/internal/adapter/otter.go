package adapter

import (
	"time"

	"github.com/maypok86/otter/v2"
)

func init() {
	register(Spec{
		Name:   "otter",
		Module: "github.com/maypok86/otter/v2 v2.4.0",
		Config: "`otter.Must(&otter.Options{MaximumSize: n, InitialCapacity: n})`; TTL through " +
			"`ExpiryCalculator`: `ExpiryWriting(ttl)` for a fixed TTL, `ExpiryWritingFunc` computing " +
			"the key's TTL for varied TTLs (otter's way of giving entries their own TTL). Reads use `GetIfPresent`.",
		Features: Features{Bounded: true, FixedTTL: true, PerEntryTTL: true, IntKeys: true},
		Int:      newOtter[int64, int64],
		Str:      newOtter[string, []byte],
	})
}

type otterCache[K comparable, V any] struct {
	c *otter.Cache[K, V]
}

func newOtter[K comparable, V any](cfg Config[K]) Cache[K, V] {
	o := &otter.Options[K, V]{MaximumSize: cfg.Capacity, InitialCapacity: cfg.Capacity}
	switch {
	case cfg.TTLOf != nil:
		ttlOf := cfg.TTLOf
		o.ExpiryCalculator = otter.ExpiryWritingFunc(func(e otter.Entry[K, V]) time.Duration {
			return ttlOf(e.Key)
		})
	case cfg.TTL > 0:
		o.ExpiryCalculator = otter.ExpiryWriting[K, V](cfg.TTL)
	}
	return &otterCache[K, V]{c: otter.Must(o)}
}

func (a *otterCache[K, V]) Get(k K) (V, bool) { return a.c.GetIfPresent(k) }
func (a *otterCache[K, V]) Set(k K, v V)      { a.c.Set(k, v) }

// SetWithTTL relies on the ExpiryCalculator configured in newOtter, which
// yields the same TTL the workload passes.
func (a *otterCache[K, V]) SetWithTTL(k K, v V, _ time.Duration) { a.c.Set(k, v) }
func (a *otterCache[K, V]) Len() int                             { return a.c.EstimatedSize() }
func (a *otterCache[K, V]) Close()                               { a.c.StopAllGoroutines() }
func (a *otterCache[K, V]) Settle()                              { a.c.CleanUp() }
