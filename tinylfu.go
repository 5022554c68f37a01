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
// recency bursts. A hill climber moves the boundary between window and main
// space towards whichever gives the higher hit ratio, so the policy leans
// towards LRU where recency wins (a working set that fits) and towards LFU
// where frequency wins.
//
// Its state per slot is a pair of links and a segment byte; the sketch is
// sized once from the capacity. Every operation is O(1) and allocates
// nothing; tinyLFU does no locking.
type tinyLFU struct {
	links []link
	seg   []segment
	lists [3]dlist  // the window, probation and protected segments
	tags  *[]uint32 // the slab's hash tags, which the sketch counts
	sk    sketch    // recent frequency of keys
	bound bool      // the shard has a capacity (not only a weight bound)
	size  int       // entries the segments are sized for
	win   float64   // target size of the window, in entries
	prot  int       // target size of the protected segment

	// Hits and misses not yet reported to the climber, which sizes the
	// window of every shard of the cache.
	hits, misses int
	climber      *climber
}

// segment says which list of tinyLFU a slot is on.
type segment uint8

const (
	window segment = iota
	probation
	protected
)

// dlist is a doubly linked list of slots through tinyLFU.links, from head
// (most recent) to tail; slot 0 means none.
type dlist struct {
	head, tail uint32
	len        int
}

// Tuning of W-TinyLFU, as in Caffeine: the window starts at 1% of the
// capacity, protected takes 80% of the main space, and the climber steps by
// 6.25% of the capacity, decaying by 2% per sample and restarting after a
// change of the hit ratio of 5 points or more.
const (
	initialWindow  = 0.01
	protectedShare = 0.8
	stepPercent    = 0.0625
	stepDecay      = 0.98
	restartDelta   = 0.05
)

var _ evictionPolicy = (*tinyLFU)(nil)

func (t *tinyLFU) init(size int) {
	tags, bound, cl := t.tags, t.bound, t.climber
	*t = tinyLFU{tags: tags, bound: bound, climber: cl}
	t.links = make([]link, 1, size)
	t.seg = make([]segment, 1, size)
}

// setSize sizes the segments and the sketch for a shard of n entries.
func (t *tinyLFU) setSize(n int) {
	n = max(n, 1)
	t.size = n
	t.win = max(1, initialWindow*float64(n))
	t.prot = int(protectedShare * float64(n-int(t.win)))
	if t.climber != nil {
		t.win = max(min(t.climber.current()*float64(n), float64(n-1)), 1)
	}
	t.sk.init(n)
}

func (t *tinyLFU) grow(n, c int) {
	if n > cap(t.links) {
		t.links = regrow(t.links, max(n, c))
		t.seg = regrow(t.seg, max(n, c))
	}
	t.links = t.links[:n]
	t.seg = t.seg[:n]
}

func (t *tinyLFU) pushFront(s segment, i uint32) {
	l := &t.lists[s]
	t.links[i] = link{prev: 0, next: l.head}
	if l.head != 0 {
		t.links[l.head].prev = i
	} else {
		l.tail = i
	}
	l.head = i
	l.len++
	t.seg[i] = s
}

func (t *tinyLFU) unlink(i uint32) {
	l := &t.lists[t.seg[i]]
	p, n := t.links[i].prev, t.links[i].next
	if p != 0 {
		t.links[p].next = n
	} else {
		l.head = n
	}
	if n != 0 {
		t.links[n].prev = p
	} else {
		l.tail = p
	}
	l.len--
}

func (t *tinyLFU) moveTo(s segment, i uint32) {
	t.unlink(i)
	t.pushFront(s, i)
}

func (t *tinyLFU) tag(i uint32) uint32 { return (*t.tags)[i] }

func (t *tinyLFU) insert(i uint32) {
	if !t.bound {
		// Only a weight bound: size the segments by the entries held.
		if n := t.len() + 1; n > t.size {
			t.setSize(max(2*t.size, 64))
		}
	}
	t.sk.add(t.tag(i))
	t.pushFront(window, i)
	// A window over its target passes its oldest entries to probation.
	for t.lists[window].len > int(t.win) && t.lists[window].len > 1 {
		t.moveTo(probation, t.lists[window].tail)
	}
	t.misses++
	t.climb()
}

func (t *tinyLFU) len() int {
	return t.lists[window].len + t.lists[probation].len + t.lists[protected].len
}

func (t *tinyLFU) hit(i uint32) {
	t.hits++
	t.touch(i)
	t.climb()
}

func (t *tinyLFU) update(i uint32) {
	t.touch(i)
}

// touch records an access to slot i: its frequency, and its promotion from
// probation to protected.
func (t *tinyLFU) touch(i uint32) {
	t.sk.add(t.tag(i))
	switch t.seg[i] {
	case window:
		if t.lists[window].head != i {
			t.toFront(window, i)
		}
	case probation:
		t.moveTo(protected, i)
		for t.lists[protected].len > t.prot && t.lists[protected].len > 1 {
			t.moveTo(probation, t.lists[protected].tail)
		}
	case protected:
		if t.lists[protected].head != i {
			t.toFront(protected, i)
		}
	}
}

