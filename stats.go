package minicache

// Stats is a snapshot of a cache's counters, returned by [Cache.Stats]. The
// counters are exact and only grow, except Weight; [Cache.Clear] does not
// reset them. Each shard's counters are read under its lock, so a snapshot
// of a cache in use is consistent per shard, not across shards (the hits
// and misses of Gets that took no lock, see [WTinyLFU] and [Clock], are
// counted apart and added).
type Stats struct {
	// Hits counts Get and GetOrLoad calls that found a live entry.
	Hits uint64
	// Misses counts Get and GetOrLoad calls that found none (absent or
	// expired). Peek, TTL and the iterators count neither.
	Misses uint64
	// Evictions counts entries removed to honour the capacity or the weight
	// bound.
	Evictions uint64
	// Expirations counts entries removed because their time to live had
	// passed, whoever found them: a read, a Set, the janitor, DeleteExpired,
	// or a full shard reclaiming room.
	Expirations uint64
	// Rejections counts values not stored because they alone weighed more
	// than the weight bound.
	Rejections uint64
	// Loads counts loader calls of GetOrLoad that returned a value; LoadErrors
	// those that returned an error (or panicked).
	Loads, LoadErrors uint64
	// Weight is the total weight of the entries in the cache (see
	// WithMaxWeight), or 0 for a cache that weighs nothing.
	Weight uint64
}

// HitRatio returns Hits / (Hits + Misses), or 0 before the first lookup.
func (s Stats) HitRatio() float64 {
	lookups := s.Hits + s.Misses
	if lookups == 0 {
		return 0
	}
	return float64(s.Hits) / float64(lookups)
}

// add adds the counters of one shard to s.
func (s *Stats) add(sh *shardCounters) {
	s.Hits += sh.hits
	s.Misses += sh.misses
	s.Evictions += sh.evictions
	s.Expirations += sh.expirations
	s.Rejections += sh.rejections
}

// shardCounters are the counters one shard keeps under its lock: plain
// increments of fields that the shard's lock already owns, so counting
// costs no atomic operation and no shared cache line.
type shardCounters struct {
	hits, misses, evictions, expirations, rejections uint64
}

func (c *core[K, V]) stats() Stats {
	var st Stats
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.add(&s.shardCounters)
		st.Loads += s.loads
		st.LoadErrors += s.loadErrors
		s.mu.Unlock()
	}
	for i := range c.reads {
		st.Hits += c.reads[i].hits.Load()
		st.Misses += c.reads[i].misses.Load()
	}
	st.Weight = c.weight.total.Load()
	return st
}
