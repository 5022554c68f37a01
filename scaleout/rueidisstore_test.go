package scaleout_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache/scaleout"
)

// trackedClient returns a rueidis client whose client-side cache is
// RueidisStore, and the stores rueidis made (one per connection).
func trackedClient(t *testing.T, addr string, cacheBytes int) (rueidis.Client, func() []*scaleout.RueidisStore) {
	t.Helper()
	var mu sync.Mutex // guards stores
	var stores []*scaleout.RueidisStore
	c, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:       []string{addr},
		CacheSizeEachConn: cacheBytes,
		NewCacheStoreFn: func(o rueidis.CacheStoreOption) rueidis.CacheStore {
			s := scaleout.NewRueidisStore(o.CacheSizeEachConn)
			mu.Lock()
			stores = append(stores, s)
			mu.Unlock()
			return rueidis.NewSimpleCacheAdapter(s)
		},
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, func() []*scaleout.RueidisStore {
		mu.Lock()
		defer mu.Unlock()
		return append([]*scaleout.RueidisStore(nil), stores...)
	}
}

func TestRueidisStoreIsTheClientSideCache(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	client, stores := trackedClient(t, addr, 1<<20)
	other, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	require.NoError(t, err)
	t.Cleanup(other.Close)

	require.NoError(t, other.Do(ctx, other.B().Set().Key("k").Value("v1").Ex(10*time.Second).Build()).Error())
	get := func() rueidis.RedisMessage {
		t.Helper()
		m, err := client.DoCache(ctx, client.B().Get().Key("k").Cache(), time.Minute).ToMessage()
		require.NoError(t, err)
		return m
	}
	first := get()
	assert.False(t, first.IsCacheHit())
	v, _ := first.ToString()
	assert.Equal(t, "v1", v)

	second := get()
	assert.True(t, second.IsCacheHit(), "the second read is served locally")
	v, _ = second.ToString()
	assert.Equal(t, "v1", v)
	assert.LessOrEqual(t, second.CacheTTL(), int64(10), "the client-side TTL is capped by the key's PTTL in Redis")
	assert.Greater(t, second.CacheTTL(), int64(0))

	var hits, held uint64
	for _, s := range stores() {
		hits += s.Stats().Hits
		held += uint64(s.Len())
	}
	assert.Equal(t, uint64(1), hits, "the hit came from minicache")
	assert.Equal(t, uint64(1), held)

	// Another client's write: Redis pushes an invalidation, the store drops k.
	require.NoError(t, other.Do(ctx, other.B().Set().Key("k").Value("v2").Build()).Error())
	assert.Eventually(t, func() bool {
		m := get()
		v, _ := m.ToString()
		return v == "v2"
	}, 5*time.Second, 5*time.Millisecond, "the invalidation reached the store")
}

func TestRueidisStoreMultiGetAndWeightBound(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	const bound = 8 << 10
	client, stores := trackedClient(t, addr, bound)

	value := strings.Repeat("x", 100)
	var keys []string
	for i := range 200 {
		k := "key:" + strconv.Itoa(i)
		keys = append(keys, k)
		require.NoError(t, client.Do(ctx, client.B().Set().Key(k).Value(value+k).Build()).Error())
	}
	for range 2 {
		for _, chunk := range [][]string{keys[:100], keys[100:]} {
			vals, err := rueidis.MGetCache(client, ctx, time.Minute, chunk)
			require.NoError(t, err)
			require.Len(t, vals, len(chunk))
			for _, k := range chunk {
				m := vals[k]
				v, err := m.ToString()
				require.NoError(t, err)
				assert.Equal(t, value+k, v)
			}
		}
	}
	var weight, evictions uint64
	for _, s := range stores() {
		st := s.Stats()
		assert.LessOrEqual(t, st.Weight, uint64(bound), "a store stays within CacheSizeEachConn")
		weight += st.Weight
		evictions += st.Evictions
	}
	assert.Positive(t, weight)
	assert.Positive(t, evictions, "200 replies of over 100 bytes do not fit in 8 KiB")
}

func TestNewRueidisCacheStoreInClientOption(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	client, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:     []string{addr},
		NewCacheStoreFn: scaleout.NewRueidisCacheStore,
	})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	require.NoError(t, client.Do(ctx, client.B().Set().Key("a").Value("1").Build()).Error())
	for i, wantHit := range []bool{false, true, true} {
		m, err := client.DoCache(ctx, client.B().Get().Key("a").Cache(), time.Minute).ToMessage()
		require.NoError(t, err)
		assert.Equal(t, wantHit, m.IsCacheHit(), "read %d", i)
	}
	// A missing key is cached as a nil reply, and invalidated like any other.
	for i, wantHit := range []bool{false, true} {
		res := client.DoCache(ctx, client.B().Get().Key("none").Cache(), time.Minute)
		assert.True(t, rueidis.IsRedisNil(res.Error()), "read %d: %v", i, res.Error())
		assert.Equal(t, wantHit, res.IsCacheHit(), "read %d", i)
	}
	require.NoError(t, client.Do(ctx, client.B().Set().Key("none").Value("now").Build()).Error())
	assert.Eventually(t, func() bool {
		v, err := client.DoCache(ctx, client.B().Get().Key("none").Cache(), time.Minute).ToString()
		return err == nil && v == "now"
	}, 5*time.Second, 5*time.Millisecond, "a cached nil is invalidated by a write, even this client's own")
}

func TestRueidisStoreConcurrentReadersAndWriter(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	client, stores := trackedClient(t, addr, 1<<20)
	writer, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	require.NoError(t, err)
	t.Cleanup(writer.Close)

	const keys = 20
	for i := range keys {
		require.NoError(t, writer.Do(ctx, writer.B().Set().Key("k"+strconv.Itoa(i)).Value("0").Build()).Error())
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for j := range 300 {
				_, err := client.DoCache(ctx, client.B().Get().Key("k"+strconv.Itoa(j%keys)).Cache(), time.Minute).ToString()
				assert.NoError(t, err)
			}
		})
	}
	wg.Go(func() {
		for round := 1; round <= 5; round++ {
			for i := range keys {
				assert.NoError(t, writer.Do(ctx, writer.B().Set().Key("k"+strconv.Itoa(i)).Value(strconv.Itoa(round)).Build()).Error())
			}
		}
	})
	wg.Wait()
	// Every cached copy is invalidated by the last round of writes.
	for i := range keys {
		assert.Eventually(t, func() bool {
			v, err := client.DoCache(ctx, client.B().Get().Key("k"+strconv.Itoa(i)).Cache(), time.Minute).ToString()
			return err == nil && v == "5"
		}, 5*time.Second, 5*time.Millisecond, "k%d converges to the last write", i)
	}
	var hits uint64
	for _, s := range stores() {
		hits += s.Stats().Hits
	}
	assert.Positive(t, hits, "readers were served from minicache")
}
