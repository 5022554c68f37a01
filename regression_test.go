package minicache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the defects a review found; each failed (or hung)
// before its fix.

// within fails the test if f does not return within d: the defects below
// used to hang forever under a shard lock.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal("the operation hung")
	}
}

func TestNaNKeysNeverHang(t *testing.T) {
	within(t, 10*time.Second, func() {
		c := New[float64, int](WithCapacity(1))
		c.Set(math.NaN(), 1)
		c.Set(1.0, 2) // evicts the NaN entry: its bucket must be found without re-hashing
		assert.Equal(t, 1, c.Len())
		v, ok := c.Get(1.0)
		assert.True(t, ok)
		assert.Equal(t, 2, v)
		assert.Equal(t, uint64(1), c.Stats().Evictions)
	})
	within(t, 10*time.Second, func() {
		c := New[any, int](WithCapacity(8))
		for range 20 {
			c.Set(math.NaN(), 1) // every NaN is a new key, as in a Go map
		}
		assert.Equal(t, 8, c.Len())
		_, ok := c.Get(math.NaN())
		assert.False(t, ok, "NaN never equals itself")
		c.Clear()
		assert.Equal(t, 0, c.Len())
	})
}

func TestNaNKeysExpireWithoutHanging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[float64, int]()
		c.SetWithTTL(math.NaN(), 1, time.Second)
		c.SetWithTTL(math.NaN(), 2, time.Second)
		time.Sleep(2 * time.Second)
		assert.Equal(t, 2, c.DeleteExpired())
		assert.Equal(t, 0, c.Len())
	})
}

func TestAbandonedLoadDoesNotOverwriteNewerState(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(c *Cache[string, string])
		want  string // "" for absent
	}{
		{"Set", func(c *Cache[string, string]) { c.Set("k", "newer") }, "newer"},
		{"Delete", func(c *Cache[string, string]) { c.Delete("k") }, ""},
		{"Clear", func(c *Cache[string, string]) { c.Clear() }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New[string, string]()
			started, release := make(chan struct{}), make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := c.GetOrLoad(ctx, "k", func(context.Context, string) (string, error) {
					close(started)
					<-release // ignores its ctx
					return "stale", nil
				})
				errc <- err
			}()
			<-started
			cancel()
			require.ErrorIs(t, <-errc, context.Canceled)
			tc.write(c) // the load's only caller has left
			close(release)
			c.Close() // waits for the loader to return
			v, ok := c.Get("k")
			if tc.want == "" {
				assert.False(t, ok, "got %q", v)
			} else {
				assert.True(t, ok)
				assert.Equal(t, tc.want, v)
			}
		})
	}
}

func TestAbandonedLoadIsReplacedByTheNextCaller(t *testing.T) {
	c := New[string, string]()
	defer c.Close()
	started, release := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = c.GetOrLoad(ctx, "k", func(context.Context, string) (string, error) {
			close(started)
			<-release
			return "first", nil
		})
	}()
	<-started
	cancel()
	require.Eventually(t, func() bool {
		s := c.c.shardFor(c.c.hash("k"))
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.calls["k"] != nil && s.calls["k"].waiters == 0
	}, 5*time.Second, time.Millisecond)
	v, err := c.GetOrLoad(context.Background(), "k", func(context.Context, string) (string, error) {
		return "second", nil
	})
	require.NoError(t, err)
	assert.Equal(t, "second", v, "a new caller does not wait for an abandoned load")
	close(release)
	c.Close()
	v, _ = c.Get("k")
	assert.Equal(t, "second", v, "the abandoned load, overtaken, does not store")
}

func TestGetOrLoadMissAndRegistrationAreAtomic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c *Cache[string, string]
		c = New[string, string](WithRemovalCallback(func(k, v string, cause RemovalCause) {
			if cause == CauseExpired {
				c.Set(k, "reset") // a callback that re-sets an expired key
			}
		}))
		defer c.Close()
		c.SetWithTTL("k", "old", time.Second)
		time.Sleep(2 * time.Second)
		v, err := c.GetOrLoad(context.Background(), "k", func(context.Context, string) (string, error) {
			return "loaded", nil
		})
		require.NoError(t, err)
		assert.Equal(t, "loaded", v)
		got, ok := c.Get("k")
		require.True(t, ok)
		assert.Equal(t, "reset", got, "the callback's Set came after the load began and wins")
	})
}

