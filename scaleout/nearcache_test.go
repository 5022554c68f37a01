package scaleout_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache/scaleout"
)

func TestNearCacheReadThroughAndWriteThrough(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	nc := scaleout.NewNearCache(rdb, time.Minute, 1000)
	t.Cleanup(nc.Close)

	require.NoError(t, rdb.Set(ctx, "user:1", "Ada", 0).Err())
	for range 5 {
		v, found, err := nc.Get(ctx, "user:1")
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "Ada", v)
	}
	s := nc.Stats()
	assert.Equal(t, uint64(1), s.Loads, "one GET reached Redis")
	assert.Equal(t, uint64(4), s.Hits)

	// A Redis miss is an answer, and is cached too.
	_, found, err := nc.Get(ctx, "user:2")
	require.NoError(t, err)
	assert.False(t, found)
	_, found, err = nc.Get(ctx, "user:2")
	require.NoError(t, err)
	assert.False(t, found)
	assert.Equal(t, uint64(2), nc.Stats().Loads)

	// Writes go to Redis and this process reads them at once.
	require.NoError(t, nc.Set(ctx, "user:1", "Grace", 0))
	require.NoError(t, nc.Set(ctx, "user:2", "Edsger", time.Hour))
	assert.Equal(t, "Grace", rdb.Get(ctx, "user:1").Val())
	assert.InDelta(t, float64(time.Hour), float64(rdb.TTL(ctx, "user:2").Val()), float64(time.Minute))
	v, found, err := nc.Get(ctx, "user:1")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "Grace", v)
	v, _, _ = nc.Get(ctx, "user:2")
	assert.Equal(t, "Edsger", v)

	require.NoError(t, nc.Delete(ctx, "user:1", "user:2"))
	assert.Equal(t, int64(0), rdb.Exists(ctx, "user:1", "user:2").Val())
	_, found, err = nc.Get(ctx, "user:1")
	require.NoError(t, err)
	assert.False(t, found)
}

func TestNearCacheConcurrentMissesShareOneGET(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	nc := scaleout.NewNearCache(rdb, time.Minute, 0)
	t.Cleanup(nc.Close)
	require.NoError(t, rdb.Set(ctx, "hot", "v", 0).Err())
	before := getCalls(t, rdb)

	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			v, found, err := nc.Get(ctx, "hot")
			assert.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, "v", v)
		})
	}
	wg.Wait()
	s := nc.Stats()
	assert.Equal(t, uint64(50), s.Hits+s.Misses)
	assert.Equal(t, uint64(1), s.Loads)
	assert.Equal(t, before+1, getCalls(t, rdb), "Redis saw one GET for 50 concurrent reads")
}

// getCalls is how many GETs Redis has executed (INFO commandstats).
func getCalls(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	// cmdstat_get:calls=N,... ; absent before the first GET.
	info, err := rdb.InfoMap(context.Background(), "commandstats").Result()
	require.NoError(t, err)
	var calls int64
	if line, ok := info["Commandstats"]["cmdstat_get"]; ok {
		_, err := fmt.Sscanf(line, "calls=%d", &calls)
		require.NoError(t, err)
	}
	return calls
}

// TestNearCacheStalenessBound shows the bound NearCache documents: another
// process's write is invisible for at most the TTL (plus the load's
// duration), and visible after it. It runs on the wall clock, not in a
// testing/synctest bubble: a bubble's clock cannot advance while goroutines
// wait on a real redis-server's socket.
func TestNearCacheStalenessBound(t *testing.T) {
	const ttl = 300 * time.Millisecond
	addr := startRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	other := redis.NewClient(&redis.Options{Addr: addr}) // another process's client
	t.Cleanup(func() { other.Close() })
	nc := scaleout.NewNearCache(rdb, ttl, 100)
	t.Cleanup(nc.Close)

	require.NoError(t, rdb.Set(ctx, "k", "old", 0).Err())
	v, _, err := nc.Get(ctx, "k")
	require.NoError(t, err)
	loaded := time.Now() // the local deadline is at most loaded + ttl
	require.Equal(t, "old", v)

	require.NoError(t, other.Set(ctx, "k", "new", 0).Err())
	v, _, err = nc.Get(ctx, "k")
	require.NoError(t, err)
	if time.Since(loaded) < ttl/2 { // a stalled machine may have passed the deadline already
		assert.Equal(t, "old", v, "within the TTL the local copy is served: Redis does not tell us")
	}

	time.Sleep(time.Until(loaded.Add(ttl + 10*time.Millisecond)))
	v, _, err = nc.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "new", v, "past the TTL the other process's write is seen")
}

func TestNearCacheRedisErrorsAreNotCached(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	nc := scaleout.NewNearCache(rdb, time.Minute, 100)
	t.Cleanup(nc.Close)

	require.NoError(t, rdb.LPush(ctx, "list", "x").Err()) // GET on a list is WRONGTYPE
	_, _, err := nc.Get(ctx, "list")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WRONGTYPE")
	require.NoError(t, rdb.Del(ctx, "list").Err())
	require.NoError(t, rdb.Set(ctx, "list", "now a string", 0).Err())
	v, found, err := nc.Get(ctx, "list")
	require.NoError(t, err, "the error was not cached")
	assert.True(t, found)
	assert.Equal(t, "now a string", v)

	rdb.Close()
	_, _, err = nc.Get(ctx, "gone")
	assert.True(t, errors.Is(err, redis.ErrClosed), "a closed client's error reaches the caller: %v", err)
}

func TestNewNearCacheRefusesNoTTL(t *testing.T) {
	assert.PanicsWithValue(t, "scaleout: NewNearCache needs a positive TTL: it is the staleness bound", func() {
		scaleout.NewNearCache(nil, 0, 10)
	})
}
