package minicache

// sketch estimates how often keys were seen recently: a count-min sketch of
// 4-bit counters, four per key, packed sixteen to a uint64, which its owner
// ages (halves) periodically. A key's four counters sit in one 64-byte
// block of eight words (one cache line), in four different words, so that
// counting a key costs one cache miss, not four (the layout of Caffeine's
// sketch). TinyLFU uses it to compare a candidate for admission with the
// entry it would displace. Its memory is fixed at construction (8 bytes per
// entry of capacity, in a power-of-two table), however many distinct keys
// pass through, and every operation is O(1) without allocating.
type sketch struct {
	table []uint64
	mask  uint64 // len(table)/8 - 1: the number of the last block
}

// init sizes s for a cache of capacity entries.
func (s *sketch) init(capacity int) {
	words := 8
	for words < capacity && words < 1<<26 {
		words *= 2
	}
	*s = sketch{table: make([]uint64, words), mask: uint64(words)/8 - 1}
}

// sketchHash spreads a key's hash tag over the 64 bits the sketch takes.
func sketchHash(tag uint32) uint64 { return mix(uint64(tag) | uint64(tag)<<32) }

// block returns the 64-byte block of the key whose mixed hash is h. Counter
// j (0 to 3) of the key is in word j*2 + bit 8j of h, at nibble bits 8j+1 to
// 8j+4 of h: four words of the block, each counter in its own.
func (s *sketch) block(h uint64) *[8]uint64 {
	base := ((h >> 32) & s.mask) * 8
	return (*[8]uint64)(s.table[base : base+8])
}

// addN counts n occurrences of the key whose tag spreads to h (sketchHash).
func (s *sketch) addN(h, n uint64) {
	b := s.block(h)
	inc(b, h, 0, n)
	inc(b, h, 1, n)
	inc(b, h, 2, n)
	inc(b, h, 3, n)
}

// inc adds n to counter j of the key with mixed hash h in block b, up to 15.
func inc(b *[8]uint64, h, j, n uint64) {
	bits := h >> (8 * j)
	w := &b[(j*2+bits&1)&7]
	shift := (bits >> 1 & 15) * 4
	c := (*w >> shift) & 15
	*w += (min(c+n, 15) - c) << shift
}

// counter returns counter j of the key with mixed hash h in block b.
func counter(b *[8]uint64, h, j uint64) uint64 {
	bits := h >> (8 * j)
	return b[(j*2+bits&1)&7] >> ((bits >> 1 & 15) * 4) & 15
}

// estimate returns the smallest of the four counters of the key whose tag
// spreads to h (sketchHash), 0 to 15.
func (s *sketch) estimate(h uint64) uint64 {
	b := s.block(h)
	return min(counter(b, h, 0), counter(b, h, 1), counter(b, h, 2), counter(b, h, 3))
}

// age halves every counter.
func (s *sketch) age() {
	for i, w := range s.table {
		s.table[i] = (w >> 1) & 0x7777_7777_7777_7777
	}
}
