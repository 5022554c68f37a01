package minicache

import (
	"math"
	"sync"
	"sync/atomic"
)

// tinyLFU is the adaptive W-TinyLFU eviction policy of Caffeine (Einziger,
// Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission Policy",
// 2017), for one shard. New entries enter a small LRU window; an entry
// pushed out of the window becomes a candidate for the main space, an SLRU
// of a probation and a protected segment, and is admitted only if the
// frequency sketch has seen it more often than the main space's victim.
// Frequency keeps popular entries through scans and loops; the window keeps
// recency bursts. The boundary between window and main space moves as ARC
// moves its own (see windowSizer): towards the side whose recent evictions
// come back, so the policy leans towards LRU where recency wins (a working
// set that fits) and towards LFU where frequency wins.
//
// Its state per slot is a node: a pair of links, with the slot's segment,
// a reference mark and its hits since it entered in their spare bits; the sketch and
// the ghosts are sized once from the capacity. Every operation is O(1)
// (amortized for aging and second chances) and allocates nothing; tinyLFU
// does no locking.
//
// A hit writes its node and nothing else. It counts there, not in the
// sketch: a sketch block is a cache line of its own, a miss per Get in a
// large cache. The sketch holds the rest of a key's history: an entry's hits
// are added to it when the entry leaves, and a resident entry's frequency is
// the sketch's estimate plus its hits. A hit moves no entry either: the
// segments keep their recency as CLOCK does, and an entry marked since it
// last moved gets a second chance when it comes up for demotion or eviction
// (see oldest and mainVictim), so no links are written on the read path.
//
// With clock set it runs the Clock policy instead: its window alone, which
// is CLOCK, with the same nodes, second chances and reads without the lock.
type tinyLFU struct {
	nodes []node
	lists [3]dlist // the window, probation and protected segments
	// tagOf returns the hash tag, which the sketch and the ghosts count, of
	// the key in a slot: the shard's, kept or hashed again (shard.tagOf).
	// memo and memoTag are the last slot it was asked for and its answer,
	// memoSketch the tag spread for the sketch (0: not yet): an eviction
	// asks for the loser's tag three times (admit, evicted and remove; four
	// in recycleLocked, which finds its bucket by it too), and an integer
	// key's tag is hashed again each time.
	tagOf         func(uint32) uint32
	memo, memoTag uint32
	memoSketch    uint64
	hits          *uint64 // the shard's count of hits towards aging the sketch (see hit)
	// The sketch ages every period accesses (10 per entry, as in TinyLFU):
	// writes counted here, and hits that changed their entry's state as the
	// growth of *hits since hitsSeen (see hit).
	period, writes int
	hitsSeen       uint64
	sk             sketch  // recent frequency of keys
	bound          bool    // the shard has a capacity (not only a weight bound)
	size           int     // entries the segments are sized for
	win            float64 // target size of the window, in entries
	prot           int     // target size of the protected segment

	// Keys recently pushed out of the window (refused candidates) and out
	// of the main space (its victims): a miss on one of the first says a
	// larger window would have hit, on one of the second a larger main
	// space. votes is the balance of those misses not yet reported to the
	// sizer, which sizes the window of every shard of the cache; inserts
	// counts the inserts since the last report.
	ghostWin, ghostMain ghost
	votes, inserts      int
	sizer               *windowSizer

	// clock makes this CLOCK (the Clock policy) rather than W-TinyLFU:
	// every entry on the window's list, each with all its hits from the
	// insert on, so that one mark saturates it (a hit changes nothing once
	// it is marked); no admission test, sketch, ghosts or sizer. oldest
	// gives the second chances and names the victim.
	clock bool
}

// segment says which list of tinyLFU a slot is on.
type segment uint8