// toFront moves slot i, on list s but not at its head, to the head.
func (t *tinyLFU) toFront(s segment, i uint32) {
	l := &t.lists[s]
	e := t.links
	p, n := e[i].prev, e[i].next // p != 0: i is not the head
	e[p].next = n
	if n != 0 {
		e[n].prev = p
	} else {
		l.tail = p
	}
	e[i] = link{prev: 0, next: l.head}
	e[l.head].prev = i
	l.head = i
}

func (t *tinyLFU) remove(i uint32) {
	t.unlink(i)
	t.links[i] = link{}
}

// victim chooses between the window's oldest entry, the candidate, and the
// main space's victim, the oldest entry of probation (of protected if
// probation is empty). While the window holds no more than its target, the
// main space gives up its victim; otherwise the candidate must earn its
// place: it is admitted, and the victim evicted, only if the sketch has
// seen it more often. A refused candidate is the one evicted.
func (t *tinyLFU) victim(except uint32) uint32 {
	cand := t.lists[window].tail
	if cand == except && cand != 0 {
		cand = t.links[cand].prev
	}
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

func (t *tinyLFU) mainVictim(except uint32) uint32 {
	for _, s := range [2]segment{probation, protected} {
		v := t.lists[s].tail
		if v == except && v != 0 {
			v = t.links[v].prev
		}
		if v != 0 {
			return v
		}
	}
	return 0
}

// admit reports whether the candidate should displace the victim: only if
// the sketch has seen it more often; a tie keeps the victim, which is what
// holds a loop's resident part in place. (Caffeine also admits a warm
// candidate at random, against attackers who collide keys in the sketch on
// purpose; here the sketch counts seeded hashes, so keys cannot be chosen to
// collide.)
func (t *tinyLFU) admit(cand, vic uint32) bool {
	fc, fv := t.sk.estimate(t.tag(cand)), t.sk.estimate(t.tag(vic))
	if fc > fv {
		return true
	}
	return false
}

// climb reports the shard's hits and misses to the cache's climber every
// climbBatch operations and takes the window share it has chosen.
func (t *tinyLFU) climb() {
	if t.hits+t.misses < climbBatch || t.climber == nil {
		return
	}
	share := t.climber.record(t.hits, t.misses)
	t.hits, t.misses = 0, 0
	t.win = max(min(share*float64(t.size), float64(t.size-1)), 1)
	t.prot = int(protectedShare * float64(t.size-int(t.win)))
}

func (t *tinyLFU) walk(yield func(uint32) bool) {
	for _, s := range [3]segment{protected, probation, window} {
		for i := t.lists[s].head; i != 0; i = t.links[i].next {
			if !yield(i) {
				return
			}
		}
	}
}

// climbBatch is how many operations a shard counts before it reports them
// to the climber: the climber's mutex is taken once per climbBatch.
const climbBatch = 128

// climber is the hill climber of adaptive W-TinyLFU, one per cache: it
// samples the hit ratio of all shards together over sample operations and
// moves the window's share of the capacity in the direction that raised it,
// with a step that decays while the ratio is steady and restarts when it
// jumps. Sampling the whole cache rather than each shard makes the samples
// both larger and more frequent, so it adapts within a fraction of a large
// cache's warm-up.
type climber struct {
	mu           sync.Mutex // guards the fields below
	hits, misses int
	sample       int
	prevRate     float64
	step         float64 // signed: the direction of the last move
	share        float64 // the window's share of each shard's capacity
	shareBits    atomic.Uint64
}

func newClimber(capacity int) *climber {
	c := &climber{
		sample: max(10*capacity, 10_000),
		step:   stepPercent,
		share:  initialWindow,
	}
	c.shareBits.Store(math.Float64bits(c.share))
	return c
}

// current returns the window's share.
func (c *climber) current() float64 {
	return math.Float64frombits(c.shareBits.Load())
}

// record adds a shard's hits and misses and returns the window's share.
func (c *climber) record(hits, misses int) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits += hits
	c.misses += misses
	if n := c.hits + c.misses; n >= c.sample {
		rate := float64(c.hits) / float64(n)
		delta := rate - c.prevRate
		amount := c.step
		if delta < 0 {
			amount = -c.step
		}
		if delta >= restartDelta || delta <= -restartDelta {
			c.step = math.Copysign(stepPercent, amount)
		} else {
			c.step = stepDecay * amount
		}
		c.prevRate = rate
		c.hits, c.misses = 0, 0
		c.share = min(max(c.share+amount, 0), 1)
		c.shareBits.Store(math.Float64bits(c.share))
	}
	return c.share
}
