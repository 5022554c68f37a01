package minicache

import (
	"sync"
	"sync/atomic"
	"time"
)

// shard is one lock stripe of a cache: a bounded cache of its own with an
// expiry index. Methods whose names end in Locked, and all the helpers below
// them, must be called with mu held.
type shard[K comparable, V any] struct {
	// Every operation that takes the lock writes the first cache line, and
	// only it among the shard's own fields: the lock and the counters, so
	// that a Get that finds its entry already most recently used moves one
	// line between cores, not two. (A Get that takes no lock, see tryGet,
	// writes none of the shard's lines.)
	mu sync.Mutex // guards every field below but seq
	shardCounters
	// seq counts the operations that may write what an optimistic read
	// looks at, twice each: odd while one is under way (see lock and
	// tryGet). Kept only when optimistic. A locked Get's hit is not one of
	// them though it writes its entry's node: it only sets the mark and
	// raises the hit count, towards the state (marked, 15 hits) in which an
	// optimistic read answers, so a read that sees it half written either
	// takes the lock or sees the state it is reaching.
	seq        atomic.Uint32
	optimistic bool // Gets try to read without the lock (see tryGet)
	// lfuHits counts the hits that changed a W-TinyLFU entry's state,
	// which count towards the aging of its sketch (see tinyLFU.hit); under
	// Clock it counts marks and nothing reads it.
	lfuHits uint64

	// A Get reads these and the first fields of slab: the second and
	// third cache lines (see TestShardLayout).
	order    order             // the eviction order of the slab's slots
	index    index             // hash → slot
	slab     slab[K, V]        // the entries
	expiry   expiryHeap        // deadlines of the entries that have one
	expiring int               // live entries with a deadline
	capacity int               // most live entries; noLimit when unbounded
	weight   uint64            // sum of the weights of the live entries
	calls    map[K]*call[K, V] // loads in flight (see loader.go)

	// Set once by New, read-only after: the cache's weight bound and total,
	// nil when it weighs nothing, and its hash function.
	bound *weightBound
	hash  func(K) uint64

	loads, loadErrors uint64 // GetOrLoad's loads that returned a value, and an error

	_ [8]byte // rounds the size to 6 cache lines: shards never share one
}

// lock locks s for an operation that may write what an optimistic read
// looks at: its index, its entries, their deadlines or the policy's order
// (all but a hit's mark and count, see seq).
func (s *shard[K, V]) lock() {
	s.mu.Lock()
	s.bump()
}

// unlock unlocks s after lock.
func (s *shard[K, V]) unlock() {
	s.bump()
	s.mu.Unlock()
}

// bump, called before and after writes made with s.mu held, makes an
// optimistic read that overlaps them see seq change and fall back to the
// lock. seq is odd between the two calls.
func (s *shard[K, V]) bump() {
	if s.optimistic {
		s.seq.Add(1)
	}
}

// reshape, called before and after a change of s's arrays with s.mu held
// (a slice header that prefetch copies without the lock: the index's, the
// slab's, the order's), makes seq odd in between, so that prefetch sees it
// change and does not read through a torn header. An optimistic shard's
// seq is odd for the whole of every write already.
func (s *shard[K, V]) reshape() {
	if !s.optimistic {
		s.seq.Add(1)
	}
}

// init empties s, keeping its configuration and counters.
func (s *shard[K, V]) init() {
	s.reshape()
	defer s.reshape()
	s.slab.init(s.capacity, s.bound != nil, !hashIsCheap[K]())
	s.order.init(cap(s.slab.entries))
	s.order.grow(len(s.slab.entries), cap(s.slab.entries))
	s.order.resize(s.capacity)
	s.index.init()
	s.expiry = nil
	s.expiring = 0
	s.weight = 0
}

// lookup returns the bucket position and the slot of key k with hash h, or
// a slot of 0 when k is absent. The probe ends at an empty bucket or where k
// would have displaced a bucket, within maxDist. write tells it that the
// caller will replace or remove the entry, and so read its weight (see
// warm).
func (s *shard[K, V]) lookup(k K, h uint64, write bool) (pos uint64, slot uint32) {
	x := &s.index
	tag := uint32(h >> 32)
	buckets, n := x.buckets, uint64(len(x.buckets))
	mask, step, dmask := x.slotMask, x.step(), x.distMask()
	want := x.key(tag) // and the distance, in place, that the probe has come
	pos = x.home(tag)
	for range maxDist + 1 {
		b := buckets[pos]
		if b == 0 {
			return 0, 0
		}
		if b&dmask < want&dmask {
			return 0, 0 // k would have displaced b
		}
		if b&^mask == want {
			i := b & mask
			s.warm(i, write)
			if s.slab.entries[i].key == k {
				return pos, i
			}
		}
		want += step
		if pos++; pos == n {
			pos = 0
		}
	}
	return 0, 0
}

