package minicache

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// record is one call of a removal callback.
type record[K comparable, V any] struct {
	Key   K
	Value V
	Cause RemovalCause
}

// recorder returns a removal callback option and the list it appends to.
func recorder[K comparable, V any]() (Option, func() []record[K, V]) {
	var mu sync.Mutex
	var got []record[K, V]
	opt := WithRemovalCallback(func(k K, v V, cause RemovalCause) {
		mu.Lock()
		got = append(got, record[K, V]{k, v, cause})
		mu.Unlock()
	})
	return opt, func() []record[K, V] {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

func keys[K comparable, V any](c *Cache[K, V]) []K {
	return slices.Collect(c.Keys())
}

func TestNewDefaults(t *testing.T) {
	c := New[string, int]()
	defer c.Close()
	assert.Equal(t, 0, c.Capacity())
	assert.Equal(t, uint64(0), c.MaxWeight())
	assert.Equal(t, 0, c.Len())
	v, ok := c.Get("missing")
	assert.False(t, ok)
	assert.Equal(t, 0, v)
	assert.Equal(t, Stats{Misses: 1}, c.Stats())

	c.Set("a", 1)
	left, ok := c.TTL("a")
	require.True(t, ok)
	assert.Equal(t, NoExpiration, left, "no default TTL: entries do not expire")
}

func TestSetGet(t *testing.T) {
	c := New[string, string](WithCapacity(10))
	c.Set("k", "v1")
	v, ok := c.Get("k")
	require.True(t, ok)
	assert.Equal(t, "v1", v)

	c.Set("k", "v2")
	v, ok = c.Get("k")
	require.True(t, ok)
	assert.Equal(t, "v2", v, "Set overwrites the value")
	assert.Equal(t, 1, c.Len())
	assert.Equal(t, Stats{Hits: 2}, c.Stats())
}

// A key made from a []byte for a lookup is not kept, so converting it costs
// no allocation: servers look up keys straight from their input buffers.
func TestLookupsByConvertedBytesDoNotAllocate(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("instrumentation allocates")
	}
	c := New[string, string](WithCapacity(10))
	c.Set("key:000000000042", "v")
	hit, miss := []byte("key:000000000042"), []byte("key:000000000043")
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = c.Get(string(hit))
		_, _ = c.Get(string(miss))
		_, _ = c.Peek(string(hit))
		_, _ = c.TTL(string(hit))
		_ = c.Delete(string(miss))
		_, _ = c.ComputeIfPresent(string(hit), func(string, time.Duration) (string, time.Duration, ComputeOp) {
			return "w", KeepTTL, ComputeStore
		})
		_, _ = c.ComputeIfPresent(string(miss), func(string, time.Duration) (string, time.Duration, ComputeOp) {
			panic("called for an absent key")
		})
	})
	assert.Zero(t, allocs)

	type pair struct{ a, b int }
	p := New[pair, int](WithCapacity(10))
	p.Set(pair{1, 2}, 3)
	v, ok := p.Get(pair{1, 2})
	assert.True(t, ok)
	assert.Equal(t, 3, v)
	_, ok = p.Get(pair{2, 1})
	assert.False(t, ok, "keys of other types hash through maphash.Comparable")
}

func TestLRUEvictionOrder(t *testing.T) {
	for _, shards := range []int{0, 1} { // the default must be exact for small caches
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			opt, removed := recorder[string, int]()
			c := New[string, int](WithCapacity(3), WithShards(shards), opt)
			c.Set("a", 1)
			c.Set("b", 2)
			c.Set("c", 3)
			_, _ = c.Get("a") // b is now least recently used
			c.Set("d", 4)
			assert.Equal(t, []string{"d", "a", "c"}, keys(c))
			assert.Equal(t, []record[string, int]{{"b", 2, CauseEvicted}}, removed())

			c.Set("c", 30) // overwriting makes c most recently used
			c.Set("e", 5)
			assert.Equal(t, []string{"e", "c", "d"}, keys(c))
			assert.Equal(t, []record[string, int]{{"c", 3, CauseReplaced}, {"a", 1, CauseEvicted}}, removed())
			assert.Equal(t, uint64(2), c.Stats().Evictions)
		})
	}
}

