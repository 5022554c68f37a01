package minicache

// Tests of the uint32 index through the cache: a model-based state machine
// under a deliberately bad hash, the probe bound, which shards keep tags,
// and regressions.

import (
	"math"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestIndexCollidingTagsPanicBoundedly: 65 keys whose hashes share their
// upper half (one tag) cannot be placed within maxDist at any table size,
// which only a broken hash can cause. The shard doubles its table up to 64
// times what its entries need and then panics with an internal error,
// rather than allocate its way to 2²⁶ buckets or lose a key.
func TestIndexCollidingTagsPanicBoundedly(t *testing.T) {
	c := New[int, int](WithShards(1))
	defer c.Close()
	setHash(c, func(k int) uint64 { return uint64(uint32(k)) }) // tag 0 for every key
	for k := range maxDist + 1 {
		c.Set(k, k)
	}
	assert.PanicsWithValue(t, "minicache: internal error: the index cannot place its keys within their probe bound",
		func() { c.Set(maxDist+1, 0) })
	assert.LessOrEqual(t, len(c.c.shards[0].index.buckets), 2*64*bucketsFor(maxDist+2))
}

// TestClearReportsWTinyLFUEntries: Clear reports every entry of a W-TinyLFU
// cache with CauseCleared (it reported none: clear walked a copy of the
// shard's order, whose W-TinyLFU state, behind a pointer, init had reset).
func TestClearReportsWTinyLFUEntries(t *testing.T) {
	var mu sync.Mutex
	cleared := 0
	c := New[int, int](WithShards(1), WithPolicy(WTinyLFU), WithCapacity(100),
		WithRemovalCallback(func(_, _ int, cause RemovalCause) {
			mu.Lock()
			defer mu.Unlock()
			if cause == CauseCleared {
				cleared++
			}
		}))
	defer c.Close()
	for k := range 10 {
		c.Set(k, k)
	}
	c.Clear()
	assert.Equal(t, 10, cleared)
}

// setHash gives c the hash h, in the core and in every shard (tagOf uses the
// shard's copy), under each shard's lock.
func setHash[K comparable, V any](c *Cache[K, V], h func(K) uint64) {
	c.c.hashFn = h
	for i := range c.c.shards {
		s := &c.c.shards[i]
		s.mu.Lock()
		s.hash = h
		s.mu.Unlock()
	}
}

// TestTagsKeptWhereNeeded: shards keep tags only for keys that are not
// integers, under any policy; after Clear and SetCapacity too. W-TinyLFU
// counts every key by the tag of its own key, kept or hashed again, through
// Clear, SetCapacity and evictions that reuse slots, and Clock's memo of a
// tag stays true too.
func TestTagsKeptWhereNeeded(t *testing.T) {
	check := func(t *testing.T, name string, tagged bool, shards int, tags func(i int) []uint32) {
		for i := range shards {
			assert.Equal(t, tagged, tags(i) != nil, "%s shard %d", name, i)
		}
	}
	lfuInt := New[int, int](WithPolicy(WTinyLFU), WithCapacity(5000))
	defer lfuInt.Close()
	lfuStr := New[string, int](WithPolicy(WTinyLFU), WithCapacity(5000))
	defer lfuStr.Close()
	clockInt := New[int, int](WithPolicy(Clock), WithCapacity(5000))
	defer clockInt.Close()
	lruInt := New[int64, int](WithCapacity(5000))
	defer lruInt.Close()
	lruStr := New[string, int](WithCapacity(5000))
	defer lruStr.Close()
	lruF := New[float64, int](WithCapacity(5000))
	defer lruF.Close()
	for round := range 3 {
		for k := range 20000 {
			lfuInt.Set(k%7000, k)
			_, _ = lfuInt.Get(k % 97)
			clockInt.Set(k%7000, k)
			_, _ = clockInt.Get(k % 97)
			lfuStr.Set(strconv.Itoa(k%7000), k)
			lruInt.Set(int64(k), k)
			lruStr.Set(strconv.Itoa(k), k)
			lruF.Set(float64(k), k)
		}
		assert.Equal(t, 5000, lfuInt.Len())
		check(t, "w-tinylfu int", false, len(lfuInt.c.shards), func(i int) []uint32 { return lfuInt.c.shards[i].slab.tags })
		check(t, "w-tinylfu string", true, len(lfuStr.c.shards), func(i int) []uint32 { return lfuStr.c.shards[i].slab.tags })
		check(t, "lru int64", false, len(lruInt.c.shards), func(i int) []uint32 { return lruInt.c.shards[i].slab.tags })
		check(t, "lru string", true, len(lruStr.c.shards), func(i int) []uint32 { return lruStr.c.shards[i].slab.tags })
		check(t, "lru float64", true, len(lruF.c.shards), func(i int) []uint32 { return lruF.c.shards[i].slab.tags })
		policyTagsMatch(t, lfuInt.c)
		policyTagsMatch(t, lfuStr.c)
		policyTagsMatch(t, clockInt.c)
		if round == 0 {
			clockInt.Clear()
			lfuInt.Clear()
			lfuStr.Clear()
			lruInt.Clear()
		} else {
			lfuInt.SetCapacity(3000)
			lfuInt.SetCapacity(5000)
			clockInt.SetCapacity(3000)
			clockInt.SetCapacity(5000)
			lfuStr.SetCapacity(3000)
			lfuStr.SetCapacity(5000)
		}
	}
}

// policyTagsMatch checks that the policy (W-TinyLFU or Clock) sees, for
// every live slot of every shard of c, the tag of the key the slot holds
// now, memo included: the memo's slot first, before the others replace it.
func policyTagsMatch[K comparable, V any](t *testing.T, c *core[K, V]) {
	t.Helper()
	for si := range c.shards {
		s := &c.shards[si]
		s.mu.Lock()
		for n := uint32(0); n < uint32(len(s.slab.entries)); n++ {
			i := (s.order.lfu.memo + n) % uint32(len(s.slab.entries))
			if i == 0 || s.slab.used[i/64]&(1<<(i%64)) == 0 {
				continue
			}
			want := uint32(c.hash(s.slab.entries[i].key) >> 32)
			if got := s.order.lfu.tag(i); got != want {
				s.mu.Unlock()
				t.Fatalf("shard %d slot %d: the policy counts tag %#x, the key's is %#x", si, i, got, want)
			}
		}
		s.mu.Unlock()
	}
}

// TestIndexZeroKeyAndEmptyTables: the zero key with a hash of 0 (tag 0,
// fingerprint 0, home 0) is never matched by an empty bucket, on the
// one-bucket noBuckets table of an empty shard or on a real one, and NaN
// keys (a new entry each, found again by their kept tags) can be evicted.
func TestIndexZeroKeyAndEmptyTables(t *testing.T) {
	c := New[int, int](WithShards(1))
	defer c.Close()
	setHash(c, func(k int) uint64 { return uint64(uint32(k)) << 32 })
	_, ok := c.Get(0)
	assert.False(t, ok, "noBuckets")
	assert.False(t, c.Delete(0))
	c.Set(1, 1)
	_, ok = c.Get(0)
	assert.False(t, ok, "a real table without key 0")
	c.Set(0, 5)
	v, ok := c.Get(0)
	assert.True(t, ok)
	assert.Equal(t, 5, v)
	assert.True(t, c.Delete(0))
	_, ok = c.Get(0)
	assert.False(t, ok)
	c.Clear()
	_, ok = c.Get(0)
	assert.False(t, ok, "noBuckets after Clear")

	f := New[float64, int](WithShards(1), WithCapacity(50))
	defer f.Close()
	for i := range 200 {
		f.Set(math.NaN(), i)
		f.Set(float64(i), i)
	}
	assert.Equal(t, 50, f.Len())
	checkIndex(t, &f.c.shards[0], f.c.hashFn)
}

// checkIndex checks every invariant of a shard's index against its slab:
// one bucket per live slot and none else, each slot within the mask, at its
// recorded distance from the home of its key's tag, with its tag's
// fingerprint, in Robin Hood order, within maxDist and the load factor;
// every live key found by lookup and by find; kept tags equal to the key's.
func checkIndex[K comparable, V any](t require.TestingT, s *shard[K, V], hash func(K) uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := &s.index
	n := uint64(len(x.buckets))
	if s.slab.len == 0 && n == 1 {
		require.Zero(t, x.buckets[0], "noBuckets holds a bucket")
		return
	}
	seen := map[uint32]bool{}
	for pos, b := range x.buckets {
		if b == 0 {
			continue
		}
		slot := x.slot(b)
		require.NotZero(t, slot, "bucket %x at %d has slot 0", b, pos)
		require.Less(t, int(slot), len(s.slab.entries), "slot %d past the slab", slot)
		require.NotZero(t, s.slab.used[slot/64]&(1<<(slot%64)), "slot %d is free but indexed", slot)
		require.False(t, seen[slot], "slot %d indexed twice", slot)
		seen[slot] = true
		key := s.slab.entries[slot].key
		stable := key == key // a NaN's hash differs at every call
		tag := s.tagOf(slot)
		if stable {
			require.Equal(t, uint32(hash(key)>>32), tag, "tag of slot %d", slot)
		} else {
			require.NotNil(t, s.slab.tags, "an unstable key without a kept tag")
		}
		require.Empty(t, bucketErr(x, uint64(pos), tag))
		if stable {
			p, i := s.lookup(key, hash(key), false)
			require.Equal(t, slot, i, "lookup of slot %d's key", slot)
			require.Equal(t, uint64(pos), p)
		}
		require.Equal(t, uint64(pos), x.find(tag, slot))
	}
	require.Equal(t, s.slab.len, len(seen), "live slots vs buckets")
	for i := s.slab.nextUsed(1); i != 0; i = s.slab.nextUsed(i + 1) {
		require.True(t, seen[i], "live slot %d not indexed", i)
	}
	require.LessOrEqual(t, maxLoadDen*s.slab.len, maxLoadNum*len(x.buckets), "load factor")
	require.LessOrEqual(t, s.slab.len, s.capacity)
}

// badHash puts key k's low 12 bits at the top of its tag, so that up
// to 4096 keys have distinct tags but share a home in every table shorter
// than about 4096 buckets (the table must grow past its load factor's size
// to bring every bucket within maxDist); negative keys home at the end of
// the table, so clusters wrap. The low half picks shard k&1 of two.
func badHash(k int) uint64 {
	return uint64(uint32(k)<<20)<<32 | uint64(uint32(k)&1)<<31
}

const (
	machineKeyMin = -60
	machineKeyMax = 240
)

type machineEntry struct {
	value    int
	deadline time.Time // zero: none
}

type machineEvent struct {
	key   int
	value int
	cause RemovalCause
}

// indexMachine runs a cache with badHash through Set (with and
// without TTLs), Get, Delete, Expire, Compute's delete, DeleteExpired,
// SetCapacity and Clear, and holds it to a map: evictions, which the policy
// chooses, are taken from the removal callback, everything else is
// predicted. After every step it checks every key's value and the index's
// invariants.
type indexMachine[K comparable] struct {
	c        *Cache[K, int]
	keyOf    func(int) K
	intOf    func(K) int
	hash     func(K) uint64
	m        map[int]machineEntry
	mu       sync.Mutex
	events   []machineEvent
	capacity int
	weighted bool
	max      uint64
}

func machineWeight(v int) uint64 { return uint64(v % 5) }

func newIndexMachine[K comparable](t *rapid.T, keyOf func(int) K, intOf func(K) int) *indexMachine[K] {
	s := &indexMachine[K]{keyOf: keyOf, intOf: intOf, m: map[int]machineEntry{}}
	s.hash = func(k K) uint64 { return badHash(intOf(k)) }
	s.capacity = rapid.SampledFrom([]int{0, 1, 3, 40, 150, 400}).Draw(t, "capacity")
	opts := []Option{
		WithShards(rapid.IntRange(1, 2).Draw(t, "shards")),
		WithCapacity(s.capacity),
		WithPolicy(rapid.SampledFrom([]Policy{LRU, WTinyLFU, Clock}).Draw(t, "policy")),
		WithRemovalCallback(func(k K, v int, cause RemovalCause) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.events = append(s.events, machineEvent{intOf(k), v, cause})
		}),
	}
	if rapid.Bool().Draw(t, "weighted") {
		s.weighted = true
		s.max = uint64(rapid.IntRange(2, 300).Draw(t, "maxWeight"))
		opts = append(opts, WithMaxWeight(s.max), WithWeigher(func(_ K, v int) uint64 { return machineWeight(v) }))
	}
	s.c = New[K, int](opts...)
	setHash(s.c, s.hash)
	return s
}

