package workload

import (
	"math/rand/v2"
	"testing"
)

// bestHits tries every eviction choice: the true optimum of a tiny trace.
func bestHits(keys []int64, capacity int, cached map[int64]bool) int {
	if len(keys) == 0 {
		return 0
	}
	k, rest := keys[0], keys[1:]
	if cached[k] {
		return 1 + bestHits(rest, capacity, cached)
	}
	if len(cached) < capacity {
		cached[k] = true
		n := bestHits(rest, capacity, cached)
		delete(cached, k)
		return n
	}
	best := bestHits(rest, capacity, cached) // store k, then evict it
	for v := range cached {
		delete(cached, v)
		cached[k] = true
		best = max(best, bestHits(rest, capacity, cached))
		delete(cached, k)
		cached[v] = true
	}
	return best
}

func TestBeladyIsOptimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		keys := make([]int64, r.IntN(12))
		for i := range keys {
			keys[i] = int64(r.IntN(5))
		}
		capacity := 1 + r.IntN(3)
		if got, want := Belady(keys, capacity), bestHits(keys, capacity, map[int64]bool{}); got != want {
			t.Fatalf("Belady(%v, %d) = %d, the optimum is %d", keys, capacity, got, want)
		}
	}
	loop := make([]int64, 0, 10*100)
	for range 10 {
		for k := range int64(100) {
			loop = append(loop, k)
		}
	}
	// A loop of 100 keys in 50 entries: after the cold pass, MIN keeps 50
	// keys in place (bypassing the others) and hits 50 of every 100
	// requests, the most 50 entries can: each hit needs an entry held for
	// the 100 requests since the key's last use.
	if got := Belady(loop, 50); got != 9*50 {
		t.Fatalf("Belady on 10 passes of a loop of 100 at 50 entries: %d hits, want %d", got, 9*50)
	}
}
