package minicache

// sketch estimates how often keys were seen recently: a count-min sketch of
// 4-bit counters, four per key, packed sixteen to a uint64, with periodic
// aging. A key's four counters sit in one 64-byte block of eight words (one
// cache line), in four different words, so that counting a key costs one
// cache miss, not four (the layout of Caffeine's sketch). TinyLFU uses it to compare a candidate for admission with the
// entry it would displace. Its memory is fixed at construction (8 bytes per
// entry of capacity, in a power-of-two table), however many distinct keys
// pass through, and every operation is O(1) without allocating.
type sketch struct {
	table []uint64
	mask  uint64 // len(table)/8 - 1: the number of the last block
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
	*s = sketch{table: make([]uint64, words), mask: uint64(words)/8 - 1, period: 10 * max(capacity, 8)}
}

// slot returns the word and the shift of counter j (0 to 3) of a key whose
// mixed hash is h: the block from the high bits, and for each counter its
// own word of the block (j*2 or j*2+1) and nibble from the low bits.
func (s *sketch) slot(h uint64, j uint64) (word, shift uint64) {
	block := (h >> 32) & s.mask
	bits := h >> (8 * j)
	return block*8 + j*2 + bits&1, (bits >> 1 & 15) * 4
}

func sketchHash(tag uint32) uint64 { return mix(uint64(tag) | uint64(tag)<<32) }

// add counts one occurrence of the key with hash tag tag.
func (s *sketch) add(tag uint32) {
	h := sketchHash(tag)
	for j := range uint64(4) {
		word, shift := s.slot(h, j)
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
	h := sketchHash(tag)
	f := uint64(15)
	for j := range uint64(4) {
		word, shift := s.slot(h, j)
		f = min(f, (s.table[word]>>shift)&15)
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
