package workload

import heapq "container/heap"

// Belady returns the hits of Belady's optimal replacement (MIN) on keys
// for a cache of capacity entries, replayed as HitRatio replays a cache:
// every request counted, a miss stored. On a miss with the cache full it
// evicts the key requested again farthest in the future, the newcomer
// included, so it is the upper bound of any policy that knows only the
// past. A table cell above it comes from a cache holding more than its
// capacity.
func Belady(keys []int64, capacity int) int {
	if capacity <= 0 {
		return 0
	}
	// next[i] is the position of the next request for keys[i], or
	// len(keys) when there is none.
	next := make([]int, len(keys))
	last := make(map[int64]int, 1024)
	for i := len(keys) - 1; i >= 0; i-- {
		if j, ok := last[keys[i]]; ok {
			next[i] = j
		} else {
			next[i] = len(keys)
		}
		last[keys[i]] = i
	}
	// resident maps each cached key to its next request; the heap holds
	// (next request, key) pairs, some stale, farthest first.
	resident := make(map[int64]int, capacity)
	h := &farthest{}
	hits := 0
	for i, k := range keys {
		if _, ok := resident[k]; ok {
			hits++
		}
		resident[k] = next[i]
		heapq.Push(h, use{next[i], k})
		for len(resident) > capacity {
			top := heapq.Pop(h).(use)
			if n, ok := resident[top.key]; ok && n == top.next {
				delete(resident, top.key)
			}
		}
	}
	return hits
}

type use struct {
	next int
	key  int64
}

// farthest is a max-heap of uses by their next request.
type farthest []use

func (f farthest) Len() int           { return len(f) }
func (f farthest) Less(i, j int) bool { return f[i].next > f[j].next }
func (f farthest) Swap(i, j int)      { f[i], f[j] = f[j], f[i] }
func (f *farthest) Push(x any)        { *f = append(*f, x.(use)) }
func (f *farthest) Pop() any {
	old := *f
	x := old[len(old)-1]
	*f = old[:len(old)-1]
	return x
}
