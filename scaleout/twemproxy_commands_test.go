package scaleout_test

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusedByProxy are the commands minicache serves that twemproxy 0.5.0
// does not forward: it logs "parsed unsupported command" and closes the
// client's connection. QUIT is not among them (the proxy closes the
// connection itself, as asked) and neither is AUTH (the proxy answers it,
// from its own redis_auth).
var refusedByProxy = [][]any{
	{"echo", "x"},
	{"hello", "2"},
	{"reset"},
	{"select", "0"},
	{"client", "id"},
	{"client", "setname", "x"},
	{"client", "setinfo", "lib-name", "x"},
	{"command", "count"},
	{"command", "info", "get"},
	{"config", "get", "maxmemory"},
	{"info"},
	{"dbsize"},
	{"time"},
	{"flushdb"},
	{"flushall"},
	{"keys", "*"},
	{"scan", "0"},
	{"randomkey"},
	{"rename", "c:a", "c:b"},
	{"renamenx", "c:a", "c:b"},
	{"msetnx", "c:a", "1", "c:b", "2"},
	{"expiretime", "c:a"},
	{"pexpiretime", "c:a"},
	{"substr", "c:a", "0", "1"},
	{"save"},
	{"bgsave"},
	{"lastsave"},
}

// forwardedByProxy are the commands minicache serves that twemproxy 0.5.0
// forwards; testProxyCommands runs each through it. quit and auth are the
// proxy's own (see refusedByProxy).
var forwardedByProxy = []string{
	"append", "command", "copy", "decr", "decrby", "del", "exists", "expire",
	"expireat", "get", "getdel", "getex", "getrange", "getset", "incr",
	"incrby", "incrbyfloat", "mget", "mset", "persist", "pexpire",
	"pexpireat", "ping", "psetex", "pttl", "set", "setex", "setnx",
	"setrange", "strlen", "touch", "ttl", "type", "unlink",
}

