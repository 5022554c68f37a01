package workload

import (
	"fmt"

	"github.com/minicache/minicache/bench/internal/traces"

	"github.com/minicache/minicache/bench/internal/adapter"
)

// Scan pollution of the "zipf+scan" trace: after every ScanEvery Zipf
// requests, ScanLen one-off keys.
const (
	ScanEvery = 100_000
	ScanLen   = 20_000
)

// hitRatioSeed differs from the throughput seed so that the two workloads do
// not share a trace.
const hitRatioSeed = 7

// HitRatioTrace returns the int64 keys of a hit-ratio trace of n Zipf
// requests ("zipf"), or the same with scans inserted ("zipf+scan"), and the
// number of Zipf requests in it. dir caches the trace (see CachedZipfRanks).
func HitRatioTrace(dir, kind string, n int) ([]int64, int, error) {
	for _, t := range traces.All {
		if t.Name == kind {
			return realTrace(t)
		}
	}
	ranks := CachedZipfRanks(dir, hitRatioSeed, n)
	switch kind {
	case "zipf":
	case "zipf+scan":
		ranks = WithScans(ranks, ScanEvery, ScanLen)
	default:
		return nil, 0, fmt.Errorf("workload: unknown trace %q", kind)
	}
	keys := make([]int64, len(ranks))
	for i, r := range ranks {
		keys[i] = IntKey(uint64(r))
	}
	return keys, n, nil
}

// realTrace reads one of the real traces of ../shared/traces.
func realTrace(t traces.Trace) ([]int64, int, error) {
	dir, ok := traces.Dir()
	if !ok {
		return nil, 0, fmt.Errorf("workload: trace %s: no traces folder (../shared/traces or $MINICACHE_TRACES)", t.Name)
	}
	raw, err := traces.Read(dir, t.File)
	if err != nil {
		return nil, 0, err
	}
	keys := make([]int64, len(raw))
	for i, k := range raw {
		keys[i] = int64(k)
	}
	return keys, len(keys), nil
}

// HitRatio replays keys on c from one goroutine: a Get, and on a miss a Set,
// as an application's read-through code would. It returns the hits.
func HitRatio(c adapter.Cache[int64, int64], keys []int64) int {
	hits := 0
	for _, k := range keys {
		if _, ok := c.Get(k); ok {
			hits++
		} else {
			c.Set(k, k)
		}
	}
	return hits
}

func runHitRatio(u Unit, spec adapter.Spec) ([]Outcome, error) {
	keys, zipfN, err := HitRatioTrace(u.TraceDir, u.Trace, u.TraceLen)
	if err != nil {
		return nil, err
	}
	c := spec.Int(adapter.Config[int64]{Capacity: u.Capacity})
	defer c.Close()
	hits := HitRatio(c, keys)
	m := map[string]float64{
		"hit_ratio":      float64(hits) / float64(len(keys)),
		"hit_ratio_zipf": float64(hits) / float64(zipfN),
		"requests":       float64(len(keys)),
	}
	if l := c.Len(); l >= 0 {
		m["len"] = float64(l)
	}
	return []Outcome{{Metrics: m}}, nil
}
