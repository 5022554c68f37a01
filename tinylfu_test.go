package minicache

import (
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"
)

// TestPropertyWTinyLFU drives a W-TinyLFU cache with random operations and
// checks what the policy must keep whatever it chooses to evict: the
// capacity is never exceeded; every entry present holds the last value
// written to its key; an entry leaves only by eviction, expiry, deletion or
// replacement, and each departure is reported once; the policy's state stays
// bounded by the capacity.
func TestPropertyWTinyLFU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(inBubble{t}, func(t *rapid.T) {
			capacity := rapid.IntRange(1, 40).Draw(t, "capacity")
			shards := rapid.IntRange(1, 3).Draw(t, "shards")
			opt, removed := recorder[int, int]()
			c := New[int, int](WithCapacity(capacity), WithShards(shards), WithPolicy(WTinyLFU), opt)
			defer c.Close()
			model := map[int]int{}     // the last value written to each live key
			deadline := map[int]bool{} // keys ever written with a TTL: they may expire
			sketchWords := make([]int, len(c.c.shards))
			ghostWords := make([]int, len(c.c.shards))
			for i := range c.c.shards {
				lfu := c.c.shards[i].order.lfu
				sketchWords[i] = len(lfu.sk.table)
				ghostWords[i] = len(lfu.ghostWin.cur) + len(lfu.ghostWin.prev) + len(lfu.ghostMain.cur) + len(lfu.ghostMain.prev)
			}
			key := rapid.IntRange(0, 3*capacity)
			next := 0 // every write stores a value of its own, so removals name it
			value := func() int { next++; return next }
			t.Repeat(map[string]func(*rapid.T){
				"Set": func(t *rapid.T) {
					k, v := key.Draw(t, "k"), value()
					c.Set(k, v)
					model[k] = v
				},
				"SetWithTTL": func(t *rapid.T) {
					k, v := key.Draw(t, "k"), value()
					c.SetWithTTL(k, v, time.Duration(rapid.IntRange(1, 50).Draw(t, "ms"))*time.Millisecond)
					model[k] = v
					deadline[k] = true
				},
				"Get": func(t *rapid.T) {
					k := key.Draw(t, "k")
					v, ok := c.Get(k)
					if ok {
						assert.Equal(t, model[k], v)
					}
				},
				"Delete": func(t *rapid.T) {
					k := key.Draw(t, "k")
					c.Delete(k)
					delete(model, k)
				},
				"Compute": func(t *rapid.T) {
					k := key.Draw(t, "k")
					nv := value()
					v, ok := c.Compute(k, func(int, time.Duration, bool) (int, time.Duration, ComputeOp) {
						return nv, KeepTTL, ComputeStore
					})
					if ok {
						model[k] = v
					}
				},
				"Sleep": func(t *rapid.T) {
					time.Sleep(time.Duration(rapid.IntRange(1, 30).Draw(t, "sleep")) * time.Millisecond)
				},
				"": func(t *rapid.T) {
					for _, r := range removed() {
						switch r.Cause {
						case CauseEvicted, CauseExpired:
							if r.Cause == CauseExpired && !deadline[r.Key] {
								t.Fatalf("key %d without a deadline expired", r.Key)
							}
							if v, ok := model[r.Key]; ok && v == r.Value {
								delete(model, r.Key)
							}
						case CauseDeleted, CauseReplaced:
						default:
							t.Fatalf("unexpected removal %+v", r)
						}
					}
					n := 0
					for e := range c.Entries() {
						n++
						v, ok := model[e.Key]
						if !ok || v != e.Value {
							t.Fatalf("cache holds %d=%d, the model %v (present %v)", e.Key, e.Value, v, ok)
						}
					}
					if n > capacity {
						t.Fatalf("%d entries, capacity %d", n, capacity)
					}
					for k := range model {
						if _, ok := c.Peek(k); !ok && !deadline[k] {
							t.Fatalf("key %d left without a reported removal", k)
						}
					}
					for i := range c.c.shards {
						s := &c.c.shards[i]
						s.mu.Lock()
						lfu := s.order.lfu
						ghosts := len(lfu.ghostWin.cur) + len(lfu.ghostWin.prev) + len(lfu.ghostMain.cur) + len(lfu.ghostMain.prev)
						if len(lfu.sk.table) != sketchWords[i] || ghosts != ghostWords[i] || len(lfu.nodes) > s.capacity+1 || lfu.len() != s.slab.len {
							t.Fatalf("shard %d: policy state out of bounds: sketch %d words, ghosts %d words, %d links, %d listed, %d entries",
								i, len(lfu.sk.table), ghosts, len(lfu.nodes), lfu.len(), s.slab.len)
						}
						s.mu.Unlock()
					}
				},
			})
		})
	})
}

