package minicache

import (
	"fmt"
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
				for pos, b := range x.buckets {
					if b == 0 {
						continue
					}
					n++
					tag, ok := present[x.slot(b)]
					if !ok {
						t.Fatalf("bucket %x at %d is not in the model", b, pos)
					}
					if err := bucketErr(&x, uint64(pos), tag); err != "" {
						t.Fatalf("%s", err)
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

// bucketErr says what is wrong with the bucket at pos, whose key has the
// tag tag, or returns "": its fingerprint must be the tag's, its distance
// must lead back to the tag's home, and (Robin Hood order) it must sit no
// more than one step further from home than the bucket before it.
func bucketErr(x *index, pos uint64, tag uint32) string {
	b, n := x.buckets[pos], uint64(len(x.buckets))
	if b&^(x.distMask()|x.slotMask) != x.key(tag) {
		return fmt.Sprintf("bucket %x at %d: not the fingerprint of tag %x", b, pos, tag)
	}
	d := dist(x, b)
	if home := (pos + n - uint64(d)) % n; home != x.home(tag) {
		return fmt.Sprintf("bucket %x at %d says its home is %d, not %d", b, pos, home, x.home(tag))
	}
	if prev := x.buckets[(pos+n-1)%n]; d > 0 && (prev == 0 || dist(x, prev)+1 < d) {
		return fmt.Sprintf("bucket %x at %d is %d from home after a gap", b, pos, d)
	}
	return ""
}

// TestIndexInsertReportsFarBuckets: a bucket that would sit more than
// maxDist from its home is refused, not stored with a wrong distance, in a
// table of 256 buckets and in one shaped as the largest table is (slots of
// 26 bits, no fingerprint, a step of 2²⁶), where the in-place distance once
// wrapped from 63<<26 to 0 in 32 bits, so that the insert never failed and
// the 65th bucket of a cluster was stored with a distance of 0. The second
// table is short (only home depends on the length), so that the test
// allocates no 256 MiB.
func TestIndexInsertReportsFarBuckets(t *testing.T) {
	var small, top index
	small.clear(256)
	top.buckets = make([]uint32, 256)
	top.shape(maxBuckets)
	require.Equal(t, uint8(32), top.fpShift, "the largest table has no fingerprint")
	for name, x := range map[string]*index{"256 buckets": &small, "largest shape": &top} {
		for slot := uint32(1); slot <= maxDist+1; slot++ {
			require.True(t, x.insert(7, slot), "%s: slot %d", name, slot)
		}
		assert.False(t, x.insert(7, maxDist+2), name)
	}
}

// TestIndexGrowsPastLongProbes gives a cache a hash under which many keys
// share a home in every small table: the shard must double its table until
// no bucket sits more than maxDist from home, and still find, replace and
// remove every key.
func TestIndexGrowsPastLongProbes(t *testing.T) {
	c := New[int, int]()
	defer c.Close()
	bad := func(k int) uint64 { return uint64(k)<<48 | uint64(k)<<40 } // one shard; the tag is k<<16|k<<8
	setHash(c, bad)
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
	type row struct {
		name   string
		cfg    config
		shards int
	}
	rows := []row{
		{"asked for, enough", config{capacity: maxShardEntries, shards: 1}, 1},
		{"asked for, too few", config{capacity: 3*maxShardEntries + 1, shards: 2}, 4},
		{"unbounded", config{shards: 3}, 3},
	}
	if math.MaxInt > 1<<32 { // capacities an int of 32 bits cannot hold
		most, one := uint64(maxShardEntries), uint64(1) // variables: no constant overflows
		rows = append(rows,
			row{"default", config{capacity: int(500 * most)}, 500},
			row{"past what 1024 shards hold", config{capacity: int(5000 * most)}, maxShards},
			// Once these overflowed the count, or asked for 24 million
			// shards (9 GB before any entry).
			row{"the largest", config{capacity: math.MaxInt}, maxShards},
			row{"near the largest", config{capacity: math.MaxInt - maxShardEntries}, maxShards},
			row{"2^50", config{capacity: int(one << 50)}, maxShards},
		)
	}
	for _, tc := range rows {
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