func TestPanickingCallbackLeavesTheShardUnlocked(t *testing.T) {
	for _, tc := range []struct {
		name string
		read func(c *Cache[string, int])
	}{
		{"TTL", func(c *Cache[string, int]) { c.TTL("k") }},
		{"Get", func(c *Cache[string, int]) { c.Get("k") }},
		{"Peek", func(c *Cache[string, int]) { c.Peek("k") }},
		{"GetAndExpire", func(c *Cache[string, int]) { c.GetAndExpire("k", time.Hour) }},
		{"Compute", func(c *Cache[string, int]) {
			c.Compute("k", func(v int, _ time.Duration, _ bool) (int, time.Duration, ComputeOp) {
				return v, 0, ComputeKeep
			})
		}},
		{"GetOrLoad", func(c *Cache[string, int]) {
			c.GetOrLoad(context.Background(), "k", func(context.Context, string) (int, error) { return 1, nil })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := New[string, int](WithRemovalCallback(func(string, int, RemovalCause) { panic("callback") }))
				defer c.Close()
				c.SetWithTTL("k", 1, time.Second)
				time.Sleep(2 * time.Second)
				assert.PanicsWithValue(t, "callback", func() { tc.read(c) })
				within(t, 5*time.Second, func() { // the lock was released before the callback ran
					c.c.shards[0].mu.Lock()
					c.c.shards[0].mu.Unlock()
				})
			})
		})
	}
}

func TestComputePanicLeavesCacheUnchanged(t *testing.T) {
	c := New[string, int]()
	c.Set("k", 1)
	assert.PanicsWithValue(t, "f", func() {
		c.Compute("k", func(int, time.Duration, bool) (int, time.Duration, ComputeOp) { panic("f") })
	})
	assert.PanicsWithValue(t, "g", func() {
		c.ComputeIfPresent("k", func(int, time.Duration) (int, time.Duration, ComputeOp) { panic("g") })
	})
	v, ok := c.Get("k") // the shard is unlocked, or this would hang
	assert.True(t, ok)
	assert.Equal(t, 1, v)
}

func TestWeightBoundAboveTheLimitIsRefused(t *testing.T) {
	weigh := WithWeigher(func(_ int, v uint64) uint64 { return v })
	assert.PanicsWithValue(t, "minicache: weight bound 18446744073709551615 is above MaxWeightLimit (2^62)", func() {
		New[int, uint64](WithMaxWeight(math.MaxUint64), weigh)
	})
	c := New[int, uint64](weigh)
	assert.Panics(t, func() { c.SetMaxWeight(MaxWeightLimit + 1) })
}

func TestWeightTotalCannotOverflow(t *testing.T) {
	for _, shards := range []int{1, 4} {
		c := New[int, uint64](WithMaxWeight(MaxWeightLimit), WithShards(shards),
			WithWeigher(func(_ int, v uint64) uint64 { return v }))
		for k := 1; k <= 3; k++ {
			assert.True(t, c.Set(k, MaxWeightLimit))
		}
		assert.Equal(t, 1, c.Len(), "%d shards: two entries of the bound do not fit", shards)
		assert.Equal(t, uint64(MaxWeightLimit), c.Stats().Weight)
		_, ok := c.Get(3)
		assert.True(t, ok, "the newest entry stays")
		assert.Equal(t, uint64(2), c.Stats().Evictions)
	}
}

func TestWeightTotalOverflowAcrossShardsIsRefused(t *testing.T) {
	// Unbounded weight: nothing evicts, so the third 2^63 would wrap the
	// total. It is refused instead, and the total stays exact.
	c := New[int, uint64](WithWeigher(func(_ int, v uint64) uint64 { return v }), WithShards(4))
	assert.True(t, c.Set(1, 1<<63-1))
	assert.True(t, c.Set(2, 1<<63-1))
	assert.False(t, c.Set(3, 4), "the total would pass 2^64-1")
	assert.Equal(t, uint64(1<<64-2), c.Stats().Weight)
	assert.Equal(t, uint64(1), c.Stats().Rejections)
	c.Delete(1)
	assert.True(t, c.Set(3, 4))
	assert.Equal(t, uint64(1<<63+3), c.Stats().Weight)
}