func TestWTinyLFUResistsAScan(t *testing.T) {
	c := New[int, int](WithCapacity(100), WithPolicy(WTinyLFU))
	for range 20 { // a hot set, read often
		for k := range 50 {
			if _, ok := c.Get(k); !ok {
				c.Set(k, k)
			}
		}
	}
	for k := 1000; k < 11000; k++ { // a scan of one-off keys
		c.Set(k, k)
	}
	hot := 0
	for k := range 50 {
		if _, ok := c.Peek(k); ok {
			hot++
		}
	}
	assert.GreaterOrEqual(t, hot, 45, "the scan must not flush the hot set")
	l := New[int, int](WithCapacity(100))
	for k := range 50 {
		l.Set(k, k)
	}
	for k := 1000; k < 11000; k++ {
		l.Set(k, k)
	}
	for k := range 50 {
		_, ok := l.Peek(k)
		assert.False(t, ok, "LRU, for contrast, keeps only the scan")
	}
}

func TestPolicyString(t *testing.T) {
	assert.Equal(t, "lru", LRU.String())
	assert.Equal(t, "w-tinylfu", WTinyLFU.String())
	assert.Equal(t, "clock", Clock.String())
	assert.Equal(t, "Policy(9)", Policy(9).String())
	assert.Panics(t, func() { New[int, int](WithPolicy(Policy(9))) })
	assert.Equal(t, WTinyLFU, New[int, int](WithPolicy(WTinyLFU)).Policy())
	assert.Equal(t, LRU, New[int, int]().Policy())
}

func TestSketchAddNSaturatesAndAges(t *testing.T) {
	var s sketch
	s.init(64)
	s.addN(sketchHash(7), 3)
	assert.Equal(t, uint64(3), s.estimate(sketchHash(7)))
	s.addN(sketchHash(7), 20)
	assert.Equal(t, uint64(15), s.estimate(sketchHash(7)), "a counter stops at 15")
	s.age()
	assert.Equal(t, uint64(7), s.estimate(sketchHash(7)))
	assert.Equal(t, uint64(0), s.estimate(sketchHash(8)), "an unseen key")
}

