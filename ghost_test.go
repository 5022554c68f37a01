package minicache

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestGhostRemembersTheLatestKeys(t *testing.T) {
	var g ghost
	g.init(1000)
	for k := range uint32(1000) {
		g.add(ghostHash(k))
	}
	for k := uint32(500); k < 1000; k++ {
		assert.True(t, g.has(ghostHash(k)), "key %d is among the latest half", k)
	}
	for k := uint32(1000); k < 3000; k++ {
		g.add(ghostHash(k))
	}
	false1 := 0
	for k := range uint32(1000) {
		if g.has(ghostHash(k)) {
			false1++
		}
	}
	assert.Less(t, false1, 50, "keys 2000 additions old are forgotten but for false positives")
}

// TestWTinyLFUWindowFollowsRecency replays a stream where every key comes
// back once, after 100 new keys: LRU of 1000 entries hits every return, a
// small window none, since a newcomer never outscores the main space. The
// returns fall within the ghosts' memory (a quarter of the capacity of
// refused candidates), so the window must grow until W-TinyLFU hits them
// too: over the second half of the stream, as often as LRU. (Returns after
// 200 new keys, mostly beyond the ghost's reach, took from 10k to 170k keys
// to be caught, depending on the hash seed.)
func TestWTinyLFUWindowFollowsRecency(t *testing.T) {
	replay := func(c *Cache[int, int]) float64 {
		hits, n := 0, 0
		for i := range 200_000 {
			for _, k := range [2]int{i, i - 100} {
				if k < 0 {
					continue
				}
				_, ok := c.Get(k)
				if i >= 100_000 {
					n++
					if ok {
						hits++
					}
				}
				if !ok {
					c.Set(k, k)
				}
			}
		}
		return float64(hits) / float64(n)
	}
	lru := replay(New[int, int](WithCapacity(1000)))
	c := New[int, int](WithCapacity(1000), WithPolicy(WTinyLFU))
	lfu := replay(c)
	assert.Greater(t, lfu, lru-0.01, "W-TinyLFU %.3f, LRU %.3f", lfu, lru)
}

// TestGhostsRememberOnlyEvictions: entries that expire and are reclaimed to
// make room do not reach the ghosts, since no window size would have kept
// them; entries evicted for room do.
func TestGhostsRememberOnlyEvictions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[int, int](WithCapacity(100), WithPolicy(WTinyLFU))
		defer c.Close()
		lfu := c.c.shards[0].order.lfu
		added := func() int { return lfu.ghostWin.n + lfu.ghostMain.n }
		for k := range 100 {
			c.SetWithTTL(k, k, time.Second)
		}
		time.Sleep(2 * time.Second)
		for k := 100; k < 200; k++ {
			c.Set(k, k) // each reclaims an expired entry
		}
		assert.Equal(t, 0, added(), "expired entries reached the ghosts")
		assert.Equal(t, uint64(100), c.Stats().Expirations)
		for k := 200; k < 300; k++ {
			c.Set(k, k) // each evicts
		}
		assert.Positive(t, added(), "evicted entries reach them")
	})
}

// TestGhostFalsePositives measures how often a ghost holding its most keys
// (a full current generation and a full previous one) claims a key it never
// saw: under the 2.5% its comment gives.
func TestGhostFalsePositives(t *testing.T) {
	for _, size := range []int{100, 1000, 6000, 100_000} {
		var g ghost
		g.init(size)
		for k := range uint32(size - 1) { // fills both generations
			g.add(ghostHash(k))
		}
		false1 := 0
		const probes = 200_000
		for k := uint32(1 << 30); k < 1<<30+probes; k++ {
			if g.has(ghostHash(k)) {
				false1++
			}
		}
		rate := float64(false1) / probes
		t.Logf("size %d: %d bits per key, %.2f%% false positives", size, 64*len(g.cur)/(size/2), 100*rate)
		assert.Less(t, rate, 0.025, "size %d", size)
	}
}