func TestDefaultShardingIsExactForServerDefault(t *testing.T) {
	c := New[int, int](WithCapacity(1000))
	for i := range 1000 {
		c.Set(i, i)
	}
	_, _ = c.Get(0)
	c.Set(1000, 1000)
	_, ok := c.Peek(1)
	assert.False(t, ok, "key 1 was the least recently used")
	_, ok = c.Peek(0)
	assert.True(t, ok)
	assert.Equal(t, 1000, c.Len())
}

func TestCapacityOne(t *testing.T) {
	c := New[int, string](WithCapacity(1), WithShards(8))
	c.Set(1, "one")
	c.Set(2, "two")
	_, ok := c.Get(1)
	assert.False(t, ok)
	v, ok := c.Get(2)
	assert.True(t, ok)
	assert.Equal(t, "two", v)
	assert.Equal(t, 1, c.Len())
}

func TestCapacityIsSplitExactly(t *testing.T) {
	c := New[int, int](WithCapacity(10), WithShards(4))
	for i := range 1000 {
		c.Set(i, i)
		require.LessOrEqual(t, c.Len(), 10)
	}
	assert.Equal(t, 10, c.Len(), "a full sharded cache holds exactly its capacity")
}

func TestPeekNeitherCountsNorTouches(t *testing.T) {
	c := New[string, int](WithCapacity(2))
	c.Set("a", 1)
	c.Set("b", 2)
	v, ok := c.Peek("a")
	require.True(t, ok)
	assert.Equal(t, 1, v)
	_, ok = c.Peek("zzz")
	assert.False(t, ok)
	c.Set("c", 3) // a is still the least recently used
	_, ok = c.Peek("a")
	assert.False(t, ok)
	assert.Equal(t, Stats{Evictions: 1}, c.Stats())
}

func TestDelete(t *testing.T) {
	opt, removed := recorder[string, int]()
	c := New[string, int](opt)
	c.Set("a", 1)
	assert.True(t, c.Delete("a"))
	assert.False(t, c.Delete("a"), "already gone")
	assert.False(t, c.Delete("never"))
	_, ok := c.Get("a")
	assert.False(t, ok)
	assert.Equal(t, []record[string, int]{{"a", 1, CauseDeleted}}, removed())
}

func TestTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int]()
		c.SetWithTTL("a", 1, 10*time.Second)
		left, ok := c.TTL("a")
		require.True(t, ok)
		assert.Equal(t, 10*time.Second, left)

		time.Sleep(4 * time.Second)
		left, ok = c.TTL("a")
		require.True(t, ok)
		assert.Equal(t, 6*time.Second, left)
		v, ok := c.Get("a")
		assert.True(t, ok)
		assert.Equal(t, 1, v)

		time.Sleep(6 * time.Second) // the deadline itself counts as expired
		_, ok = c.TTL("a")
		assert.False(t, ok)
		_, ok = c.Get("a")
		assert.False(t, ok)
		assert.Equal(t, Stats{Hits: 1, Misses: 1, Expirations: 1}, c.Stats())
	})
}

func TestExpiredIsAbsentForEveryMethod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opt, removed := recorder[string, int]()
		c := New[string, int](opt)
		for _, k := range []string{"get", "peek", "ttl", "delete", "len", "all", "set"} {
			c.SetWithTTL(k, 1, time.Second)
		}
		c.SetWithTTL("live", 2, time.Hour)
		time.Sleep(time.Second)

		_, ok := c.Get("get")
		assert.False(t, ok)
		_, ok = c.Peek("peek")
		assert.False(t, ok)
		_, ok = c.TTL("ttl")
		assert.False(t, ok)
		assert.False(t, c.Delete("delete"))
		c.Set("set", 3) // replaces an expired value: reported as expired
		assert.Equal(t, 2, c.Len())
		assert.ElementsMatch(t, []string{"live", "set"}, keys(c))

		got := removed()
		assert.Len(t, got, 7)
		for _, r := range got {
			assert.Equal(t, CauseExpired, r.Cause, r.Key)
		}
		st := c.Stats()
		assert.Equal(t, uint64(7), st.Expirations)
		assert.Equal(t, uint64(0), st.Evictions)
		assert.Equal(t, uint64(1), st.Misses)
	})
}

