package minicache

// entry is one cached key and value with its place in the recency list. It
// holds no pointers of its own, so a shard's entries are one flat array: the
// garbage collector sees a handful of objects per shard, not one per entry.
//
// An entry's deadline, when it has one, is kept apart in list.expires, so a
// cache that never sets a TTL does not pay for it: for int64 keys and values
// an entry is 24 bytes.
type entry[K comparable, V any] struct {
	key   K
	value V
	// prev and next link the entry into its shard's recency list, as indexes
	// into the entries array; a free slot uses next for the free chain.
	prev, next uint32
}
