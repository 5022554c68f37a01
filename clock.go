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
}

func newClock() clock { return clock{epoch: time.Now()} }

// now returns the current time on c.
func (c *clock) now() int64 { return int64(time.Since(c.epoch)) }

// expireAt returns the expire value of an entry given ttl (not negative) at
// now: 0 (never) for NoExpiration, without reading the clock, or for a
// deadline beyond the clock's range.
func expireAt(now *moment, ttl time.Duration) int64 {
	if ttl == NoExpiration {
		return 0
	}
	t := now.now()
	if int64(ttl) > math.MaxInt64-t {
		return 0
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