// TestCallbackCapturingTheCacheKeepsItReachable checks what New documents:
// the cleanup stops the janitor of an unreachable cache only, and a removal
// callback that refers to its cache keeps it reachable, so it must be
// closed.
func TestCallbackCapturingTheCacheKeepsItReachable(t *testing.T) {
	collected := func(capture bool) bool {
		w := func() weak.Pointer[Cache[int, int]] {
			var c *Cache[int, int]
			callback := func(int, int, RemovalCause) {}
			if capture {
				callback = func(int, int, RemovalCause) { _ = c.Len() }
			}
			c = New[int, int](WithCleanupInterval(time.Hour), WithRemovalCallback(callback))
			c.Set(1, 1)
			return weak.Make(c)
		}()
		for range 5 {
			runtime.GC()
			if w.Value() == nil {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		w.Value().Close() // the documented duty of its owner
		return false
	}
	assert.True(t, collected(false), "a cache whose callback does not refer to it is collected")
	assert.False(t, collected(true), "a callback that captures its cache keeps it reachable")
}

func TestLoaderErrorAfterCloseRunsInCaller(t *testing.T) {
	c := New[string, int]()
	c.Close()
	_, err := c.GetOrLoad(context.Background(), "k", func(context.Context, string) (int, error) {
		return 0, errors.New("boom")
	})
	assert.EqualError(t, err, "boom")
}

// A replacement that grows an entry past the weight bound reclaims an
// expired entry before it evicts a live one, even when the heap's earliest
// deadline is a stale one of the slot being replaced (found by
// TestPropertyOneShard in CI: the search for expired entries stopped at it).
func TestGrowingReplacementReclaimsExpiredBeforeEvicting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opt, removed := recorder[string, int]()
		c := New[string, int](WithShards(1), WithMaxWeight(3),
			WithWeigher(func(_ string, v int) uint64 { return uint64(v) }), opt)
		defer c.Close()
		c.Set("live", 1)
		c.SetWithTTL("gone", 1, time.Millisecond)
		c.Delete("gone")                               // leaves a stale deadline
		c.Set("grows", 1)                              // in the slot "gone" freed
		c.SetWithTTL("expires", 1, 2*time.Millisecond) // behind the stale deadline
		time.Sleep(10 * time.Millisecond)
		removed() // forget the Delete

		c.Set("grows", 2) // weight 1+1+1 → 1+2+1: over the bound by one
		assert.Equal(t, []record[string, int]{
			{"grows", 1, CauseReplaced},
			{"expires", 1, CauseExpired},
		}, removed())
		_, ok := c.Get("live")
		assert.True(t, ok, "a live entry was evicted while an expired one stayed")
	})
}

// TestLongTTLsAreCutNotDropped: a time to live reaching past the clock's
// end (a deadline after 2262, beyond time.Time's UnixNano) used to mean no
// deadline at all, or, within the clock's 292 years but past 2262, a
// deadline that Save wrote as garbage, so that the entry came back expired
// or with another deadline. Deadlines are now cut to 2262-04-11.
func TestLongTTLsAreCutNotDropped(t *testing.T) {
	last := time.Unix(0, math.MaxInt64)
	c := New[string, int]()
	defer c.Close()
	c.SetWithTTL("past-2262", 1, 250*365*24*time.Hour)
	c.SetWithTTL("clock's end", 2, NoExpiration-1)
	c.SetWithDeadline("deadline", 3, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
	c.Set("never", 4)
	for _, k := range []string{"past-2262", "clock's end", "deadline"} {
		ttl, ok := c.TTL(k)
		require.True(t, ok, k)
		assert.NotEqual(t, NoExpiration, ttl, "%s: a deadline was asked for", k)
		assert.WithinDuration(t, last, time.Now().Add(ttl), time.Minute, k)
	}

	var buf bytes.Buffer
	_, err := c.Save(&buf)
	require.NoError(t, err)
	d := New[string, int]()
	defer d.Close()
	n, err := d.Load(&buf)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "every entry comes back")
	for k, v := range map[string]int{"past-2262": 1, "clock's end": 2, "deadline": 3} {
		got, ok := d.Get(k)
		assert.True(t, ok, k)
		assert.Equal(t, v, got, k)
		ttl, _ := d.TTL(k)
		assert.WithinDuration(t, last, time.Now().Add(ttl), time.Minute, k)
	}
	ttl, ok := d.TTL("never")
	assert.True(t, ok)
	assert.Equal(t, NoExpiration, ttl)
}

// TestLoadCallbackPanicReachesTheCaller: the removals a loaded value's store
// caused were reported in the loader's goroutine, so a callback that
// panicked there ended the process. They are reported in a caller's
// goroutine now, where the panic reaches GetOrLoad's caller as Set's would.
func TestLoadCallbackPanicReachesTheCaller(t *testing.T) {
	c := New[int, int](WithCapacity(1), WithRemovalCallback(func(k, v int, cause RemovalCause) {
		panic(fmt.Sprintf("callback for %d (%v)", k, cause))
	}))
	defer c.Close()
	c.Set(1, 1)
	assert.PanicsWithValue(t, "callback for 1 (evicted)", func() {
		c.GetOrLoad(context.Background(), 2, func(context.Context, int) (int, error) { return 2, nil })
	})
	v, ok := c.Get(2)
	assert.True(t, ok, "the loaded value is stored")
	assert.Equal(t, 2, v)
}

