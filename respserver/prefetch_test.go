package respserver

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/minicache/minicache"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resp encodes commands as RESP arrays, each given as space-separated
// words.
func resp(cmds ...string) string {
	var b []byte
	for _, c := range cmds {
		b = append(b, EncodeCommand(strings.Fields(c)...)...)
	}
	return string(b)
}

func TestScanKeys(t *testing.T) {
	many := "MSET"
	var manyKeys []string
	for i := range 40 {
		many += " k" + strconv.Itoa(i) + " v"
		if i < prefetchKeys {
			manyKeys = append(manyKeys, "k"+strconv.Itoa(i))
		}
	}
	tests := []struct {
		name  string
		input string
		keys  []string
		done  int // bytes scanned; -1: all of input
	}{
		{"pipeline", resp("GET a", "SET b 1", "incr c", "PING", "GET d"), []string{"a", "b", "c", "d"}, -1},
		{"MSET keys, not values", resp("MSET a 1 b 2 c 3"), []string{"a", "b", "c"}, -1},
		{"MGET and DEL", resp("MGET a b", "DEL c d e"), []string{"a", "b", "c", "d", "e"}, -1},
		{"unknown command", resp("NOSUCH a b", "GET c"), []string{"c"}, -1},
		{"container command", resp("CLIENT SETNAME x", "GET c"), []string{"c"}, -1},
		{"incomplete frame", resp("GET a") + "*2\r\n$3\r\nGET\r\n$1\r\n", []string{"a"}, len(resp("GET a"))},
		{"inline command", resp("GET a") + "GET b\r\n" + resp("GET c"), []string{"a"}, len(resp("GET a"))},
		{"empty array", resp("GET a") + "*0\r\n" + resp("GET c"), []string{"a"}, len(resp("GET a"))},
		{"malformed count", "*x\r\n" + resp("GET a"), nil, 0},
		{"huge bulk length", resp("GET a") + "*2\r\n$3\r\nGET\r\n$9223372036854775807\r\nabc", []string{"a"}, len(resp("GET a"))},
		{"huge bulk length less one", "*2\r\n$3\r\nGET\r\n$9223372036854775806\r\nabc", nil, 0},
		{"first command over the limit", resp(many, "GET z"), manyKeys, len(resp(many))},
		{"later command over the limit", resp("GET a", many), []string{"a"}, len(resp("GET a"))},
		{"nothing", "", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, done := scanKeys(nil, []byte(tt.input), &specCache{})
			if tt.done < 0 {
				tt.done = len(tt.input)
			}
			assert.Equal(t, tt.keys, keys)
			assert.Equal(t, tt.done, done)
		})
	}
}

// FuzzScanKeys checks scanKeys against the reader: the bytes it reports
// scanned are whole commands, and its keys are, in order, the key
// arguments of those commands as the reader parses them (all of them,
// unless the first command alone has more than prefetchKeys).
func FuzzScanKeys(f *testing.F) {
	for _, s := range []string{
		resp("GET a", "SET b 1", "MSET c 1 d 2"), resp("MGET a b c") + "*2\r\n$3\r\nGET", "*1\r\n$-1\r\n",
		"GET a\r\n", "*2\r\n$3\r\nget\r\n$3\r\na\r\n\r\n", resp("DEL a b", "EXISTS c", "PING"),
		"*2\r\n$3\r\nGET\r\n$9223372036854775807\r\nabc",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, done := scanKeys(nil, data, &specCache{})
		require.LessOrEqual(t, done, len(data))
		require.LessOrEqual(t, len(keys), prefetchKeys)
		r := newReader(bytes.NewReader(data[:done]), 64, 1<<30)
		var want []string
		for {
			args, err := r.readCommand()
			if err != nil {
				break
			}
			s := lookup(table, args[0])
			if s == nil || s.first == 0 {
				continue
			}
			for i := range args {
				if isKey(s, i, len(args)) {
					want = append(want, string(args[i]))
				}
			}
		}
		require.Zero(t, r.br.Buffered(), "scanned bytes left unread: not whole commands")
		if len(want) > prefetchKeys {
			want = want[:prefetchKeys] // the first command alone is over the limit
		}
		if len(want) == 0 {
			require.Empty(t, keys)
			return
		}
		require.Equal(t, want, keys)
	})
}

