package clienttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache/respserver"
)

// tool returns the path of a redis-tools binary, or skips the test loudly
// (fails it under CI) when it is missing.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("!!! %s is not installed (apt-get install redis-tools)", name)
		}
		t.Skipf("!!! SKIPPING: %s is not installed (apt-get install redis-tools)", name)
	}
	return p
}

// cli runs redis-cli against addr with args and stdin, and returns its
// standard output.
func cli(t *testing.T, addr, stdin string, args ...string) string {
	t.Helper()
	out, err := cliStatus(t, addr, stdin, args...)
	require.NoError(t, err, "redis-cli %v: %s", args, out)
	return out
}

// cliStatus is cli that returns redis-cli's exit error too.
func cliStatus(t *testing.T, addr, stdin string, args ...string) (string, error) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	cmd := exec.Command(tool(t, "redis-cli"), append([]string{"-h", host, "-p", port}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "REDISCLI_HISTFILE=/dev/null")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestRedisCLI(t *testing.T) {
	addr, cache := serve(t)
	assert.Equal(t, "PONG\n", cli(t, addr, "", "PING"))
	assert.Equal(t, "OK\n", cli(t, addr, "", "SET", "greeting", "hello world"))
	assert.Equal(t, "hello world\n", cli(t, addr, "", "GET", "greeting"))
	assert.Equal(t, "\n", cli(t, addr, "", "GET", "nothere"))
	assert.Equal(t, "(nil)\n", cli(t, addr, "", "--no-raw", "GET", "nothere"))
	assert.Equal(t, "(integer) 1\n", cli(t, addr, "", "--no-raw", "INCR", "n"))
	assert.Equal(t, "(error) ERR value is not an integer or out of range\n", cli(t, addr, "", "--no-raw", "INCR", "greeting"))
	// Commands read from standard input, one per line, on one connection.
	assert.Equal(t, "OK\n2\nb\n", cli(t, addr, "SET a b\nINCR n\nGET a\n"))

	// RESP3: maps and nulls print as redis-cli shows them.
	out := cli(t, addr, "", "-3", "--no-raw", "HELLO", "3")
	assert.Contains(t, out, `1# "server" => "redis"`)
	assert.Contains(t, out, `3# "proto" => (integer) 3`)
	assert.Equal(t, "(nil)\n", cli(t, addr, "", "-3", "--no-raw", "GET", "nothere"))
	assert.Equal(t, "1# \"maxmemory-policy\" => \"allkeys-lru\"\n", cli(t, addr, "", "-3", "--no-raw", "CONFIG", "GET", "maxmemory-policy"))

	// --scan walks SCAN to the end.
	for i := range 120 {
		cache.Set(fmt.Sprintf("user:%d", i), "x")
	}
	keys := strings.Fields(cli(t, addr, "", "--scan", "--pattern", "user:1?"))
	sort.Strings(keys)
	assert.Equal(t, []string{"user:10", "user:11", "user:12", "user:13", "user:14", "user:15", "user:16", "user:17", "user:18", "user:19"}, keys)
	assert.Len(t, strings.Fields(cli(t, addr, "", "--scan")), cache.Len())

	// --pipe sends raw protocol and counts the replies.
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "*3\r\n$3\r\nSET\r\n$%d\r\npipe:%d\r\n$1\r\nv\r\n", len(fmt.Sprint("pipe:", i)), i)
	}
	out = cli(t, addr, b.String(), "--pipe")
	assert.Contains(t, out, "errors: 0, replies: 1000")
	assert.Equal(t, "v", must(cache.Get("pipe:999")))
	// Inline commands through --pipe, as telnet would send them.
	out, err := cliStatus(t, addr, "SET inline \"a b\"\r\nNOSUCH\r\n", "--pipe")
	assert.Error(t, err, "redis-cli --pipe exits 1 when a reply is an error")
	assert.Contains(t, out, "errors: 1, replies: 2")
	assert.Equal(t, "a b", must(cache.Get("inline")))
}

func TestRedisCLIPassword(t *testing.T) {
	addr, _ := serve(t, respserver.WithPassword(password))
	assert.Equal(t, "(error) NOAUTH Authentication required.\n", cli(t, addr, "", "--no-raw", "GET", "k"))
	assert.Equal(t, "OK\n", cli(t, addr, "", "--no-auth-warning", "-a", password, "SET", "k", "v"))
	assert.Equal(t, "v\n", cli(t, addr, "", "--no-auth-warning", "--user", "default", "--pass", password, "-3", "GET", "k"))
	out := cli(t, addr, "", "--no-auth-warning", "-a", "wrong", "PING")
	assert.Contains(t, out, "WRONGPASS")
}

// A short redis-benchmark run completes every test without errors.
func TestRedisBenchmark(t *testing.T) {
	addr, _ := serve(t)
	host, port, _ := net.SplitHostPort(addr)
	for _, pipeline := range []string{"1", "16"} {
		cmd := exec.Command(tool(t, "redis-benchmark"), "-h", host, "-p", port, "-c", "10", "-n", "2000",
			"-P", pipeline, "-t", "set,get,incr,mset", "-q")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, test := range []string{"SET:", "GET:", "INCR:", "MSET (10 keys):"} {
			assert.Contains(t, string(out), test)
		}
		assert.NotContains(t, string(out), "ERR")
	}
}

func must(v string, ok bool) string {
	if !ok {
		return "<absent>"
	}
	return v
}
