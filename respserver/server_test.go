package respserver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/respserver"
)

// mapOf turns a map reply (RESP3 map or RESP2 flat array) into a Go map of
// rendered values.
func mapOf(t *testing.T, r reply) map[string]string {
	t.Helper()
	require.Zero(t, len(r.elems)%2, r.String())
	m := map[string]string{}
	for i := 0; i < len(r.elems); i += 2 {
		m[r.elems[i].str] = r.elems[i+1].String()
	}
	return m
}

// HELLO answers the map Redis gives, in both protocols, with our own id.
func TestHelloMatchesRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr, _ := startServer(t, nil)
	for _, args := range [][]string{{"HELLO"}, {"HELLO", "2"}, {"HELLO", "3"}, {"HELLO", "3", "SETNAME", "x"}, {"HELLO", "3", "AUTH", "default", "any"}} {
		proto := strings.Join(args, " ")
		want, got := dial(t, redisAddr).do(args...), dial(t, ourAddr).do(args...)
		assert.Equal(t, want.kind, got.kind, proto)
		wm, gm := mapOf(t, want), mapOf(t, got)
		delete(wm, "id")
		assert.NotEmpty(t, gm["id"])
		delete(gm, "id")
		assert.Equal(t, wm, gm, proto)
	}
}

// INFO has Redis's sections and the fields clients read, with real figures.
func TestInfo(t *testing.T) {
	addr, cache := startServer(t, []minicache.Option{minicache.WithCapacity(2), minicache.WithShards(1)})
	c := dial(t, addr)
	c.do("SET", "a", "1")
	c.do("GET", "a")
	c.do("GET", "nothere")
	c.do("SET", "b", "2", "EX", "100")
	c.do("SET", "c", "3") // evicts a
	r := c.do("INFO")
	require.Equal(t, byte('$'), r.kind)
	for _, want := range []string{
		"# Server\r\n", "redis_version:" + respserver.RedisVersion + "\r\n", "# Clients\r\n", "connected_clients:1\r\n",
		"# Memory\r\n", "used_memory:", "# Persistence\r\n", "loading:0\r\n", "# Stats\r\n", "keyspace_hits:1\r\n",
		"keyspace_misses:1\r\n", "evicted_keys:1\r\n", "expired_keys:0\r\n", "uptime_in_seconds:", "# Keyspace\r\n",
		"db0:keys=2,expires=1,avg_ttl=0\r\n",
	} {
		assert.Contains(t, r.str, want)
	}
	assert.Equal(t, 2, cache.Len())
	r = c.do("INFO", "keyspace")
	assert.Equal(t, "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n", r.str)
	r = c.do("INFO", "STATS", "clients")
	assert.Contains(t, r.str, "# Clients")
	assert.Contains(t, r.str, "# Stats")
	assert.NotContains(t, r.str, "# Server")
	c.do("HELLO", "3")
	r = c.do("INFO", "server")
	assert.Equal(t, byte('='), r.kind)
	assert.True(t, strings.HasPrefix(r.str, "txt:# Server\r\n"), r.str)
}

func TestClientCommands(t *testing.T) {
	addr, _ := startServer(t, nil)
	c1, c2 := dial(t, addr), dial(t, addr)
	assert.Equal(t, `+"OK"`, c1.do("CLIENT", "SETNAME", "first").String())
	assert.Equal(t, `+"OK"`, c1.do("CLIENT", "SETINFO", "LIB-NAME", "go-redis").String())
	assert.Equal(t, `+"OK"`, c1.do("CLIENT", "SETINFO", "lib-ver", "9.0").String())
	assert.Equal(t, `-"ERR Unrecognized option 'foo'"`, c1.do("CLIENT", "SETINFO", "foo", "x").String())
	assert.Equal(t, `-"ERR lib-name cannot contain spaces, newlines or special characters."`, c1.do("CLIENT", "SETINFO", "lib-name", "a b").String())
	id1, err := strconv.Atoi(c1.do("CLIENT", "ID").str)
	require.NoError(t, err)
	id2, err := strconv.Atoi(c2.do("CLIENT", "ID").str)
	require.NoError(t, err)
	assert.NotEqual(t, id1, id2)
	info := c1.do("CLIENT", "INFO").str
	assert.Contains(t, info, fmt.Sprintf("id=%d ", id1))
	assert.Contains(t, info, " name=first ")
	assert.Contains(t, info, " lib-name=go-redis lib-ver=9.0\n")
	list := c2.do("CLIENT", "LIST").str
	assert.Equal(t, 2, strings.Count(list, "\n"), list)
	assert.Contains(t, list, " name=first ")
	assert.Contains(t, list, fmt.Sprintf("id=%d ", id2))
	only := c2.do("CLIENT", "LIST", "ID", strconv.Itoa(id2)).str
	assert.Equal(t, 1, strings.Count(only, "\n"))
	assert.Contains(t, only, fmt.Sprintf("id=%d ", id2))
	assert.Equal(t, byte('*'), c1.do("CLIENT", "HELP").kind)
}

