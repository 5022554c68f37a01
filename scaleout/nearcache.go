package scaleout

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minicache/minicache"
)

// NearCache is an in-process L1 cache of string values in front of a shared
// Redis (or Valkey) that several processes use. It is safe for concurrent
// use; its zero value is not usable, call [NewNearCache].
//
// Reads go through the local cache: a miss loads the key with one Redis GET
// ([minicache.Cache.GetOrLoad], so concurrent misses of one key in this
// process share one GET) and keeps the answer, a Redis miss included, for
// the TTL given to [NewNearCache]. Writes ([NearCache.Set],
// [NearCache.Delete]) go to Redis first, then delete the local entry.
//
// Staleness. Redis does not tell this process about writes made by other
// processes, so the TTL is the bound on how stale a read can be:
//
//   - A value [NearCache.Get] returns was the key's value in Redis at some
//     instant no earlier than TTL + L before the Get returns, where L is the
//     time from sending the Redis GET that loaded it to storing its answer
//     (the local deadline is counted from then; retries included, each try
//     bounded by the client's ReadTimeout, 3 s by default in go-redis). A
//     write by another process is therefore seen here at most TTL + L after
//     it completed in Redis.
//   - This process reads its own writes: once Set or Delete has returned, a
//     Get in this process returns that write or a later one. A load that was
//     in flight while the local entry was deleted still answers the callers
//     already waiting for it, but is not stored (see GetOrLoad).
//
// For invalidation pushed by Redis instead of a TTL bound, see
// [RueidisStore].
type NearCache struct {
	rdb   redis.Cmdable
	local *minicache.Cache[string, lookup]
}

// lookup is what one Redis GET answered: a value, or that there was none.
type lookup struct {
	value string
	found bool
}

// NewNearCache returns a near cache over rdb that keeps at most capacity
// keys (0: unbounded) for ttl each. A ttl ≤ 0 would let a copy live
// forever, so it panics.
func NewNearCache(rdb redis.Cmdable, ttl time.Duration, capacity int) *NearCache {
	if ttl <= 0 {
		panic("scaleout: NewNearCache needs a positive TTL: it is the staleness bound")
	}
	return &NearCache{
		rdb: rdb,
		local: minicache.New[string, lookup](
			minicache.WithDefaultTTL(ttl),
			minicache.WithCapacity(capacity),
		),
	}
}

// Get returns key's value and whether Redis has one. It answers from the
// local cache when it can and otherwise loads the key with one Redis GET;
// an error is Redis's (nothing is cached then).
func (n *NearCache) Get(ctx context.Context, key string) (value string, found bool, err error) {
	l, err := n.local.GetOrLoad(ctx, key, n.load)
	return l.value, l.found, err
}

// load reads key from Redis; a Redis miss is an answer, not an error.
func (n *NearCache) load(ctx context.Context, key string) (lookup, error) {
	v, err := n.rdb.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return lookup{}, nil
	case err != nil:
		return lookup{}, err
	}
	return lookup{value: v, found: true}, nil
}

// Set stores key in Redis with the expiration (0: none) and then deletes
// the local copy. The local copy is deleted even when Redis answers an
// error, since the write may have been applied all the same (a timeout).
func (n *NearCache) Set(ctx context.Context, key, value string, expiration time.Duration) error {
	err := n.rdb.Set(ctx, key, value, expiration).Err()
	n.local.Delete(key)
	return err
}

// Delete deletes keys in Redis and then their local copies, like Set.
func (n *NearCache) Delete(ctx context.Context, keys ...string) error {
	err := n.rdb.Del(ctx, keys...).Err()
	for _, k := range keys {
		n.local.Delete(k)
	}
	return err
}

// Stats returns the local cache's counters: a hit is a read Redis never saw.
func (n *NearCache) Stats() minicache.Stats {
	return n.local.Stats()
}

// Close releases the local cache and cancels loads in flight; it does not
// close the Redis client. It is idempotent.
func (n *NearCache) Close() {
	n.local.Close()
}
