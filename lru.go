package minicache

// lru is the least-recently-used eviction policy: a doubly linked recency
// list over the slots of a shard's slab, linked by slot numbers rather than
// pointers in an array of its own. Slot 0 is the sentinel: its next is the
// most recently used slot and its prev the least recently used one, so no
// link is ever missing. Every operation is O(1); lru does no locking.
//
// The links sit apart from the entries: a hit rewrites the links of three
// slots, and 8-byte links pack those writes into fewer cache lines than
// whole entries would.
type lru struct {
	links []link
}

// link is one slot's place in the recency list.
type link struct {
	prev, next uint32
}

var _ evictionPolicy = (*lru)(nil)

func (l *lru) init(size int) {
	l.links = make([]link, 1, size)
}

func (l *lru) grow(n, c int) {
	if n > cap(l.links) {
		l.links = regrow(l.links, max(n, c))
	}
	l.links = l.links[:n]
}

func (l *lru) insert(i, _ uint32) {
	l.pushFront(i)
}

func (l *lru) hit(i uint32) {
	e := l.links
	if e[0].next == i {
		return
	}
	p, n := e[i].prev, e[i].next
	e[p].next = n
	e[n].prev = p
	head := e[0].next
	e[i].prev, e[i].next = 0, head
	e[head].prev = i
	e[0].next = i
}

func (l *lru) update(i uint32) {
	l.hit(i)
}

func (l *lru) evicted(uint32) {}

func (l *lru) remove(i uint32) {
	e := l.links
	p, n := e[i].prev, e[i].next
	e[p].next = n
	e[n].prev = p
	e[i] = link{}
}

func (l *lru) victim(except uint32) uint32 {
	v := l.links[0].prev
	if v == except && v != 0 {
		v = l.links[v].prev
	}
	return v
}

func (l *lru) walk(yield func(uint32) bool) {
	for i := l.links[0].next; i != 0; i = l.links[i].next {
		if !yield(i) {
			return
		}
	}
}

// pushFront links slot i in as the most recently used slot.
func (l *lru) pushFront(i uint32) {
	e := l.links
	head := e[0].next
	e[i].prev, e[i].next = 0, head
	e[head].prev = i
	e[0].next = i
}
