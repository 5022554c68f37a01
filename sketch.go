package minicache

// sketch estimates how often keys were seen recently: a count-min sketch of
// 4-bit counters, four per key, packed sixteen to a uint64, with periodic
// aging. TinyLFU uses it to compare a candidate for admission with the
// entry it would displace. Its memory is fixed at construction (8 bytes per
// entry of capacity, in a power-of-two table), however many distinct keys
// pass through, and every operation is O(1) without allocating.
type sketch struct {
	table []uint64
	mask  uint64 // len(table)*16 - 1: counters are numbered across words
	adds  int    // increments since the last aging
	// period is the number of increments after which every counter is
	// halved, so that the sketch forgets old popularity: 10 per entry of
	// capacity, as in TinyLFU.
	period int
}

// init sizes s for a cache of capacity entries.
func (s *sketch) init(capacity int) {
	words := 8
	for words < capacity && words < 1<<26 {
		words *= 2
	}
	*s = sketch{table: make([]uint64, words), mask: uint64(words)*16 - 1, period: 10 * max(capacity, 8)}
}

// counters yields the four counter numbers of a key with hash tag tag, by
// double hashing.
func (s *sketch) counters(tag uint32) (h1, h2 uint64) {
	h := mix(uint64(tag) | uint64(tag)<<32)
	return h, h>>32 | 1
}

// add counts one occurrence of the key with hash tag tag.
func (s *sketch) add(tag uint32) {
	h1, h2 := s.counters(tag)
	for j := range uint64(4) {
		c := (h1 + j*h2) & s.mask
		word, shift := c>>4, (c&15)*4
		if (s.table[word]>>shift)&15 < 15 {
			s.table[word] += 1 << shift
		}
	}
	if s.adds++; s.adds >= s.period {
		s.age()
	}
}

// estimate returns the smallest of the key's four counters, 0 to 15.
func (s *sketch) estimate(tag uint32) uint64 {
	h1, h2 := s.counters(tag)
	f := uint64(15)
	for j := range uint64(4) {
		c := (h1 + j*h2) & s.mask
		f = min(f, (s.table[c>>4]>>((c&15)*4))&15)
	}
	return f
}

// age halves every counter.
func (s *sketch) age() {
	for i, w := range s.table {
		s.table[i] = (w >> 1) & 0x7777_7777_7777_7777
	}
	s.adds /= 2
}
