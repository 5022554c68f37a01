package adapter

import "time"

func init() {
	register(Spec{
		Name:   "map-ceiling",
		Module: "the Go runtime's map",
		Config: "A plain `map[K]V`, filled by one goroutine and then read without any lock: the ceiling for reads, " +
			"to show how close a cache's Get comes to a bare hash lookup. Not a cache: no bound, no eviction, no " +
			"concurrent writes, so it runs only the 100/0 mix and the memory workload, and is never counted as a peer.",
		Features: Features{IntKeys: true, ReadOnly: true},
		Int:      newCeiling[int64, int64],
		Str:      newCeiling[string, []byte],
	})
}

type ceiling[K comparable, V any] struct {
	m map[K]V
}

func newCeiling[K comparable, V any](cfg Config[K]) Cache[K, V] {
	return &ceiling[K, V]{m: make(map[K]V, cfg.Capacity)}
}

func (a *ceiling[K, V]) Get(k K) (V, bool) {
	v, ok := a.m[k]
	return v, ok
}
func (a *ceiling[K, V]) Set(k K, v V) { a.m[k] = v }
func (a *ceiling[K, V]) SetWithTTL(K, V, time.Duration) {
	panic("map-ceiling has no TTL")
}
func (a *ceiling[K, V]) Len() int { return len(a.m) }
func (a *ceiling[K, V]) Close()   {}
