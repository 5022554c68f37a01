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