func TestTTLSpecialValues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int](WithDefaultTTL(time.Minute))
		c.Set("default", 1)
		c.SetWithTTL("zero", 1, 0)
		c.SetWithTTL("explicit-default", 1, DefaultTTL)
		c.SetWithTTL("never", 1, NoExpiration)
		c.SetWithTTL("huge", 1, time.Duration(1<<62))
		for _, k := range []string{"default", "zero", "explicit-default"} {
			left, ok := c.TTL(k)
			require.True(t, ok, k)
			assert.Equal(t, time.Minute, left, k)
		}
		left, ok := c.TTL("never")
		require.True(t, ok)
		assert.Equal(t, NoExpiration, left)
		left, ok = c.TTL("huge")
		require.True(t, ok)
		assert.Equal(t, time.Duration(1<<62), left)

		c.SetWithTTL("never", 2, -time.Second) // negative: already expired
		_, ok = c.Get("never")
		assert.False(t, ok)
		c.SetWithTTL("fresh", 2, -1)
		_, ok = c.Peek("fresh")
		assert.False(t, ok)

		time.Sleep(time.Minute)
		assert.ElementsMatch(t, []string{"huge"}, keys(c))
	})
}

func TestSetRenewsTTLAndRecency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int](WithCapacity(2), WithDefaultTTL(10*time.Second))
		c.Set("a", 1)
		c.Set("b", 2)
		time.Sleep(8 * time.Second)
		c.Set("a", 10) // new deadline, now most recently used
		c.SetWithTTL("b", 20, NoExpiration)
		time.Sleep(5 * time.Second)
		v, ok := c.Get("a")
		require.True(t, ok, "the overwrite renewed a's TTL")
		assert.Equal(t, 10, v)
		left, ok := c.TTL("b")
		require.True(t, ok)
		assert.Equal(t, NoExpiration, left, "the overwrite removed b's deadline")
	})
}

func TestFullCacheReclaimsExpiredBeforeEvicting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opt, removed := recorder[string, int]()
		c := New[string, int](WithCapacity(2), opt)
		c.Set("lru", 1)                       // never expires, least recently used
		c.SetWithTTL("short", 2, time.Second) // most recently used, expires first
		time.Sleep(time.Second)
		c.Set("new", 3)
		assert.ElementsMatch(t, []string{"lru", "new"}, keys(c))
		assert.Equal(t, []record[string, int]{{"short", 2, CauseExpired}}, removed())
		st := c.Stats()
		assert.Equal(t, uint64(0), st.Evictions)
		assert.Equal(t, uint64(1), st.Expirations)
	})
}

func TestDeleteExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[int, int](WithShards(4))
		for i := range 100 {
			c.SetWithTTL(i, i, time.Duration(i%10+1)*time.Second)
		}
		assert.Equal(t, 0, c.DeleteExpired())
		time.Sleep(5 * time.Second)
		assert.Equal(t, 50, c.DeleteExpired())
		assert.Equal(t, 0, c.DeleteExpired())
		assert.Equal(t, 50, c.Len())
		assert.Equal(t, uint64(50), c.Stats().Expirations)
	})
}

func TestJanitor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opt, removed := recorder[int, int]()
		c := New[int, int](WithCleanupInterval(time.Minute), WithDefaultTTL(30*time.Second), opt)
		for i := range 10 {
			c.Set(i, i)
		}
		c.SetWithTTL(100, 100, 90*time.Second)

		time.Sleep(time.Minute - time.Nanosecond)
		synctest.Wait()
		assert.Empty(t, removed(), "the janitor has not run yet")

		time.Sleep(time.Nanosecond)
		synctest.Wait()
		assert.Len(t, removed(), 10, "the first sweep removes what expired")
		assert.Equal(t, uint64(10), c.Stats().Expirations, "without any read")

		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Equal(t, []record[int, int]{{100, 100, CauseExpired}}, removed())
		c.Close()
		// synctest.Test fails if the janitor goroutine outlives the bubble.
	})
}

func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[int, int](WithCleanupInterval(time.Second))
		c.Close()
		c.Close() // idempotent
		c.Set(1, 1)
		v, ok := c.Get(1)
		assert.True(t, ok, "the cache stays usable")
		assert.Equal(t, 1, v)
	})
	New[int, int]().Close() // no janitor
}