func TestCommandCommand(t *testing.T) {
	addr, _ := startServer(t, nil)
	c := dial(t, addr)
	count := c.do("COMMAND", "COUNT")
	require.Equal(t, byte(':'), count.kind)
	n, _ := strconv.Atoi(count.str)
	assert.Greater(t, n, 50)
	all := c.do("COMMAND")
	assert.Len(t, all.elems, n)
	info := c.do("COMMAND", "INFO", "get", "nosuch")
	require.Len(t, info.elems, 2)
	assert.Equal(t, `$"get"`, info.elems[0].elems[0].String())
	assert.Equal(t, `:"2"`, info.elems[0].elems[1].String())
	assert.Equal(t, `_"nil"`, info.elems[1].String())
	assert.Equal(t, `*[]`, c.do("COMMAND", "DOCS").String())
	assert.Len(t, c.do("COMMAND", "LIST").elems, n)
}

// A client that pipelines without reading stops being read: the server's
// memory for it stays bounded, and every reply arrives once it reads.
func TestPipelineBackpressure(t *testing.T) {
	addr, _ := startServer(t, nil)
	c := dial(t, addr)
	// Long keys and values keep the counts small: the kernel's buffers
	// take a few MB of commands and of replies before anything blocks.
	key, value := strings.Repeat("k", 1000), strings.Repeat("v", 16<<10)
	c.do("SET", key, value)
	cmd := encode("GET", key)
	sent := 0
	c.nc.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
	var rest []byte      // what the timed-out write left unsent
	for sent < 100_000 { // 1.6 GB of replies if the server kept reading
		if n, err := c.nc.Write(cmd); err != nil {
			var ne net.Error
			require.True(t, errors.As(err, &ne) && ne.Timeout(), err)
			if n > 0 {
				rest = cmd[n:]
				sent++
			}
			break
		}
		sent++
	}
	require.Less(t, sent, 100_000, "the server read everything without its replies being read")
	c.nc.SetDeadline(time.Now().Add(20 * time.Second))
	go c.nc.Write(rest) // blocks until the server reads again, so not before we read
	for i := range sent {
		r := c.read()
		if r.str != value {
			t.Fatalf("reply %d: %.40s", i, r.String())
		}
	}
	assert.Equal(t, `+"PONG"`, c.do("PING").String())
}

// Many pipelined commands get their replies in order, in few writes.
func TestPipelineOrder(t *testing.T) {
	addr, _ := startServer(t, nil)
	c := dial(t, addr)
	var b []byte
	for i := range 1000 {
		b = append(b, encode("SET", "k"+strconv.Itoa(i), strconv.Itoa(i))...)
		b = append(b, encode("INCR", "k"+strconv.Itoa(i))...)
		b = append(b, "NOSUCH\r\n"...)
	}
	c.send(b)
	for i := range 1000 {
		assert.Equal(t, `+"OK"`, c.read().String())
		assert.Equal(t, fmt.Sprintf(`:"%d"`, i+1), c.read().String())
		assert.Equal(t, `-"ERR unknown command 'NOSUCH', with args beginning with: "`, c.read().String())
	}
}

