package minicache

import "time"

// The read operations. Each locks the key's shard once (a Get under
// W-TinyLFU or Clock may take no lock, see tryGet); an expired entry it meets is
// removed under the lock and reported after unlocking. Get,
// Peek and TTL take the lock without s.lock: they write nothing an
// optimistic read looks at, unless they remove an expired entry (see
// missExpired). A Get tries an optimistic read first where the shard allows
// one (see tryGet).

func (c *core[K, V]) get(k K) (V, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	if optimisticReads && s.optimistic {
		return c.tryGet(s, k, h)
	}
	return c.getLocked(s, k, h)
}

// getLocked is get under s's lock.
func (c *core[K, V]) getLocked(s *shard[K, V], k K, h uint64) (V, bool) {
	s.mu.Lock()
	pos, i := s.lookup(k, h, false)
	if i != 0 {
		if at := s.slab.expire(i); at != 0 && at <= c.clock.now() {
			return c.missExpired(s, pos, i, true)
		}
		v := s.slab.entries[i].value
		s.order.hit(i)
		s.hits++
		s.mu.Unlock()
		return v, true
	}
	s.misses++
	s.mu.Unlock()
	var zero V
	return zero, false
}

// missExpired finishes a read that found the expired entry in slot i
// (bucket pos): it removes the entry, counts a miss if count is set,
// unlocks s and reports the removal. s.mu is held.
func (c *core[K, V]) missExpired(s *shard[K, V], pos uint64, i uint32, count bool) (V, bool) {
	var r removals[K, V]
	rp := c.recorder(&r)
	s.bump()
	s.remove(pos, i, CauseExpired, rp)
	s.bump()
	if count {
		s.misses++
	}
	s.mu.Unlock()
	c.report(rp)
	var zero V
	return zero, false
}

func (c *core[K, V]) peek(k K) (V, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	s.mu.Lock()
	pos, i := s.lookup(k, h, false)
	if i != 0 {
		if at := s.slab.expire(i); at != 0 && at <= c.clock.now() {
			return c.missExpired(s, pos, i, false)
		}
		v := s.slab.entries[i].value
		s.mu.Unlock()
		return v, true
	}
	s.mu.Unlock()
	var zero V
	return zero, false
}

func (c *core[K, V]) ttlOf(k K) (time.Duration, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	s.mu.Lock()
	pos, i := s.lookup(k, h, false)
	if i == 0 {
		s.mu.Unlock()
		return 0, false
	}
	at := s.slab.expire(i)
	if at == 0 {
		s.mu.Unlock()
		return NoExpiration, true
	}
	if now := c.clock.now(); at > now {
		s.mu.Unlock()
		return time.Duration(at - now), true
	}
	c.missExpired(s, pos, i, false)
	return 0, false
}

// left returns the time slot i of s has left to live, NoExpiration for
// none. The entry is live. s.mu is held.
func (c *core[K, V]) left(s *shard[K, V], i uint32, now *moment) time.Duration {
	at := s.slab.expire(i)
	if at == 0 {
		return NoExpiration
	}
	return time.Duration(at - now.now())
}

func (c *core[K, V]) getAndExpire(k K, ttl time.Duration) (V, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.lock()
	i := s.liveLocked(k, h, false, &now, rp)
	if i == 0 {
		s.misses++
		s.unlock()
		c.report(rp)
		var zero V
		return zero, false
	}
	s.hits++
	v := s.slab.entries[i].value
	if s.expireLocked(i, ttl, &now, rp) {
		s.order.hit(i)
	}
	s.unlock()
	c.report(rp)
	return v, true
}
