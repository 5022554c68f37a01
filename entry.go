package minicache

import "time"

// entry is one cached key and value. It holds no pointers of its own, so a
// shard's entries are one flat array: the garbage collector sees a handful
// of objects per shard, not one per entry. What else a slot needs (its hash
// tag, deadline, weight and place in the eviction order) lives in parallel
// arrays, so a cache that never sets a TTL or weighs nothing does not pay
// for those: for int64 keys and values an entry is 16 bytes.
type entry[K comparable, V any] struct {
	key   K
	value V
}

// Entry is a cached key and value with its deadline, as [Cache.Entries]
// yields it and [Cache.SetWithDeadline] stores it.
type Entry[K comparable, V any] struct {
	Key   K
	Value V
	// Expiry is the wall-clock time at which the entry expires; the zero
	// Time means never.
	Expiry time.Time
}
