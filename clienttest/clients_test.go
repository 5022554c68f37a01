package clienttest

import (
	"context"
	"errors"
	"net"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/respserver"
)

const password = "sekret"

// serve starts a respserver with the password on a loopback port and
// returns its address and cache.
func serve(t *testing.T, opts ...respserver.Option) (string, *minicache.Cache[string, string]) {
	t.Helper()
	cache := minicache.New[string, string](minicache.WithCapacity(100_000),
		minicache.WithWeigher(func(k, v string) uint64 { return uint64(len(k) + len(v)) }))
	srv := respserver.New(cache, opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, srv.Shutdown(ctx))
		cache.Close()
	})
	return ln.Addr().String(), cache
}

func TestGoRedis(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			addr, cache := serve(t, respserver.WithPassword(password))
			ctx := context.Background()
			rdb := redis.NewClient(&redis.Options{Addr: addr, Password: password, Protocol: proto, ClientName: "gotest"})
			defer rdb.Close()

			require.NoError(t, rdb.Ping(ctx).Err())
			require.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
			v, err := rdb.Get(ctx, "k").Result()
			require.NoError(t, err)
			assert.Equal(t, "v", v)
			got, ok := cache.Get("k")
			assert.True(t, ok, "a key set over RESP is in the shared cache")
			assert.Equal(t, "v", got)
			_, err = rdb.Get(ctx, "nothere").Result()
			assert.ErrorIs(t, err, redis.Nil)

			assert.Equal(t, time.Duration(-1), rdb.TTL(ctx, "k").Val())
			require.NoError(t, rdb.Set(ctx, "t", "v", time.Minute).Err())
			assert.Equal(t, time.Minute, rdb.TTL(ctx, "t").Val())
			assert.InDelta(t, float64(time.Minute), float64(rdb.PTTL(ctx, "t").Val()), float64(time.Second))
			old, err := rdb.SetArgs(ctx, "t", "w", redis.SetArgs{KeepTTL: true, Get: true}).Result()
			require.NoError(t, err)
			assert.Equal(t, "v", old)
			assert.Equal(t, time.Minute, rdb.TTL(ctx, "t").Val())
			assert.True(t, rdb.SetNX(ctx, "nx", "1", 0).Val())
			assert.False(t, rdb.SetNX(ctx, "nx", "2", 0).Val())
			assert.True(t, rdb.SetXX(ctx, "nx", "3", 0).Val())

			assert.Equal(t, int64(1), rdb.Incr(ctx, "n").Val())
			assert.Equal(t, int64(11), rdb.IncrBy(ctx, "n", 10).Val())
			assert.Equal(t, int64(10), rdb.Decr(ctx, "n").Val())
			assert.InDelta(t, 10.5, rdb.IncrByFloat(ctx, "n", 0.5).Val(), 1e-9)
			assert.EqualError(t, rdb.Incr(ctx, "k").Err(), "ERR value is not an integer or out of range")
			assert.Equal(t, int64(3), rdb.Append(ctx, "k", "ww").Val())
			assert.Equal(t, "vw", rdb.GetRange(ctx, "k", 0, 1).Val())
			assert.Equal(t, int64(3), rdb.StrLen(ctx, "k").Val())

			require.NoError(t, rdb.MSet(ctx, "a", "1", "b", "2").Err())
			assert.Equal(t, []any{"1", "2", nil}, rdb.MGet(ctx, "a", "b", "c").Val())
			assert.Equal(t, int64(2), rdb.Exists(ctx, "a", "b", "c").Val())
			assert.True(t, rdb.Expire(ctx, "a", time.Hour).Val())
			assert.True(t, rdb.ExpireGT(ctx, "a", 2*time.Hour).Val())
			assert.False(t, rdb.ExpireNX(ctx, "a", time.Hour).Val())
			assert.True(t, rdb.Persist(ctx, "a").Val())
			assert.Equal(t, "string", rdb.Type(ctx, "a").Val())
			require.NoError(t, rdb.Rename(ctx, "a", "a2").Err())
			assert.True(t, rdb.Copy(ctx, "a2", "a3", 0, false).Val() == 1)
			v, err = rdb.GetDel(ctx, "a3").Result()
			require.NoError(t, err)
			assert.Equal(t, "1", v)
			v, err = rdb.GetEx(ctx, "a2", time.Minute).Result()
			require.NoError(t, err)
			assert.Equal(t, "1", v)
			assert.Equal(t, time.Minute, rdb.TTL(ctx, "a2").Val())

			for i := range 50 {
				rdb.Set(ctx, "scan:"+strconv.Itoa(i), i, 0)
			}
			var scanned []string
			iter := rdb.Scan(ctx, 0, "scan:*", 7).Iterator()
			for iter.Next(ctx) {
				scanned = append(scanned, iter.Val())
			}
			require.NoError(t, iter.Err())
			assert.Len(t, scanned, 50)
			keys := rdb.Keys(ctx, "scan:1*").Val()
			sort.Strings(keys)
			assert.Equal(t, []string{"scan:1", "scan:10", "scan:11", "scan:12", "scan:13", "scan:14", "scan:15", "scan:16", "scan:17", "scan:18", "scan:19"}, keys)
			assert.Equal(t, int64(50), rdb.Del(ctx, scanned...).Val())

			cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := range 100 {
					p.Set(ctx, "p"+strconv.Itoa(i), i, 0)
					p.Get(ctx, "p"+strconv.Itoa(i))
				}
				return nil
			})
			require.NoError(t, err)
			for i := range 100 {
				assert.Equal(t, strconv.Itoa(i), cmds[2*i+1].(*redis.StringCmd).Val())
			}

			assert.Equal(t, "gotest", rdb.ClientGetName(ctx).Val())
			info := rdb.Info(ctx, "keyspace").Val()
			assert.Contains(t, info, "db0:keys=")
			assert.Positive(t, rdb.DBSize(ctx).Val())
			cfg := rdb.ConfigGet(ctx, "maxmemory*").Val()
			assert.Equal(t, "allkeys-lru", cfg["maxmemory-policy"])
			_, err = rdb.Time(ctx).Result()
			require.NoError(t, err)
			require.NoError(t, rdb.FlushDB(ctx).Err())
			assert.Zero(t, cache.Len())

			err = rdb.Do(ctx, "NOSUCH", "x").Err()
			assert.EqualError(t, err, "ERR unknown command 'NOSUCH', with args beginning with: 'x' ")
			require.NoError(t, rdb.Ping(ctx).Err(), "the connection stays usable after an error")
		})
	}
}