func TestUnreachableCacheStopsItsJanitor(t *testing.T) {
	func() {
		c := New[int, int](WithCleanupInterval(time.Millisecond))
		c.Set(1, 1)
		require.Equal(t, 1, janitors())
	}()
	require.Eventually(t, func() bool {
		runtime.GC()
		return janitors() == 0
	}, 5*time.Second, 10*time.Millisecond, "the janitor of a collected cache must stop")
}

// janitors returns the number of running janitor goroutines.
func janitors() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "created by github.com/minicache/minicache.(*core[...]).startJanitor")
}

func TestClear(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opt, removed := recorder[string, int]()
		c := New[string, int](WithShards(1), opt)
		c.Set("a", 1)
		c.Set("b", 2)
		c.SetWithTTL("gone", 3, time.Second)
		_, _ = c.Get("a")
		time.Sleep(time.Second)
		c.Clear()
		assert.Equal(t, 0, c.Len())
		assert.Empty(t, keys(c))
		assert.Equal(t, []record[string, int]{
			{"gone", 3, CauseExpired}, {"a", 1, CauseCleared}, {"b", 2, CauseCleared},
		}, removed())
		assert.Equal(t, Stats{Hits: 1, Expirations: 1}, c.Stats(), "Clear keeps the counters")

		c.Set("a", 4) // usable after Clear
		v, ok := c.Get("a")
		assert.True(t, ok)
		assert.Equal(t, 4, v)
	})
}

func TestWeightBound(t *testing.T) {
	opt, removed := recorder[string, string]()
	c := New[string, string](
		WithShards(1),
		WithMaxWeight(10),
		WithWeigher(func(k, v string) uint64 { return uint64(len(v)) }),
		opt,
	)
	c.Set("a", "xxx")  // 3
	c.Set("b", "xxx")  // 6
	c.Set("c", "xxxx") // 10: fits exactly
	assert.Equal(t, uint64(10), c.Stats().Weight)
	assert.Empty(t, removed())

	c.Set("d", "xxxxxx") // 16: evict a (13), then b (10)
	assert.Equal(t, []string{"d", "c"}, keys(c))
	assert.Equal(t, []record[string, string]{{"a", "xxx", CauseEvicted}, {"b", "xxx", CauseEvicted}}, removed())
	assert.Equal(t, uint64(10), c.Stats().Weight)

	c.Set("c", "x") // shrinking a value frees weight
	assert.Equal(t, uint64(7), c.Stats().Weight)
	assert.Equal(t, []record[string, string]{{"c", "xxxx", CauseReplaced}}, removed())

	c.Set("c", "xxxxxxxxxxx") // 11 > 10 on its own: rejected, old value removed
	_, ok := c.Get("c")
	assert.False(t, ok)
	assert.Equal(t, []string{"d"}, keys(c))
	assert.Equal(t, []record[string, string]{{"c", "x", CauseReplaced}}, removed())
	st := c.Stats()
	assert.Equal(t, uint64(1), st.Rejections)
	assert.Equal(t, uint64(2), st.Evictions)
	assert.Equal(t, uint64(6), st.Weight)

	c.Delete("d")
	assert.Equal(t, uint64(0), c.Stats().Weight)
}

func TestWeightBoundAcrossShards(t *testing.T) {
	c := New[int, int](
		WithShards(8),
		WithMaxWeight(100),
		WithWeigher(func(k, v int) uint64 { return uint64(v) }),
	)
	for i := range 1000 {
		c.Set(i, 1+i%7)
		require.LessOrEqual(t, c.Stats().Weight, uint64(100))
	}
	c.Set(-1, 100) // as heavy as the whole bound: everything else goes
	assert.Equal(t, []int{-1}, keys(c))
	assert.Equal(t, uint64(100), c.Stats().Weight)
	c.Clear()
	assert.Equal(t, uint64(0), c.Stats().Weight)
}

func TestMaxWeightWithoutWeigherCountsEntries(t *testing.T) {
	c := New[int, int](WithMaxWeight(3), WithShards(1))
	for i := range 5 {
		c.Set(i, i)
	}
	assert.Equal(t, []int{4, 3, 2}, keys(c))
}

