package adapter

import (
	"fmt"
	"testing"
	"time"
)

// TestAdapters checks that every adapter stores, finds, bounds and expires
// entries as its Features promise, for both key layouts.
func TestAdapters(t *testing.T) {
	for _, spec := range All() {
		t.Run(spec.Name, func(t *testing.T) {
			if spec.Int != nil {
				check(t, spec, spec.Int, func(i int) int64 { return int64(i) * 7919 }, func(i int) int64 { return int64(i) })
			} else if spec.Features.IntKeys {
				t.Error("IntKeys set but Int is nil")
			}
			check(t, spec, spec.Str, func(i int) string { return fmt.Sprintf("key-%012d", i) },
				func(i int) []byte { return []byte(fmt.Sprint(i)) })
		})
	}
}

func check[K comparable, V any](t *testing.T, spec Spec, build func(Config[K]) Cache[K, V], key func(int) K, val func(int) V) {
	t.Helper()
	const capacity = 100
	c := build(Config[K]{Capacity: capacity})
	c.Set(key(1), val(1))
	Settle(c)
	if _, ok := c.Get(key(1)); !ok {
		t.Fatalf("%s: Get after Set missed", spec.Name)
	}
	for i := range 3 * capacity {
		c.Set(key(i), val(i))
	}
	Settle(c)
	if n := c.Len(); spec.Features.Bounded && n > capacity {
		t.Errorf("%s: Len() = %d after %d inserts, capacity %d", spec.Name, n, 3*capacity, capacity)
	}
	c.Close()

	const ttl = 30 * time.Millisecond
	if spec.Features.FixedTTL {
		c := build(Config[K]{Capacity: capacity, TTL: ttl})
		c.SetWithTTL(key(2), val(2), ttl)
		expires(t, spec.Name+" fixed TTL", c, key(2))
	}
	if spec.Features.PerEntryTTL {
		c := build(Config[K]{Capacity: capacity, TTL: time.Hour, TTLOf: func(K) time.Duration { return ttl }})
		c.SetWithTTL(key(3), val(3), ttl)
		expires(t, spec.Name+" per-entry TTL", c, key(3))
	}
}

// expires checks that k is found at first and gone after its TTL.
func expires[K comparable, V any](t *testing.T, what string, c Cache[K, V], k K) {
	t.Helper()
	defer c.Close()
	Settle(c)
	if _, ok := c.Get(k); !ok {
		t.Errorf("%s: missed right after SetWithTTL", what)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := c.Get(k); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%s: still present 2s after a 30ms TTL", what)
}