// INCR is atomic across connections.
func TestIncrConcurrent(t *testing.T) {
	addr, _ := startServer(t, nil)
	var wg sync.WaitGroup
	for range 8 {
		c := dial(t, addr)
		wg.Go(func() {
			var b []byte
			for range 500 {
				b = append(b, encode("INCR", "n")...)
			}
			c.nc.Write(b)
			for range 500 {
				if _, err := readReply(c.br); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, `$"4000"`, dial(t, addr).do("GET", "n").String())
}

// Keys and values are binary-safe, and a large value passes through.
func TestBinaryAndLargeValues(t *testing.T) {
	addr, cache := startServer(t, nil)
	c := dial(t, addr)
	key := "k\x00\r\n\xff"
	big := strings.Repeat("0123456789", 300_000) // 3 MB
	assert.Equal(t, `+"OK"`, c.do("SET", key, big).String())
	v, ok := cache.Get(key)
	require.True(t, ok)
	assert.Equal(t, big, v)
	assert.Equal(t, big, c.do("GET", key).str)
}

func TestMaxBulkLen(t *testing.T) {
	addr, _ := startServer(t, nil, respserver.WithMaxBulkLen(10))
	c := dial(t, addr)
	assert.Equal(t, `:"10"`, c.do("APPEND", "k", "0123456789").String())
	assert.Equal(t, `-"ERR string exceeds maximum allowed size (proto-max-bulk-len)"`, c.do("APPEND", "k", "x").String())
	assert.Equal(t, `-"ERR string exceeds maximum allowed size (proto-max-bulk-len)"`, c.do("SETRANGE", "k", "10", "x").String())
	assert.Equal(t, `-"ERR Protocol error: invalid bulk length"`, c.do("SET", "k", "01234567890").String())
	_, err := readReply(c.br)
	assert.ErrorIs(t, err, io.EOF, "the connection is closed after a protocol error")
}

// A refused store is Redis's OOM error, and the old value is gone.
func TestWeightBoundRefusal(t *testing.T) {
	weigh := func(k, v string) uint64 { return uint64(len(k) + len(v)) }
	addr, _ := startServer(t, []minicache.Option{minicache.WithMaxWeight(100), minicache.WithWeigher(weigh)})
	c := dial(t, addr)
	assert.Equal(t, `+"OK"`, c.do("SET", "k", "small").String())
	oom := `-"OOM command not allowed when used memory > 'maxmemory'."`
	assert.Equal(t, oom, c.do("SET", "k", strings.Repeat("x", 200)).String())
	assert.Equal(t, `_"nil"`, c.do("GET", "k").String())
	assert.Equal(t, oom, c.do("APPEND", "k", strings.Repeat("x", 200)).String())
	assert.Equal(t, `$"100"`, c.do("CONFIG", "GET", "maxmemory").elems[1].String())
	assert.Equal(t, `+"OK"`, c.do("CONFIG", "SET", "maxmemory", "1kb").String())
	assert.Equal(t, `+"OK"`, c.do("SET", "k", strings.Repeat("x", 200)).String())
	assert.Equal(t, `$"1024"`, c.do("CONFIG", "GET", "maxmemory").elems[1].String())
}

func TestMaxmemoryPolicy(t *testing.T) {
	addr, _ := startServer(t, nil)
	assert.Equal(t, `*[$"maxmemory-policy" $"allkeys-lru"]`, dial(t, addr).do("CONFIG", "GET", "maxmemory-policy").String())
	addr, _ = startServer(t, []minicache.Option{minicache.WithPolicy(minicache.WTinyLFU)})
	c := dial(t, addr)
	assert.Equal(t, `*[$"maxmemory-policy" $"allkeys-lfu"]`, c.do("CONFIG", "GET", "maxmemory-policy").String())
	assert.Contains(t, c.do("INFO", "memory").str, "maxmemory_policy:allkeys-lfu\r\n")
	addr, _ = startServer(t, []minicache.Option{minicache.WithPolicy(minicache.Clock)})
	c = dial(t, addr)
	assert.Equal(t, `*[$"maxmemory-policy" $"allkeys-clock"]`, c.do("CONFIG", "GET", "maxmemory-policy").String())
	assert.Contains(t, c.do("INFO", "memory").str, "maxmemory_policy:allkeys-clock\r\n")
}

// A SET without expiry keeps no TTL even when the cache has a default TTL.
func TestSetIgnoresDefaultTTL(t *testing.T) {
	addr, _ := startServer(t, []minicache.Option{minicache.WithDefaultTTL(time.Minute)})
	c := dial(t, addr)
	for _, cmd := range [][]string{{"SET", "a", "1"}, {"MSET", "b", "2"}, {"INCR", "c"}, {"APPEND", "d", "x"}, {"SETNX", "e", "x"}, {"GETSET", "f", "x"}, {"SETRANGE", "g", "1", "x"}, {"INCRBYFLOAT", "h", "1"}} {
		c.do(cmd...)
		assert.Equal(t, `:"-1"`, c.do("TTL", cmd[1]).String(), cmd)
	}
}

func TestMaxClients(t *testing.T) {
	addr, _ := startServer(t, nil, respserver.WithMaxClients(1))
	c := dial(t, addr)
	assert.Equal(t, `+"PONG"`, c.do("PING").String())
	c2 := dial(t, addr)
	assert.Equal(t, `-"ERR max number of clients reached"`, c2.read().String())
	c.do("QUIT")
	require.Eventually(t, func() bool {
		c3 := dial(t, addr)
		r, err := readReply(bufio.NewReader(io.MultiReader(strings.NewReader(""), writeThen(c3, "PING\r\n"))))
		return err == nil && r.String() == `+"PONG"`
	}, 5*time.Second, 10*time.Millisecond)
}

// writeThen writes s on c and returns c's reader.
func writeThen(c *client, s string) io.Reader {
	c.nc.Write([]byte(s))
	return c.br
}

func TestIdleTimeout(t *testing.T) {
	addr, _ := startServer(t, nil, respserver.WithIdleTimeout(100*time.Millisecond))
	c := dial(t, addr)
	assert.Equal(t, `+"PONG"`, c.do("PING").String())
	start := time.Now()
	_, err := readReply(c.br)
	assert.ErrorIs(t, err, io.EOF)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, `*[$"timeout" $"0"]`, dial(t, mustStart(t)).do("CONFIG", "GET", "timeout").String())
}

func mustStart(t *testing.T) string {
	addr, _ := startServer(t, nil)
	return addr
}

func TestQuit(t *testing.T) {
	addr, _ := startServer(t, nil)
	c := dial(t, addr)
	c.send([]byte("*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n"))
	assert.Equal(t, `+"OK"`, c.read().String())
	_, err := readReply(c.br)
	assert.ErrorIs(t, err, io.EOF)
}

// Shutdown lets a connection finish the commands it has sent, then closes
// it; Serve returns ErrServerClosed.
func TestShutdownDrains(t *testing.T) {
	cache := minicache.New[string, string]()
	defer cache.Close()
	srv := respserver.New(cache)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	c := dial(t, ln.Addr().String())
	idle := dial(t, ln.Addr().String())
	assert.Equal(t, `+"PONG"`, idle.do("PING").String())
	var b []byte
	for i := range 20000 {
		b = append(b, encode("SET", "k"+strconv.Itoa(i), "v")...)
	}
	c.send(b)
	assert.Equal(t, `+"OK"`, c.read().String()) // the server is busy with the pipeline
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	assert.ErrorIs(t, <-served, respserver.ErrServerClosed)
	n := 1
	for {
		if _, err := readReply(c.br); err != nil {
			break
		}
		n++
	}
	assert.Equal(t, 20000, n, "every command received before Shutdown was answered")
	assert.Equal(t, 20000, cache.Len())
	_, err = readReply(idle.br)
	assert.ErrorIs(t, err, io.EOF)
	_, err = net.Dial("tcp", ln.Addr().String())
	assert.Error(t, err)
	assert.ErrorIs(t, srv.Serve(ln), respserver.ErrServerClosed)
	assert.NoError(t, srv.Close())
}

// When Shutdown's context ends, the connections still busy are cut.
func TestShutdownTimeout(t *testing.T) {
	cache := minicache.New[string, string]()
	defer cache.Close()
	srv := respserver.New(cache)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	c := dial(t, ln.Addr().String())
	c.do("SET", "k", strings.Repeat("v", 100_000))
	// Pipeline GETs and never read: the connection blocks writing.
	go func() {
		cmd := encode("GET", "k")
		for {
			if _, err := c.nc.Write(cmd); err != nil {
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
}

// fakeSaver counts saves and can fail or be busy.
type fakeSaver struct {
	mu     sync.Mutex // guards the fields below
	saves  int
	busy   bool
	fail   error
	lastAt time.Time
}

func (f *fakeSaver) Save() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.saves++
	f.lastAt = time.Unix(1700000000, 0)
	return nil
}

func (f *fakeSaver) Start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy {
		return errors.New("busy")
	}
	f.saves++
	return nil
}

func (f *fakeSaver) Saving() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.busy
}

func (f *fakeSaver) LastSave() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastAt
}

func TestSaveCommands(t *testing.T) {
	addr, _ := startServer(t, nil)
	c := dial(t, addr)
	off := `-"ERR snapshots are off (minicache saves only with CACHE_SNAPSHOT_PATH)"`
	assert.Equal(t, off, c.do("SAVE").String())
	assert.Equal(t, off, c.do("BGSAVE").String())
	last, err := strconv.ParseInt(c.do("LASTSAVE").str, 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, time.Now().Unix(), last, 5, "the start time before any save")

	sv := &fakeSaver{}
	addr, _ = startServer(t, nil, respserver.WithSaver(sv))
	c = dial(t, addr)
	assert.Equal(t, `+"OK"`, c.do("SAVE").String())
	assert.Equal(t, `:"1700000000"`, c.do("LASTSAVE").String())
	assert.Contains(t, c.do("INFO", "persistence").str, "rdb_last_save_time:1700000000\r\n")
	assert.Equal(t, `+"Background saving started"`, c.do("BGSAVE").String())
	assert.Equal(t, `-"ERR syntax error"`, c.do("BGSAVE", "x").String())
	sv.mu.Lock()
	sv.busy = true
	sv.mu.Unlock()
	assert.Equal(t, `-"ERR Background save already in progress"`, c.do("BGSAVE").String())
	assert.Equal(t, `+"Background saving scheduled"`, c.do("BGSAVE", "SCHEDULE").String())
	assert.Equal(t, `-"ERR Background save already in progress"`, c.do("SAVE").String())
	assert.Contains(t, c.do("INFO", "persistence").str, "rdb_bgsave_in_progress:1\r\n")
	sv.mu.Lock()
	sv.busy, sv.fail = false, errors.New("disk full")
	sv.mu.Unlock()
	assert.Equal(t, `-"ERR"`, c.do("SAVE").String())
	assert.Equal(t, 2, sv.saves)
}

// commandsProcessed is INFO's total_commands_processed, asked on c.
func commandsProcessed(t *testing.T, c *client) int {
	t.Helper()
	m := regexp.MustCompile(`total_commands_processed:(\d+)`).FindStringSubmatch(c.do("INFO", "stats").String())
	require.NotNil(t, m)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// TestCommandCountsAreCurrent: the counts a connection batches are visible
// to INFO on another connection once its replies are out, even while it
// waits in the middle of a frame, and INFO counts itself every time.
func TestCommandCountsAreCurrent(t *testing.T) {
	addr, _ := startServer(t, nil)
	a, b := dial(t, addr), dial(t, addr)
	before := commandsProcessed(t, b)
	var pipeline []byte
	for range 100 {
		pipeline = append(pipeline, encode("PING")...)
	}
	a.send(append(pipeline, "*1\r\n$4\r\nPI"...))
	for range 100 {
		a.read()
	}
	assert.Equal(t, before+100+1, commandsProcessed(t, b),
		"the 100 PINGs are counted while their connection waits mid-frame")

	b.do("PING")
	first := commandsProcessed(t, b)
	assert.Equal(t, first+1, commandsProcessed(t, b), "INFO counts itself after INFO as after PING")
}