// warm starts the loads of what the caller of lookup reads of slot i once
// its key has compared equal: LRU's links, which a hit or a write
// rewrites (W-TinyLFU and Clock have none in s.order.links), and for a
// write the weight. Issued before the comparison, they miss in parallel
// with the loads of the entry and its key rather than after them; in a
// cache larger than the CPU's caches each is a trip to memory. The values
// are not needed here, and the compiler drops a plain load whose value is
// unused; it keeps an atomic one, which costs a plain load on amd64 and an
// acquiring one on arm64.
func (s *shard[K, V]) warm(i uint32, write bool) {
	if l := s.order.links; int(i) < len(l) {
		atomic.LoadUint32(&l[i].prev)
	}
	if w := s.slab.weights; write && w != nil {
		atomic.LoadUint64(&w[i])
	}
}

// liveLocked returns the slot of k's live entry, or 0. An expired entry it
// finds is removed and recorded in r. write is lookup's.
func (s *shard[K, V]) liveLocked(k K, h uint64, write bool, now *moment, r *removals[K, V]) uint32 {
	pos, i := s.lookup(k, h, write)
	if i != 0 && s.slab.expired(i, now) {
		s.remove(pos, i, CauseExpired, r)
		return 0
	}
	return i
}

// setLocked stores k (hash h) → v with the given expire and weight, making
// room if the shard is full. i is the slot of k's entry when the caller has
// found it, 0 to have it looked up. It reports false when the entry cannot
// be stored because it outweighs the bound or the total weight would
// overflow (see reserveWeight); k's previous value is removed then.
func (s *shard[K, V]) setLocked(k K, h uint64, i uint32, v V, expire int64, w uint64, now *moment, r *removals[K, V]) bool {
	if i == 0 {
		_, i = s.lookup(k, h, true)
	}
	return s.putLocked(k, h, i, v, expire, w, now, r)
}

// putLocked is setLocked once k has been looked up: i is the slot of its
// entry, 0 if it has none.
func (s *shard[K, V]) putLocked(k K, h uint64, i uint32, v V, expire int64, w uint64, now *moment, r *removals[K, V]) bool {
	s.invalidateLoad(k)
	if i != 0 {
		cause := CauseReplaced
		if s.slab.expired(i, now) {
			cause = CauseExpired
		}
		e := &s.slab.entries[i]
		r.add(e.key, e.value, cause)
		if s.bound != nil && !s.reserveWeight(i, w, now, r) {
			s.rejections++
			s.removeSlot(i, cause, nil) // recorded above
			return false
		}
		if cause == CauseExpired {
			s.expirations++
		}
		e.value = v // evicting frees slots but never moves them: e is still i
		s.retime(i, expire)
		s.setWeight(i, w)
		s.order.update(i)
		return true
	}
	if s.bound != nil && !s.reserveWeight(0, w, now, r) {
		s.rejections++
		return false
	}
	if s.slab.len >= min(s.capacity, maxShardEntries) {
		if s.slab.len > 0 {
			s.evict(now, r)
		}
		if s.capacity == 0 {
			// No room at all (a capacity below the shard count): the
			// entry is evicted as it arrives.
			s.evictions++
			r.add(k, v, CauseEvicted)
			s.unreserveWeight(w)
			return true
		}
	}
	reshaping := s.slab.full()
	if reshaping {
		s.reshape()
	}
	i, appended := s.slab.alloc(uint32(h >> 32))
	if appended {
		s.order.grow(len(s.slab.entries), cap(s.slab.entries))
	}
	if reshaping {
		s.reshape()
	}
	e := &s.slab.entries[i]
	e.key, e.value = k, v
	s.order.insert(i, uint32(h>>32))
	s.indexSlot(uint32(h>>32), i)
	s.retime(i, expire)
	s.setWeight(i, w)
	return true
}

