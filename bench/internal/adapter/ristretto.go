package adapter

import (
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

func init() {
	register(Spec{
		Name:   "ristretto",
		Module: "github.com/dgraph-io/ristretto/v2 v2.4.2",
		Config: "`NumCounters: 10*n` (the README's 10× the expected number of items), `MaxCost: n` with " +
			"cost 1 per `Set` and `IgnoreInternalCost: true` (cost counts entries, not bytes), " +
			"`BufferItems: 64` (the README's value). Sets are asynchronous and may be dropped or " +
			"refused by admission, which is ristretto's design; `Wait` is called only before " +
			"memory is measured. No `Len`: resident entries are counted by probing.",
		Features: Features{Bounded: true, FixedTTL: true, PerEntryTTL: true, IntKeys: true},
		Int:      newRistretto[int64, int64],
		Str:      newRistretto[string, []byte],
	})
}

// ristrettoKey is the part of ristretto.Key that is also comparable.
type ristrettoKey interface{ int64 | string }

type ristrettoCache[K ristrettoKey, V any] struct {
	c *ristretto.Cache[K, V]
}

func newRistretto[K ristrettoKey, V any](cfg Config[K]) Cache[K, V] {
	c, err := ristretto.NewCache(&ristretto.Config[K, V]{
		NumCounters:        10 * int64(cfg.Capacity),
		MaxCost:            int64(cfg.Capacity),
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		panic(err)
	}
	return &ristrettoCache[K, V]{c: c}
}

func (a *ristrettoCache[K, V]) Get(k K) (V, bool) { return a.c.Get(k) }
func (a *ristrettoCache[K, V]) Set(k K, v V)      { a.c.Set(k, v, 1) }
func (a *ristrettoCache[K, V]) SetWithTTL(k K, v V, ttl time.Duration) {
	a.c.SetWithTTL(k, v, 1, ttl)
}
func (a *ristrettoCache[K, V]) Len() int { return -1 }
func (a *ristrettoCache[K, V]) Close()   { a.c.Close() }
func (a *ristrettoCache[K, V]) Settle()  { a.c.Wait() }
