package minicache

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks' workload: keys drawn from a Zipf distribution (s = 1.01)
// over a million keys, a cache of 100k entries, as in the comparison suite
// in bench/. Keys are generated up front so that the generator is not
// measured.
const (
	benchKeySpace = 1 << 20
	benchCapacity = 100_000
	benchTrace    = 1 << 20 // must be a power of two
	// benchResident keys fit in a sharded cache of benchCapacity whatever
	// their spread over the shards.
	benchResident = benchCapacity / 2
)

var (
	benchInts    = zipfInts(benchTrace)
	benchStrings = func() []string {
		s := make([]string, len(benchInts))
		for i, k := range benchInts {
			s[i] = benchKey(k)
		}
		return s
	}()
)

func zipfInts(n int) []int64 {
	z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.01, 1, benchKeySpace-1)
	keys := make([]int64, n)
	for i := range keys {
		keys[i] = int64(z.Uint64())
	}
	return keys
}

// benchKey is a 16-byte string key.
func benchKey(k int64) string { return fmt.Sprintf("key:%012d", k) }

// filled returns a cache of benchCapacity holding the trace's most frequent
// keys, as a warmed-up cache would.
func filled[K comparable](keys []K, opts ...Option) *Cache[K, int64] {
	c := New[K, int64](append([]Option{WithCapacity(benchCapacity)}, opts...)...)
	for i := range 2 * benchCapacity {
		c.Set(keys[i%len(keys)], int64(i))
	}
	return c
}

// sequential returns a cache of benchCapacity holding the keys 0 to n-1.
func sequential(n int64, opts ...Option) *Cache[int64, int64] {
	c := New[int64, int64](append([]Option{WithCapacity(benchCapacity)}, opts...)...)
	for i := range n {
		c.Set(i, i)
	}
	return c
}

func BenchmarkGet(b *testing.B) {
	b.Run("int/hit", func(b *testing.B) {
		c := sequential(benchResident)
		b.ReportAllocs()
		i := int64(0)
		for b.Loop() {
			if _, ok := c.Get(i); !ok {
				b.Fatal("miss")
			}
			if i++; i == benchResident {
				i = 0
			}
		}
	})
	b.Run("int/miss", func(b *testing.B) {
		c := sequential(benchCapacity)
		b.ReportAllocs()
		i := int64(benchCapacity)
		for b.Loop() {
			c.Get(i)
			i++
		}
	})
	b.Run("int/zipf", func(b *testing.B) { benchGet(b, filled(benchInts), benchInts) })
	b.Run("string/zipf", func(b *testing.B) { benchGet(b, filled(benchStrings), benchStrings) })
	b.Run("int/zipf-ttl", func(b *testing.B) {
		benchGet(b, filled(benchInts, WithDefaultTTL(time.Hour)), benchInts)
	})
}

func benchGet[K comparable](b *testing.B, c *Cache[K, int64], keys []K) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Get(keys[i&(benchTrace-1)])
		i++
	}
}

func BenchmarkSet(b *testing.B) {
	b.Run("int/existing", func(b *testing.B) {
		c := sequential(benchResident)
		b.ReportAllocs()
		i := int64(0)
		for b.Loop() {
			c.Set(i, i)
			if i++; i == benchResident {
				i = 0
			}
		}
		if st := c.Stats(); st.Evictions != 0 {
			b.Fatal("evicted", st.Evictions)
		}
	})
	b.Run("int/evicting", func(b *testing.B) {
		c := sequential(benchCapacity)
		b.ReportAllocs()
		i := int64(benchCapacity)
		for b.Loop() {
			c.Set(i, i) // always a new key into a full cache
			i++
		}
	})
	b.Run("string/evicting", func(b *testing.B) {
		keys := make([]string, 4*benchCapacity)
		for i := range keys {
			keys[i] = benchKey(int64(i))
		}
		c := New[string, int64](WithCapacity(benchCapacity))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c.Set(keys[i%len(keys)], int64(i))
			i++
		}
	})
	b.Run("int/evicting-ttl", func(b *testing.B) {
		c := New[int64, int64](WithCapacity(benchCapacity), WithDefaultTTL(time.Hour))
		b.ReportAllocs()
		i := int64(0)
		for b.Loop() {
			c.Set(i, i)
			i++
		}
	})
	b.Run("int/evicting-ttl-varied", func(b *testing.B) {
		c := New[int64, int64](WithCapacity(benchCapacity))
		b.ReportAllocs()
		i := int64(0)
		for b.Loop() {
			c.SetWithTTL(i, i, time.Duration(100+i%300)*time.Millisecond)
			i++
		}
	})
	b.Run("int/zipf-ttl-varied", func(b *testing.B) {
		c := filled(benchInts)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k := benchInts[i&(benchTrace-1)]
			c.SetWithTTL(k, k, time.Duration(100+k%300)*time.Millisecond)
			i++
		}
	})
	b.Run("int/evicting-callback", func(b *testing.B) {
		var evicted atomic.Int64
		c := New[int64, int64](WithCapacity(benchCapacity),
			WithRemovalCallback(func(k, v int64, cause RemovalCause) { evicted.Add(1) }))
		b.ReportAllocs()
		i := int64(0)
		for b.Loop() {
			c.Set(i, i)
			i++
		}
	})
	b.Run("int/zipf", func(b *testing.B) {
		c := filled(benchInts)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c.Set(benchInts[i&(benchTrace-1)], int64(i))
			i++
		}
	})
}