// node is a slot's links in its segment's list (slot numbers, 0 for
// none) and its state, kept in the high bits of the links, which a slot
// number never reaches (see maxShardEntries): in prev, the slot's segment
// and whether it was referenced since it last moved; in next, its accesses
// (the insert, the reads and the overwrites) since it entered or since the
// sketch last aged, up to 15. Packed so, W-TinyLFU keeps 8 bytes a slot, as
// LRU does, and a hit's writes stay in the line its links are in.
type node struct{ prev, next uint32 }

const (
	slotBitsMask = 1<<28 - 1                              // the slot number in prev and next
	segmentShift = 28                                     // prev's bits 28 and 29: the segment
	segmentBits  = 3 << segmentShift                      // the segment's bits in prev
	referenced   = 1 << 30                                // in prev: read or written since it last moved
	oneHit       = 1 << 28                                // in next: one access; bits 28 to 31 count them
	hitsBits     = 15 * oneHit                            // the hits' bits in next: 15 hits
	_            = uint32(slotBitsMask - maxShardEntries) // slot numbers fit
)

func (n node) before() uint32   { return n.prev & slotBitsMask }
func (n node) after() uint32    { return n.next & slotBitsMask }
func (n node) segment() segment { return segment(n.prev & segmentBits >> segmentShift) }
func (n node) referenced() bool { return n.prev&referenced != 0 }
func (n node) hits() uint64     { return uint64(n.next >> 28) }

// saturated reports whether a hit would change nothing: the slot is marked
// and at its most hits (see touch).
func (n node) saturated() bool { return n.referenced() && n.next >= hitsBits }

func (n *node) setBefore(i uint32) { n.prev = n.prev&^slotBitsMask | i }
func (n *node) setAfter(i uint32)  { n.next = n.next&^slotBitsMask | i }

const (
	window segment = iota
	probation
	protected
)

// dlist is a doubly linked list of slots through tinyLFU.nodes, from head
// (most recent) to tail; slot 0 means none.
type dlist struct {
	head, tail uint32
	len        int
}

// Tuning of W-TinyLFU: the window starts at 1% of the capacity and
// protected takes 80% of the main space, as in Caffeine; each ghost
// remembers a quarter of the capacity of the keys its side evicted. A
// ghost as large as the cache counts returns that only a far larger window
// would have caught, and drove the window to LRU on ARC's OLTP trace at
// 1000 entries (35.0% hits against 40.8% at a quarter).
const (
	initialWindow  = 0.01
	protectedShare = 0.8
	ghostShare     = 4 // a ghost holds capacity/ghostShare keys
)

var _ evictionPolicy = (*tinyLFU)(nil)

func (t *tinyLFU) init(size int) {
	tagOf, hits, bound, sz, clock := t.tagOf, t.hits, t.bound, t.sizer, t.clock
	*t = tinyLFU{tagOf: tagOf, hits: hits, bound: bound, sizer: sz, clock: clock}
	t.nodes = make([]node, 1, size)
}

// setSize sizes the segments and the sketch for a shard of n entries.
func (t *tinyLFU) setSize(n int) {
	n = max(n, 1)
	t.size = n
	if t.clock {
		return // one list, no sketch, no ghosts
	}
	share := initialWindow
	if t.sizer != nil {
		share = t.sizer.current()
	}
	t.setWindow(share)
	t.sk.init(n)
	t.period, t.writes, t.hitsSeen = 10*max(n, 8), 0, *t.hits // a fresh period
	t.ghostWin.init(n / ghostShare)
	t.ghostMain.init(n / ghostShare)
}

func (t *tinyLFU) grow(n, c int) {
	if n > cap(t.nodes) {
		t.nodes = regrow(t.nodes, max(n, c))
	}
	t.nodes = t.nodes[:n]
}

// pushFront puts slot i at the head of segment s, keeping its mark and hits.
func (t *tinyLFU) pushFront(s segment, i uint32) {
	l := &t.lists[s]
	nd := &t.nodes[i]
	nd.prev = nd.prev&referenced | uint32(s)<<segmentShift
	nd.setAfter(l.head)
	if l.head != 0 {
		t.nodes[l.head].setBefore(i)
	} else {
		l.tail = i
	}
	l.head = i
	l.len++
}

