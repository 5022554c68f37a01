package minicache

import "fmt"

// A Policy is an eviction policy: the order in which a full cache gives up
// entries. Give it to [WithPolicy].
type Policy uint8

const (
	// LRU evicts the least recently used entry. It is the default, and
	// exact per shard (globally with one shard). It suits workloads whose
	// working set fits the cache, where recency predicts reuse.
	LRU Policy = iota
	// WTinyLFU is adaptive W-TinyLFU, after Caffeine's policy: new entries
	// enter a small LRU window, and an entry leaving the window displaces
	// the main space's victim only if it has been seen more often recently,
	// as a frequency sketch estimates. The window grows when entries it
	// refused come back and shrinks when the main space's victims do, as
	// ARC sizes its lists. It resists scans and loops and wins where the
	// working set exceeds the cache, and leans towards LRU where it fits. A
	// hit moves nothing: it marks its entry and counts it, and the segments
	// act on the mark, as CLOCK does, when the entry comes up for eviction,
	// so a read writes less than under LRU. A hit on an entry already
	// marked and at its most hits (15 since it entered or the frequency
	// sketch last aged) changes nothing, and on amd64 (without the race
	// detector) such a Get takes no lock: it reads the shard optimistically
	// and writes no memory another core reads, so reads of hot keys scale
	// with cores. A candidate refused admission is evicted: the removal
	// callback sees it with [CauseEvicted] and [Stats.Evictions] counts it.
	WTinyLFU
	// Clock is CLOCK (second chance), an approximation of LRU: a hit marks
	// its entry instead of moving it, and the oldest entry is evicted unless
	// it is marked; a marked entry loses its mark and moves to the front
	// instead, as if it had just been used. So an entry read at least once
	// since it last came up for eviction stays, as under LRU, but the order
	// among the entries read is the order they came up in, not the order of
	// their reads. Hits are where it gains: as under [WTinyLFU], a hit on an
	// entry already marked changes nothing and, on amd64 without the race
	// detector, takes no lock, so reads of hot keys scale with cores, and a
	// write costs little more than under LRU. It keeps no frequencies, so
	// its hit ratio is LRU's or a little better, not W-TinyLFU's, and like
	// LRU it keeps nothing through a scan or a loop larger than the cache.
	// Choose it over LRU when the exact order is not needed, for throughput,
	// on reads above all and on many cores. Redis's own LRU is approximate
	// too (it samples).
	Clock
)

// String returns the policy's name: "lru", "w-tinylfu" or "clock".
func (p Policy) String() string {
	switch p {
	case LRU:
		return "lru"
	case WTinyLFU:
		return "w-tinylfu"
	case Clock:
		return "clock"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// order is a shard's eviction policy: LRU unless lfu is set (to W-TinyLFU,
// or to CLOCK, which it runs as its window alone, see tinyLFU.clock). It
// dispatches with a predictable branch rather than an interface, so that
// LRU's calls on the hot path stay inlined.
type order struct {
	lru
	lfu *tinyLFU
}

var _ evictionPolicy = (*order)(nil)

func (o *order) init(size int) {
	if o.lfu != nil {
		o.lfu.init(size)
		return
	}
	o.lru.init(size)
}

func (o *order) grow(n, c int) {
	if o.lfu != nil {
		o.lfu.grow(n, c)
		return
	}
	o.lru.grow(n, c)
}

func (o *order) insert(i, tag uint32) {
	if o.lfu != nil {
		o.lfu.insert(i, tag)
		return
	}
	o.lru.insert(i, tag)
}

func (o *order) hit(i uint32) {
	if o.lfu != nil {
		o.lfu.hit(i)
		return
	}
	o.lru.hit(i)
}

func (o *order) update(i uint32) {
	if o.lfu != nil {
		o.lfu.update(i)
		return
	}
	o.lru.update(i)
}

func (o *order) evicted(i uint32) {
	if o.lfu != nil {
		o.lfu.evicted(i)
	}
}

func (o *order) remove(i uint32) {
	if o.lfu != nil {
		o.lfu.remove(i)
		return
	}
	o.lru.remove(i)
}

func (o *order) victim(except uint32) uint32 {
	if o.lfu != nil {
		return o.lfu.victim(except)
	}
	return o.lru.victim(except)
}

func (o *order) walk(yield func(uint32) bool) {
	if o.lfu != nil {
		o.lfu.walk(yield)
		return
	}
	o.lru.walk(yield)
}

// resize tells the policy the shard's new capacity (noLimit: none).
func (o *order) resize(capacity int) {
	if o.lfu != nil {
		o.lfu.bound = capacity != noLimit
		if o.lfu.bound {
			o.lfu.setSize(capacity)
		} else if o.lfu.size == 0 {
			o.lfu.setSize(64)
		}
	}
}
