package minicache

import (
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestIndexProperty checks the Robin Hood table against a map under random
// inserts and removals, with tags from a tiny range so that homes collide
// and clusters wrap around the end of the table. An insert that reports a
// bucket too far from home is followed by a rebuild into a table twice as
// long, as the shard does.
func TestIndexProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var x index
		limit := rapid.IntRange(0, 40).Draw(t, "limit") // 0: unbounded
		bound := limit
		if limit == 0 {
			bound = noLimit
		}
		x.init()
		present := map[uint32]uint32{} // slot → tag
		rebuild := func(size int) {
			for ; ; size *= 2 {
				x.clear(size)
				ok := true
				for slot, tag := range present {
					ok = ok && x.insert(tag, slot)
				}
				if ok {
					return
				}
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"insert": func(t *rapid.T) {
				if limit > 0 && len(present) == limit || len(present) == 60 {
					t.Skip("full")
				}
				// Tags near the top of the range home at the end of the table;
				// the fingerprint is their low bits.
				tag := rapid.SampledFrom([]uint32{0, 1, 1 << 31, 0xFFFF_FFF0, 0xFFFF_FFFF}).Draw(t, "tag")
				// The lowest free slot, as the slab's free list would give
				// at most: no slot is above the most entries ever held.
				next := uint32(1)
				for _, ok := present[next]; ok; _, ok = present[next] {
					next++
				}
				present[next] = tag
				if size := x.grown(len(present), bound); size != 0 {
					rebuild(size)
				} else if !x.insert(tag, next) {
					rebuild(2 * len(x.buckets))
				}
			},
			"remove": func(t *rapid.T) {
				if len(present) == 0 {
					t.Skip("empty")
				}
				slot := rapid.SampledFrom(slices.Sorted(maps.Keys(present))).Draw(t, "slot")
				x.remove(x.find(present[slot], slot))
				delete(present, slot)
			},
			"": func(t *rapid.T) {
				n := 0
				size := uint64(len(x.buckets))
				for pos, b := range x.buckets {
					if b == 0 {
						continue
					}
					n++
					tag, ok := present[x.slot(b)]
					if !ok || b&^x.distMask() != x.key(tag)|x.slot(b) {
						t.Fatalf("bucket %x at %d is not in the model", b, pos)
					}
					if home := (uint64(pos) + size - uint64(dist(&x, b))) % size; home != x.home(tag) {
						t.Fatalf("bucket %x at %d says its home is %d, not %d", b, pos, home, x.home(tag))
					}
					// Robin Hood order: a bucket is never more than one step
					// further from home than the bucket before it.
					prev := (uint64(pos) + size - 1) % size
					if d := dist(&x, b); d > 0 {
						if x.buckets[prev] == 0 || dist(&x, x.buckets[prev])+1 < d {
							t.Fatalf("bucket %x at %d is %d from home after a gap", b, pos, d)
						}
					}
				}
				if n != len(present) {
					t.Fatalf("table holds %d buckets, model %d", n, len(present))
				}
				if maxLoadDen*n > maxLoadNum*len(x.buckets) {
					t.Fatalf("load factor %d/%d over %d/%d", n, len(x.buckets), maxLoadNum, maxLoadDen)
				}
				for slot := range present {
					if slot > x.slotMask {
						t.Fatalf("slot %d does not fit in the mask %x", slot, x.slotMask)
					}
				}
			},
		})
	})
}

// dist returns how far bucket b sits from its home.
func dist(x *index, b uint32) uint32 { return b & x.distMask() / x.step() }

// TestIndexInsertReportsFarBuckets: a bucket that would sit more than
// maxDist from its home is refused, not stored with a wrong distance.
func TestIndexInsertReportsFarBuckets(t *testing.T) {
	var x index
	x.clear(256)
	for slot := uint32(1); slot <= maxDist+1; slot++ {
		require.True(t, x.insert(7, slot), "slot %d", slot)
	}
	assert.False(t, x.insert(7, maxDist+2))
}

// TestIndexGrowsPastLongProbes gives a cache a hash under which many keys
// share a home in every small table: the shard must double its table until
// no bucket sits more than maxDist from home, and still find, replace and
// remove every key.
func TestIndexGrowsPastLongProbes(t *testing.T) {
	c := New[int, int]()
	defer c.Close()
	bad := func(k int) uint64 { return uint64(k)<<48 | uint64(k)<<40 } // one shard; the tag is k<<16|k<<8
	c.c.hashFn = bad
	for i := range c.c.shards {
		c.c.shards[i].hash = bad
	}
	const n = 2 * maxDist
	for k := range n {
		c.Set(k, k)
	}
	s := c.c.shardFor(bad(0))
	assert.Greater(t, len(s.index.buckets), bucketsFor(n), "the table doubled past its load factor's size")
	for k := range n {
		v, ok := c.Get(k)
		require.True(t, ok, "key %d", k)
		assert.Equal(t, k, v)
		c.Set(k, -k)
	}
	for k := range n {
		v, _ := c.Get(k)
		assert.Equal(t, -k, v)
		assert.True(t, c.Delete(k), "key %d", k)
	}
	assert.Zero(t, c.Len())
}

// TestExpiryHeapProperty checks the deadline heap against a sorted model.
func TestExpiryHeapProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var h expiryHeap
		var model []int64
		t.Repeat(map[string]func(*rapid.T){
			"push": func(t *rapid.T) {
				at := rapid.Int64Range(1, 50).Draw(t, "at")
				h.push(deadline{at: at})
				model = append(model, at)
				slices.Sort(model)
			},
			"pop": func(t *rapid.T) {
				if len(model) == 0 {
					t.Skip("empty")
				}
				if got := h.peek().at; got != model[0] {
					t.Fatalf("peek %d, want %d", got, model[0])
				}
				h.pop()
				model = model[1:]
			},
			"": func(t *rapid.T) {
				if len(h) != len(model) {
					t.Fatalf("len %d, want %d", len(h), len(model))
				}
				for i := 1; i < len(h); i++ {
					if h[i].at < h[(i-1)/2].at {
						t.Fatalf("heap order broken at %d", i)
					}
				}
			},
		})
	})
}

// TestShardCountLeavesNoShardOverfull: a capacity too large for the shards
// asked for, or for the default count, gets as many shards as keep each
// share within maxShardEntries, the most one index holds, up to maxShards:
// past that a shard holds maxShardEntries (see setLocked), and New never
// allocates more than maxShards shards, whatever the capacity.
func TestShardCountLeavesNoShardOverfull(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    config
		shards int
	}{
		{"asked for, enough", config{capacity: maxShardEntries, shards: 1}, 1},
		{"asked for, too few", config{capacity: 3*maxShardEntries + 1, shards: 2}, 4},
		{"default", config{capacity: 500 * maxShardEntries}, 500},
		{"past what 1024 shards hold", config{capacity: 5000 * maxShardEntries}, maxShards},
		{"the largest", config{capacity: math.MaxInt}, maxShards},
		{"unbounded", config{shards: 3}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.cfg.shardCount()
			assert.Equal(t, tc.shards, n)
			if tc.cfg.capacity > 0 && n < maxShards {
				assert.LessOrEqual(t, share(tc.cfg.capacity, n, 0), maxShardEntries)
			}
			assert.LessOrEqual(t, bucketsFor(maxShardEntries), maxBuckets)
		})
	}
}