func (s *indexMachine[K]) live(k int) (machineEntry, bool) {
	e, ok := s.m[k]
	if ok && !e.deadline.IsZero() && !time.Now().Before(e.deadline) {
		return e, false
	}
	return e, ok
}

// settle applies the evictions reported since the last call.
func (s *indexMachine[K]) settle(t *rapid.T) {
	s.mu.Lock()
	ev := s.events
	s.events = nil
	s.mu.Unlock()
	for _, e := range ev {
		switch e.cause {
		case CauseEvicted:
			cur, ok := s.m[e.key]
			if !ok || cur.value != e.value {
				t.Fatalf("evicted %d=%d, the model holds %v (%v)", e.key, e.value, cur, ok)
			}
			delete(s.m, e.key)
		}
	}
	for k := range s.m {
		if _, ok := s.live(k); !ok {
			delete(s.m, k)
		}
	}
}

func (s *indexMachine[K]) drawKey(t *rapid.T) int {
	return rapid.IntRange(machineKeyMin, machineKeyMax).Draw(t, "key")
}

func (s *indexMachine[K]) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"set": func(t *rapid.T) {
			k, v := s.drawKey(t), rapid.IntRange(0, 1000).Draw(t, "value")
			var ttl time.Duration
			if rapid.IntRange(0, 3).Draw(t, "timed") == 0 {
				ttl = time.Duration(rapid.IntRange(1, 5).Draw(t, "ttl")) * time.Millisecond
			}
			var stored bool
			if ttl == 0 {
				stored = s.c.Set(s.keyOf(k), v)
			} else {
				stored = s.c.SetWithTTL(s.keyOf(k), v, ttl)
			}
			wantStored := !s.weighted || machineWeight(v) <= s.max
			if stored != wantStored {
				t.Fatalf("Set(%d, %d) stored %v", k, v, stored)
			}
			if stored {
				e := machineEntry{value: v}
				if ttl != 0 {
					e.deadline = time.Now().Add(ttl)
				}
				s.m[k] = e
			} else {
				delete(s.m, k)
			}
			s.settle(t)
		},
		"fill": func(t *rapid.T) { // many keys at once: growth and far buckets
			from := s.drawKey(t)
			n := rapid.IntRange(1, 200).Draw(t, "n")
			for k := from; k < from+n && k <= machineKeyMax; k++ {
				if s.c.Set(s.keyOf(k), k&0xff) {
					s.m[k] = machineEntry{value: k & 0xff}
				} else {
					delete(s.m, k)
				}
				s.settle(t)
			}
		},
		"get": func(t *rapid.T) {
			k := s.drawKey(t)
			v, ok := s.c.Get(s.keyOf(k))
			e, want := s.live(k)
			if ok != want || ok && v != e.value {
				t.Fatalf("Get(%d) = %d, %v; want %d, %v", k, v, ok, e.value, want)
			}
			s.settle(t)
		},
		"delete": func(t *rapid.T) {
			k := s.drawKey(t)
			_, want := s.live(k)
			if got := s.c.Delete(s.keyOf(k)); got != want {
				t.Fatalf("Delete(%d) = %v", k, got)
			}
			delete(s.m, k)
			s.settle(t)
		},
		"expireNow": func(t *rapid.T) {
			k := s.drawKey(t)
			_, want := s.live(k)
			if got := s.c.Expire(s.keyOf(k), -1); got != want {
				t.Fatalf("Expire(%d) = %v", k, got)
			}
			delete(s.m, k)
			s.settle(t)
		},
		"computeDelete": func(t *rapid.T) {
			k := s.drawKey(t)
			s.c.Compute(s.keyOf(k), func(int, time.Duration, bool) (int, time.Duration, ComputeOp) {
				return 0, 0, ComputeDelete
			})
			delete(s.m, k)
			s.settle(t)
		},
		"sleep": func(t *rapid.T) {
			time.Sleep(time.Duration(rapid.IntRange(1, 3).Draw(t, "ms")) * time.Millisecond)
			s.settle(t)
		},
		"deleteExpired": func(t *rapid.T) {
			s.c.DeleteExpired()
			s.settle(t)
		},
		"setCapacity": func(t *rapid.T) {
			s.capacity = rapid.SampledFrom([]int{0, 1, 2, 7, 50, 150, 400}).Draw(t, "newCapacity")
			s.c.SetCapacity(s.capacity)
			s.settle(t)
		},
		"clear": func(t *rapid.T) {
			s.c.Clear()
			s.mu.Lock()
			s.events = nil
			s.mu.Unlock()
			clear(s.m)
		},
		"": func(t *rapid.T) {
			for k := machineKeyMin; k <= machineKeyMax; k++ {
				v, ok := s.c.Peek(s.keyOf(k))
				e, want := s.live(k)
				if ok != want || ok && v != e.value {
					t.Fatalf("Peek(%d) = %d, %v; want %d, %v", k, v, ok, e.value, want)
				}
			}
			s.settle(t)
			if got := s.c.Len(); got != len(s.m) {
				t.Fatalf("Len() = %d, want %d", got, len(s.m))
			}
			s.settle(t)
			if s.capacity > 0 && len(s.m) > s.capacity {
				t.Fatalf("%d entries over the capacity %d", len(s.m), s.capacity)
			}
			for i := range s.c.c.shards {
				checkIndex(t, &s.c.c.shards[i], s.hash)
			}
		},
	}
}