func TestRemovalCallbackMayCallTheCache(t *testing.T) {
	var c *Cache[int, int]
	var seen []int
	c = New[int, int](WithCapacity(2), WithShards(1), WithRemovalCallback(func(k, v int, cause RemovalCause) {
		seen = append(seen, c.Len()) // reads under no lock
		if cause == CauseEvicted && k == 1 {
			c.Set(100, 100) // writes too: evicts 2 in turn
		}
	}))
	c.Set(1, 1)
	c.Set(2, 2)
	c.Set(3, 3)
	assert.Equal(t, []int{100, 3}, keys(c))
	assert.Len(t, seen, 2)
}

func TestRemovalCauseString(t *testing.T) {
	for cause, want := range map[RemovalCause]string{
		CauseEvicted: "evicted", CauseExpired: "expired", CauseDeleted: "deleted",
		CauseReplaced: "replaced", CauseCleared: "cleared", 0: "unknown",
	} {
		assert.Equal(t, want, cause.String())
	}
}

func TestAllAndKeys(t *testing.T) {
	c := New[int, string](WithShards(1))
	for i := range 5 {
		c.Set(i, fmt.Sprint(i))
	}
	_, _ = c.Get(2)
	var ks []int
	var vs []string
	for k, v := range c.All() {
		ks = append(ks, k)
		vs = append(vs, v)
	}
	assert.Equal(t, []int{2, 4, 3, 1, 0}, ks, "most to least recently used")
	assert.Equal(t, []string{"2", "4", "3", "1", "0"}, vs)

	for k := range c.Keys() {
		if k == 3 {
			break // stopping early is fine
		}
		c.Delete(k) // and so is changing the cache
	}
	assert.Equal(t, []int{3, 1, 0}, keys(c))
	assert.Equal(t, uint64(1), c.Stats().Hits, "iteration counts nothing")
}

func TestAllShardedVisitsEachKeyOnce(t *testing.T) {
	c := New[int, int](WithShards(7))
	want := make([]int, 500)
	for i := range want {
		want[i] = i
		c.Set(i, i*i)
	}
	got := make([]int, 0, len(want))
	for k, v := range c.All() {
		assert.Equal(t, k*k, v)
		got = append(got, k)
	}
	assert.ElementsMatch(t, want, got)
}

func TestStatsHitRatio(t *testing.T) {
	assert.Equal(t, 0.0, Stats{}.HitRatio())
	assert.Equal(t, 0.75, Stats{Hits: 3, Misses: 1}.HitRatio())
	c := New[int, int]()
	c.Set(1, 1)
	_, _ = c.Get(1)
	_, _ = c.Get(2)
	assert.Equal(t, 0.5, c.Stats().HitRatio())
}

func TestKeyTypes(t *testing.T) {
	type point struct{ X, Y int }
	testKeys(t, []point{{1, 2}, {2, 1}, {0, 0}})
	testKeys(t, []int8{-128, 0, 127})
	testKeys(t, []uint16{0, 1, 65535})
	testKeys(t, []int32{-1, 0, 1})
	testKeys(t, []uint64{0, 1 << 63, 42})
	testKeys(t, []float64{0.5, -1, 3})
	testKeys(t, []string{"", "a", "a longer key that spans more than one word"})
	testKeys(t, []bool{true, false})
	testKeys(t, []any{1, "1", 1.0})
}

func testKeys[K comparable](t *testing.T, ks []K) {
	t.Helper()
	c := New[K, int](WithShards(3))
	for i, k := range ks {
		c.Set(k, i)
	}
	for i, k := range ks {
		v, ok := c.Get(k)
		assert.True(t, ok, "%v", k)
		assert.Equal(t, i, v, "%v", k)
	}
	assert.Equal(t, len(ks), c.Len())
}

func TestGrowthKeepsEveryKey(t *testing.T) {
	c := New[string, int](WithShards(2))
	const n = 100_000
	for i := range n {
		c.Set(fmt.Sprint(i), i)
	}
	require.Equal(t, n, c.Len())
	for i := 0; i < n; i += 2 {
		require.True(t, c.Delete(fmt.Sprint(i)))
	}
	for i := range n {
		v, ok := c.Peek(fmt.Sprint(i))
		require.Equal(t, i%2 == 1, ok, i)
		if ok {
			require.Equal(t, i, v)
		}
	}
}