// frequencyOf returns the W-TinyLFU frequency estimate of k: its resident
// entry's, or the sketch's alone when k is absent.
func frequencyOf(c *Cache[int, int], k int) uint64 {
	h := c.c.hash(k)
	s := c.c.shardFor(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, i := s.lookup(k, h, false); i != 0 {
		return s.order.lfu.frequency(i)
	}
	return s.order.lfu.sk.estimate(sketchHash(uint32(h >> 32)))
}

// A hit counts beside its entry, not in the sketch; the sketch must still
// learn of it when the entry leaves, and when the sketch ages.
func TestWTinyLFUHitsOutliveTheirEntry(t *testing.T) {
	c := New[int, int](WithCapacity(10), WithShards(1), WithPolicy(WTinyLFU))
	c.Set(1, 1)
	for range 4 {
		c.Get(1)
	}
	assert.Equal(t, uint64(5), frequencyOf(c, 1), "the insert and four hits")
	c.Delete(1)
	assert.Equal(t, uint64(5), frequencyOf(c, 1), "the sketch keeps them once the entry leaves")
	c.Set(1, 1)
	assert.Equal(t, uint64(6), frequencyOf(c, 1))

	// The sketch ages after 10 accesses per entry of capacity, 100 here, at
	// the write that ends them; 6 so far. The accesses are the writes and
	// the hits that change their entry: a hit on an entry marked and at 15
	// hits tells nothing new and does not count. Halving the history (5)
	// and the hits since (1) apart would leave 2; halved together they
	// leave 3.
	c.Set(2, 2) // 7
	for range 14 {
		c.Get(2) // 21: key 2 is marked and at 15 hits
	}
	for range 200 {
		c.Get(2) // still 21
	}
	for k := 3; k <= 8; k++ {
		c.Set(k, k) // 27
	}
	for n := range 72 {
		c.Get(3 + n%6) // 99: 12 hits each for 3 to 8
	}
	assert.Equal(t, uint64(6), frequencyOf(c, 1), "reads do not age the sketch")
	c.Set(9, 9)
	assert.Equal(t, uint64(3), frequencyOf(c, 1), "the write that ends the period does")
}

// sevenSlots returns a W-TinyLFU policy of slots 1 to 7, sized for a shard
// of 100 entries, to drive directly.
func sevenSlots() *tinyLFU {
	p := &tinyLFU{tagOf: func(i uint32) uint32 { return i * 0x9e3779b1 }, hits: new(uint64)}
	p.init(8)
	p.grow(8, 8)
	p.bound = true
	p.setSize(100)
	return p
}

// A hit moves nothing; the mark it leaves gives its entry a second chance
// when the entry comes up for demotion or eviction: a window entry goes
// back to the window's head, a probation entry on to protected.
func TestWTinyLFUHitsMarkInsteadOfMoving(t *testing.T) {
	p := sevenSlots()
	p.setWindow(0.5)
	for i := uint32(1); i <= 4; i++ {
		p.insert(i, p.tagOf(i)) // the window, 1 to 4, oldest first
	}
	list := func(s segment) (l []uint32) {
		for i := p.lists[s].head; i != 0; i = p.nodes[i].after() {
			l = append(l, i)
		}
		return l
	}
	assert.Equal(t, []uint32{4, 3, 2, 1}, list(window))
	p.hit(1)
	assert.Equal(t, []uint32{4, 3, 2, 1}, list(window), "a hit moves nothing")
	assert.Equal(t, uint32(2), p.oldest(window, 0), "1 is passed over")
	assert.Equal(t, []uint32{1, 4, 3, 2}, list(window), "and moved to the head")
	assert.Equal(t, uint32(3), p.oldest(window, 2), "except is never chosen")

	for _, i := range []uint32{2, 3} {
		p.moveTo(probation, i) // probation: 3, 2
	}
	p.hit(2)
	assert.Equal(t, uint32(3), p.mainVictim(0))
	assert.Equal(t, []uint32{2}, list(protected), "the marked entry was promoted")
	assert.Equal(t, []uint32{3}, list(probation))
	p.hit(3)
	p.prot = 0 // protected over its target passes its oldest back
	assert.Equal(t, uint32(2), p.mainVictim(0), "3 promoted, 2 demoted unmarked")
}

// When every other window entry is marked, the second chances must not
// leave the entry being inserted as the window's oldest (found in review).
func TestWTinyLFUOldestNeverLeavesExceptLast(t *testing.T) {
	p := sevenSlots()
	p.setWindow(0.03) // a window of 3
	for i := uint32(1); i <= 3; i++ {
		p.insert(i, p.tagOf(i))
		p.hit(i)
	}
	p.insert(4, p.tagOf(4)) // the window passes its oldest, 1, to probation
	var win []uint32
	for i := p.lists[window].head; i != 0; i = p.nodes[i].after() {
		win = append(win, i)
	}
	assert.Equal(t, []uint32{4, 3, 2}, win)
	assert.Equal(t, uint32(1), p.lists[probation].head)
}

// Resizing starts the sketch afresh, and its aging period with it: reads
// from before do not count towards the new period (found in review).
func TestWTinyLFUResizeStartsAFreshPeriod(t *testing.T) {
	c := New[int, int](WithCapacity(10), WithShards(1), WithPolicy(WTinyLFU)) // a period of 100
	c.Set(1, 1)
	for range 150 {
		c.Get(1)
	}
	c.SetCapacity(10)
	c.Set(2, 2)
	lfu := c.c.shards[0].order.lfu
	assert.Equal(t, 1, lfu.writes, "one write into a fresh period, no aging yet")
}

// TestPolicyDecisionsAreStable replays a fixed trace, cache-aside, through
// a cache of each policy with a fixed hash function and folds what the
// policy decided (the keys evicted, in order, and the hits; and, without a
// removal callback, where Set takes its lean paths, the order the entries
// are left in) into numbers recorded when they last changed on purpose. A
// change meant only to make a policy faster must leave them as they are;
// one that changes what a policy decides updates them and says why.
func TestPolicyDecisionsAreStable(t *testing.T) {
	fixed := func(k int) uint64 { return mix(uint64(k) + 0x9e3779b97f4a7c15) }
	fold := func(f uint64, k int) uint64 { return (f ^ uint64(k)) * 0x100000001b3 }
	// Hits, evictions folded, final order folded. LRU's and W-TinyLFU's are
	// those of dd7acc6, before W-TinyLFU's evicting insert hashed less.
	want := map[Policy][3]uint64{
		LRU:      {0x1d448, 0x2a20b3622405ceb7, 0xca3a1264fdb4e039},
		WTinyLFU: {0x214de, 0x4f24fca943d13f35, 0xace0bb0542b5a9a8},
		Clock:    {0x1dd50, 0x59a55311701eee17, 0x2faf7fd7a0dd578b},
	}
	for _, p := range []Policy{LRU, WTinyLFU, Clock} {
		t.Run(p.String(), func(t *testing.T) {
			var evicted uint64
			listened := New[int, int](WithPolicy(p), WithCapacity(500), WithShards(2),
				WithRemovalCallback(func(k, _ int, cause RemovalCause) {
					if cause == CauseEvicted {
						evicted = fold(evicted, k)
					}
				}))
			defer listened.Close()
			lean := New[int, int](WithPolicy(p), WithCapacity(500), WithShards(2))
			defer lean.Close()
			setHash(listened, fixed)
			setHash(lean, fixed)
			z := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.01, 1, 9999)
			for range 200_000 {
				k := int(z.Uint64())
				for _, c := range []*Cache[int, int]{listened, lean} {
					if _, ok := c.Get(k); !ok {
						c.Set(k, k)
					}
				}
			}
			var order uint64
			for k := range lean.All() {
				order = fold(order, k)
			}
			assert.Equal(t, listened.Stats().Hits, lean.Stats().Hits, "the lean paths decide as the general path")
			assert.Equal(t, want[p], [3]uint64{lean.Stats().Hits, evicted, order})
		})
	}
}
