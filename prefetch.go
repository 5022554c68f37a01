package minicache

import "unsafe"

// Prefetch starts loading into the CPU's caches what operations on keys
// will read: each key's bucket in the index, its entry, its place in the
// eviction order and the bytes of a string or slice key and value. A
// lookup in a cache larger than the CPU's caches waits for several trips to
// memory one after the other; Prefetch makes the trips of many keys at
// once, so that a batch of operations that follows it (an MSET, a pipeline
// of GETs) waits for memory about once instead of once per key. The Redis
// front end, which prefetches the keys of pipelined commands, runs an MSET
// of 10 random keys among 1M about 1.5 times as fast with it.
//
// Prefetch is only a hint. It changes nothing, counts nothing, takes no
// lock (it reads each shard's sequence number, which shares a cache line
// with the shard's lock) and costs a few nanoseconds a key; a key whose
// shard is changing its arrays is skipped, and what it loaded may be
// evicted from the CPU's caches again before it is used. It does its work
// on amd64 and nothing elsewhere or under the race detector.
//
// It returns how many of the keys it started to load, present or absent
// (an absent key's bucket is a trip to memory too): 0 where it does
// nothing, and when the cache is small enough to stay in the CPU's caches
// (an index of fewer than 2^15 buckets in all, about 23,000 entries), where
// there is nothing to gain. A caller may prefetch less often while it
// returns 0, as respserver does.
func (c *Cache[K, V]) Prefetch(keys ...K) int {
	if !prefetching {
		return 0
	}
	started := 0
	for len(keys) > 0 {
		n := min(len(keys), prefetchBatch)
		started += c.c.prefetch(keys[:n])
		keys = keys[n:]
	}
	return started
}

// prefetchMinBuckets is the size of index, over all shards, below which
// prefetch does not bother: the cache then fits in the CPU's caches. Tests
// lower it.
var prefetchMinBuckets = 1 << 15

// prefetchBatch is how many keys prefetch handles at once: more loads than
// a core keeps in flight, few enough to keep their state on the stack.
const prefetchBatch = 16

// prefetch runs three rounds over keys, each issuing the prefetches of one
// step of the lookup, so that the trips to memory of all keys overlap: the
// home buckets; then, from the buckets, each entry, its order links or
// node, its weight and deadline; then, from those, the LRU neighbours a
// move to the front rewrites and the bytes of a string or slice key and
// value.
//
// It reads the shards without their locks, as tryGet does, and validates
// each slice header it copies with the shard's seq, which is odd while a
// write is under way in an optimistic shard and while any shard changes its
// arrays (see shard.reshape). What it reads through a validated copy is in
// bounds, and the copy keeps the array alive; it may be stale, which only
// makes a prefetch useless. A key's bytes are only prefetched, never read,
// and a prefetch of any address never faults.
func (c *core[K, V]) prefetch(keys []K) (started int) {
	var (
		hs    [prefetchBatch]uint64
		seqs  [prefetchBatch]uint32
		xs    [prefetchBatch]index // the validated index of each key's shard; nil buckets: skipped
		slots [prefetchBatch]uint32
		links [prefetchBatch][]link
		ents  [prefetchBatch]*entry[K, V]
		addrs [4 * prefetchBatch]uintptr
	)
	keyData, valueData := dataFirst[K](), dataFirst[V]()
	n := 0
	for j, k := range keys {
		h := c.hash(k)
		s := c.shardFor(h)
		seq := s.seq.Load()
		x := s.index
		if seq&1 != 0 || s.seq.Load() != seq || len(x.buckets)*len(c.shards) < prefetchMinBuckets {
			continue
		}
		hs[j], seqs[j], xs[j] = h, seq, x
		addrs[n] = uintptr(unsafe.Pointer(&x.buckets[x.home(uint32(h>>32))]))
		n++
		started++
	}
	prefetchMany(addrs[:n])

	n = 0
	for j := range keys {
		x := &xs[j]
		if x.buckets == nil {
			continue
		}
		i := x.probe(uint32(hs[j] >> 32))
		if i == 0 {
			continue
		}
		s := c.shardFor(hs[j])
		entries, expires, weights := s.slab.entries, s.slab.expires, s.slab.weights
		lk, nodes := s.order.links, []node(nil)
		if s.order.lfu != nil {
			nodes = s.order.lfu.nodes
		}
		if s.seq.Load() != seqs[j] || int(i) >= len(entries) {
			continue
		}
		if n > len(addrs)-5 { // room for this key's five
			prefetchMany(addrs[:n])
			n = 0
		}
		e := &entries[i]
		ents[j], slots[j] = e, i
		addrs[n] = uintptr(unsafe.Pointer(e))
		n++
		if int(i) < len(lk) {
			links[j] = lk
			addrs[n] = uintptr(unsafe.Pointer(&lk[i]))
			n++
		}
		if int(i) < len(nodes) {
			addrs[n] = uintptr(unsafe.Pointer(&nodes[i]))
			n++
		}
		if int(i) < len(weights) {
			addrs[n] = uintptr(unsafe.Pointer(&weights[i]))
			n++
		}
		if int(i) < len(expires) {
			addrs[n] = uintptr(unsafe.Pointer(&expires[i]))
			n++
		}
	}
	prefetchMany(addrs[:n])

	n = 0
	for j := range keys {
		e := ents[j]
		if e == nil {
			continue
		}
		if lk := links[j]; lk != nil {
			l := lk[slots[j]]
			if int(l.prev) < len(lk) && int(l.next) < len(lk) {
				addrs[n] = uintptr(unsafe.Pointer(&lk[l.prev]))
				addrs[n+1] = uintptr(unsafe.Pointer(&lk[l.next]))
				n += 2
			}
		}
		// The first word of a string or a slice is its data pointer; it
		// may be torn from a concurrent write, and is only prefetched.
		if keyData {
			addrs[n] = *(*uintptr)(unsafe.Pointer(&e.key))
			n++
		}
		if valueData {
			addrs[n] = *(*uintptr)(unsafe.Pointer(&e.value))
			n++
		}
	}
	prefetchMany(addrs[:n])
	return started
}

// probe returns the slot of the first bucket whose fingerprint is tag's,
// or 0: where the entry of a key with that tag most likely is. x is a copy
// that no write changes.
func (x *index) probe(tag uint32) uint32 {
	mask, step, dmask := x.slotMask, x.step(), x.distMask()
	want := x.key(tag)
	pos, n := x.home(tag), uint64(len(x.buckets))
	for range maxDist + 1 {
		b := x.buckets[pos]
		if b == 0 || b&dmask < want&dmask {
			return 0
		}
		if b&^mask == want {
			return b & mask
		}
		want += step
		if pos++; pos == n {
			pos = 0
		}
	}
	return 0
}
