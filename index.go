package minicache

import (
	"math/bits"
)

// index maps hashes to slots of a shard's entries. It is an open-addressing
// table with linear probing in Robin Hood order, one uint32 per bucket:
//
//	bucket = fingerprint<<(slotBits+distBits) | distance<<slotBits | slot
//
// slot is the entry's index (never 0, the sentinel), so an empty bucket is
// 0; distance is how far the bucket sits from its home, the bucket its key
// hashes to; the fingerprint is as many of the tag's low bits as the rest
// of the word leaves. slotBits is set by the table's length, which is
// always more than the highest slot (see rebuild), so a small shard keeps
// long fingerprints: 12 bits for the 8k entries of a shard of a 1M-entry
// cache on two cores.
//
// The tag is the upper half of the key's hash. Its home is tag*len>>32,
// which uses the tag's high bits and needs no power-of-two length: a full
// bounded shard gets a table sized to its capacity. A lookup's probe
// compares a bucket's distance and fingerprint with its own in one step, so
// it passes by every key from another home and all but one in 2^bits of
// those from its own before comparing keys. The word holds no more of the
// hash, so growing the table takes each key's tag from its entry (see
// shard.rebuildIndex), and so does finding a given slot's bucket.
//
// Robin Hood order keeps every probe sequence short: a lookup stops at the
// first bucket that sits closer to its own home than the probe has come, and
// deletion shifts the following buckets back instead of leaving tombstones.
// The load factor stays at or below maxLoad, and no bucket sits more than
// maxDist from its home: an insert that would place one further fails, and
// the shard doubles the table (at a load of 7/10 a distance of 63 has never
// been seen; it would take many keys with nearly equal hashes). index does
// no locking.
type index struct {
	buckets  []uint32
	slotBits uint // the bucket's low bits that hold the slot
	limit    int  // most entries the table will hold; noLimit for unbounded
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

// bucketsFor returns the smallest table size that holds n entries.
func bucketsFor(n int) int { return min(n*maxLoadDen/maxLoadNum+1, maxBuckets) }

// init empties x for at most limit entries (noLimit for unbounded).
func (x *index) init(limit int) {
	*x = index{buckets: noBuckets, limit: limit}
}

// clear empties x into a new table of size buckets, which holds slots below
// size.
func (x *index) clear(size int) {
	x.buckets = make([]uint32, size)
	x.slotBits = uint(bits.Len(uint(size - 1)))
}

// home returns the bucket a tag hashes to.
func (x *index) home(tag uint32) uint64 {
	return uint64(tag) * uint64(len(x.buckets)) >> 32
}

// key returns the fingerprint of tag in place, with a distance of 0 and no
// slot.
func (x *index) key(tag uint32) uint32 {
	hi := x.slotBits + distBits
	return tag << hi // the tag's low 32-hi bits, at the top; 0 when hi is 32
}

// slot returns the slot of bucket b.
func (x *index) slot(b uint32) uint32 { return b & (1<<x.slotBits - 1) }

// dist returns the distance of bucket b from its home.
func (x *index) dist(b uint32) uint32 { return b >> x.slotBits & maxDist }

// grown returns the table size that holds n entries when the current one
// would pass maxLoad, and 0 when it holds them.
func (x *index) grown(n int) int {
	if maxLoadDen*n <= maxLoadNum*len(x.buckets) {
		return 0
	}
	size := max(2*len(x.buckets), minBuckets)
	if x.limit != noLimit {
		// A bounded table stops at the size its limit needs.
		size = min(size, bucketsFor(x.limit))
	}
	return min(max(size, bucketsFor(n)), maxBuckets)
}

// insert adds slot with tag. The caller has made room, so at least 3
// buckets in 10 are empty and the probe ends within a cluster. It reports
// false, leaving the table without one of its buckets, when a bucket would
// sit more than maxDist from its home; the caller rebuilds the table then.
func (x *index) insert(tag, slot uint32) bool {
	n := uint64(len(x.buckets))
	b := x.key(tag) | slot
	pos := x.home(tag)
	for d := uint32(0); d <= maxDist; d++ {
		cur := x.buckets[pos]
		if cur == 0 {
			x.buckets[pos] = b | d<<x.slotBits
			return true
		}
		// Robin Hood: the bucket that has come less far yields its place.
		if cd := x.dist(cur); cd < d {
			x.buckets[pos] = b | d<<x.slotBits
			b, d = cur&^(maxDist<<x.slotBits), cd
		}
		if pos++; pos == n {
			pos = 0
		}
	}
	return false
}

// find returns the position of slot's bucket, whose key has the tag tag.
// A key whose hash is not stable (a NaN) may have been placed by another
// tag; then find looks at every bucket.
func (x *index) find(tag, slot uint32) uint64 {
	n := uint64(len(x.buckets))
	pos := x.home(tag)
	for d := uint32(0); d <= maxDist; d++ {
		b := x.buckets[pos]
		if b == 0 || x.dist(b) < d {
			break
		}
		if x.slot(b) == slot {
			return pos
		}
		if pos++; pos == n {
			pos = 0
		}
	}
	for pos, b := range x.buckets {
		if b != 0 && x.slot(b) == slot {
			return uint64(pos)
		}
	}
	panic("minicache: internal error: a slot is missing from the index")
}

// remove deletes the bucket at pos and shifts the buckets after it one step
// back towards their homes. Like insert it ends at the first empty bucket
// (or one at its home), which the load factor guarantees within a cluster.
func (x *index) remove(pos uint64) {
	n := uint64(len(x.buckets))
	for {
		next := pos + 1
		if next == n {
			next = 0
		}
		b := x.buckets[next]
		if b == 0 || x.dist(b) == 0 {
			x.buckets[pos] = 0
			return
		}
		x.buckets[pos] = b - 1<<x.slotBits
		pos = next
	}
}
