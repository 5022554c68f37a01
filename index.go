package minicache

// index maps hashes to slots of a shard's entries. It is an open-addressing
// table with linear probing in Robin Hood order, one uint64 per bucket:
//
//	bucket = tag<<32 | slot
//
// where tag is the upper 32 bits of the key's hash and slot is the entry's
// index (never 0, the sentinel), so an empty bucket is 0. A key's home bucket
// is tag*len>>32, which needs no power-of-two length: a full bounded shard
// gets a table sized to its capacity, not the next power of two. The tag
// alone locates a bucket's home, so growing or deleting never touches the
// entries, and it filters out all but about one in 2³² foreign keys before a
// key is compared.
//
// Robin Hood order keeps every probe sequence short: a lookup stops at the
// first bucket that sits closer to its own home than the probe has come, and
// deletion shifts the following buckets back instead of leaving tombstones.
// The load factor stays at or below maxLoad. index does no locking.
type index struct {
	buckets []uint64
	limit   int // most entries the table will hold; noLimit for unbounded
}

// minBuckets is the size of the first table a shard allocates.
const minBuckets = 16

// noBuckets is the table of every empty shard: one empty bucket, which
// lookups find empty without a special case, and which reserve replaces
// before the first insert. Shards cost no table until they hold an entry.
var noBuckets = []uint64{0}

// The load factor stays at or below maxLoadNum/maxLoadDen. Linear probing
// gets slow as the table fills: inserting walks to the end of a cluster and
// deleting shifts the rest of it back. At 7/10 an insert or delete moves
// about 5 buckets, at 8/10 about 12, which doubled the cost of an evicting
// Set; the price is 11.4 bytes of table per entry instead of 10.
const (
	maxLoadNum = 7
	maxLoadDen = 10
)

// bucketsFor returns the smallest table size that holds n entries.
func bucketsFor(n int) int { return n*maxLoadDen/maxLoadNum + 1 }

// init empties x for at most limit entries (noLimit for unbounded).
func (x *index) init(limit int) {
	*x = index{buckets: noBuckets, limit: limit}
}

// home returns the bucket a tag hashes to.
func (x *index) home(tag uint32) uint64 {
	return uint64(tag) * uint64(len(x.buckets)) >> 32
}

// distance returns how far the bucket b at pos sits from its home.
func (x *index) distance(b, pos uint64) uint64 {
	h := x.home(uint32(b >> 32))
	if pos >= h {
		return pos - h
	}
	return pos + uint64(len(x.buckets)) - h
}

// reserve makes room for n entries, growing the table if its load factor
// would pass maxLoad.
func (x *index) reserve(n int) {
	if maxLoadDen*n <= maxLoadNum*len(x.buckets) {
		return
	}
	size := max(2*len(x.buckets), minBuckets)
	if x.limit != noLimit {
		// A bounded table stops at the size its limit needs.
		size = min(size, bucketsFor(x.limit))
	}
	size = max(size, bucketsFor(n))
	old := x.buckets
	x.buckets = make([]uint64, size)
	for _, b := range old {
		if b != 0 {
			x.insert(b)
		}
	}
}

// insert adds bucket b = tag<<32 | slot. The caller has reserved room, so
// at least 3 buckets in 10 are empty and the probe, which ends at the first
// empty bucket, is bounded by the length of a cluster: it needs no counter.
func (x *index) insert(b uint64) {
	n := uint64(len(x.buckets))
	pos := x.home(uint32(b >> 32))
	for d := uint64(0); ; d++ {
		cur := x.buckets[pos]
		if cur == 0 {
			x.buckets[pos] = b
			return
		}
		// Robin Hood: the bucket that has come less far yields its place.
		if cd := x.distance(cur, pos); cd < d {
			x.buckets[pos], b, d = b, cur, cd
		}
		if pos++; pos == n {
			pos = 0
		}
	}
}

// find returns the position of bucket b, which must be in the table. The
// probe never runs past the table's length.
func (x *index) find(b uint64) uint64 {
	n := uint64(len(x.buckets))
	pos := x.home(uint32(b >> 32))
	for range n {
		if x.buckets[pos] == b {
			return pos
		}
		if pos++; pos == n {
			pos = 0
		}
	}
	panic("minicache: internal error: a slot is missing from the index")
}

// remove deletes the bucket at pos and shifts the buckets after it back
// towards their homes. Like insert it ends at the first empty bucket (or one
// at its home), which the load factor guarantees within a cluster.
func (x *index) remove(pos uint64) {
	n := uint64(len(x.buckets))
	for {
		next := pos + 1
		if next == n {
			next = 0
		}
		b := x.buckets[next]
		if b == 0 || x.distance(b, next) == 0 {
			x.buckets[pos] = 0
			return
		}
		x.buckets[pos] = b
		pos = next
	}
}

// bucket returns the bucket value for a hash and a slot.
func bucket(h uint64, slot uint32) uint64 {
	return h&^0xFFFF_FFFF | uint64(slot)
}
