package minicache

import "time"

// expireBatch is the most deadlines a sweep looks at under one lock hold, so
// that a sweep through many expired entries never stalls other callers for
// long.
const expireBatch = 256

// startJanitor starts the goroutine that removes expired entries every
// interval. close stops it and waits for it.
func (c *core[K, V]) startJanitor(interval time.Duration) {
	c.janitorDone = make(chan struct{})
	go c.janitor(interval)
}

func (c *core[K, V]) janitor(interval time.Duration) {
	defer close(c.janitorDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.done.Done():
			return
		case <-t.C:
			c.deleteExpired()
		}
	}
}

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
		s.mu.Unlock()
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
		s.mu.Lock()
		n, more := s.expireDue(c.clock.now(), expireBatch, r)
		total += n
		if !more {
			return total
		}
		s.mu.Unlock()
		c.report(r)
		r.reset()
	}
}

// close stops the janitor and cancels the loads in flight, then waits for
// their goroutines to return. It is idempotent.
func (c *core[K, V]) close() {
	c.loadMu.Lock()
	c.closed = true
	c.loadMu.Unlock()
	c.cancel()
	if c.janitorDone != nil {
		<-c.janitorDone
	}
	c.loading.Wait()
}