// recycleLocked stores k (hash h), which is absent, → v with no deadline
// and no weight in the slot of the policy's victim, which it evicts without
// telling anybody: putLocked's insert into a full shard of a cache with no
// callback, no weights and no deadlines, with the slot passed straight from
// the victim to k rather than through the free list. It comes to what
// putLocked would: the same slot, order and counts.
func (s *shard[K, V]) recycleLocked(k K, h uint64, v V) {
	lfu := s.order.lfu
	var i, old uint32
	switch {
	case lfu == nil:
		i = s.order.links[0].prev // LRU's victim
		old = s.tagOf(i)
	case lfu.clock:
		i = lfu.oldest(window, 0) // CLOCK's victim, as lfu.victim names it
		old = s.tagOf(i)
	default:
		i = lfu.victim(0)
		lfu.evicted(i)
		old = lfu.tag(i) // remembered from the admission test
	}
	s.index.remove(s.index.find(old, i))
	s.evictions++
	tag := uint32(h >> 32)
	e := &s.slab.entries[i]
	e.key, e.value = k, v
	if s.slab.tags != nil {
		s.slab.tags[i] = tag
	}
	switch {
	case lfu == nil:
		s.order.lru.hit(i) // to the front: LRU's unlink and insert in one
	case lfu.clock:
		lfu.recycle(i, tag)
	default:
		lfu.remove(i)
		lfu.insert(i, tag)
	}
	if !s.index.insert(tag, i) {
		s.rebuildIndex(2 * len(s.index.buckets))
	}
}

// dropLocked removes k (hash h), if present, because a write stored nothing
// in its place.
func (s *shard[K, V]) dropLocked(k K, h uint64, now *moment, r *removals[K, V]) {
	s.invalidateLoad(k)
	if pos, i := s.lookup(k, h, true); i != 0 {
		cause := CauseReplaced
		if s.slab.expired(i, now) {
			cause = CauseExpired
		}
		s.remove(pos, i, cause, r)
	}
}

// retime gives slot i the deadline expire, keeping the expiry index current.
func (s *shard[K, V]) retime(i uint32, expire int64) {
	old := s.slab.expire(i)
	if old == expire {
		return
	}
	if old != 0 {
		s.expiring-- // its deadline in the heap is stale from now on
	}
	if s.slab.expires == nil {
		s.reshape()
		s.slab.setExpire(i, expire)
		s.reshape()
	} else {
		s.slab.setExpire(i, expire)
	}
	if expire != 0 {
		s.expiring++
		s.expiry.push(deadline{at: expire, idx: i})
	}
	s.compactExpiry()
}

// remove deletes the entry in slot i, whose bucket is at pos, for cause.
func (s *shard[K, V]) remove(pos uint64, i uint32, cause RemovalCause, r *removals[K, V]) {
	e := &s.slab.entries[i]
	r.add(e.key, e.value, cause)
	switch cause {
	case CauseEvicted:
		s.evictions++
	case CauseExpired:
		s.expirations++
	}
	timed := s.slab.expire(i) != 0
	if timed {
		s.expiring--
	}
	if s.bound != nil {
		w := s.slab.weights[i]
		s.weight -= w
		s.bound.total.Add(-w)
	}
	s.index.remove(pos)
	s.order.remove(i)
	s.slab.release(i)
	if timed {
		s.compactExpiry()
	}
}

// removeSlot deletes the entry in slot i for cause, finding its bucket by
// the tag of its key (see tagOf).
func (s *shard[K, V]) removeSlot(i uint32, cause RemovalCause, r *removals[K, V]) {
	s.remove(s.index.find(s.tagOf(i), i), i, cause, r)
}

// tagOf returns the tag, the upper half of the hash, of the key in slot i:
// from the slab when it keeps tags (for keys whose hash reads memory, see
// hashIsCheap), by hashing the key otherwise, which saves 4 bytes an entry.
// The index and W-TinyLFU's sketch and ghosts use it.
func (s *shard[K, V]) tagOf(i uint32) uint32 {
	if s.slab.tags != nil {
		return s.slab.tags[i]
	}
	return uint32(s.hash(s.slab.entries[i].key) >> 32)
}

// indexSlot adds the live slot i, whose key has the tag tag, to the index,
// growing the table if it would pass its load factor.
func (s *shard[K, V]) indexSlot(tag, i uint32) {
	if size := s.index.grown(s.slab.len, s.capacity); size != 0 {
		s.rebuildIndex(size) // slot i is live, so the new table holds it
		return
	}
	if !s.index.insert(tag, i) {
		s.rebuildIndex(2 * len(s.index.buckets))
	}
}

