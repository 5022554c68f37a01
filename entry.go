package minicache

// entry is one cached key and value with its place in the recency list. It
// holds no pointers of its own, so a shard's entries are one flat array: the
// garbage collector sees a handful of objects per shard, not one per entry.
type entry[K comparable, V any] struct {
	key   K
	value V
	// expire is the deadline in nanoseconds on the cache's clock (see
	// core.now); 0 means the entry does not expire. Free slots have 0.
	expire int64
	// prev and next link the entry into its shard's recency list, as indexes
	// into the entries array; a free slot uses next for the free chain.
	prev, next uint32
}

// expired reports whether the entry's deadline has passed; it reads the
// clock only for an entry that has a deadline.
func (e *entry[K, V]) expired(now *moment) bool {
	return e.expire != 0 && e.expire <= now.now()
}
