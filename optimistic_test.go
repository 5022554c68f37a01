package minicache

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOptimisticReadsSeeWholeWrites races Gets against every kind of write
// on a cache of each policy that reads without the lock and checks that each hit returns a value some Set of
// that key stored, whole: a value of 32 equal words and a string spelled
// from its key and those words, so that a torn read of either shows. Keys
// of many lengths make a torn key header show too. Without -race on amd64
// most hits are optimistic (checked); elsewhere the test runs the locked
// path. Stats stay exact: every Get is a hit or a miss.
func TestOptimisticReadsSeeWholeWrites(t *testing.T) {
	for _, p := range []Policy{WTinyLFU, Clock} {
		t.Run(p.String(), func(t *testing.T) { testOptimisticReadsSeeWholeWrites(t, p) })
	}
}

func testOptimisticReadsSeeWholeWrites(t *testing.T, p Policy) {
	type value struct {
		w [32]uint64 // long to copy: a torn copy is likelier
		s string
	}
	c := New[string, value](WithPolicy(p), WithCapacity(400), WithShards(4))
	defer c.Close()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = strconv.Itoa(i) + "-" + string(make([]byte, i%37))
	}
	store := func(k string, n uint64) value {
		v := value{s: k + "=" + strconv.FormatUint(n, 10)}
		for i := range v.w {
			v.w[i] = n
		}
		return v
	}
	for i, k := range keys[:400] {
		c.Set(k, store(k, uint64(i)))
	}

	var stop atomic.Bool
	var gets, bad atomic.Uint64
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for !stop.Load() {
				k := keys[rng.IntN(40)] // hot keys, soon marked (and at 15 hits)
				if rng.IntN(8) == 0 {
					k = keys[rng.IntN(len(keys))]
				}
				v, ok := c.Get(k)
				gets.Add(1)
				if ok && v != store(k, v.w[0]) {
					bad.Add(1)
				}
			}
		})
	}
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(99, 7))
		for n := uint64(1000); !stop.Load(); n++ {
			k := keys[rng.IntN(len(keys))]
			if rng.IntN(2) == 0 {
				k = keys[rng.IntN(40)] // the readers' hot keys
			}
			switch op := rng.IntN(100); {
			case op < 60:
				c.Set(k, store(k, n))
			case op < 75:
				c.Delete(k)
			case op < 85:
				c.SetWithTTL(k, store(k, n), time.Duration(rng.IntN(2000))*time.Microsecond)
			case op < 95:
				c.Compute(k, func(_ value, _ time.Duration, _ bool) (value, time.Duration, ComputeOp) {
					return store(k, n), KeepTTL, ComputeStore
				})
			case op < 98:
				c.SetCapacity(200 + rng.IntN(400))
			default:
				c.Clear()
			}
		}
	})
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()

	assert.Zero(t, bad.Load(), "hits that returned a value no Set stored")
	st := c.Stats()
	assert.Equal(t, gets.Load(), st.Hits+st.Misses, "every Get is a hit or a miss")
	var optimistic uint64
	for i := range c.c.reads {
		optimistic += c.c.reads[i].hits.Load() + c.c.reads[i].misses.Load()
	}
	for i := range c.c.shards {
		assert.Zero(t, c.c.shards[i].seq.Load()%2, "shard %d: seq odd with no write under way", i)
	}
	t.Logf("%d gets, %d answered without the lock", gets.Load(), optimistic)
	if optimisticReads {
		require.Greater(t, optimistic, gets.Load()/10, "optimistic reads hardly ran")
	}
}

// TestOptimisticReadsNeverTear overwrites one hot key as fast as it can
// while another goroutine reads it: the narrowest race, a write that lands
// while a read copies the value, which only the last check of seq catches
// (without it, some 20 reads of 850k came back torn).
func TestOptimisticReadsNeverTear(t *testing.T) {
	for _, p := range []Policy{WTinyLFU, Clock} {
		t.Run(p.String(), func(t *testing.T) { testOptimisticReadsNeverTear(t, p) })
	}
}

func testOptimisticReadsNeverTear(t *testing.T, p Policy) {
	type value struct{ w [32]uint64 }
	c := New[int, value](WithPolicy(p), WithCapacity(400), WithShards(1))
	defer c.Close()
	of := func(n uint64) (v value) {
		for i := range v.w {
			v.w[i] = n
		}
		return v
	}
	c.Set(1, of(0))
	for range 20 {
		c.Get(1) // marked and at 15 hits: reads need no lock
	}
	var stop atomic.Bool
	var hits, bad atomic.Uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			if v, ok := c.Get(1); ok {
				hits.Add(1)
				if v != of(v.w[0]) {
					bad.Add(1)
				}
			}
		}
	})
	deadline := time.Now().Add(time.Second)
	for n := uint64(1); n < 3_000_000 && time.Now().Before(deadline); n++ {
		c.Set(1, of(n))
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d hits", hits.Load())
	assert.Zero(t, bad.Load(), "torn reads")
}
