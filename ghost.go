package minicache

// ghost remembers, approximately, the keys most recently pushed out of one
// part of a cache, by their hash tags alone: ARC's ghost lists (Megiddo and
// Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", 2003) made
// as two generations of a Bloom filter. Keys are added to the current
// generation; once it holds half of the ghost's size, it becomes the
// previous one and the oldest is emptied for reuse. A key is remembered
// while it is in either, so the ghost holds between size/2 and size of the
// latest keys, at 12 to 24 bits each, with false positives of at most
// about 2.5% (see TestGhostFalsePositives).
// Its memory is fixed at construction; every operation is O(1), amortized
// for add, and allocates nothing.
type ghost struct {
	cur, prev []uint64 // the two generations' bits
	bits      uint64   // bits per generation
	n, half   int      // keys added to cur; keys a generation takes
}

// init sizes g for the latest size keys.
func (g *ghost) init(size int) {
	half := max(size/2, 1)
	words := (ghostBits*half + 63) / 64
	*g = ghost{cur: make([]uint64, words), prev: make([]uint64, words), bits: uint64(64 * words), half: half}
}

// ghostBits is the bits of a generation per key it takes: with three bits
// set per key, a full generation answers yes for about 1.1% of the keys it
// never saw, and a ghost (two generations) for about 2.1%.
const ghostBits = 12

// bit returns the bit of a generation that the low half of h chooses.
func (g *ghost) bit(h uint64) uint64 { return uint64(uint32(h)) * g.bits >> 32 }

// ghostHash spreads a tag for the filters, apart from the sketch's hash.
func ghostHash(tag uint32) uint64 { return mix(uint64(tag)<<32 | uint64(^tag)) }

// add remembers the key whose tag spreads to h (ghostHash).
func (g *ghost) add(h uint64) {
	if g.n >= g.half {
		g.cur, g.prev = g.prev, g.cur
		clear(g.cur)
		g.n = 0
	}
	for range 3 {
		b := g.bit(h)
		g.cur[b/64] |= 1 << (b % 64)
		h = h>>21 | h<<43
	}
	g.n++
}

// has reports whether the key whose tag spreads to h (ghostHash) is
// remembered. It stops at the first bit that neither generation has set, as
// most keys asked about were never added.
func (g *ghost) has(h uint64) bool {
	inCur, inPrev := true, true
	for range 3 {
		b := g.bit(h)
		w, m := b/64, uint64(1)<<(b%64)
		inCur = inCur && g.cur[w]&m != 0
		inPrev = inPrev && g.prev[w]&m != 0
		if !inCur && !inPrev {
			return false
		}
		h = h>>21 | h<<43
	}
	return true
}
