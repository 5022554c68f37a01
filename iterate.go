package minicache

// The operations over every shard: they lock one shard at a time, settle
// its expired entries first (see lockSettled), and report removals between
// shards.

func (c *core[K, V]) len() int {
	n := 0
	c.eachSettled(func(s *shard[K, V]) { n += s.slab.len })
	return n
}

func (c *core[K, V]) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		var r removals[K, V]
		rp := c.recorder(&r)
		c.lockSettled(s, rp)
		// init gives the shard new arrays, but resets W-TinyLFU's state in
		// place, behind its pointer: keep a copy of it for the walk below.
		old, oldOrder := s.slab, s.order
		if oldOrder.lfu != nil {
			lfu := *oldOrder.lfu
			oldOrder.lfu = &lfu
		}
		if s.bound != nil {
			s.bound.total.Add(-s.weight)
		}
		s.init()
		for _, cl := range s.calls {
			cl.outdated = true
		}
		s.unlock()
		c.report(rp)
		if c.onRemove != nil {
			oldOrder.walk(func(j uint32) bool {
				c.onRemove(old.entries[j].key, old.entries[j].value, CauseCleared)
				return true
			})
		}
	}
}

// each calls yield with every live entry, one shard at a time: it copies a
// shard's entries, in the policy's order, under its lock and yields them
// after releasing it, until yield returns false. The *Entry is valid only
// during the call.
func (c *core[K, V]) each(yield func(*Entry[K, V]) bool) {
	var batch []Entry[K, V]
	for i := range c.shards {
		batch = c.shardEntries(&c.shards[i], batch[:0], nil)
		for j := range batch {
			if !yield(&batch[j]) {
				return
			}
		}
		clear(batch) // let the collector have what the entries held
	}
}

// scan implements Cache.Scan. A cursor is a shard number in its upper half
// and a slot of that shard in its lower half: an entry keeps its slot for as
// long as it lives, so visiting each shard's slots in order meets every key
// that stays present exactly once.
func (c *core[K, V]) scan(cursor uint64, count int, buf []K) ([]K, uint64) {
	if count < 1 {
		count = 10
	}
	n := uint64(len(c.shards))
	si, slot := cursor>>32, uint32(cursor)
	found := 0
	for ; si < n; si, slot = si+1, 0 {
		s := &c.shards[si]
		var r removals[K, V]
		rp := c.recorder(&r)
		c.lockSettled(s, rp)
		next := s.slab.nextUsed(max(slot, 1))
		for ; next != 0 && found < count; next = s.slab.nextUsed(next + 1) {
			buf = append(buf, s.slab.entries[next].key)
			found++
		}
		s.unlock()
		c.report(rp)
		if next != 0 {
			return buf, si<<32 | uint64(next)
		}
		if found >= count {
			if si+1 < n {
				return buf, (si + 1) << 32
			}
			return buf, 0
		}
	}
	return buf, 0
}
