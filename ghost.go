package minicache

// ghost remembers, approximately, the keys most recently pushed out of one
// part of a cache, by their hash tags alone: ARC's ghost lists (Megiddo and
// Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", 2003) made
// as two generations of a Bloom filter. Keys are added to the current
// generation; once it holds half of the ghost's size, it becomes the
// previous one and the oldest is emptied for reuse. A key is remembered
// while it is in either, so the ghost holds between size/2 and size of the
// latest keys, at 10 to 20 bits each (the filters are rounded up to a
// power of two), with false positives of about 0.5% to 3.5%.
// Its memory is fixed at construction; every operation is O(1), amortized
// for add, and allocates nothing.
type ghost struct {
	cur, prev []uint64 // the two generations' bits
	mask      uint64   // bits per generation - 1
	n, half   int      // keys added to cur; keys a generation takes
}

// init sizes g for the latest size keys.
func (g *ghost) init(size int) {
	half := max(size/2, 1)
	bits := uint64(64)
	for bits < uint64(10*half) {
		bits *= 2
	}
	*g = ghost{cur: make([]uint64, bits/64), prev: make([]uint64, bits/64), mask: bits - 1, half: half}
}

// ghostHash spreads a tag for the filters, apart from the sketch's hash.
func ghostHash(tag uint32) uint64 { return mix(uint64(tag)<<32 | uint64(^tag)) }

// add remembers the key with hash tag tag.
func (g *ghost) add(tag uint32) {
	if g.n >= g.half {
		g.cur, g.prev = g.prev, g.cur
		clear(g.cur)
		g.n = 0
	}
	h := ghostHash(tag)
	for range 3 {
		b := h & g.mask
		g.cur[b/64] |= 1 << (b % 64)
		h = h>>21 | h<<43
	}
	g.n++
}

// has reports whether the key with hash tag tag is remembered.
func (g *ghost) has(tag uint32) bool {
	h := ghostHash(tag)
	inCur, inPrev := true, true
	for range 3 {
		b := h & g.mask
		inCur = inCur && g.cur[b/64]&(1<<(b%64)) != 0
		inPrev = inPrev && g.prev[b/64]&(1<<(b%64)) != 0
		h = h>>21 | h<<43
	}
	return inCur || inPrev
}
