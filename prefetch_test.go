package minicache

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPrefetchChangesNothing checks that Prefetch is only a hint: on keys
// present, absent and expired, for every policy and both key kinds, it leaves
// the contents, the recency order, the statistics and the weight as they
// were, and leaves every shard's seq even.
func TestPrefetchChangesNothing(t *testing.T) {
	defer prefetchSmall()()
	for _, p := range []Policy{LRU, WTinyLFU, Clock} {
		t.Run(p.String(), func(t *testing.T) {
			c := New[string, int](WithPolicy(p), WithShards(4), WithCapacity(300),
				WithWeigher(func(k string, v int) uint64 { return uint64(len(k)) }), WithMaxWeight(1<<20))
			defer c.Close()
			var keys []string
			for i := range 500 {
				k := "key-" + strconv.Itoa(i)
				keys = append(keys, k)
				if i%3 == 0 {
					c.SetWithTTL(k, i, time.Nanosecond) // soon expired
				} else {
					c.Set(k, i)
				}
			}
			time.Sleep(time.Millisecond)
			before := snapshotOf(c)
			stats := c.Stats()
			started := c.Prefetch(keys...)
			if prefetching {
				assert.Equal(t, len(keys), started, "Prefetch did nothing")
			}
			c.Prefetch()
			c.Prefetch(keys[7])
			assert.Equal(t, before, snapshotOf(c))
			assert.Equal(t, stats, c.Stats())
			for i := range c.c.shards {
				assert.Zero(t, c.c.shards[i].seq.Load()%2, "shard %d's seq is odd", i)
			}
		})
	}
	ints := New[int, int](WithShards(2))
	defer ints.Close()
	for i := range 100 {
		ints.Set(i, i)
	}
	before := snapshotOf(ints)
	ints.Prefetch(slices.Collect(func(yield func(int) bool) {
		for i := range 200 {
			if !yield(i) {
				return
			}
		}
	})...)
	assert.Equal(t, before, snapshotOf(ints))
}

// snapshotOf lists a cache's shards as they are: each one's slots in
// eviction order, with their keys, values and deadlines.
func snapshotOf[K comparable, V any](c *Cache[K, V]) [][]Entry[K, V] {
	var all [][]Entry[K, V]
	for i := range c.c.shards {
		s := &c.c.shards[i]
		s.mu.Lock()
		var es []Entry[K, V]
		for j := range s.order.walk {
			e := s.slab.entries[j]
			es = append(es, Entry[K, V]{Key: e.key, Value: e.value, Expiry: c.c.wallTime(s.slab.expire(j))})
		}
		s.mu.Unlock()
		all = append(all, es)
	}
	return all
}

// TestReshapeLeavesSeqEven checks that each change of an LRU shard's arrays
// brackets itself with bumps of seq, which prefetch relies on, and that
// nothing else moves it: a Set moves it exactly when it grows the slab or
// rebuilds the index, the first deadline's array and Clear move it, and
// seq is even after each.
func TestReshapeLeavesSeqEven(t *testing.T) {
	c := New[int, int](WithShards(1))
	defer c.Close()
	s := &c.c.shards[0]
	grew, rebuilt := 0, 0
	for i := range 5000 {
		full, buckets, seq := s.slab.full(), len(s.index.buckets), s.seq.Load()
		c.Set(i, i)
		moved := s.seq.Load() - seq
		require.Zero(t, moved%2, "seq is odd after Set %d", i)
		want := 0
		if full {
			want += 2
			grew++
		}
		if len(s.index.buckets) != buckets {
			want += 2
			rebuilt++
		}
		require.Equal(t, want, int(moved), "Set %d: the slab grew: %v, the index was rebuilt: %v", i, full, len(s.index.buckets) != buckets)
	}
	assert.Greater(t, grew, 5)
	assert.Greater(t, rebuilt, 5)
	steps := []struct {
		what string
		op   func()
		want uint32
	}{
		{"an overwrite", func() { c.Set(1, 2) }, 0},
		{"a delete", func() { c.Delete(2) }, 0},
		{"the first deadline", func() { c.SetWithTTL(5, 5, time.Hour) }, 2},
		{"the second deadline", func() { c.SetWithTTL(6, 6, time.Hour) }, 0},
		{"Clear", c.Clear, 2},
		{"a capacity change", func() { c.SetCapacity(10) }, 0},
	}
	for _, st := range steps {
		seq := s.seq.Load()
		st.op()
		assert.Equal(t, st.want, s.seq.Load()-seq, st.what)
	}
}

// TestPrefetchRacesWrites runs Prefetch against writes that grow, rebuild,
// clear and resize the shards it reads without their locks. Without -race
// on amd64 Prefetch does its work here (elsewhere it returns at once), and a
// read through a torn slice header would fault or index out of range.
func TestPrefetchRacesWrites(t *testing.T) {
	defer prefetchSmall()()
	for _, p := range []Policy{LRU, WTinyLFU, Clock} {
		t.Run(p.String(), func(t *testing.T) {
			c := New[string, int](WithPolicy(p), WithShards(2))
			defer c.Close()
			keys := make([]string, 4096)
			for i := range keys {
				keys[i] = strconv.Itoa(i) + "-" + string(make([]byte, i%29))
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(1, 2))
				for !stop.Load() {
					switch r := rng.IntN(1000); {
					case r == 0:
						c.Clear()
					case r == 1:
						c.SetCapacity(rng.IntN(4000))
					case r < 500:
						c.Set(keys[rng.IntN(len(keys))], r)
					case r < 700:
						c.SetWithTTL(keys[rng.IntN(len(keys))], r, time.Microsecond)
					default:
						c.Delete(keys[rng.IntN(len(keys))])
					}
				}
			})
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(3, 4))
				for !stop.Load() {
					i := rng.IntN(len(keys) - 32)
					c.Prefetch(keys[i : i+rng.IntN(32)]...)
				}
			})
			time.Sleep(300 * time.Millisecond)
			stop.Store(true)
			wg.Wait()
			for i := range c.c.shards {
				assert.Zero(t, c.c.shards[i].seq.Load()%2, "shard %d's seq is odd", i)
			}
		})
	}
}

// prefetchSmall makes Prefetch work on caches of any size, until the
// function it returns is called.
func prefetchSmall() func() {
	old := prefetchMinBuckets
	prefetchMinBuckets = 0
	return func() { prefetchMinBuckets = old }
}

// TestPrefetchReportsWhatItStarted checks Prefetch's count: every key,
// present or absent, of a cache large enough to gain (where it does its
// work), and 0 for a cache small enough for the CPU's caches.
func TestPrefetchReportsWhatItStarted(t *testing.T) {
	c := New[string, string](WithShards(4))
	defer c.Close()
	var present, absent []string
	for i := range 40_000 {
		k := "k" + strconv.Itoa(i)
		c.Set(k, k)
		if i%1000 == 0 {
			present = append(present, k)
			absent = append(absent, "absent-"+k)
		}
	}
	if !prefetching {
		assert.Zero(t, c.Prefetch(present...), "Prefetch does nothing here")
		return
	}
	assert.Equal(t, len(present), c.Prefetch(present...))
	assert.Equal(t, len(absent), c.Prefetch(absent...))

	small := New[string, string](WithShards(4))
	defer small.Close()
	for _, k := range present {
		small.Set(k, k)
	}
	assert.Zero(t, small.Prefetch(present...), "a cache this small gains nothing")
	defer prefetchSmall()()
	assert.Equal(t, len(present), small.Prefetch(present...))
}
