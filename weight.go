package minicache

import (
	"fmt"
	"math"
	"sync/atomic"
)

// MaxWeightLimit is the largest weight bound [WithMaxWeight] and
// [Cache.SetMaxWeight] accept: 2^62, far beyond any memory in bytes. Below
// it, the total of a cache held at its bound plus the entry a Set is adding
// always fits in a uint64, so the total stays exact; should concurrent Sets
// in other shards ever hold the total so far over the bound that one more
// entry would overflow it, that entry is refused as too heavy.
const MaxWeightLimit = 1 << 62

// weightBound is the weight state a cache's shards share when it weighs its
// entries.
type weightBound struct {
	max   atomic.Uint64 // bound on total; 0 = unbounded
	total atomic.Uint64 // sum of the weights of the live entries
}

// reserveWeight charges the total for slot keep (0 for a new entry) getting
// weight w, first evicting other entries of s while the total would pass the
// bound. It reports false, charging nothing, when the entry alone outweighs
// the bound or when the total would overflow a uint64 (possible only while
// concurrent Sets in other shards hold it over the bound). s.mu is held.
func (s *shard[K, V]) reserveWeight(keep uint32, w uint64, now *moment, r *removals[K, V]) bool {
	b := s.bound
	var old uint64
	others := s.slab.len
	if keep != 0 {
		old = s.slab.weights[keep]
		others--
	}
	if max := b.max.Load(); max > 0 {
		if w > max {
			return false
		}
		// old is part of the total, so total-old cannot wrap.
		for others > 0 && b.total.Load()-old > max-w {
			if !s.evictExcept(keep, now, r) {
				break
			}
			others--
		}
	}
	if old == w {
		return true // the total does not change: no atomic, no barrier
	}
	for {
		t := b.total.Load()
		if t-old > math.MaxUint64-w {
			return false
		}
		if b.total.CompareAndSwap(t, t-old+w) {
			return true
		}
	}
}

// unreserveWeight gives back a charge of w that no entry holds.
func (s *shard[K, V]) unreserveWeight(w uint64) {
	if s.bound != nil {
		s.bound.total.Add(-w)
	}
}

// setWeight records w, already charged to the total, as slot i's weight.
func (s *shard[K, V]) setWeight(i uint32, w uint64) {
	if s.bound == nil {
		return
	}
	if old := s.slab.weights[i]; old != w { // an unchanged weight dirties no line
		s.weight += w - old
		s.slab.weights[i] = w
	}
}

// weigh returns the weight of k → v, 0 when the cache weighs nothing.
func (c *core[K, V]) weigh(k K, v V) uint64 {
	if c.weigher == nil {
		return 0
	}
	return c.weigher(k, v)
}

// fitWeight evicts from the shards other than from, in turn, while the total
// weight is over the bound. No lock may be held.
func (c *core[K, V]) fitWeight(from *shard[K, V]) {
	b := c.bound
	if b == nil {
		return
	}
	max := b.max.Load()
	if max == 0 || b.total.Load() <= max {
		return
	}
	n := uint32(len(c.shards))
	start := c.victim.Add(1)
	for j := range n {
		if s := &c.shards[(start+j)%n]; s != from && c.evictToFit(s, max) {
			return
		}
	}
	// Every other shard is empty: what is left over is in from.
	if from != nil {
		c.evictToFit(from, max)
	}
}

// evictToFit evicts from s while the total weight is over max, and reports
// whether it fits now. No lock may be held.
func (c *core[K, V]) evictToFit(s *shard[K, V], max uint64) bool {
	b := c.bound
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.lock()
	for b.total.Load() > max && s.slab.len > 0 {
		s.evict(&now, rp)
	}
	s.unlock()
	c.report(rp)
	return b.total.Load() <= max
}

// setMaxWeight implements Cache.SetMaxWeight.
func (c *core[K, V]) setMaxWeight(w uint64) {
	if c.bound == nil {
		panic(fmt.Sprintf("minicache: SetMaxWeight(%d) on a cache built without WithMaxWeight or WithWeigher", w))
	}
	checkWeightLimit(w)
	c.bound.max.Store(w)
	c.fitWeight(nil)
}

// checkWeightLimit panics for a weight bound above MaxWeightLimit.
func checkWeightLimit(w uint64) {
	if w > MaxWeightLimit {
		panic(fmt.Sprintf("minicache: weight bound %d is above MaxWeightLimit (2^62)", w))
	}
}