func TestOptionPanics(t *testing.T) {
	assert.PanicsWithValue(t, "minicache: negative capacity -1", func() { New[int, int](WithCapacity(-1)) })
	assert.PanicsWithValue(t, "minicache: negative shard count -2", func() { New[int, int](WithShards(-2)) })
	assert.PanicsWithValue(t, "minicache: negative cleanup interval -1s", func() { New[int, int](WithCleanupInterval(-time.Second)) })
	assert.PanicsWithValue(t,
		"minicache: WithWeigher takes a func(string, string) uint64, not a func(int, int) uint64",
		func() { New[string, string](WithWeigher(func(k, v int) uint64 { return 0 })) })
	assert.PanicsWithValue(t,
		"minicache: WithRemovalCallback takes a func(int, int, minicache.RemovalCause), not a func(int, string, minicache.RemovalCause)",
		func() { New[int, int](WithRemovalCallback(func(int, string, RemovalCause) {})) })
}

func TestGetOrLoadSharesOneCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int](WithDefaultTTL(time.Minute))
		var calls atomic.Int32
		release := make(chan struct{})
		load := func(ctx context.Context, k string) (int, error) {
			calls.Add(1)
			<-release
			return len(k), nil
		}
		var wg sync.WaitGroup
		results := make([]int, 10)
		for i := range results {
			wg.Go(func() {
				v, err := c.GetOrLoad(context.Background(), "four", load)
				assert.NoError(t, err)
				results[i] = v
			})
		}
		synctest.Wait() // all ten are waiting on one load
		close(release)
		wg.Wait()
		assert.Equal(t, int32(1), calls.Load())
		assert.Equal(t, slices.Repeat([]int{4}, 10), results)

		left, ok := c.TTL("four")
		require.True(t, ok, "the loaded value is stored")
		assert.Equal(t, time.Minute, left, "with the default TTL")
		v, err := c.GetOrLoad(context.Background(), "four", load)
		require.NoError(t, err)
		assert.Equal(t, 4, v)
		assert.Equal(t, int32(1), calls.Load(), "a hit does not load")
		st := c.Stats()
		assert.Equal(t, uint64(10), st.Misses)
		assert.Equal(t, uint64(1), st.Hits)
		assert.Equal(t, uint64(1), st.Loads)
	})
}

func TestGetOrLoadErrorIsSharedAndNotCached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int]()
		boom := errors.New("boom")
		release := make(chan struct{})
		var calls atomic.Int32
		load := func(ctx context.Context, k string) (int, error) {
			calls.Add(1)
			<-release
			return 0, boom
		}
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				_, err := c.GetOrLoad(context.Background(), "k", load)
				assert.ErrorIs(t, err, boom)
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		assert.Equal(t, int32(1), calls.Load())
		assert.Equal(t, 0, c.Len(), "an error is not cached")
		_, err := c.GetOrLoad(context.Background(), "k", load)
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, int32(2), calls.Load(), "the next call loads again")
		assert.Equal(t, uint64(2), c.Stats().LoadErrors)
	})
}

func TestGetOrLoadPanicBecomesError(t *testing.T) {
	c := New[string, int]()
	_, err := c.GetOrLoad(context.Background(), "k", func(context.Context, string) (int, error) {
		panic("oops")
	})
	assert.EqualError(t, err, "minicache: loader panicked: oops")
	assert.Equal(t, 0, c.Len())
}

func TestGetOrLoadContextCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int]()
		loaderCtx := make(chan context.Context, 1)
		load := func(ctx context.Context, k string) (int, error) {
			loaderCtx <- ctx
			<-ctx.Done()
			return 0, ctx.Err()
		}
		ctx1, cancel1 := context.WithCancel(context.Background())
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
		defer cancel2()
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := c.GetOrLoad(ctx1, "k", load)
			assert.ErrorIs(t, err, context.Canceled)
		})
		lctx := <-loaderCtx
		wg.Go(func() {
			_, err := c.GetOrLoad(ctx2, "k", load)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		})
		synctest.Wait()
		cancel1()
		synctest.Wait()
		assert.NoError(t, lctx.Err(), "another caller still waits: the load goes on")
		time.Sleep(time.Second) // ctx2's deadline: the last waiter gives up
		wg.Wait()
		synctest.Wait()
		assert.ErrorIs(t, lctx.Err(), context.Canceled, "nobody waits any more: the load is canceled")
	})
}