func (t *tinyLFU) unlink(i uint32) {
	nd := t.nodes[i]
	l := &t.lists[nd.segment()]
	p, n := nd.before(), nd.after()
	if p != 0 {
		t.nodes[p].setAfter(n)
	} else {
		l.head = n
	}
	if n != 0 {
		t.nodes[n].setBefore(p)
	} else {
		l.tail = p
	}
	l.len--
}

func (t *tinyLFU) moveTo(s segment, i uint32) {
	t.unlink(i)
	t.pushFront(s, i)
}

// tag returns the hash tag of the key in slot i.
func (t *tinyLFU) tag(i uint32) uint32 {
	if i != t.memo {
		t.memo, t.memoTag, t.memoSketch = i, t.tagOf(i), 0
	}
	return t.memoTag
}

// sketchHash returns the tag of the key in slot i spread for the sketch.
func (t *tinyLFU) sketchHash(i uint32) uint64 {
	if tag := t.tag(i); t.memoSketch == 0 {
		t.memoSketch = sketchHash(tag)
	}
	return t.memoSketch
}

func (t *tinyLFU) insert(i, tag uint32) {
	t.memo, t.memoTag, t.memoSketch = i, tag, 0 // slot i has a new key
	if t.clock {
		t.nodes[i] = node{next: hitsBits}
		t.pushFront(window, i)
		return
	}
	if !t.bound {
		// Only a weight bound: size the segments by the entries held.
		if n := t.len() + 1; n > t.size {
			t.setSize(max(2*t.size, 64))
		}
	}
	// A key in both ghosts (evicted from both sides, or a false positive)
	// votes for the window: on ARC's P3 at 200k entries that hits 59.0%,
	// casting no vote 58.7%.
	switch gh := ghostHash(tag); {
	case t.ghostWin.has(gh):
		t.votes++
	case t.ghostMain.has(gh):
		t.votes--
	}
	t.nodes[i] = node{next: oneHit}
	t.access()
	t.pushFront(window, i)
	// A window over its target passes its oldest entries to probation.
	for t.lists[window].len > int(t.win) && t.lists[window].len > 1 {
		t.moveTo(probation, t.oldest(window, i))
	}
	t.resize()
}

// recycle gives slot i, CLOCK's victim, to a new key whose hash tag is tag:
// remove and insert in one, as LRU's move to the front. The victim is
// unmarked (see oldest) and, under CLOCK, at its most hits, as a new
// entry is.
func (t *tinyLFU) recycle(i, tag uint32) {
	t.memo, t.memoTag, t.memoSketch = i, tag, 0
	t.moveTo(window, i)
}

func (t *tinyLFU) len() int {
	return t.lists[window].len + t.lists[probation].len + t.lists[protected].len
}

// hit records a read of slot i. One that changed the slot's state counts
// towards the sketch's aging, through a counter in the shard's first cache
// line, which the read's lock has written already; a read that changed
// nothing (the entry was marked and at its most hits) tells the policy
// nothing new and does not count, so that it may be served without the
// lock (see tryGet) and the policy still behave the same.
func (t *tinyLFU) hit(i uint32) {
	if t.touch(i) {
		*t.hits++
	}
}

func (t *tinyLFU) update(i uint32) {
	t.touch(i)
	if !t.clock {
		t.access()
	}
}

// touch records an access to slot i: one more hit, and a mark that it was
// referenced. Nothing moves: the lists act on the mark when their oldest
// entries come up for demotion or eviction (see oldest), as CLOCK does, so
// that a hit writes its node's state and no links. It reports whether the
// state changed: a hot entry, marked and at 15 hits, dirties no line.
func (t *tinyLFU) touch(i uint32) bool {
	nd := &t.nodes[i]
	if nd.saturated() {
		return false
	}
	nd.prev |= referenced
	if nd.next < hitsBits {
		nd.next += oneHit
	}
	return true
}

