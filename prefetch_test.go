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
// present, absent and expired, for both policies and key kinds, it leaves
// the contents, the recency order, the statistics and the weight as they
// were, and leaves every shard's seq even.
func TestPrefetchChangesNothing(t *testing.T) {
	defer prefetchSmall()()
	for _, p := range []Policy{LRU, WTinyLFU} {
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
			c.Prefetch(keys...)
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

// TestReshapeLeavesSeqEven checks that every change of a shard's arrays
// (the slab and order growing, the index rebuilt, the first deadline's
// array, Clear, a capacity change) brackets itself with two bumps of seq in
// an LRU shard, which prefetch relies on, and none unbalanced: seq is even
// after each and has moved across the growth.
func TestReshapeLeavesSeqEven(t *testing.T) {
	c := New[int, int](WithShards(1))
	defer c.Close()
	s := &c.c.shards[0]
	even := func(what string) {
		t.Helper()
		require.Zero(t, s.seq.Load()%2, "seq is odd after %s", what)
	}
	start := s.seq.Load()
	for i := range 1000 {
		c.Set(i, i)
	}
	even("growth")
	assert.Greater(t, s.seq.Load(), start, "growth did not bump seq")
	grown := s.seq.Load()
	c.SetWithTTL(5, 5, time.Hour)
	even("the first deadline")
	assert.Greater(t, s.seq.Load(), grown, "the first deadline's array did not bump seq")
	for i := range 1000 {
		c.Delete(i)
	}
	even("deletes")
	c.Clear()
	even("Clear")
	c.SetCapacity(10)
	for i := range 100 {
		c.Set(i, i)
	}
	even("a capacity change")
}

// TestPrefetchRacesWrites runs Prefetch against writes that grow, rebuild,
// clear and resize the shards it reads without their locks. Without -race
// on amd64 Prefetch does its work here (elsewhere it returns at once), and a
// read through a torn slice header would fault or index out of range.
func TestPrefetchRacesWrites(t *testing.T) {
	defer prefetchSmall()()
	for _, p := range []Policy{LRU, WTinyLFU} {
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

// TestPrefetchReportsWhatItFound checks Prefetch's count: the keys present
// (where it does its work), none of the absent ones but for a rare
// fingerprint match, and 0 for a cache too small to gain.
func TestPrefetchReportsWhatItFound(t *testing.T) {
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
	assert.LessOrEqual(t, c.Prefetch(absent...), 1)

	small := New[string, string](WithShards(4))
	defer small.Close()
	for _, k := range present {
		small.Set(k, k)
	}
	assert.Zero(t, small.Prefetch(present...), "a cache this small gains nothing")
	defer prefetchSmall()()
	assert.Equal(t, len(present), small.Prefetch(present...))
}
