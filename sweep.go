package minicache

// Removing what has expired, shard by shard: what the janitor, DeleteExpired
// and the operations over every shard do first.

// deleteExpired removes every entry whose deadline has passed, shard by
// shard and in batches of expireBatch. Its work is proportional to what has
// expired (times log n), not to the size of the cache.
func (c *core[K, V]) deleteExpired() int {
	return c.eachSettled(func(*shard[K, V]) {})
}

// eachSettled calls f for each shard in turn with the shard's lock held and
// none of its entries past its deadline (see lockSettled), and returns how
// many expired entries it removed on the way.
func (c *core[K, V]) eachSettled(f func(*shard[K, V])) int {
	total := 0
	for i := range c.shards {
		s := &c.shards[i]
		var r removals[K, V]
		rp := c.recorder(&r)
		total += c.lockSettled(s, rp)
		f(s)
		s.unlock()
		c.report(rp)
	}
	return total
}

// lockSettled locks s once none of its entries is past its deadline,
// removing the expired ones in batches and reporting each batch between lock
// holds. It returns with s.mu held, the number of entries it removed, and
// the removals of the last batch in r for the caller to report once it has
// unlocked.
func (c *core[K, V]) lockSettled(s *shard[K, V], r *removals[K, V]) int {
	total := 0
	for {
		s.lock()
		n, more := s.expireDue(c.clock.now(), expireBatch, r)
		total += n
		if !more {
			return total
		}
		s.unlock()
		c.report(r)
		r.reset()
	}
}