func TestGoRedisWrongPassword(t *testing.T) {
	addr, _ := serve(t, respserver.WithPassword(password))
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: addr, Password: "wrong", Protocol: proto, MaxRetries: -1})
		err := rdb.Ping(context.Background()).Err()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "WRONGPASS", proto)
		rdb.Close()
		rdb = redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1})
		err = rdb.Get(context.Background(), "k").Err()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "NOAUTH", proto)
		rdb.Close()
	}
}

func TestRueidis(t *testing.T) {
	addr, _ := serve(t, respserver.WithPassword(password))
	ctx := context.Background()
	client, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:  []string{addr},
		Password:     password,
		DisableCache: true,
		ClientName:   "rueidis-test",
	})
	require.NoError(t, err)
	defer client.Close()

	require.NoError(t, client.Do(ctx, client.B().Set().Key("k").Value("v").ExSeconds(60).Build()).Error())
	v, err := client.Do(ctx, client.B().Get().Key("k").Build()).ToString()
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	ttl, err := client.Do(ctx, client.B().Ttl().Key("k").Build()).AsInt64()
	require.NoError(t, err)
	assert.Equal(t, int64(60), ttl)
	err = client.Do(ctx, client.B().Get().Key("nothere").Build()).Error()
	assert.True(t, rueidis.IsRedisNil(err), err)
	n, err := client.Do(ctx, client.B().Incrby().Key("n").Increment(5).Build()).AsInt64()
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)
	f, err := client.Do(ctx, client.B().Incrbyfloat().Key("n").Increment(0.25).Build()).AsFloat64()
	require.NoError(t, err)
	assert.Equal(t, 5.25, f)

	cmds := make(rueidis.Commands, 0, 200)
	for i := range 100 {
		cmds = append(cmds, client.B().Set().Key("p"+strconv.Itoa(i)).Value(strconv.Itoa(i)).Build())
		cmds = append(cmds, client.B().Get().Key("p"+strconv.Itoa(i)).Build())
	}
	for i, r := range client.DoMulti(ctx, cmds...) {
		if i%2 == 1 {
			s, err := r.ToString()
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(i/2), s)
		}
	}
	vals, err := client.Do(ctx, client.B().Mget().Key("p1", "p2", "nothere").Build()).ToArray()
	require.NoError(t, err)
	require.Len(t, vals, 3)
	s, _ := vals[0].ToString()
	assert.Equal(t, "1", s)
	assert.True(t, vals[2].IsNil())

	m, err := client.Do(ctx, client.B().ConfigGet().Parameter("maxmemory-policy").Build()).AsStrMap()
	require.NoError(t, err)
	assert.Equal(t, "allkeys-lru", m["maxmemory-policy"])
	name, err := client.Do(ctx, client.B().ClientGetname().Build()).ToString()
	require.NoError(t, err)
	assert.Equal(t, "rueidis-test", name)

	err = client.Do(ctx, client.B().Arbitrary("NOSUCH").Build()).Error()
	var re *rueidis.RedisError
	require.True(t, errors.As(err, &re), err)
	assert.Contains(t, re.Error(), "unknown command 'NOSUCH', with args beginning with: ")
}

