package scaleout

import (
	"time"

	"github.com/redis/rueidis"

	"github.com/minicache/minicache"
)

// RueidisStore is a minicache as the store of rueidis's client-side caching
// (DoCache, DoMultiCache): it implements [rueidis.SimpleCache], and
// [rueidis.NewSimpleCacheAdapter] turns it into a [rueidis.CacheStore],
// adding the single flight of concurrent misses and the invalidation by
// key. [NewRueidisCacheStore] does both for a [rueidis.ClientOption]'s
// NewCacheStoreFn.
//
// Unlike [NearCache], staleness is not bounded by a TTL alone: rueidis
// turns on CLIENT TRACKING, Redis pushes an invalidation for every key this
// connection has read when anyone writes it, and the adapter deletes the
// entry here. A copy outlives a write by the time the invalidation takes to
// arrive; if the connection breaks, rueidis flushes the store (Flush) and
// starts a new one. Each entry also keeps the deadline rueidis gives it (the
// smaller of DoCache's TTL and the key's PTTL in Redis).
//
// Entries are bounded by their size (key plus rueidis's CacheSize of the
// reply) and evicted least recently used first, like rueidis's own store.
// Safe for concurrent use, as rueidis requires.
type RueidisStore struct {
	c *minicache.Cache[string, rueidis.RedisMessage]
}

var _ rueidis.SimpleCache = (*RueidisStore)(nil)

// NewRueidisStore returns a store holding at most maxBytes of entries
// (0: unbounded).
func NewRueidisStore(maxBytes int) *RueidisStore {
	return &RueidisStore{c: minicache.New[string, rueidis.RedisMessage](
		minicache.WithMaxWeight(uint64(max(maxBytes, 0))),
		minicache.WithWeigher(func(k string, m rueidis.RedisMessage) uint64 {
			return uint64(len(k) + m.CacheSize())
		}),
	)}
}

// NewRueidisCacheStore is a [rueidis.NewCacheStoreFn]: rueidis calls it for
// each connection, with CacheSizeEachConn as the bound in bytes.
//
//	client, err := rueidis.NewClient(rueidis.ClientOption{
//		InitAddress:     []string{"127.0.0.1:6379"},
//		NewCacheStoreFn: scaleout.NewRueidisCacheStore,
//	})
func NewRueidisCacheStore(opt rueidis.CacheStoreOption) rueidis.CacheStore {
	return rueidis.NewSimpleCacheAdapter(NewRueidisStore(opt.CacheSizeEachConn))
}

// Get returns the reply stored under key, or the zero RedisMessage (which
// rueidis reads as a miss). O(1).
func (s *RueidisStore) Get(key string) rueidis.RedisMessage {
	m, _ := s.c.Get(key)
	return m
}

// Set stores a reply until the client-side deadline rueidis set on it.
func (s *RueidisStore) Set(key string, val rueidis.RedisMessage) {
	if pxat := val.CachePXAT(); pxat > 0 {
		s.c.SetWithDeadline(key, val, time.UnixMilli(pxat))
		return
	}
	s.c.Set(key, val)
}

// Del deletes the reply stored under key.
func (s *RueidisStore) Del(key string) {
	s.c.Delete(key)
}

// Flush deletes every reply.
func (s *RueidisStore) Flush() {
	s.c.Clear()
}

// Len returns how many replies the store holds.
func (s *RueidisStore) Len() int {
	return s.c.Len()
}

// Stats returns the store's counters: a hit is a DoCache Redis never saw.
func (s *RueidisStore) Stats() minicache.Stats {
	return s.c.Stats()
}
