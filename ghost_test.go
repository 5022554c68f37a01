package minicache

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGhostRemembersTheLatestKeys(t *testing.T) {
	var g ghost
	g.init(1000)
	words := len(g.cur) + len(g.prev)
	for k := range uint32(1000) {
		g.add(k)
	}
	for k := uint32(500); k < 1000; k++ {
		assert.True(t, g.has(k), "key %d is among the latest half", k)
	}
	for k := uint32(1000); k < 3000; k++ {
		g.add(k)
	}
	false1 := 0
	for k := range uint32(1000) {
		if g.has(k) {
			false1++
		}
	}
	assert.Less(t, false1, 50, "keys 2000 additions old are forgotten but for false positives")
	assert.Equal(t, words, len(g.cur)+len(g.prev), "a ghost never grows")
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
	assert.Greater(t, c.c.shards[0].order.lfu.sizer.current(), 0.1, "the window holds the 100 keys between two visits")
	assert.Greater(t, lfu, lru-0.01, "W-TinyLFU %.3f, LRU %.3f", lfu, lru)
}
