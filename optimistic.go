package minicache

import (
	"sync/atomic"
	"unsafe"
)

// Optimistic reads. Under W-TinyLFU a hit on an entry already marked and at
// its most hits changes nothing (see tinyLFU.touch), and under Clock a hit
// on an entry already marked, so such a Get needs no lock: it reads the
// shard as a sequence lock's reader does and writes none of the shard's
// cache lines (only its goroutine's stripe of the read counters), while a
// Get that locks its shard writes the lock's line, which moves to whichever
// core took it last.
//
// A writer bumps the shard's seq before and after its writes (shard.lock,
// shard.bump). tryGet reads seq, then the index, the entry and its state
// without the lock, then seq again: if seq was even and has not moved, no
// write overlapped the reads and what they saw is what a locked read
// would have. Otherwise, and whenever the hit has something to write (the
// entry's mark or hit count, an expired entry to remove), it gives up and
// the caller takes the lock. It copies values without dereferencing them
// until seq has vouched for them: a slice's header before indexing it
// (bounds are checked against the copy), a key before comparing it (a torn
// string or interface could send the comparison to memory it does not
// own), a value only to return it.
//
// The reads race with the writers in the sense of the Go memory model,
// which the validation makes harmless given two properties of the gc
// compiler on amd64: a plain load is never moved across an atomic one, and
// the processor keeps loads in order. optimisticReads is therefore false on
// other architectures (arm64 may perform a load after a later acquiring
// one) and under the race detector, which would rightly report the races;
// there every Get locks. Tests without -race cover this path (see
// .ci/run).

// readCounters counts the hits and misses of optimistic reads, which may
// not write their shard. A goroutine counts in the stripe that its stack's
// address picks, so that goroutines on different cores seldom share one
// and each stripe's line mostly stays with one core; the counts are exact,
// as atomic adds.
type readCounters struct {
	hits, misses atomic.Uint64
	_            [112]byte // a stripe a pair of cache lines (adjacent-line prefetch)
}

// readStripe returns the stripe of the calling goroutine.
func (c *core[K, V]) readStripe() *readCounters {
	var here byte
	sp := uint64(uintptr(unsafe.Pointer(&here))) >> 11 // stacks start at 2 KiB or more
	return &c.reads[(sp*0x9e3779b97f4a7c15)>>c.readShift]
}

// tryGet is Get without the lock, for a shard that keeps seq. It takes the
// lock when it must: to record a hit that has something to write, and then
// finds the entry where it saw it if seq says nothing was written since,
// or when a write overlapped its reads.
func (c *core[K, V]) tryGet(s *shard[K, V], k K, h uint64) (v V, found bool) {
	seq := s.seq.Load()
	x, entries, expires, nodes := s.index, s.slab.entries, s.slab.expires, s.order.lfu.nodes
	if seq&1 != 0 || s.seq.Load() != seq {
		return c.getLocked(s, k, h) // a write is under way, or came
	}
	tag := uint32(h >> 32)
	n := uint64(len(x.buckets))
	mask, step, dmask := x.slotMask, x.step(), x.distMask()
	want := x.key(tag)
	pos := x.home(tag) // below n: x's header is whole
	var i uint32       // k's slot; 0 while not found
	for range maxDist + 1 {
		b := x.buckets[pos]
		if b == 0 || b&dmask < want&dmask {
			break // absent
		}
		if b&^mask == want {
			j := b & mask
			if int(j) >= len(entries) || int(j) >= len(nodes) {
				return c.getLocked(s, k, h)
			}
			key := entries[j].key
			if s.seq.Load() != seq {
				return c.getLocked(s, k, h)
			}
			if key == k {
				i = j
				break
			}
		}
		want += step
		if pos++; pos == n {
			pos = 0
		}
	}
	if i == 0 {
		if s.seq.Load() != seq {
			return c.getLocked(s, k, h)
		}
		c.readStripe().misses.Add(1)
		return v, false
	}
	var at int64
	if expires != nil {
		if int(i) >= len(expires) {
			return c.getLocked(s, k, h)
		}
		at = expires[i]
	}
	v = entries[i].value
	state := nodes[i]
	if s.seq.Load() != seq || at != 0 && at <= c.clock.now() {
		return c.getLocked(s, k, h)
	}
	if !state.saturated() {
		return c.hitLocked(s, k, h, i, seq)
	}
	c.readStripe().hits.Add(1)
	return v, true
}

// hitLocked records, under the lock, the hit on slot i that tryGet found
// at seq, unless a write came since or the entry has expired meanwhile:
// then it looks k up again.
func (c *core[K, V]) hitLocked(s *shard[K, V], k K, h uint64, i, seq uint32) (V, bool) {
	s.mu.Lock()
	if s.seq.Load() != seq {
		s.mu.Unlock()
		return c.getLocked(s, k, h)
	}
	if at := s.slab.expire(i); at != 0 && at <= c.clock.now() {
		// It expired while this waited for the lock: getLocked removes it.
		s.mu.Unlock()
		return c.getLocked(s, k, h)
	}
	v := s.slab.entries[i].value
	s.order.hit(i)
	s.hits++
	s.mu.Unlock()
	return v, true
}
