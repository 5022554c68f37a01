package minicache

import "time"

// The write operations. Each locks the key's shard once, collects the
// removals it causes, and ends with unlockAndReport.

// resolve returns the ttl a write uses for ttl: the cache's default for
// DefaultTTL, ttl itself otherwise.
func (c *core[K, V]) resolve(ttl time.Duration) time.Duration {
	if ttl == DefaultTTL {
		return c.ttl
	}
	return ttl
}

// storeLocked stores k → v with weight w for the time to live ttl (any
// value a caller may pass, KeepTTL included) and reports whether it stored
// it; a negative ttl removes k instead. s.mu is held.
func (c *core[K, V]) storeLocked(s *shard[K, V], k K, h uint64, v V, ttl time.Duration, w uint64, now *moment, r *removals[K, V]) bool {
	var expire int64
	switch {
	case ttl == KeepTTL:
		if _, i := s.lookup(k, h); i != 0 && !s.slab.expired(i, now) {
			expire = s.slab.expire(i)
		} else {
			expire = expireAt(now, c.ttl)
		}
	case ttl == DefaultTTL:
		expire = expireAt(now, c.ttl)
	case ttl < 0:
		if b := s.bound; b != nil && b.max.Load() > 0 && w > b.max.Load() {
			s.rejections++ // refused for its weight before its ttl counts
		}
		s.dropLocked(k, h, now, r)
		return false
	default:
		expire = expireAt(now, ttl)
	}
	return s.setLocked(k, h, v, expire, w, now, r)
}

func (c *core[K, V]) set(k K, v V, ttl time.Duration) bool {
	w := c.weigh(k, v)
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.mu.Lock()
	var stored bool
	if ttl >= 0 { // the common case, without storeLocked's special values
		stored = s.setLocked(k, h, v, expireAt(&now, c.resolve(ttl)), w, &now, rp)
	} else {
		stored = c.storeLocked(s, k, h, v, ttl, w, &now, rp)
	}
	c.unlockAndReport(s, rp)
	return stored
}

// setIf stores k → v if k is present (present set) or absent (not set).
func (c *core[K, V]) setIf(k K, v V, ttl time.Duration, present bool) bool {
	w := c.weigh(k, v)
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.mu.Lock()
	stored := false
	if (s.liveLocked(k, h, &now, rp) != 0) == present {
		stored = c.storeLocked(s, k, h, v, ttl, w, &now, rp)
	}
	c.unlockAndReport(s, rp)
	return stored
}

func (c *core[K, V]) setWithDeadline(k K, v V, at time.Time) bool {
	w := c.weigh(k, v)
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	expire, never := c.clockTime(at)
	s.mu.Lock()
	stored := false
	if !never && expire <= now.now() {
		s.dropLocked(k, h, &now, rp)
	} else {
		stored = s.setLocked(k, h, v, expire, w, &now, rp)
	}
	c.unlockAndReport(s, rp)
	return stored
}

func (c *core[K, V]) compute(k K, f func(V, time.Duration, bool) (V, time.Duration, ComputeOp)) (V, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.mu.Lock()
	locked := true
	defer func() {
		if locked { // f panicked: nothing changed but the removal of an expired entry
			s.mu.Unlock()
			c.report(rp)
		}
	}()
	i := s.liveLocked(k, h, &now, rp)
	var old V
	var left time.Duration
	if i != 0 {
		old, left = s.slab.entries[i].value, c.left(s, i, &now)
	}
	v, ttl, op := f(old, left, i != 0)
	var out V
	present := false
	switch op {
	case ComputeKeep:
		out, present = old, i != 0
	case ComputeStore:
		stored := false
		if i != 0 && (ttl >= 0 || ttl == KeepTTL) {
			// k is live in slot i: replace it there, without looking it
			// up again.
			expire := s.slab.expire(i)
			if ttl != KeepTTL {
				expire = expireAt(&now, c.resolve(ttl))
			}
			s.invalidateLoad(k)
			stored = s.replaceLocked(i, v, expire, c.weigh(k, v), &now, rp)
		} else {
			stored = c.storeLocked(s, k, h, v, ttl, c.weigh(k, v), &now, rp)
		}
		if stored {
			out, present = v, true
		}
	case ComputeDelete:
		s.invalidateLoad(k)
		if i != 0 {
			s.removeSlot(i, CauseDeleted, rp)
		}
	}
	locked = false
	c.unlockAndReport(s, rp)
	return out, present
}

func (c *core[K, V]) getAndSet(k K, v V, ttl time.Duration) (old V, found bool) {
	c.compute(k, func(cur V, _ time.Duration, ok bool) (V, time.Duration, ComputeOp) {
		old, found = cur, ok
		return v, ttl, ComputeStore
	})
	return old, found
}

func (c *core[K, V]) getAndDelete(k K) (old V, found bool) {
	c.compute(k, func(cur V, _ time.Duration, ok bool) (V, time.Duration, ComputeOp) {
		old, found = cur, ok
		return cur, 0, ComputeDelete
	})
	return old, found
}

func (c *core[K, V]) delete(k K) bool {
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	s.mu.Lock()
	s.invalidateLoad(k)
	pos, i := s.lookup(k, h)
	if i == 0 {
		s.mu.Unlock()
		return false
	}
	cause := CauseDeleted
	if s.slab.expired(i, &moment{clk: &c.clock}) {
		cause = CauseExpired
	}
	s.remove(pos, i, cause, rp)
	s.mu.Unlock()
	c.report(rp)
	return cause == CauseDeleted
}

func (c *core[K, V]) expire(k K, ttl time.Duration) bool {
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.mu.Lock()
	i := s.liveLocked(k, h, &now, rp)
	if i != 0 {
		s.expireLocked(i, ttl, &now, rp)
	}
	s.mu.Unlock()
	c.report(rp)
	return i != 0
}
