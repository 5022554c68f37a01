package minicache

import "math/bits"

// index maps hashes to slots of a shard's entries. It is an open-addressing
// table with linear probing in Robin Hood order, one uint32 per bucket:
//
//	bucket = fingerprint<<(slotBits+distBits) | distance<<slotBits | slot
//
// slot is the entry's index (never 0, the sentinel), so an empty bucket is
// 0; distance is how far the bucket sits from its home, the bucket its key
// hashes to; the fingerprint is as many of the tag's low bits as the rest
// of the word leaves. slotBits is set by the table's length, which is
// always more than the highest slot (see shard.rebuildIndex), so a small
// shard keeps long fingerprints: 12 bits for the 8k entries of a shard of a
// 1M-entry cache on two cores.
//
// The tag is the upper half of the key's hash. Its home is tag*len>>32,
// which uses the tag's high bits and needs no power-of-two length: a full
// bounded shard gets a table sized to its capacity. A lookup's probe
// compares a bucket's distance and fingerprint with its own in one step, so
// it passes by every key from another home and all but one in 2^f of those
// from its own (f the fingerprint's bits) before comparing keys. The word
// holds no more of the hash, so growing the table, or finding a given
// slot's bucket, takes the key's tag from the slab or hashes the key again
// (see shard.tagOf).
//
// Robin Hood order keeps every probe sequence short: a lookup stops at the
// first bucket that sits closer to its own home than the probe has come, and
// deletion shifts the following buckets back instead of leaving tombstones.
// The load factor stays at or below maxLoadNum/maxLoadDen, and no bucket
// sits more than maxDist from its home: an insert that would place one
// further fails, and the shard doubles the table. At a load of 7/10 with
// random tags the furthest bucket of 7,813 sits 8 from home, of 734,003 16
// and of 11.7M 20; 63 takes many keys with nearly equal hashes. index does
// no locking.
type index struct {
	buckets  []uint32
	slotMask uint32 // the bucket's low bits, which hold the slot
	fpShift  uint8  // where the fingerprint starts: slot and distance bits
}

const (
	distBits = 6
	maxDist  = 1<<distBits - 1
	// maxBuckets is the largest table: its slots and distances leave no bits
	// for a fingerprint. A shard holds at most maxShardEntries.
	maxBuckets      = 1 << (32 - distBits)
	maxShardEntries = maxBuckets / maxLoadDen * maxLoadNum
)

// minBuckets is the size of the first table a shard allocates.
const minBuckets = 16

// noBuckets is the table of every empty shard: one empty bucket, which
// lookups find empty without a special case, and which the first insert
// replaces. Shards cost no table until they hold an entry.
var noBuckets = []uint32{0}

// The load factor stays at or below maxLoadNum/maxLoadDen. Linear probing
// gets slow as the table fills: inserting walks to the end of a cluster and
// deleting shifts the rest of it back. At 7/10 an insert or delete moves
// about 5 buckets, at 8/10 about 12, which doubled the cost of an evicting
// Set; the price is 5.7 bytes of table per entry instead of 5.
const (
	maxLoadNum = 7
	maxLoadDen = 10
)

// bucketsFor returns a table size that holds n entries within the load
// factor, up to maxBuckets (which holds maxShardEntries).
func bucketsFor(n int) int { return min(n*maxLoadDen/maxLoadNum+1, maxBuckets) }

// init empties x.
func (x *index) init() {
	*x = index{buckets: noBuckets}
}

// clear empties x into a new table of size buckets, which holds slots below
// size.
func (x *index) clear(size int) {
	x.buckets = make([]uint32, size)
	x.shape(size)
}

// shape sets the widths of a bucket's fields for a table of size buckets.
func (x *index) shape(size int) {
	sb := bits.Len(uint(size - 1))
	x.slotMask = 1<<sb - 1
	x.fpShift = uint8(sb + distBits)
}

// home returns the bucket a tag hashes to.
func (x *index) home(tag uint32) uint64 {
	return uint64(tag) * uint64(len(x.buckets)) >> 32
}

// Distances are kept in place, as multiples of the step, 1 << slotBits,
// so that comparing and changing them takes no shift.

// step returns a distance of 1, in place.
func (x *index) step() uint32 { return x.slotMask + 1 }

// distMask returns the bits of a bucket that hold its distance.
func (x *index) distMask() uint32 { return maxDist * x.step() }

// key returns the fingerprint of tag in place, with a distance of 0 and no
// slot.
func (x *index) key(tag uint32) uint32 {
	// The tag's low 32-fpShift bits, at the top; none when fpShift is 32.
	return uint32(uint64(tag) << (x.fpShift & 63))
}

// slot returns the slot of bucket b.
func (x *index) slot(b uint32) uint32 { return b & x.slotMask }

// grown returns the table size that holds n entries when the current one
// would pass the load factor, and 0 when it holds them. A table for at most
// limit entries (noLimit for unbounded) grows no larger than the limit
// needs.
func (x *index) grown(n, limit int) int {
	if maxLoadDen*n <= maxLoadNum*len(x.buckets) {
		return 0
	}
	size := max(2*len(x.buckets), minBuckets)
	if limit != noLimit {
		size = min(size, bucketsFor(limit))
	}
	return min(max(size, bucketsFor(n)), maxBuckets)
}

// insert adds slot with tag. The caller has made room, so at least 3
// buckets in 10 are empty and the probe ends within a cluster. It reports
// false, leaving the table without one of its buckets, when a bucket would
// sit more than maxDist from its home; the caller rebuilds the table then.
func (x *index) insert(tag, slot uint32) bool {
	buckets, n := x.buckets, uint64(len(x.buckets))
	step, dmask := uint64(x.step()), x.distMask()
	b := x.key(tag) | slot // its distance, d, is 0 so far
	pos := x.home(tag)
	// d is in place, in 64 bits: in the largest table the step is 2²⁶, and
	// one past maxDist would wrap to 0 in 32.
	for d := uint64(0); d <= uint64(dmask); d += step {
		cur := buckets[pos]
		if cur == 0 {
			buckets[pos] = b | uint32(d)
			return true
		}
		// Robin Hood: the bucket that has come less far yields its place.
		if cd := uint64(cur & dmask); cd < d {
			buckets[pos] = b | uint32(d)
			b, d = cur&^dmask, cd
		}
		if pos++; pos == n {
			pos = 0
		}
	}
	return false
}

// find returns the position of slot's bucket, whose key has the tag tag.
// The probe never runs further than a bucket can sit from its home.
func (x *index) find(tag, slot uint32) uint64 {
	buckets, n := x.buckets, uint64(len(x.buckets))
	pos := x.home(tag)
	for range maxDist + 1 {
		if x.slot(buckets[pos]) == slot {
			return pos
		}
		if pos++; pos == n {
			pos = 0
		}
	}
	panic("minicache: internal error: a slot is missing from the index")
}

// remove deletes the bucket at pos and shifts the buckets after it one step
// back towards their homes. Like insert it ends at the first empty bucket
// (or one at its home), which the load factor guarantees within a cluster.
func (x *index) remove(pos uint64) {
	buckets, n := x.buckets, uint64(len(x.buckets))
	step, dmask := x.step(), x.distMask()
	for {
		next := pos + 1
		if next == n {
			next = 0
		}
		b := buckets[next]
		if b&dmask == 0 { // empty, or at its home
			buckets[pos] = 0
			return
		}
		buckets[pos] = b - step
		pos = next
	}
}