// oldest returns the least recently used entry of list s other than
// except, 0 for none. A referenced entry it passes gets a second chance: its
// mark is cleared and it moves to the head, as a hit would have moved it.
// except, the entry being written, moves to the head too (keeping its
// mark), so that it is never left the oldest.
func (t *tinyLFU) oldest(s segment, except uint32) uint32 {
	l := &t.lists[s]
	i := l.tail
	for n := l.len; n > 0 && i != 0; n-- {
		prev := t.nodes[i].before()
		if i != except {
			if !t.nodes[i].referenced() {
				return i
			}
			t.nodes[i].prev &^= referenced
		}
		t.moveTo(s, i)
		i = prev
	}
	// Every entry was referenced and has been moved in turn: the list is
	// in its former order again, its marks cleared but except's.
	if i = l.tail; i == except && i != 0 {
		i = t.nodes[i].before()
	}
	return i
}

// access counts a write towards the sketch's aging period, of which the
// hits that changed their entry's state are the rest (see hit). At its end the hits of the resident entries
// join the sketch, as those of departed entries did, and every count of the
// sketch halves: the sketch is then what it would be had every hit been
// counted in it. Only writes end a period, so a run of reads longer than
// one ages the sketch once, when the next write comes; an eviction that no
// write of this shard caused (SetCapacity, or the weight bound making room
// for another shard's entry) compares the counts of the unfinished period.
func (t *tinyLFU) access() {
	t.writes++
	total := t.writes + int(*t.hits-t.hitsSeen)
	if total < t.period {
		return
	}
	for i, nd := range t.nodes {
		if n := nd.hits(); n > 0 {
			t.sk.addN(sketchHash(t.tagOf(uint32(i))), n)
			t.nodes[i].next &^= hitsBits
		}
	}
	t.sk.age()
	// Half the period's accesses carry over, as the counts halve.
	t.writes, t.hitsSeen = min(total, t.period)/2, *t.hits
}

// remove forgets slot i, passing its hits on to the sketch, which keeps
// them as the key's history should it come back.
func (t *tinyLFU) remove(i uint32) {
	t.unlink(i)
	if n := t.nodes[i].hits(); n > 0 && !t.clock {
		t.sk.addN(t.sketchHash(i), n)
	}
	t.nodes[i] = node{}
	if t.memo == i {
		t.memo = 0 // the slot's next key will have another tag
	}
}

// frequency estimates how often the key of resident slot i was seen
// recently, 0 to 15: its history in the sketch and its hits since it entered.
func (t *tinyLFU) frequency(i uint32) uint64 {
	return min(t.sk.estimate(t.sketchHash(i))+t.nodes[i].hits(), 15)
}

// victim chooses between the window's oldest entry, the candidate, and the
// main space's victim, the oldest entry of probation (of protected if
// probation is empty). While the window holds fewer than its target, the
// main space gives up its victim; otherwise the candidate must earn its
// place: it is admitted, and the victim evicted, only if the sketch has
// seen it more often. A refused candidate is the one evicted.
func (t *tinyLFU) victim(except uint32) uint32 {
	if t.clock {
		return t.oldest(window, except)
	}
	cand := t.oldest(window, except)
	vic := t.mainVictim(except)
	switch {
	case cand == 0:
		return vic
	case vic == 0:
		return cand
	case t.lists[window].len < int(t.win):
		return vic
	}
	if t.admit(cand, vic) {
		t.moveTo(probation, cand)
		return vic
	}
	return cand
}

// evicted remembers slot i in the ghost of its side: a candidate the window
// refused is still on the window's list, a victim of the main space on
// probation or protected. Only evictions reach the ghosts: an entry that
// expires or is deleted would come back no matter how the window was sized.
func (t *tinyLFU) evicted(i uint32) {
	switch {
	case t.clock: // no ghosts
	case t.nodes[i].segment() == window:
		t.ghostWin.add(ghostHash(t.tag(i)))
	default:
		t.ghostMain.add(ghostHash(t.tag(i)))
	}
}

