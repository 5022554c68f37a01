package minicache

import (
	"math"
	"time"
)

// clock measures time in nanoseconds since the cache was created. It reads
// time.Now on every call, never a cached or coarse value, so the fake time of
// a testing/synctest bubble drives expiry exactly as real time does. A cache
// reads the clock only for entries that have a deadline.
type clock struct {
	epoch time.Time
	// end is the clock's reading at the last instant whose Unix time in
	// nanoseconds an int64 holds (2262-04-11), the latest deadline an
	// entry may have: later ones are cut to it, so that every deadline
	// has a wall-clock time a snapshot can write (see Cache.Save).
	end int64
}

func newClock() clock {
	epoch := time.Now()
	return clock{epoch: epoch, end: int64(time.Unix(0, math.MaxInt64).Sub(epoch))}
}

// now returns the current time on c.
func (c *clock) now() int64 { return int64(time.Since(c.epoch)) }

// expireAt returns the expire value of an entry given ttl (not negative) at
// now: 0 (never) for NoExpiration, without reading the clock; a deadline
// past the clock's end is cut to it.
func expireAt(now *moment, ttl time.Duration) int64 {
	if ttl == NoExpiration {
		return 0
	}
	t, end := now.now(), now.clk.end
	if int64(ttl) >= end-t {
		return end
	}
	return t + int64(ttl)
}

// moment reads a clock at most once, on first use: an operation that meets
// no deadline never pays for time.Now.
type moment struct {
	clk *clock
	t   int64
	ok  bool
}

func (m *moment) now() int64 {
	if !m.ok {
		m.t, m.ok = m.clk.now(), true
	}
	return m.t
}
