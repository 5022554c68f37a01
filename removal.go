package minicache

// A RemovalCause tells a removal callback (see [WithRemovalCallback]) why an
// entry left the cache.
type RemovalCause uint8

const (
	// CauseEvicted: the policy chose the entry (under LRU: the least
	// recently used) when the capacity or the weight bound needed room.
	CauseEvicted RemovalCause = iota + 1
	// CauseExpired: the entry's time to live had passed.
	CauseExpired
	// CauseDeleted: [Cache.Delete] removed the entry.
	CauseDeleted
	// CauseReplaced: a Set for the same key replaced the entry's value (or,
	// for a rejected or already expired new value, removed it).
	CauseReplaced
	// CauseCleared: [Cache.Clear] removed the entry.
	CauseCleared
)

// String returns the cause's name in lower case, such as "evicted".
func (c RemovalCause) String() string {
	switch c {
	case CauseEvicted:
		return "evicted"
	case CauseExpired:
		return "expired"
	case CauseDeleted:
		return "deleted"
	case CauseReplaced:
		return "replaced"
	case CauseCleared:
		return "cleared"
	}
	return "unknown"
}

// removal is one removed entry, recorded under a shard lock and reported to
// the callback after it is released.
type removal[K comparable, V any] struct {
	key   K
	value V
	cause RemovalCause
}

// removals collects the removals of one operation. Most operations remove at
// most two entries (a replaced value and an evicted one), which fit in first
// without a heap allocation; the rest spill into more. A nil *removals
// records nothing, which is what a cache without a callback passes.
type removals[K comparable, V any] struct {
	first [2]removal[K, V]
	n     int
	more  []removal[K, V]
}

// add records a removal; r may be nil.
func (r *removals[K, V]) add(k K, v V, cause RemovalCause) {
	if r == nil {
		return
	}
	if r.n < len(r.first) {
		r.first[r.n] = removal[K, V]{k, v, cause}
		r.n++
		return
	}
	r.more = append(r.more, removal[K, V]{k, v, cause})
}

// report calls f for each recorded removal, in order.
func (r *removals[K, V]) report(f func(K, V, RemovalCause)) {
	for _, x := range r.first[:r.n] {
		f(x.key, x.value, x.cause)
	}
	for _, x := range r.more {
		f(x.key, x.value, x.cause)
	}
}

// reset forgets what r recorded; r may be nil.
func (r *removals[K, V]) reset() {
	if r != nil {
		*r = removals[K, V]{}
	}
}
