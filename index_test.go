package minicache

import (
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestIndexProperty checks the Robin Hood table against a map under random
// inserts and removals, with tags from a tiny range so that homes collide
// and clusters wrap around the end of the table.
func TestIndexProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var x index
		limit := rapid.IntRange(0, 40).Draw(t, "limit")
		x.init(limit)
		present := map[uint32]uint64{} // slot → bucket
		next := uint32(1)
		t.Repeat(map[string]func(*rapid.T){
			"insert": func(t *rapid.T) {
				if limit > 0 && len(present) == limit {
					t.Skip("full")
				}
				// Tags near the top of the range home at the end of the table.
				tag := rapid.SampledFrom([]uint32{0, 1, 1 << 31, 0xFFFF_FFF0, 0xFFFF_FFFF}).Draw(t, "tag")
				b := uint64(tag)<<32 | uint64(next)
				x.reserve(len(present) + 1)
				x.insert(b)
				present[next] = b
				next++
			},
			"remove": func(t *rapid.T) {
				if len(present) == 0 {
					t.Skip("empty")
				}
				slot := rapid.SampledFrom(slices.Sorted(maps.Keys(present))).Draw(t, "slot")
				x.remove(x.find(present[slot]))
				delete(present, slot)
			},
			"": func(t *rapid.T) {
				n := 0
				for pos, b := range x.buckets {
					if b == 0 {
						continue
					}
					n++
					if present[uint32(b)] != b {
						t.Fatalf("bucket %x at %d is not in the model", b, pos)
					}
					// Robin Hood order: a bucket is never more than one step
					// further from home than the bucket before it.
					prev := (uint64(pos) + uint64(len(x.buckets)) - 1) % uint64(len(x.buckets))
					if d := x.distance(b, uint64(pos)); d > 0 {
						if x.buckets[prev] == 0 || x.distance(x.buckets[prev], prev)+1 < d {
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
				if limit > 0 && len(x.buckets) > bucketsFor(limit) && len(x.buckets) > minBuckets {
					t.Fatalf("table of %d buckets for a limit of %d", len(x.buckets), limit)
				}
			},
		})
	})
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
