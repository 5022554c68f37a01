package workload

import (
	"fmt"
	"runtime"
	"time"

	"github.com/minicache/minicache/bench/internal/adapter"
)

// Operations of the allocation workload.
const (
	OpGetHit      = "get-hit"
	OpSetExisting = "set-existing"
	OpSetNew      = "set-new-evicting"
)

func runAllocs(u Unit, spec adapter.Spec) ([]Outcome, error) {
	n := u.Capacity + u.Ops
	switch u.Keys {
	case "int":
		keys := make([]int64, n)
		for r := range keys {
			keys[r] = IntKey(uint64(r))
		}
		c := spec.Int(adapter.Config[int64]{Capacity: u.Capacity})
		defer c.Close()
		return measureAllocs(u, spec, c, keys, IntValues(valuePool))
	case "string":
		c := spec.Str(adapter.Config[string]{Capacity: u.Capacity})
		defer c.Close()
		return measureAllocs(u, spec, c, StringKeys(n), ByteValues(valuePool))
	}
	return nil, fmt.Errorf("workload: unknown key layout %q", u.Keys)
}

// measureAllocs fills c with keys[:Capacity], then measures, from one
// goroutine, u.Ops Gets of resident keys, u.Ops Sets of resident keys, and
// u.Ops Sets of new keys (keys[Capacity:]) that each evict. Mallocs of every
// goroutine count, so work a cache defers to its own goroutines is included
// (Settle runs inside each window).
func measureAllocs[K comparable, V any](u Unit, spec adapter.Spec, c adapter.Cache[K, V], keys []K, vals []V) ([]Outcome, error) {
	for i, k := range keys[:u.Capacity] {
		c.Set(k, vals[i&(valuePool-1)])
	}
	adapter.Settle(c)
	var resident []K
	for _, k := range keys[:u.Capacity] {
		if _, ok := c.Get(k); ok {
			resident = append(resident, k)
		}
	}
	if len(resident) == 0 {
		return nil, fmt.Errorf("workload: %s kept none of %d keys", u.Cache, u.Capacity)
	}
	window := func(loop func(i int)) map[string]float64 {
		runtime.GC()
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		t := time.Now()
		for i := range u.Ops {
			loop(i)
		}
		adapter.Settle(c)
		el := time.Since(t)
		runtime.ReadMemStats(&b)
		ops := float64(u.Ops)
		return map[string]float64{
			"allocs_per_op": float64(b.Mallocs-a.Mallocs) / ops,
			"bytes_per_op":  float64(b.TotalAlloc-a.TotalAlloc) / ops,
			"ns_per_op":     float64(el.Nanoseconds()) / ops,
		}
	}
	hits := 0
	get := window(func(i int) {
		if _, ok := c.Get(resident[i%len(resident)]); ok {
			hits++
		}
	})
	get["hit_fraction"] = float64(hits) / float64(u.Ops)
	out := []Outcome{
		{Op: OpGetHit, Metrics: get},
		{Op: OpSetExisting, Metrics: window(func(i int) {
			c.Set(resident[i%len(resident)], vals[i&(valuePool-1)])
		})},
	}
	if !spec.Features.Bounded {
		out = append(out, Outcome{Op: OpSetNew, Unsupported: "no capacity bound"})
	} else {
		fresh := keys[u.Capacity:]
		out = append(out, Outcome{Op: OpSetNew, Metrics: window(func(i int) {
			c.Set(fresh[i], vals[i&(valuePool-1)])
		})})
	}
	return out, nil
}