// BenchmarkParallel runs read/write mixes from GOMAXPROCS goroutines (use
// -cpu to vary it) over the Zipf trace, each goroutine starting at its own
// offset.
func BenchmarkParallel(b *testing.B) {
	for _, reads := range []int{100, 75, 50, 0} {
		b.Run("int/reads="+strconv.Itoa(reads), func(b *testing.B) {
			benchParallel(b, filled(benchInts), benchInts, reads)
		})
		b.Run("string/reads="+strconv.Itoa(reads), func(b *testing.B) {
			benchParallel(b, filled(benchStrings), benchStrings, reads)
		})
	}
}

func benchParallel[K comparable](b *testing.B, c *Cache[K, int64], keys []K, reads int) {
	var offset atomic.Uint32
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(offset.Add(1)) * 7919 * 13
		for pb.Next() {
			k := keys[i&(benchTrace-1)]
			if i%100 < reads {
				c.Get(k)
			} else {
				c.Set(k, int64(i))
			}
			i++
		}
	})
}

// BenchmarkDeleteExpired shows that a janitor sweep costs what has expired,
// not what the cache holds: a million live entries with deadlines and none
// due cost one lock and one heap peek per shard.
func BenchmarkDeleteExpired(b *testing.B) {
	c := New[int64, int64](WithDefaultTTL(time.Hour))
	for i := range int64(1_000_000) {
		c.Set(i, i)
	}
	b.ReportAllocs()
	for b.Loop() {
		if n := c.DeleteExpired(); n != 0 {
			b.Fatal("expired", n)
		}
	}
}

// BenchmarkOps measures the atomic per-key operations on resident keys:
// each must allocate nothing.
func BenchmarkOps(b *testing.B) {
	each := func(b *testing.B, op func(c *Cache[int64, int64], k int64)) {
		c := sequential(benchResident)
		b.ReportAllocs()
		k := int64(0)
		for b.Loop() {
			op(c, k)
			if k++; k == benchResident {
				k = 0
			}
		}
	}
	incr := func(v int64, _ time.Duration, _ bool) (int64, time.Duration, ComputeOp) {
		return v + 1, KeepTTL, ComputeStore
	}
	b.Run("Compute/incr", func(b *testing.B) {
		each(b, func(c *Cache[int64, int64], k int64) { c.Compute(k, incr) })
	})
	b.Run("SetIfAbsent/present", func(b *testing.B) {
		each(b, func(c *Cache[int64, int64], k int64) { c.SetIfAbsent(k, k, DefaultTTL) })
	})
	b.Run("Replace", func(b *testing.B) {
		each(b, func(c *Cache[int64, int64], k int64) { c.Replace(k, k, DefaultTTL) })
	})
	b.Run("GetAndSet", func(b *testing.B) {
		each(b, func(c *Cache[int64, int64], k int64) { c.GetAndSet(k, k, KeepTTL) })
	})
	b.Run("Expire", func(b *testing.B) {
		each(b, func(c *Cache[int64, int64], k int64) { c.Expire(k, time.Hour) })
	})
	b.Run("GetAndExpire", func(b *testing.B) {
		each(b, func(c *Cache[int64, int64], k int64) { c.GetAndExpire(k, time.Hour) })
	})
	b.Run("GetAndDelete+Set", func(b *testing.B) {
		each(b, func(c *Cache[int64, int64], k int64) {
			c.GetAndDelete(k)
			c.Set(k, k)
		})
	})
	b.Run("Scan/100", func(b *testing.B) {
		c := sequential(benchResident)
		b.ReportAllocs()
		buf := make([]int64, 0, 100)
		cursor := uint64(0)
		for b.Loop() {
			buf, cursor = c.Scan(cursor, 100, buf[:0])
		}
	})
}

