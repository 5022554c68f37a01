package minicache

import "time"

// The write operations. Each locks the key's shard once, collects the
// removals it causes, and ends with unlockAndReport.

// storeLocked stores k → v with weight w for the time to live ttl (any
// value a caller may pass: DefaultTTL, NoExpiration, KeepTTL or a duration)
// and reports whether it stored it; a negative ttl other than KeepTTL
// removes k instead. i is the slot of k's live entry when the caller has
// already found it, 0 to have it looked up. s.mu is held.
func (c *core[K, V]) storeLocked(s *shard[K, V], k K, h uint64, i uint32, v V, ttl time.Duration, w uint64, now *moment, r *removals[K, V]) bool {
	if ttl < 0 && ttl != KeepTTL {
		if b := s.bound; b != nil && b.max.Load() > 0 && w > b.max.Load() {
			s.rejections++ // refused for its weight before its ttl counts
		}
		s.dropLocked(k, h, now, r)
		return false
	}
	var expire int64
	switch ttl {
	case KeepTTL:
		if i == 0 {
			_, i = s.lookup(k, h, true)
		}
		if i != 0 && !s.slab.expired(i, now) {
			expire = s.slab.expire(i)
			break
		}
		fallthrough
	case DefaultTTL:
		expire = expireAt(now, c.ttl)
	default:
		expire = expireAt(now, ttl)
	}
	return s.setLocked(k, h, i, v, expire, w, now, r)
}

func (c *core[K, V]) set(k K, v V, ttl time.Duration) bool {
	if ttl == DefaultTTL {
		ttl = c.ttl
	}
	w := c.weigh(k, v)
	h := c.hash(k)
	s := c.shardFor(h)
	s.lock()
	if ttl < 0 {
		var r removals[K, V]
		rp := c.recorder(&r)
		now := moment{clk: &c.clock}
		stored := c.storeLocked(s, k, h, 0, v, ttl, w, &now, rp)
		c.unlockAndReport(s, rp)
		return stored
	}
	_, i := s.lookup(k, h, true)
	if ttl == NoExpiration && c.bound == nil && c.onRemove == nil && s.slab.expires == nil && len(s.calls) == 0 {
		// The commonest writes have nothing else to do: no deadline, old
		// or new (no entry of the shard has had one), no weight, nobody to
		// tell of a removed value, no load to mark outdated. putLocked
		// would come to the same, in up to half as many instructions again.
		switch {
		case i != 0: // an overwrite
			s.slab.entries[i].value = v
			s.order.update(i)
			s.unlock()
			return true
		case s.capacity > 0 && s.slab.len >= min(s.capacity, maxShardEntries):
			s.recycleLocked(k, h, v) // an insert into a full shard
			s.unlock()
			return true
		}
	}
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	stored := s.putLocked(k, h, i, v, expireAt(&now, ttl), w, &now, rp)
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
	s.lock()
	stored := false
	if i := s.liveLocked(k, h, true, &now, rp); (i != 0) == present {
		stored = c.storeLocked(s, k, h, i, v, ttl, w, &now, rp)
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
	s.lock()
	stored := false
	if !never && expire <= now.now() {
		s.dropLocked(k, h, &now, rp)
	} else {
		stored = s.setLocked(k, h, 0, v, expire, w, &now, rp)
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
	s.lock()
	locked := true
	defer c.unlockIfPanicked(s, rp, &locked)
	i := s.liveLocked(k, h, true, &now, rp)
	var old V
	var left time.Duration
	if i != 0 {
		old, left = s.slab.entries[i].value, c.left(s, i, &now)
	}
	v, ttl, op := f(old, left, i != 0)
	out, present := c.applyLocked(s, k, h, i, old, v, ttl, op, &now, rp)
	locked = false
	c.unlockAndReport(s, rp)
	return out, present
}

// computeIfPresent implements Cache.ComputeIfPresent. Past the lookup it
// uses the key of the entry it found, never k, so that k does not escape:
// a key converted from bytes for the call stays on the caller's stack.
func (c *core[K, V]) computeIfPresent(k K, f func(V, time.Duration) (V, time.Duration, ComputeOp)) (V, bool) {
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.lock()
	locked := true
	defer c.unlockIfPanicked(s, rp, &locked)
	var out V
	present := false
	if i := s.liveLocked(k, h, true, &now, rp); i != 0 {
		e := &s.slab.entries[i]
		key, old := e.key, e.value
		v, ttl, op := f(old, c.left(s, i, &now))
		out, present = c.applyLocked(s, key, h, i, old, v, ttl, op, &now, rp)
	}
	locked = false
	c.unlockAndReport(s, rp)
	return out, present
}

// unlockIfPanicked, deferred by an operation that calls the user's function
// under s's lock, unlocks s and reports the removals in r if *locked is
// still set: the function panicked, and nothing changed but the removal of
// an expired entry.
func (c *core[K, V]) unlockIfPanicked(s *shard[K, V], r *removals[K, V], locked *bool) {
	if *locked {
		s.unlock()
		c.report(r)
	}
}

// applyLocked does what a compute function returned for k (hash h), whose
// live entry is in slot i (0: absent) with value old, and returns what k
// holds afterwards. s.mu is held.
func (c *core[K, V]) applyLocked(s *shard[K, V], k K, h uint64, i uint32, old, v V, ttl time.Duration, op ComputeOp, now *moment, r *removals[K, V]) (V, bool) {
	switch op {
	case ComputeStore:
		if c.storeLocked(s, k, h, i, v, ttl, c.weigh(k, v), now, r) {
			return v, true
		}
	case ComputeDelete:
		s.invalidateLoad(k)
		if i != 0 {
			s.removeSlot(i, CauseDeleted, r)
		}
	default: // ComputeKeep
		if i != 0 {
			return old, true
		}
	}
	var zero V
	return zero, false
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
	s.lock()
	s.invalidateLoad(k)
	pos, i := s.lookup(k, h, true)
	if i == 0 {
		s.unlock()
		return false
	}
	cause := CauseDeleted
	if s.slab.expired(i, &moment{clk: &c.clock}) {
		cause = CauseExpired
	}
	s.remove(pos, i, cause, rp)
	s.unlock()
	c.report(rp)
	return cause == CauseDeleted
}

func (c *core[K, V]) expire(k K, ttl time.Duration) bool {
	h := c.hash(k)
	s := c.shardFor(h)
	var r removals[K, V]
	rp := c.recorder(&r)
	now := moment{clk: &c.clock}
	s.lock()
	i := s.liveLocked(k, h, false, &now, rp)
	if i != 0 {
		s.expireLocked(i, ttl, &now, rp)
	}
	s.unlock()
	c.report(rp)
	return i != 0
}