func testProxyCommands(t *testing.T, cl *cluster) {
	ctx := context.Background()

	// Every command the server has is classified, forwarded or refused: a
	// new command must be added to one of the lists (and tested).
	names, err := cl.shards[0].rdb.Do(ctx, "command", "list").StringSlice()
	require.NoError(t, err)
	known := map[string]bool{"quit": true, "auth": true}
	for _, n := range forwardedByProxy {
		known[n] = true
	}
	for _, args := range refusedByProxy {
		known[args[0].(string)] = true
	}
	for _, n := range names {
		assert.True(t, known[strings.ToLower(n)], "minicache has %q: add it to forwardedByProxy or refusedByProxy in twemproxy_commands_test.go, and to the README's list", n)
	}

	px := proxyClient(t, cl.proxy, 1)
	do := func(args ...any) *redis.Cmd { return px.Do(ctx, args...) }
	val := func(args ...any) any {
		t.Helper()
		v, err := do(args...).Result()
		require.NoError(t, err, "%v", args)
		return v
	}

	// Every command the proxy forwards, through it, with its answer.
	assert.Equal(t, "PONG", val("ping"))
	assert.Equal(t, "OK", val("set", "c:s", "v"))
	assert.Equal(t, "v", val("get", "c:s"))
	assert.ErrorIs(t, do("get", "c:none").Err(), redis.Nil)
	assert.Equal(t, int64(0), val("setnx", "c:s", "w"))
	assert.Equal(t, "OK", val("setex", "c:ex", "100", "v"))
	assert.Equal(t, "OK", val("psetex", "c:px", "100000", "v"))
	assert.Equal(t, "v", val("getset", "c:s", "w"))
	assert.Equal(t, "w", val("set", "c:s", "x", "get"), "SET ... GET answers the old value")
	assert.Equal(t, int64(2), val("append", "c:s", "y"))
	assert.Equal(t, int64(2), val("strlen", "c:s"))
	assert.Equal(t, "xy", val("getrange", "c:s", "0", "-1"))
	assert.Equal(t, int64(2), val("setrange", "c:s", "0", "z"))
	assert.Equal(t, "zy", val("getex", "c:s", "ex", "100"))
	assert.Equal(t, int64(100), val("ttl", "c:s"))
	assert.Equal(t, int64(1), val("persist", "c:s"))
	assert.Equal(t, int64(-1), val("ttl", "c:s"))
	assert.Equal(t, int64(1), val("expire", "c:s", "50"))
	assert.Equal(t, int64(1), val("pexpire", "c:s", "60000"))
	assert.Equal(t, int64(1), val("expireat", "c:s", "4102444800"))
	assert.Equal(t, int64(1), val("pexpireat", "c:s", "4102444800000"))
	assert.Greater(t, val("pttl", "c:s"), int64(0))
	assert.Equal(t, "string", val("type", "c:s"))
	assert.Equal(t, "zy", val("getdel", "c:s"))
	assert.Equal(t, int64(0), val("exists", "c:s"))
	assert.Equal(t, int64(1), val("incr", "c:n"))
	assert.Equal(t, int64(11), val("incrby", "c:n", "10"))
	assert.Equal(t, int64(10), val("decr", "c:n"))
	assert.Equal(t, int64(0), val("decrby", "c:n", "10"))
	assert.Equal(t, "0.5", val("incrbyfloat", "c:n", "0.5"))
	assert.EqualError(t, do("incr", "c:ex").Err(), "ERR value is not an integer or out of range", "server errors come through")
	assert.Equal(t, "OK", val("mset", "c:m1", "1", "c:m2", "2"))
	assert.Equal(t, []any{"1", "2", nil}, val("mget", "c:m1", "c:m2", "c:none"))
	assert.Equal(t, int64(2), val("touch", "c:m1", "c:m2"))
	assert.Equal(t, int64(2), val("del", "c:m1", "c:m2", "c:none"))
	assert.Equal(t, int64(2), val("unlink", "c:ex", "c:px"))
	cmds, ok := val("command").([]any) // forwarded to one server, bare COMMAND only
	assert.True(t, ok)
	assert.NotEmpty(t, cmds)
	for _, v := range []string{"", "\r\n\x00*1\r\n$3\r\n", strings.Repeat("\xff\x00ab", 1<<18)} { // up to 1 MiB, any bytes
		require.NoError(t, px.Set(ctx, "c:bytes", v, 0).Err())
		assert.Equal(t, v, val("get", "c:bytes"), "a value of %d bytes", len(v))
	}
	assert.Equal(t, int64(1), val("del", "c:bytes"))
	assert.EqualError(t, do("auth", "x").Err(), "ERR Client sent AUTH, but no password is set", "the proxy answers AUTH itself")

	// COPY is forwarded to the server of its first key only, so it works when
	// both keys are on one server and otherwise writes the copy where the
	// ring never reads it.
	src := "copy:src"
	home := cl.shardOf(t, src)
	var sameDst, otherDst string
	for i := 0; sameDst == "" || otherDst == ""; i++ {
		require.Less(t, i, 1000)
		k := "copy:" + strconv.Itoa(i)
		if cl.shardOf(t, k) == home {
			sameDst = cmp.Or(sameDst, k)
		} else {
			otherDst = cmp.Or(otherDst, k)
		}
	}
	require.NoError(t, px.Set(ctx, src, "c", 0).Err())
	assert.Equal(t, int64(1), val("copy", src, sameDst))
	assert.Equal(t, "c", px.Get(ctx, sameDst).Val(), "COPY within one server")
	assert.Equal(t, int64(1), val("copy", src, otherDst))
	assert.ErrorIs(t, px.Get(ctx, otherDst).Err(), redis.Nil, "COPY across servers: the proxy reads the copy from another server")
	assert.Equal(t, "c", cl.shards[home].rdb.Get(ctx, otherDst).Val(), "the copy is on the first key's server")
	require.NoError(t, cl.shards[home].rdb.Del(ctx, src, sameDst, otherDst).Err())

	// The commands it refuses: the connection is closed, not an error reply.
	for _, args := range refusedByProxy {
		c := proxyClient(t, cl.proxy, 1)
		err := c.Do(ctx, args...).Err()
		require.Error(t, err, "%v", args)
		var rerr redis.Error
		assert.False(t, errors.As(err, &rerr), "%v: a closed connection, not a reply: %v", args, err)
		c.Close()
		assert.Equal(t, "PONG", val("ping"), "the proxy serves other connections")
	}
	// And the server knows each of them (but the flushes are not run, which
	// would empty it): asked directly, it answers, if only with an error of
	// the command's own.
	for _, args := range refusedByProxy {
		if strings.HasPrefix(args[0].(string), "flush") {
			continue
		}
		err := cl.shards[0].rdb.Do(ctx, args...).Err()
		var rerr redis.Error
		if err != nil && !errors.Is(err, redis.Nil) {
			require.True(t, errors.As(err, &rerr), "%v directly: %v", args, err)
			assert.NotContains(t, err.Error(), "unknown command", "%v directly", args)
		}
	}
}

// shardOf returns the index of the server the ring puts k on, by writing
// it through the proxy and asking each server; k is deleted again.
func (cl *cluster) shardOf(t *testing.T, k string) int {
	t.Helper()
	ctx := context.Background()
	px := proxyClient(t, cl.proxy, 1)
	defer px.Close()
	require.NoError(t, px.Set(ctx, k, "probe", 0).Err())
	defer px.Del(ctx, k)
	held := cl.owners(t, []string{k})[k]
	require.Len(t, held, 1, k)
	return held[0]
}