// mainVictim returns the main space's victim other than except: the oldest
// entry of probation, of protected if probation is empty. An entry of
// probation referenced since it entered is promoted to protected on the way,
// as its hit would have promoted it, and protected passes its oldest entries
// back to probation while it is over its target.
func (t *tinyLFU) mainVictim(except uint32) uint32 {
	p := &t.lists[probation]
	for i := p.tail; i != 0; i = p.tail {
		if i == except {
			i = t.nodes[i].before()
			if i == 0 {
				break
			}
		}
		if !t.nodes[i].referenced() {
			return i
		}
		t.nodes[i].prev &^= referenced
		t.moveTo(protected, i)
		for t.lists[protected].len > t.prot && t.lists[protected].len > 1 {
			t.moveTo(probation, t.oldest(protected, i))
		}
	}
	return t.oldest(protected, except)
}

// admit reports whether the candidate should displace the victim: only if
// the sketch has seen it more often; a tie keeps the victim, which is what
// holds a loop's resident part in place. (Caffeine also admits a warm
// candidate at random, against attackers who collide keys in the sketch on
// purpose; here the sketch counts seeded hashes, so keys cannot be chosen to
// collide.)
func (t *tinyLFU) admit(cand, vic uint32) bool {
	// The victim's tag first: a refused candidate, the common loser, then
	// finds its own in the memo when it is evicted.
	fv := t.frequency(vic)
	return t.frequency(cand) > fv
}

// resize reports the shard's ghost votes to the cache's window sizer every
// sizeBatch inserts (only inserts vote, so a hit has nothing to report) and
// takes the window share it has chosen.
func (t *tinyLFU) resize() {
	if t.inserts++; t.inserts < sizeBatch || t.sizer == nil {
		return
	}
	t.setWindow(t.sizer.record(t.votes, t.size))
	t.inserts, t.votes = 0, 0
}

// setWindow sizes the window to share of the shard, at least one entry and
// at most all but one, and protected to its part of the rest.
func (t *tinyLFU) setWindow(share float64) {
	t.win = max(min(share*float64(t.size), float64(t.size-1)), 1)
	t.prot = int(protectedShare * float64(t.size-int(t.win)))
}

func (t *tinyLFU) walk(yield func(uint32) bool) {
	for _, s := range [3]segment{protected, probation, window} {
		for i := t.lists[s].head; i != 0; i = t.nodes[i].after() {
			if !yield(i) {
				return
			}
		}
	}
}

// sizeBatch is how many inserts a shard counts before it reports its votes
// to the sizer: the sizer's mutex is taken at most once per sizeBatch.
const sizeBatch = 128

// windowSizer sizes the window of every shard of a cache, one per cache, as
// ARC sizes its recency list: each miss on a key a shard's window recently
// refused grows the window by one entry, each miss on a key its main space
// recently evicted shrinks it by one. The window follows whichever side
// would have hit, at once and without sampling: towards LRU where recency
// wins (a working set that fits), towards LFU where frequency wins.
type windowSizer struct {
	mu        sync.Mutex // guards share
	shards    float64    // shards sharing the sizer
	share     float64    // the window's share of each shard's capacity
	shareBits atomic.Uint64
}

func newWindowSizer(shards int) *windowSizer {
	c := &windowSizer{shards: float64(shards), share: initialWindow}
	c.shareBits.Store(math.Float64bits(c.share))
	return c
}

// current returns the window's share.
func (c *windowSizer) current() float64 {
	return math.Float64frombits(c.shareBits.Load())
}

// record moves the window by a shard's votes, entries of its size, and
// returns the window's share.
func (c *windowSizer) record(votes, size int) float64 {
	if votes == 0 {
		return c.current()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.share = min(max(c.share+float64(votes)/(float64(max(size, 1))*c.shards), 0), 1)
	c.shareBits.Store(math.Float64bits(c.share))
	return c.share
}
