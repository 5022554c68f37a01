package minicache

// evictionPolicy is the one seam between a shard and the order in which it
// gives up entries. The shard owns storage (the slab), lookup (the index),
// expiry (the deadline heap) and weights; the policy only orders slots. It
// is told of every slot that enters, is read, is overwritten or leaves, and
// names the slot to evict when the shard needs room. All methods are called
// with the shard's lock held and must run in O(1) amortized time without
// allocating, so that Get and Set stay allocation-free.
//
// The shard holds its policy as a concrete type, not through this interface,
// so that the calls on the hot path are inlined: order holds lru and
// dispatches to tinyLFU when the cache was built with WTinyLFU or Clock.
type evictionPolicy interface {
	// init empties the policy for slots below size (a capacity hint).
	init(size int)
	// grow makes room for slots below n, reserving room for c; the shard
	// calls it when its slab gets a new slot.
	grow(n, c int)
	// insert adds slot i, a new entry whose key has the hash tag tag.
	insert(i, tag uint32)
	// hit records a read of slot i.
	hit(i uint32)
	// update records that slot i got a new value.
	update(i uint32)
	// evicted records that slot i, chosen by victim, is being evicted for
	// room (not expired or deleted); remove follows.
	evicted(i uint32)
	// remove forgets slot i, whatever the cause of its removal.
	remove(i uint32)
	// victim returns the slot to evict next other than except (0 excepts
	// nothing), or 0 when there is none.
	victim(except uint32) uint32
	// walk yields the slots from the most to the least worth keeping, until
	// yield returns false.
	walk(yield func(uint32) bool)
}
