package workload

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minicache/minicache/bench/internal/adapter"
	"github.com/minicache/minicache/bench/internal/result"
)

// Fixed and varied TTLs of the TTL-heavy workload: short enough that entries
// expire during a measurement, so the expiry machinery really runs.
const (
	FixedTTL     = 250 * time.Millisecond
	VariedTTLMin = 100 * time.Millisecond
	VariedTTLMax = 400 * time.Millisecond
)

// intTTL and stringTTL spread keys uniformly over [VariedTTLMin, VariedTTLMax).
func intTTL(k int64) time.Duration {
	span := uint64((VariedTTLMax - VariedTTLMin) / time.Millisecond)
	return VariedTTLMin + time.Duration(uint64(k)%span)*time.Millisecond
}

func stringTTL(k string) time.Duration {
	h := uint64(14695981039346656037) // FNV-1a, inline so that it never allocates
	for i := 0; i < len(k); i++ {
		h ^= uint64(k[i])
		h *= 1099511628211
	}
	return intTTL(int64(h >> 1))
}

// throughputSeed is the seed of the throughput trace; every child regenerates
// the same trace.
const throughputSeed = 42

func runThroughput(u Unit, spec adapter.Spec) ([]Outcome, error) {
	out, err := throughputByLayout(u, spec)
	if err == nil && u.Workload == result.TTL && !spec.Features.Bounded {
		out[0].Note = "unbounded: grows until entries expire"
	}
	return out, err
}

func throughputByLayout(u Unit, spec adapter.Spec) ([]Outcome, error) {
	ranks := CachedZipfRanks(u.TraceDir, throughputSeed, u.TraceLen)
	switch u.Keys {
	case "int":
		keys := make([]int64, len(ranks))
		for i, r := range ranks {
			keys[i] = IntKey(uint64(r))
		}
		cfg := adapter.Config[int64]{Capacity: u.Capacity}
		cfg = ttlConfig(u, cfg, intTTL)
		hot := make([]int64, u.Capacity)
		for r := range hot {
			hot[r] = IntKey(uint64(r))
		}
		return measureThroughput(u, spec.Int(cfg), cfg, keys, hot, IntValues(valuePool))
	case "string":
		table := StringKeys(KeySpace)
		keys := make([]string, len(ranks))
		for i, r := range ranks {
			keys[i] = table[r]
		}
		cfg := adapter.Config[string]{Capacity: u.Capacity}
		cfg = ttlConfig(u, cfg, stringTTL)
		return measureThroughput(u, spec.Str(cfg), cfg, keys, table[:u.Capacity], ByteValues(valuePool))
	}
	return nil, fmt.Errorf("workload: unknown key layout %q", u.Keys)
}

func ttlConfig[K comparable](u Unit, cfg adapter.Config[K], ttlOf func(K) time.Duration) adapter.Config[K] {
	if u.Workload != result.TTL {
		return cfg
	}
	switch u.TTLMode {
	case "fixed":
		cfg.TTL = FixedTTL
	case "varied":
		cfg.TTL = FixedTTL // the typical TTL, for caches that want a default
		cfg.TTLOf = ttlOf
	}
	return cfg
}

// valuePool is the number of distinct values written; a power of two.
const valuePool = 1024

// opPattern has 128 slots, exactly writes/100·128 of them writes, spread by a
// fixed shuffle.
func opPattern(readPct int) [128]bool {
	var p [128]bool
	writes := (100 - readPct) * 128 / 100
	for i := range writes {
		p[i] = true
	}
	// Deterministic Fisher-Yates with a tiny LCG.
	x := uint32(12345)
	for i := len(p) - 1; i > 0; i-- {
		x = x*1664525 + 1013904223
		j := int(x>>8) % (i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// counter is one goroutine's op count on its own cache line.
type counter struct {
	n atomic.Int64
	_ [56]byte
}

// measureThroughput prefills c with the hot keys, runs the mix on u.Goroutines
// goroutines for u.Warmup, then counts operations over u.Duration.
func measureThroughput[K comparable, V any](u Unit, c adapter.Cache[K, V], cfg adapter.Config[K], keys, hot []K, vals []V) ([]Outcome, error) {
	defer c.Close()
	if len(keys)&(len(keys)-1) != 0 {
		return nil, fmt.Errorf("workload: trace length %d is not a power of two", len(keys))
	}
	set := func(k K, v V) {
		switch {
		case cfg.TTLOf != nil:
			c.SetWithTTL(k, v, cfg.TTLOf(k))
		case cfg.TTL > 0:
			c.SetWithTTL(k, v, cfg.TTL)
		default:
			c.Set(k, v)
		}
	}
	for i, k := range hot {
		set(k, vals[i&(valuePool-1)])
	}
	adapter.Settle(c)
	runtime.GC()

	// Where the CPUs sit, next to the window it describes.
	rtt := PingPong()

	pattern := opPattern(u.ReadPct)
	mask := len(keys) - 1
	counters := make([]counter, u.Goroutines)
	var stop atomic.Bool
	var start, done sync.WaitGroup
	start.Add(1)
	for g := range u.Goroutines {
		done.Add(1)
		go func() {
			defer done.Done()
			i := g * len(keys) / u.Goroutines
			var n int64
			start.Wait()
			for !stop.Load() {
				for range 256 {
					k := keys[i]
					if pattern[i&127] {
						set(k, vals[i&(valuePool-1)])
					} else {
						c.Get(k)
					}
					i = (i + 1) & mask
				}
				n += 256
				counters[g].n.Store(n)
			}
		}()
	}
	total := func() int64 {
		var s int64
		for i := range counters {
			s += counters[i].n.Load()
		}
		return s
	}
	start.Done()
	time.Sleep(u.Warmup)
	n0, t0 := total(), time.Now()
	time.Sleep(u.Duration)
	n1, t1 := total(), time.Now()
	stop.Store(true)
	done.Wait()

	m := map[string]float64{"ops_per_sec": float64(n1-n0) / t1.Sub(t0).Seconds()}
	if rtt > 0 {
		m["pingpong_ns"] = (rtt + PingPong()) / 2
	}
	if l := c.Len(); l >= 0 {
		m["len"] = float64(l)
	}
	return []Outcome{{Metrics: m}}, nil
}