// BenchmarkLarge measures a hit and a read-modify-write in a weighed
// cache of a million string entries, touched uniformly, as a cache server
// holds them: far larger than the CPU's caches, so that each load of an
// index bucket, an entry, a key, a weight or a link is a trip to memory and
// the time is in how many of those trips follow one another. Its setup
// takes a few seconds.
func BenchmarkLarge(b *testing.B) {
	const n = 1 << 20
	keys := make([]string, n)
	c := New[string, string](WithWeigher(func(k, v string) uint64 { return uint64(len(k)+len(v)) + 64 }))
	for i := range keys {
		keys[i] = fmt.Sprintf("counter:%012d", i)
		c.Set(keys[i], "5")
	}
	r := rand.New(rand.NewPCG(1, 2))
	order := make([]uint32, 1<<16)
	for i := range order {
		order[i] = uint32(r.IntN(n))
	}
	each := func(b *testing.B, op func(k string)) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			op(keys[order[i%len(order)]])
			i++
		}
	}
	incr := func(v string, _ time.Duration) (string, time.Duration, ComputeOp) {
		x, _ := strconv.Atoi(v)
		return strconv.Itoa(x%9 + 1), KeepTTL, ComputeStore // 1 to 9: no allocation
	}
	b.Run("Get", func(b *testing.B) { each(b, func(k string) { c.Get(k) }) })
	b.Run("ComputeIfPresent", func(b *testing.B) { each(b, func(k string) { c.ComputeIfPresent(k, incr) }) })
	// Batches of 16 Gets, as a pipeline or an MGET makes them, with and
	// without a Prefetch of the batch first.
	batch := func(b *testing.B, prefetch bool) {
		b.ReportAllocs()
		var ks [16]string
		i := 0
		for b.Loop() {
			for j := range ks {
				ks[j] = keys[order[(i+j)%len(order)]]
			}
			i += len(ks)
			if prefetch {
				c.Prefetch(ks[:]...)
			}
			for _, k := range ks {
				c.Get(k)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(ks)*b.N), "ns/key")
	}
	b.Run("Get16", func(b *testing.B) { batch(b, false) })
	b.Run("PrefetchGet16", func(b *testing.B) { batch(b, true) })
}

// BenchmarkWTinyLFU measures the hot paths under WithPolicy(WTinyLFU), to
// set beside BenchmarkGet, BenchmarkSet and BenchmarkParallel (LRU).
func BenchmarkWTinyLFU(b *testing.B) { benchPolicy(b, WTinyLFU) }
func BenchmarkClock(b *testing.B)    { benchPolicy(b, Clock) }

// benchPolicy runs the benchmarks of Get, Set and the parallel mixes for a
// cache of policy p.
func benchPolicy(b *testing.B, p Policy) {
	lfu := WithPolicy(p)
	b.Run("Get/int/zipf", func(b *testing.B) { benchGet(b, filled(benchInts, lfu), benchInts) })
	b.Run("Get/string/zipf", func(b *testing.B) { benchGet(b, filled(benchStrings, lfu), benchStrings) })
	b.Run("Set/int/zipf", func(b *testing.B) {
		c := filled(benchInts, lfu)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c.Set(benchInts[i&(benchTrace-1)], int64(i))
			i++
		}
	})
	b.Run("Set/int/evicting", func(b *testing.B) {
		c := New[int64, int64](WithCapacity(benchCapacity), lfu)
		b.ReportAllocs()
		i := int64(0)
		for b.Loop() {
			c.Set(i, i)
			i++
		}
	})
	for _, reads := range []int{100, 75, 0} {
		b.Run("Parallel/int/reads="+strconv.Itoa(reads), func(b *testing.B) {
			benchParallel(b, filled(benchInts, lfu), benchInts, reads)
		})
	}
}