func runIndexMachine[K comparable](t *testing.T, keyOf func(int) K, intOf func(K) int) {
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(inBubble{t}, func(t *rapid.T) {
			s := newIndexMachine(t, keyOf, intOf)
			defer s.c.Close()
			t.Repeat(s.actions())
		})
	})
}

// TestIndexMachineInt: int keys, whose tags the slab does not keep
// under LRU (tagOf hashes the key again).
func TestIndexMachineInt(t *testing.T) {
	runIndexMachine(t, func(k int) int { return k }, func(k int) int { return k })
}

// TestIndexMachineString: string keys, whose tags the slab keeps.
func TestIndexMachineString(t *testing.T) {
	runIndexMachine(t, strconv.Itoa, func(s string) int {
		k, err := strconv.Atoi(s)
		if err != nil {
			panic(err)
		}
		return k
	})
}

// TestIndexSmallIntKeys: keys of 1 and 2 bytes, hashed through their own
// mixers, are found again by tagOf's rehash through eviction, deletion and
// growth.
func TestIndexSmallIntKeys(t *testing.T) {
	c8 := New[int8, int](WithShards(1), WithCapacity(100))
	defer c8.Close()
	c16 := New[uint16, int](WithShards(2))
	defer c16.Close()
	for i := range 5000 {
		c8.Set(int8(i), i)
		c16.Set(uint16(i*7), i)
		if i%3 == 0 {
			c8.Delete(int8(i / 3))
			c16.Delete(uint16(i / 3 * 7))
		}
	}
	checkIndex(t, &c8.c.shards[0], c8.c.hashFn)
	for i := range c16.c.shards {
		checkIndex(t, &c16.c.shards[i], c16.c.hashFn)
	}
}

// TestIndexFarBucketsGrowBoundedTable: under badHash a bounded shard
// must grow its table past the size its capacity needs (bucketsFor) to keep
// every bucket within maxDist, with clusters that wrap past the end; every
// key stays findable through eviction, which finds victims' buckets by
// their tags.
func TestIndexFarBucketsGrowBoundedTable(t *testing.T) {
	for _, policy := range []Policy{LRU, WTinyLFU, Clock} {
		c := New[int, int](WithShards(1), WithCapacity(150), WithPolicy(policy))
		setHash(c, badHash)
		for k := machineKeyMin; k <= machineKeyMax; k++ {
			c.Set(k, k)
			checkIndex(t, &c.c.shards[0], badHash)
		}
		s := &c.c.shards[0]
		assert.Greater(t, len(s.index.buckets), bucketsFor(150), "%v", policy)
		assert.Equal(t, 150, c.Len())
		for k := machineKeyMin; k <= machineKeyMax; k++ {
			if v, ok := c.Peek(k); ok {
				assert.Equal(t, k, v)
			}
			c.Delete(k)
		}
		assert.Zero(t, c.Len())
		checkIndex(t, s, badHash)
		c.Close()
	}
}
