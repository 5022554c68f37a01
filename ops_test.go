package minicache

import (
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestComputeIsAtomic(t *testing.T) {
	c := New[string, int](WithShards(4))
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				c.Compute("n", func(v int, _ time.Duration, _ bool) (int, time.Duration, ComputeOp) {
					return v + 1, KeepTTL, ComputeStore
				})
			}
		})
	}
	wg.Wait()
	v, _ := c.Get("n")
	assert.Equal(t, workers*each, v, "no increment is lost")
}

func TestComputeKeepTTLOnAbsentKeyUsesTheDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int](WithDefaultTTL(time.Minute))
		c.Compute("k", func(int, time.Duration, bool) (int, time.Duration, ComputeOp) {
			return 1, KeepTTL, ComputeStore
		})
		left, ok := c.TTL("k")
		require.True(t, ok)
		assert.Equal(t, time.Minute, left)
	})
}

func TestComputeSeesRemainingTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int]()
		c.SetWithTTL("k", 1, 10*time.Second)
		time.Sleep(4 * time.Second)
		var seen time.Duration
		c.Compute("k", func(v int, left time.Duration, _ bool) (int, time.Duration, ComputeOp) {
			seen = left
			return v, 0, ComputeKeep
		})
		assert.Equal(t, 6*time.Second, seen)
		time.Sleep(7 * time.Second)
		_, found := c.Compute("k", func(v int, left time.Duration, found bool) (int, time.Duration, ComputeOp) {
			assert.False(t, found, "an expired entry is absent")
			return v, 0, ComputeKeep
		})
		assert.False(t, found)
		assert.Equal(t, uint64(1), c.Stats().Expirations)
	})
}

func TestComputeStoreRefusedByWeightRemovesTheOldValue(t *testing.T) {
	c := New[string, string](WithMaxWeight(4), WithWeigher(func(_, v string) uint64 { return uint64(len(v)) }))
	c.Set("k", "ab")
	v, ok := c.Compute("k", func(string, time.Duration, bool) (string, time.Duration, ComputeOp) {
		return "toolong", DefaultTTL, ComputeStore
	})
	assert.False(t, ok)
	assert.Equal(t, "", v)
	_, ok = c.Get("k")
	assert.False(t, ok, "the one rule: a refused write leaves the key absent")
	assert.False(t, c.Replace("k", "toolong", DefaultTTL))
	assert.Equal(t, uint64(1), c.Stats().Rejections)
}

func TestExpireAndPersist(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opt, removed := recorder[string, int]()
		c := New[string, int](opt)
		assert.False(t, c.Expire("absent", time.Second))
		c.Set("k", 1)
		assert.True(t, c.Expire("k", time.Second))
		assert.True(t, c.Expire("k", NoExpiration), "PERSIST")
		time.Sleep(2 * time.Second)
		_, ok := c.Get("k")
		assert.True(t, ok)
		assert.True(t, c.Expire("k", 0), "a ttl of zero expires at once")
		_, ok = c.Peek("k")
		assert.False(t, ok)
		assert.Equal(t, []record[string, int]{{"k", 1, CauseExpired}}, removed())
	})
}

func TestScanReturnsEveryStableKeyOnceUnderWrites(t *testing.T) {
	c := New[int, int](WithShards(8))
	const stable = 5000
	for k := range stable {
		c.Set(k, k)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // churn other keys: inserts, deletes, slot reuse
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := stable + i%3000
			if i%2 == 0 {
				c.Set(k, i)
			} else {
				c.Delete(stable + (i/2)%3000)
			}
		}
	})
	seen := make(map[int]int)
	var buf []int
	for cursor := uint64(0); ; {
		buf, cursor = c.Scan(cursor, 7, buf[:0])
		for _, k := range buf {
			seen[k]++
		}
		if cursor == 0 {
			break
		}
	}
	close(stop)
	wg.Wait()
	for k := range stable {
		assert.Equal(t, 1, seen[k], "key %d", k)
	}
}

func TestScanIgnoresInvalidCursor(t *testing.T) {
	c := New[string, int](WithShards(2))
	c.Set("a", 1)
	keys, next := c.Scan(99<<32, 10, nil)
	assert.Empty(t, keys)
	assert.Zero(t, next)
	keys, next = c.Scan(1<<32|1<<31, 10, nil) // a slot beyond the shard
	assert.Zero(t, next)
	assert.LessOrEqual(t, len(keys), 1)
}

func TestSetCapacityBelowShardCount(t *testing.T) {
	opt, removed := recorder[string, int]()
	c := New[string, int](WithShards(8), opt)
	for i := range 100 {
		c.Set(strconv.Itoa(i), i)
	}
	c.SetCapacity(4)
	assert.LessOrEqual(t, c.Len(), 4)
	removed()
	for i := range 100 {
		assert.True(t, c.Set("n"+strconv.Itoa(i), i))
	}
	assert.LessOrEqual(t, c.Len(), 4, "capacity is a hard bound even below the shard count")
	for _, r := range removed() {
		assert.Equal(t, CauseEvicted, r.Cause)
	}
	c.SetCapacity(0)
	for i := range 100 {
		c.Set("u"+strconv.Itoa(i), i)
	}
	assert.GreaterOrEqual(t, c.Len(), 100, "0 is unbounded")
	assert.Panics(t, func() { c.SetCapacity(-1) })
}

func TestSetCapacityGrowsAgain(t *testing.T) {
	c := New[int, int](WithCapacity(3))
	for i := range 10 {
		c.Set(i, i)
	}
	c.SetCapacity(50)
	for i := range 50 {
		c.Set(i, i)
	}
	assert.Equal(t, 50, c.Len())
	assert.Equal(t, 50, c.Capacity())
}

func TestSetMaxWeightNeedsAWeighedCache(t *testing.T) {
	c := New[string, int]()
	assert.PanicsWithValue(t, "minicache: SetMaxWeight(10) on a cache built without WithMaxWeight or WithWeigher",
		func() { c.SetMaxWeight(10) })
}

func TestSetWithDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int]()
		assert.True(t, c.SetWithDeadline("k", 1, time.Now().Add(3*time.Second)))
		left, _ := c.TTL("k")
		assert.Equal(t, 3*time.Second, left)
		assert.False(t, c.SetWithDeadline("k", 2, time.Now().Add(-time.Second)), "a past deadline removes")
		_, ok := c.Get("k")
		assert.False(t, ok)
		assert.True(t, c.SetWithDeadline("k", 3, time.Time{}))
		left, _ = c.TTL("k")
		assert.Equal(t, NoExpiration, left)
		// A wall-clock deadline without a monotonic reading, as a snapshot
		// file gives it.
		at := time.Unix(0, time.Now().Add(5*time.Second).UnixNano())
		c.SetWithDeadline("w", 1, at)
		left, _ = c.TTL("w")
		assert.Equal(t, 5*time.Second, left)
		for e := range c.Entries() {
			if e.Key == "w" {
				assert.True(t, e.Expiry.Equal(at), "%v != %v", e.Expiry, at)
			}
		}
	})
}