// TestGoRedisPipelinesOnALargeCache runs go-redis pipelines of MSET, GET,
// INCR and MGET against a cache large enough for the server to prefetch
// the keys of pipelined commands (see respserver/prefetch.go; without
// -race on amd64), and checks every reply while writers on other
// connections keep overwriting and deleting keys.
func TestGoRedisPipelinesOnALargeCache(t *testing.T) {
	addr, cache := serve(t)
	for i := range 50_000 {
		cache.Set("k"+strconv.Itoa(i), strconv.Itoa(i))
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 4})
	defer rdb.Close()

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // churn on other keys: growth, overwrites, deletes
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := "churn" + strconv.Itoa(i%5000)
			if i%3 == 0 {
				rdb.Del(ctx, k)
			} else {
				rdb.Set(ctx, k, strconv.Itoa(i), 0)
			}
		}
	}()
	defer func() { close(stop); <-done }()

	for round := range 20 {
		pipe := rdb.Pipeline()
		var pairs []any
		for j := range 10 {
			k := "k" + strconv.Itoa((round*997+j*4999)%50_000)
			pairs = append(pairs, k, "r"+strconv.Itoa(round)+"-"+strconv.Itoa(j))
		}
		mset := pipe.MSet(ctx, pairs...)
		var gets []*redis.StringCmd
		for j := range 10 {
			gets = append(gets, pipe.Get(ctx, pairs[2*j].(string)))
		}
		ctr := "ctr" + strconv.Itoa(round%3)
		incr := pipe.Incr(ctx, ctr)
		keys := make([]string, 10)
		for j := range keys {
			keys[j] = pairs[2*j].(string)
		}
		mget := pipe.MGet(ctx, keys...)
		miss := pipe.Get(ctx, "absent"+strconv.Itoa(round))
		_, err := pipe.Exec(ctx)
		require.ErrorIs(t, err, redis.Nil, "only the absent key misses")
		require.NoError(t, mset.Err())
		for j, g := range gets {
			assert.Equal(t, pairs[2*j+1], g.Val(), "round %d, key %s", round, pairs[2*j])
		}
		assert.Equal(t, int64(round/3+1), incr.Val())
		for j, v := range mget.Val() {
			assert.Equal(t, pairs[2*j+1], v)
		}
		assert.ErrorIs(t, miss.Err(), redis.Nil)
	}
}