// TestMissCallbackPanicLeavesNoStuckLoad: a callback that panicked for the
// expired entry GetOrLoad's miss removed left a load registered that never
// ran, and every later GetOrLoad of the key waited for it until its own
// context ended.
func TestMissCallbackPanicLeavesNoStuckLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int](WithRemovalCallback(func(_ string, _ int, cause RemovalCause) {
			if cause == CauseExpired {
				panic("expired")
			}
		}))
		defer c.Close()
		c.SetWithTTL("k", 1, time.Second)
		time.Sleep(2 * time.Second)
		assert.Panics(t, func() {
			c.GetOrLoad(context.Background(), "k", func(context.Context, string) (int, error) { return 2, nil })
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		v, err := c.GetOrLoad(ctx, "k", func(context.Context, string) (int, error) { return 3, nil })
		require.NoError(t, err, "the next GetOrLoad waited for a load that never ran")
		assert.Contains(t, []int{2, 3}, v)
	})
}

// TestLoaderGoexitFinishesTheLoad: a loader that called runtime.Goexit (as
// t.FailNow does) never closed its call, and its callers, and every later
// caller of the key, waited forever.
func TestLoaderGoexitFinishesTheLoad(t *testing.T) {
	c := New[string, int]()
	defer c.Close()
	within(t, 10*time.Second, func() {
		_, err := c.GetOrLoad(context.Background(), "k", func(context.Context, string) (int, error) {
			runtime.Goexit()
			return 0, nil
		})
		assert.ErrorIs(t, err, errLoaderExited)
		v, err := c.GetOrLoad(context.Background(), "k", func(context.Context, string) (int, error) { return 7, nil })
		assert.NoError(t, err)
		assert.Equal(t, 7, v)
	})
	c.Close()
	within(t, 10*time.Second, func() {
		// After Close the loader runs in the caller's goroutine, which
		// Goexit ends; the next caller must still get its own load.
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.GetOrLoad(context.Background(), "j", func(context.Context, string) (int, error) {
				runtime.Goexit()
				return 0, nil
			})
		}()
		<-done
		v, err := c.GetOrLoad(context.Background(), "j", func(context.Context, string) (int, error) { return 8, nil })
		assert.NoError(t, err)
		assert.Equal(t, 8, v)
	})
}

// TestCloseFromALoadsCallback: Close called from a callback of a loaded
// value's store waited for the loader's goroutine, in which it ran.
func TestCloseFromALoadsCallback(t *testing.T) {
	var c *Cache[int, int]
	c = New[int, int](WithCapacity(1), WithRemovalCallback(func(_, _ int, cause RemovalCause) {
		if cause == CauseEvicted {
			c.Close()
		}
	}))
	c.Set(1, 1)
	within(t, 10*time.Second, func() {
		v, err := c.GetOrLoad(context.Background(), 2, func(context.Context, int) (int, error) { return 2, nil })
		assert.NoError(t, err)
		assert.Equal(t, 2, v)
	})
}

// TestMissCallbackPanicStillReportsTheStore: a caller whose miss's callback
// panicked stayed counted among the load's waiters, so the load was not
// orphaned when it finished, and nobody reported the entries its store
// evicted. (Found by a review.)
func TestMissCallbackPanicStillReportsTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen []record[string, int]
		d := New[string, int](WithCapacity(2), WithShards(1), WithRemovalCallback(func(k string, v int, cause RemovalCause) {
			seen = append(seen, record[string, int]{k, v, cause})
			if cause == CauseExpired {
				panic("expired")
			}
		}))
		defer d.Close()
		d.Set("a", 1)
		d.SetWithTTL("k", 1, time.Second)
		time.Sleep(2 * time.Second)
		release := make(chan struct{})
		assert.Panics(t, func() {
			d.GetOrLoad(context.Background(), "k", func(context.Context, string) (int, error) {
				<-release
				return 2, nil
			})
		})
		d.Set("b", 3) // the shard is full: a, b
		close(release)
		synctest.Wait()
		_, kept := d.Get("a")
		require.False(t, kept, "storing k evicted a")
		assert.Contains(t, seen, record[string, int]{"a", 1, CauseEvicted}, "the eviction is reported")
	})
}

// TestMissCallbackPanicStillFitsTheWeight: the same abandoned store never
// made the other shards honour the weight bound.
func TestMissCallbackPanicStillFitsTheWeight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[int, int](WithShards(2), WithMaxWeight(4), WithWeigher(func(_, v int) uint64 { return uint64(v) }),
			WithRemovalCallback(func(_, _ int, cause RemovalCause) {
				if cause == CauseExpired {
					panic("expired")
				}
			}))
		defer c.Close()
		other := 1 // a key in the other shard than 0's
		for c.c.shardFor(c.c.hash(other)) == c.c.shardFor(c.c.hash(0)) {
			other++
		}
		c.Set(other, 3)
		c.SetWithTTL(0, 1, time.Second)
		time.Sleep(2 * time.Second)
		assert.Panics(t, func() {
			c.GetOrLoad(context.Background(), 0, func(context.Context, int) (int, error) { return 3, nil })
		})
		synctest.Wait()
		assert.LessOrEqual(t, c.Stats().Weight, uint64(4), "the total weight fits the bound")
	})
}
