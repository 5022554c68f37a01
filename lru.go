package minicache

// list is a recency list over a slice of entries, linked by indexes rather
// than pointers. Slot 0 is the sentinel: its next is the most recently used
// entry and its prev the least recently used, so no link is ever nil. Freed
// slots are chained through next and reused before the slice grows. Every
// operation is O(1) (amortized for alloc); list does no locking.
type list[K comparable, V any] struct {
	entries []entry[K, V]
	// expires[i] is the deadline of entries[i] in nanoseconds on the cache's
	// clock (see clock.now), 0 for none; nil until the first deadline, so
	// caches without TTLs do not pay for it.
	expires []int64
	// weights[i] is the weight of entries[i]; nil unless the cache weighs
	// entries.
	weights []uint64
	free    uint32 // first free slot, 0 when none
	len     int    // live entries
	limit   int    // most live entries the list will hold; 0 = unbounded
}

// init empties l for at most limit entries (0 = unbounded).
func (l *list[K, V]) init(limit int, weighted bool) {
	size := 4 // the sentinel and three entries: cheap for shards never used
	if limit > 0 {
		size = min(size, limit+1)
	}
	*l = list[K, V]{entries: make([]entry[K, V], 1, size), limit: limit}
	if weighted {
		l.weights = make([]uint64, 1, size)
	}
}

// alloc returns a free slot, growing the slice when none is left.
func (l *list[K, V]) alloc() uint32 {
	l.len++
	if i := l.free; i != 0 {
		l.free = l.entries[i].next
		return i
	}
	n := len(l.entries)
	if n == cap(l.entries) {
		l.grow()
	}
	l.entries = l.entries[:n+1]
	if l.expires != nil {
		l.expires = l.expires[:n+1]
	}
	if l.weights != nil {
		l.weights = l.weights[:n+1]
	}
	return uint32(n)
}

// grow doubles the capacity of the slices, but never beyond what limit
// entries need, so a full bounded cache holds no spare slots.
func (l *list[K, V]) grow() {
	c := max(2*cap(l.entries), 16)
	if l.limit > 0 {
		c = min(c, l.limit+1)
	}
	l.entries = regrow(l.entries, c)
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

// expire returns the deadline of slot i, 0 if it has none.
func (l *list[K, V]) expire(i uint32) int64 {
	if l.expires == nil {
		return 0
	}
	return l.expires[i]
}

// setExpire sets the deadline of slot i, allocating expires on first use.
func (l *list[K, V]) setExpire(i uint32, at int64) {
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
func (l *list[K, V]) expired(i uint32, now *moment) bool {
	at := l.expire(i)
	return at != 0 && at <= now.now()
}

// release unlinks slot i and puts it on the free chain, dropping its key and
// value so that the garbage collector can reclaim what they point to.
func (l *list[K, V]) release(i uint32) {
	l.unlink(i)
	l.entries[i] = entry[K, V]{next: l.free}
	if l.expires != nil {
		l.expires[i] = 0
	}
	if l.weights != nil {
		l.weights[i] = 0
	}
	l.free = i
	l.len--
}

// pushFront links slot i in as the most recently used entry.
func (l *list[K, V]) pushFront(i uint32) {
	e := l.entries
	head := e[0].next
	e[i].prev, e[i].next = 0, head
	e[head].prev = i
	e[0].next = i
}

// unlink takes slot i out of the list.
func (l *list[K, V]) unlink(i uint32) {
	e := l.entries
	p, n := e[i].prev, e[i].next
	e[p].next = n
	e[n].prev = p
}

// moveToFront makes slot i the most recently used entry.
func (l *list[K, V]) moveToFront(i uint32) {
	if l.entries[0].next == i {
		return
	}
	l.unlink(i)
	l.pushFront(i)
}

// back returns the least recently used slot, or 0 when the list is empty.
func (l *list[K, V]) back() uint32 {
	return l.entries[0].prev
}
