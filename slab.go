package minicache

import "math/bits"

// slab stores a shard's entries in slots of flat arrays indexed by a uint32
// slot number. Slot 0 is never used, so 0 can mean "no slot" everywhere. A
// slot keeps its number for as long as its entry lives: the index, the
// deadline heap, the eviction policy and the cursors of [Cache.Scan] all
// refer to entries by slot. Freed slots are reused before the arrays grow.
// Every operation is O(1) (amortized for alloc); slab does no locking.
type slab[K comparable, V any] struct {
	entries []entry[K, V]
	// expires[i] is the deadline of entries[i] in nanoseconds on the cache's
	// clock (see clock.now), 0 for none; nil until the first deadline, so
	// caches without TTLs do not pay for it.
	expires []int64
	// weights[i] is the weight of entries[i]; nil unless the cache weighs
	// entries.
	weights []uint64
	// tags[i] is the upper half of the hash of entries[i].key, for keys that
	// cost a trip to memory to hash again (see hashIsCheap); nil otherwise,
	// and then the key is hashed again when its tag is needed (see
	// shard.tagOf), by the index and by W-TinyLFU alike.
	tags  []uint32
	used  []uint64 // bit i is set while slot i holds an entry
	free  []uint32 // slots to reuse, most recently freed last
	len   int      // live entries
	limit int      // most live entries the slab will hold; noLimit for none
}

// noLimit is the capacity of a shard of an unbounded cache.
const noLimit = int(^uint(0) >> 1)

// init empties l for at most limit entries, with weights if weighted and
// tags if tagged.
func (l *slab[K, V]) init(limit int, weighted, tagged bool) {
	size := min(4, limit+1) // the unused slot 0 and three entries: cheap for shards never used
	if limit == noLimit {
		size = 4
	}
	*l = slab[K, V]{
		entries: make([]entry[K, V], 1, size),
		used:    make([]uint64, 1),
		limit:   limit,
	}
	if tagged {
		l.tags = make([]uint32, 1, size)
	}
	if weighted {
		l.weights = make([]uint64, 1, size)
	}
}

// alloc returns a free slot for an entry with hash tag tag (kept if l keeps
// tags). It reports whether the slot is new (the arrays got longer), so
// that the caller can make room for it in what it keeps per slot.
func (l *slab[K, V]) alloc(tag uint32) (i uint32, appended bool) {
	l.len++
	if n := len(l.free); n > 0 {
		i = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		n := len(l.entries)
		if n == cap(l.entries) {
			l.grow()
		}
		appended = true
		l.entries = l.entries[:n+1]
		if l.tags != nil {
			l.tags = l.tags[:n+1]
		}
		if l.expires != nil {
			l.expires = l.expires[:n+1]
		}
		if l.weights != nil {
			l.weights = l.weights[:n+1]
		}
		if w := n / 64; w == len(l.used) {
			l.used = append(l.used, 0)
		}
		i = uint32(n)
	}
	if l.tags != nil {
		l.tags[i] = tag
	}
	l.used[i/64] |= 1 << (i % 64)
	return i, appended
}

// full reports whether the next alloc grows the arrays.
func (l *slab[K, V]) full() bool {
	return len(l.free) == 0 && len(l.entries) == cap(l.entries)
}

// grow doubles the capacity of the arrays, but never beyond what limit
// entries need, so a full bounded cache holds no spare slots.
func (l *slab[K, V]) grow() {
	c := max(2*cap(l.entries), 16)
	if l.limit != noLimit {
		c = min(c, l.limit+1)
	}
	c = max(c, len(l.entries)+1) // the limit may have been lowered since
	l.entries = regrow(l.entries, c)
	if l.tags != nil {
		l.tags = regrow(l.tags, c)
	}
	if l.expires != nil {
		l.expires = regrow(l.expires, c)
	}
	if l.weights != nil {
		l.weights = regrow(l.weights, c)
	}
}

// regrow returns a copy of s with capacity c.
func regrow[T any](s []T, c int) []T {
	t := make([]T, len(s), c)
	copy(t, s)
	return t
}

// release frees slot i, dropping its key and value so that the garbage
// collector can reclaim what they point to.
func (l *slab[K, V]) release(i uint32) {
	l.entries[i] = entry[K, V]{}
	if l.expires != nil {
		l.expires[i] = 0
	}
	if l.weights != nil {
		l.weights[i] = 0
	}
	l.used[i/64] &^= 1 << (i % 64)
	l.free = append(l.free, i)
	l.len--
}

// nextUsed returns the first slot at or after i that holds an entry, or 0
// when there is none.
func (l *slab[K, V]) nextUsed(i uint32) uint32 {
	w := int(i / 64)
	if w >= len(l.used) {
		return 0
	}
	word := l.used[w] &^ (1<<(i%64) - 1)
	for {
		if word != 0 {
			j := uint32(w*64 + bits.TrailingZeros64(word))
			if int(j) >= len(l.entries) {
				return 0
			}
			return j
		}
		if w++; w == len(l.used) {
			return 0
		}
		word = l.used[w]
	}
}

// expire returns the deadline of slot i, 0 if it has none.
func (l *slab[K, V]) expire(i uint32) int64 {
	if l.expires == nil {
		return 0
	}
	return l.expires[i]
}

// setExpire sets the deadline of slot i, allocating expires on first use.
func (l *slab[K, V]) setExpire(i uint32, at int64) {
	if l.expires == nil {
		if at == 0 {
			return
		}
		l.expires = make([]int64, len(l.entries), cap(l.entries))
	}
	l.expires[i] = at
}

// expired reports whether slot i's deadline has passed; it reads the clock
// only for an entry that has a deadline.
func (l *slab[K, V]) expired(i uint32, now *moment) bool {
	at := l.expire(i)
	return at != 0 && at <= now.now()
}
