package minicache

import (
	"sync"
	"sync/atomic"
)

// shard is one lock stripe of a cache: an exact LRU cache of its own with an
// expiry index. Methods whose names end in Locked, and all the helpers below
// them, must be called with mu held.
type shard[K comparable, V any] struct {
	// Every operation writes the first cache line, and only it among the
	// shard's own fields: the lock and the counters, so that a Get that
	// finds its entry already most recently used moves one line between
	// cores, not two.
	mu sync.Mutex // guards every field below
	shardCounters

	list     list[K, V]     // entries in recency order
	index    index          // hash → slot of list.entries
	expiry   expiryHeap     // deadlines of the entries that have one
	expiring int            // live entries with a deadline
	capacity int            // most live entries; 0 = unbounded
	weight   uint64         // sum of the weights of the live entries
	calls    map[K]*call[V] // loads in flight (see loader.go)

	// Set once by New, read-only after.
	hash  func(K) uint64
	total *atomic.Uint64 // the cache's total weight; nil when it weighs nothing

	_ [56]byte // rounds the size to 5 cache lines: shards never share one
}

// init empties s, keeping its configuration and counters.
func (s *shard[K, V]) init() {
	s.list.init(s.capacity, s.total != nil)
	s.index.init(s.capacity)
	s.expiry = nil
	s.expiring = 0
	s.weight = 0
}

// lookup returns the bucket position and the slot of key k with hash h, or
// a slot of 0 when k is absent.
func (s *shard[K, V]) lookup(k K, h uint64) (pos uint64, slot uint32) {
	x := &s.index
	tag := uint32(h >> 32)
	n := uint64(len(x.buckets))
	pos = x.home(tag)
	for d := uint64(0); ; d++ {
		b := x.buckets[pos]
		if b == 0 {
			return 0, 0
		}
		if uint32(b>>32) == tag && s.list.entries[uint32(b)].key == k {
			return pos, uint32(b)
		}
		if x.distance(b, pos) < d {
			return 0, 0 // k would have displaced b
		}
		if pos++; pos == n {
			pos = 0
		}
	}
}

// setLocked stores k (hash h) → v with the given expire and weight, making
// room if the shard is full.
func (s *shard[K, V]) setLocked(k K, h uint64, v V, expire int64, w uint64, now *moment, r *removals[K, V]) {
	s.invalidateLoad(k)
	if _, i := s.lookup(k, h); i != 0 {
		e := &s.list.entries[i]
		cause := CauseReplaced
		if s.list.expired(i, now) {
			cause = CauseExpired
			s.expirations++
		}
		r.add(e.key, e.value, cause)
		e.value = v
		s.retime(i, expire)
		s.reweigh(i, w)
		s.list.moveToFront(i)
		return
	}
	if s.capacity > 0 && s.list.len >= s.capacity {
		s.evict(now, r)
	}
	i := s.list.alloc()
	e := &s.list.entries[i]
	e.key, e.value = k, v
	s.list.pushFront(i)
	s.index.reserve(s.list.len)
	s.index.insert(bucket(h, i))
	s.retime(i, expire)
	s.reweigh(i, w)
}

// dropLocked removes k (hash h), if present, because a Set stored nothing
// in its place.
func (s *shard[K, V]) dropLocked(k K, h uint64, now *moment, r *removals[K, V]) {
	s.invalidateLoad(k)
	if pos, i := s.lookup(k, h); i != 0 {
		cause := CauseReplaced
		if s.list.expired(i, now) {
			cause = CauseExpired
		}
		s.remove(pos, i, cause, r)
	}
}

// retime gives slot i the deadline expire, keeping the expiry index current.
func (s *shard[K, V]) retime(i uint32, expire int64) {
	old := s.list.expire(i)
	if old == expire {
		return
	}
	if old != 0 {
		s.expiring-- // its deadline in the heap is stale from now on
	}
	s.list.setExpire(i, expire)
	if expire != 0 {
		s.expiring++
		s.expiry.push(deadline{at: expire, idx: i})
	}
	s.compactExpiry()
}

// reweigh sets the weight of slot i to w, if the cache weighs entries.
func (s *shard[K, V]) reweigh(i uint32, w uint64) {
	if s.total == nil {
		return
	}
	old := s.list.weights[i]
	s.list.weights[i] = w
	s.weight += w - old
	s.total.Add(w - old)
}