// TestPrefetchBacksOff checks that a connection whose Prefetch starts
// nothing (a cache small enough for the CPU's caches) scans less and less
// often, and every time again once the cache is large (where Prefetch
// does its work).
func TestPrefetchBacksOff(t *testing.T) {
	cache := minicache.New[string, string]()
	defer cache.Close()
	client, server := net.Pipe()
	defer client.Close()
	c := newConn(New(cache), server)
	pipeline := []byte(resp("GET a", "GET b", "GET c", "GET d"))
	go client.Write(bytes.Repeat(pipeline, 8))
	_, err := c.r.br.Peek(8 * len(pipeline))
	require.NoError(t, err)

	c.prefetchAhead()
	assert.Equal(t, len(pipeline)*8, c.ahead, "the whole buffer scanned")
	assert.Equal(t, 1, c.skip, "nothing started: skip the next command's scan")
	c.ahead = 0
	c.prefetchAhead()
	assert.Zero(t, c.skip, "skipped one")
	c.prefetchAhead()
	assert.Equal(t, 3, c.skip, "nothing started again: skip three")

	fillLarge(cache)
	if cache.Prefetch("a", "b") == 0 {
		t.Skip("Prefetch does nothing on this platform or under -race")
	}
	c.skip, c.ahead = 0, 0
	c.prefetchAhead()
	assert.Zero(t, c.skip, "started: no skipping")
	assert.Zero(t, c.backoff, "started: the backoff starts again")
}

// serveLarge serves, over a pipe, a connection to a cache filled past the
// size below which Prefetch does nothing, and skips the test where Prefetch
// does nothing at all. done is closed when the connection's serve returns.
func serveLarge(t *testing.T) (cache *minicache.Cache[string, string], c *conn, client net.Conn, done chan struct{}) {
	t.Helper()
	cache = minicache.New[string, string]()
	t.Cleanup(cache.Close)
	fillLarge(cache)
	if cache.Prefetch("a", "b") == 0 {
		t.Skip("Prefetch does nothing on this platform or under -race")
	}
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close() })
	c = newConn(New(cache), server)
	done = make(chan struct{})
	go func() {
		defer close(done)
		c.serve()
	}()
	return cache, c, client, done
}

// fillLarge fills cache past the size below which Prefetch does nothing.
func fillLarge(cache *minicache.Cache[string, string]) {
	for i := range 40_000 {
		cache.Set("fill:"+strconv.Itoa(i), "v")
	}
}

// TestPrefetchScansEachCommandOnce checks the bookkeeping of what has been
// scanned as a connection serves a pipeline of 64 GETs that arrives at
// once: two scans of 32 keys each, one before the first command runs and
// one when the commands of the first scan have all been read. A scan that
// never moved on would prefetch once; one that forgot what it scanned,
// dozens of times.
func TestPrefetchScansEachCommandOnce(t *testing.T) {
	_, c, client, done := serveLarge(t)
	var cmds []string
	for i := range 64 {
		cmds = append(cmds, "GET fill:"+strconv.Itoa(i))
	}
	go client.Write([]byte(resp(cmds...)))
	reply := make([]byte, 64*len("$1\r\nv\r\n"))
	_, err := io.ReadFull(client, reply)
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("$1\r\nv\r\n", 64), string(reply))
	client.Close()
	<-done
	assert.Equal(t, 2, c.prefetches)
}

// TestPrefetchLongCommands checks that a command with more keys than a
// scan takes prefetches the rest as its handler walks them, half a scan
// ahead, and still answers right: an MGET of 100 keys makes one scan of
// 32 and five more Prefetch calls (keys 32-47, 48-63, 64-79, 80-95 and
// 96-99), then a DEL and an MSET of as many.
func TestPrefetchLongCommands(t *testing.T) {
	cache, c, client, done := serveLarge(t)
	send := func(cmd []string, want string) {
		t.Helper()
		go client.Write(EncodeCommand(cmd...))
		got := make([]byte, len(want))
		_, err := io.ReadFull(client, got)
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	}

	mget := []string{"MGET"}
	want := "*100\r\n"
	for i := range 100 {
		mget = append(mget, "fill:"+strconv.Itoa(i*7))
		want += "$1\r\nv\r\n"
	}
	send(mget, want)
	assert.Equal(t, 6, c.prefetches)

	del := append([]string{"DEL"}, mget[1:]...)
	send(del, ":100\r\n")
	mset := []string{"MSET"}
	for i := range 100 {
		mset = append(mset, "fill:"+strconv.Itoa(i*7), "w"+strconv.Itoa(i))
	}
	send(mset, "+OK\r\n")
	client.Close()
	<-done
	for i := range 100 {
		v, ok := cache.Get("fill:" + strconv.Itoa(i*7))
		require.True(t, ok)
		require.Equal(t, "w"+strconv.Itoa(i), v)
	}
}