// rebuildIndex replaces the index with one of size buckets (or more) that
// holds every live slot. size is more than the highest slot, as the table
// always is: the slab appends a slot only when every other one is live, and
// the table is grown for every live entry at 7/10 load. A table on which a
// bucket would sit more than maxDist from home doubles until none does,
// which random hashes need at once in a blue moon (see index). A table 64
// times larger than its entries need that still cannot place them means
// that dozens of keys share their hash's upper half: a broken hash, and
// rebuildIndex panics rather than allocate on.
func (s *shard[K, V]) rebuildIndex(size int) {
	s.reshape()
	defer s.reshape()
	for {
		if s.fillIndex(size) {
			return
		}
		if size >= maxBuckets || size >= 64*bucketsFor(s.slab.len) {
			panic("minicache: internal error: the index cannot place its keys within their probe bound")
		}
		size = min(2*size, maxBuckets)
	}
}

// fillIndex empties the index into a table of size buckets and inserts every
// live slot, reporting false when one would sit more than maxDist from home.
func (s *shard[K, V]) fillIndex(size int) bool {
	s.index.clear(size)
	for i := s.slab.nextUsed(1); i != 0; i = s.slab.nextUsed(i + 1) {
		if !s.index.insert(s.tagOf(i), i) {
			return false
		}
	}
	return true
}

// evict makes room for one entry: it reclaims an expired entry if there is
// one, and evicts the policy's victim otherwise. s is not empty.
func (s *shard[K, V]) evict(now *moment, r *removals[K, V]) {
	s.evictExcept(0, now, r)
}

// evictExcept is evict that spares slot keep (0 spares nothing). It
// reports false when there was nothing to evict.
func (s *shard[K, V]) evictExcept(keep uint32, now *moment, r *removals[K, V]) bool {
	victim := s.order.victim(keep)
	if s.expiring > 0 {
		// The victim is often the entry that expired first: reclaim it
		// without a trip through the heap, whose deadline for it goes
		// stale and is dropped later.
		if victim != 0 && s.slab.expired(victim, now) {
			s.removeSlot(victim, CauseExpired, r)
			return true
		}
		if s.expiry.peek().at <= now.now() && s.expireOne(now.now(), keep, r) {
			return true
		}
	}
	if victim == 0 {
		return false
	}
	s.order.evicted(victim)
	s.removeSlot(victim, CauseEvicted, r)
	return true
}

// expireOne removes one entry other than slot keep whose deadline is at or
// before now, if any. A deadline of keep's on top of the heap, stale or
// current, is stepped over rather than taken as the end of the search: the
// expired entries below it are still there to reclaim.
func (s *shard[K, V]) expireOne(now int64, keep uint32, r *removals[K, V]) bool {
	var spared deadline
	found := false
	for !found && len(s.expiry) > 0 && s.expiry.peek().at <= now {
		d := s.expiry.peek()
		s.expiry.pop()
		switch {
		case s.slab.expire(d.idx) != d.at:
			// Stale: dropped, as it would be anyway.
		case d.idx == keep:
			spared = d
		default:
			s.removeSlot(d.idx, CauseExpired, r)
			found = true
		}
	}
	if spared.idx != 0 {
		s.expiry.push(spared)
	}
	return found
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
		if s.slab.expire(d.idx) == d.at {
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
	seen := make([]uint64, (len(s.slab.entries)+63)/64)
	live := s.expiry[:0]
	for _, d := range s.expiry {
		word, bit := d.idx/64, uint64(1)<<(d.idx%64)
		if s.slab.expire(d.idx) == d.at && seen[word]&bit == 0 {
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

// expireLocked gives the live entry in slot i the time to live ttl, or
// removes it as expired for a ttl of zero or less, and reports whether it is
// still there.
func (s *shard[K, V]) expireLocked(i uint32, ttl time.Duration, now *moment, r *removals[K, V]) bool {
	if ttl <= 0 {
		s.removeSlot(i, CauseExpired, r)
		return false
	}
	s.retime(i, expireAt(now, ttl))
	return true
}

// setCapacityLocked makes n the most live entries s holds, evicting down to
// it.
func (s *shard[K, V]) setCapacityLocked(n int, now *moment, r *removals[K, V]) {
	s.capacity = n
	s.slab.limit = n
	s.order.resize(n)
	for s.slab.len > n {
		s.evict(now, r)
	}
}

// invalidateLoad marks a load of k in flight as outdated, so that its value
// is returned to its callers but not stored over a newer write.
func (s *shard[K, V]) invalidateLoad(k K) {
	if len(s.calls) == 0 {
		return
	}
	if c := s.calls[k]; c != nil {
		c.outdated = true
	}
}