// remove deletes the entry in slot i, whose bucket is at pos, for cause.
func (s *shard[K, V]) remove(pos uint64, i uint32, cause RemovalCause, r *removals[K, V]) {
	e := &s.list.entries[i]
	r.add(e.key, e.value, cause)
	switch cause {
	case CauseEvicted:
		s.evictions++
	case CauseExpired:
		s.expirations++
	}
	timed := s.list.expire(i) != 0
	if timed {
		s.expiring--
	}
	if s.total != nil {
		w := s.list.weights[i]
		s.weight -= w
		s.total.Add(-w)
	}
	s.index.remove(pos)
	s.list.release(i)
	if timed {
		s.compactExpiry()
	}
}

// removeSlot deletes the entry in slot i for cause, finding its bucket by
// hashing its key again.
func (s *shard[K, V]) removeSlot(i uint32, cause RemovalCause, r *removals[K, V]) {
	pos := s.index.find(bucket(s.hash(s.list.entries[i].key), i))
	s.remove(pos, i, cause, r)
}

// evict makes room for one entry: it reclaims an expired entry if there is
// one, and evicts the least recently used entry otherwise. s is not empty.
func (s *shard[K, V]) evict(now *moment, r *removals[K, V]) {
	tail := s.list.back()
	if s.expiring > 0 {
		// The least recently used entry is often the one that expired
		// first: reclaim it without a trip through the heap, whose
		// deadline for it goes stale and is dropped later.
		if s.list.expired(tail, now) {
			s.removeSlot(tail, CauseExpired, r)
			return
		}
		if s.expiry.peek().at <= now.now() && s.expireOne(now.now(), r) {
			return
		}
	}
	s.removeSlot(tail, CauseEvicted, r)
}

// expireOne removes one entry whose deadline is at or before now, if any.
func (s *shard[K, V]) expireOne(now int64, r *removals[K, V]) bool {
	for len(s.expiry) > 0 {
		d := s.expiry.peek()
		if d.at > now {
			return false
		}
		s.expiry.pop()
		if s.list.expire(d.idx) == d.at {
			s.removeSlot(d.idx, CauseExpired, r)
			return true
		}
	}
	return false
}

// expireDue removes entries whose deadlines are at or before now, looking
// at no more than max deadlines, so that the caller holds the lock for a
// bounded time. It returns how many entries it removed and whether any
// deadline at or before now is left.
func (s *shard[K, V]) expireDue(now int64, max int, r *removals[K, V]) (removed int, more bool) {
	for range max {
		if len(s.expiry) == 0 || s.expiry.peek().at > now {
			return removed, false
		}
		d := s.expiry.peek()
		s.expiry.pop()
		if s.list.expire(d.idx) == d.at {
			s.removeSlot(d.idx, CauseExpired, r)
			removed++
		}
	}
	return removed, len(s.expiry) > 0 && s.expiry.peek().at <= now
}

// compactExpiry drops stale deadlines from the heap once they are the
// majority, so the heap stays proportional to the entries with a deadline;
// the O(n) rebuild is paid for by the n/2 updates that made them stale.
func (s *shard[K, V]) compactExpiry() {
	if len(s.expiry) <= 2*s.expiring+64 {
		return
	}
	// A slot's current deadline can be in the heap twice if the slot was
	// freed and reused with the same deadline; seen keeps one of them.
	seen := make([]uint64, (len(s.list.entries)+63)/64)
	live := s.expiry[:0]
	for _, d := range s.expiry {
		word, bit := d.idx/64, uint64(1)<<(d.idx%64)
		if s.list.expire(d.idx) == d.at && seen[word]&bit == 0 {
			seen[word] |= bit
			live = append(live, d)
		}
	}
	if cap(live) > 4*len(live)+64 {
		live = append(expiryHeap(nil), live...) // give back the memory
	}
	s.expiry = live
	s.expiry.init()
}

// invalidateLoad marks a load of k in flight as outdated, so that its value
// is returned to its callers but not stored over a newer Set or Delete.
func (s *shard[K, V]) invalidateLoad(k K) {
	if len(s.calls) == 0 {
		return
	}
	if c := s.calls[k]; c != nil {
		c.outdated = true
	}
}