func TestGetOrLoadDoesNotOverwriteNewerSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, string]()
		release := make(chan struct{})
		var got string
		done := make(chan struct{})
		go func() {
			defer close(done)
			got, _ = c.GetOrLoad(context.Background(), "k", func(context.Context, string) (string, error) {
				<-release
				return "loaded", nil
			})
		}()
		synctest.Wait()
		c.Set("k", "newer")
		close(release)
		<-done
		assert.Equal(t, "loaded", got, "the waiter gets the loaded value")
		v, _ := c.Get("k")
		assert.Equal(t, "newer", v, "but it does not overwrite the newer Set")
	})
}

func TestCloseCancelsLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int]()
		started := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			_, err := c.GetOrLoad(context.Background(), "k", func(ctx context.Context, k string) (int, error) {
				close(started)
				<-ctx.Done()
				return 0, ctx.Err()
			})
			errc <- err
		}()
		<-started
		c.Close() // cancels the loader and waits for it
		assert.ErrorIs(t, <-errc, context.Canceled)

		v, err := c.GetOrLoad(context.Background(), "after", func(context.Context, string) (int, error) {
			return 7, nil
		})
		require.NoError(t, err, "after Close the caller's goroutine loads")
		assert.Equal(t, 7, v)
		v, ok := c.Get("after")
		assert.True(t, ok)
		assert.Equal(t, 7, v)
	})
}

// TestConcurrentStress mixes every operation from many goroutines; run it
// with -race. Each goroutine owns a range of keys it alone writes, so its
// last write must be what it reads back, unless the key was evicted.
func TestConcurrentStress(t *testing.T) {
	const (
		workers  = 8
		perOwner = 200
		capacity = 1000
	)
	var removedCount, lookups atomic.Int64
	c := New[int, int](
		WithCapacity(capacity),
		WithShards(4),
		WithCleanupInterval(time.Millisecond),
		WithRemovalCallback(func(k, v int, cause RemovalCause) { removedCount.Add(1) }),
	)
	defer c.Close()
	iterations := 20_000
	if testing.Short() {
		iterations = 2_000
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			last := make(map[int]int)
			for i := range iterations {
				k := w*perOwner + i%perOwner
				switch i % 11 {
				case 0, 1, 2:
					c.Set(k, i)
					last[k] = i
				case 3:
					c.SetWithTTL(k, i, time.Duration(i%3)*time.Millisecond)
					delete(last, k) // may expire at any time
				case 4, 5:
					lookups.Add(1)
					if v, ok := c.Get(k); ok {
						if want, mine := last[k]; mine {
							assert.Equal(t, want, v, "lost update for key %d", k)
						}
					}
				case 6:
					c.Delete(k)
					delete(last, k)
				case 7:
					_, _ = c.Peek(k)
					_, _ = c.TTL(k)
				case 8:
					assert.LessOrEqual(t, c.Len(), capacity)
				case 9:
					lookups.Add(1)
					v, err := c.GetOrLoad(context.Background(), -k-1, func(context.Context, int) (int, error) { return k, nil })
					assert.NoError(t, err)
					assert.Equal(t, k, v)
				case 10:
					if i%1000 == 10 {
						for range c.All() {
						}
						_ = c.Stats()
						c.DeleteExpired()
					}
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, c.Len(), capacity)
	st := c.Stats()
	assert.Equal(t, uint64(lookups.Load()), st.Hits+st.Misses, "every Get and GetOrLoad counts a hit or a miss")
	assert.Positive(t, removedCount.Load())
}

func TestDefaultShardCount(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	perProc := min(shardsPerProc*procs, maxShards)
	for _, tc := range []struct {
		name     string
		capacity int
		shards   int
		want     int
	}{
		{"capacity 3 is exact", 3, 0, 1},
		{"server default is exact", 1000, 0, 1},
		{"just under the limit", exactLimit - 1, 0, 1},
		{"at the limit, 512 per shard", exactLimit, 0, min(perProc, exactLimit/minShardCapacity)},
		{"large", 1_000_000, 0, perProc},
		{"unbounded", 0, 0, perProc},
		{"explicit", 100_000, 3, 3},
		{"never more shards than entries", 2, 8, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New[int, int](WithCapacity(tc.capacity), WithShards(tc.shards))
			assert.Len(t, c.c.shards, tc.want)
		})
	}
}
