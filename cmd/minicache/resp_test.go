package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var respAddrRE = regexp.MustCompile(`resp_addr=(\S+)`)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// dialRESP connects to the Redis protocol address the start log names, for
// the rest of the test (10 s at most).
func dialRESP(t *testing.T, logs string) (net.Conn, *bufio.Reader) {
	t.Helper()
	m := respAddrRE.FindStringSubmatch(logs)
	require.NotNil(t, m, logs)
	c, err := net.Dial("tcp", m[1])
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// resp sends inline commands on c and reads one reply line (and the bulk
// line after a $ header) per command.
func resp(t *testing.T, c net.Conn, r *bufio.Reader, cmds ...string) []string {
	t.Helper()
	_, err := io.WriteString(c, strings.Join(cmds, "\r\n")+"\r\n")
	require.NoError(t, err)
	var out []string
	for range cmds {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\r\n")
		if strings.HasPrefix(line, "$") && line != "$-1" {
			body, err := r.ReadString('\n')
			require.NoError(t, err)
			line += " " + strings.TrimSuffix(body, "\r\n")
		}
		out = append(out, line)
	}
	return out
}

// TestRESPEndToEnd runs the program with CACHE_RESP_PORT and checks that
// both front ends share one cache, that the token is the password, and that
// a shutdown answers every command a client had sent.
func TestRESPEndToEnd(t *testing.T) {
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env("CACHE_PORT", "0", "CACHE_RESP_PORT", freePort(t), "CACHE_AUTH_TOKEN", "tok",
			"CACHE_DEFAULT_TTL", "60", "CACHE_MAX_CONNECTIONS", "7"), io.Discard, &stderr)
	}()
	base := "http://" + waitForAddr(t, stderr.String)
	c, r := dialRESP(t, stderr.String())

	assert.Equal(t, []string{
		"-NOAUTH Authentication required.",
		"-WRONGPASS invalid username-password pair or user is disabled.",
		"+OK", "+OK", "$1 v", ":-1",
	}, resp(t, c, r, "GET k", "AUTH wrong", "AUTH default tok", "SET k v", "GET k", "TTL k"))
	_, err := io.WriteString(c, "CONFIG GET maxclients\r\n")
	require.NoError(t, err)
	var lines []string
	for range 5 {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		lines = append(lines, strings.TrimSuffix(line, "\r\n"))
	}
	assert.Equal(t, []string{"*2", "$10", "maxclients", "$1", "7"}, lines, "maxclients is CACHE_MAX_CONNECTIONS")

	auth := []string{"Authorization", "Bearer tok"}
	status, body := call(t, "GET", base+"/get/k", "", auth...)
	assert.Equal(t, 200, status, body)
	assert.JSONEq(t, `{"key":"k","value":"v"}`, body, "a key set over RESP is read over REST")
	status, body = call(t, "PUT", base+"/set", `{"key":"r","value":"from rest"}`, auth...)
	require.Equal(t, 200, status, body)
	assert.Equal(t, []string{"$9 from rest", ":60"}, resp(t, c, r, "GET r", "TTL r"), "REST's PUT keeps CACHE_DEFAULT_TTL")
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer tok")
	mresp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	metricsBody, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	require.Equal(t, 200, mresp.StatusCode)
	assert.Contains(t, string(metricsBody), `minicache_resp_commands_total{command="set"} 1`+"\n", "/metrics covers the Redis front end")
	assert.Contains(t, string(metricsBody), "minicache_resp_connected_clients 1\n")

	// Commands pipelined before the shutdown are all answered.
	var batch strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&batch, "INCR n%d\r\n", i%10)
	}
	_, err = io.WriteString(c, batch.String())
	require.NoError(t, err)
	cancel()
	for i := range 1000 {
		line, err := r.ReadString('\n')
		require.NoError(t, err, "reply %d", i)
		assert.Equal(t, ":", line[:1])
	}
	_, err = r.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF, "the connection closes once drained")
	require.NoError(t, <-done)
}

func TestRESPPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	err = run(context.Background(), []string{"-resp-port", port}, env("CACHE_PORT", "0"), io.Discard, io.Discard)
	var ce *configError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "port from flag -resp-port")
}

// With CACHE_SNAPSHOT_PATH, SAVE and BGSAVE write the snapshot file.
func TestRESPSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.snap")
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env("CACHE_PORT", "0", "CACHE_RESP_PORT", freePort(t), "CACHE_SNAPSHOT_PATH", path), io.Discard, &stderr)
	}()
	waitForAddr(t, stderr.String)
	c, r := dialRESP(t, stderr.String())
	assert.Equal(t, []string{"+OK", "+OK"}, resp(t, c, r, "SET k v", "SAVE"))
	_, err := os.Stat(path)
	require.NoError(t, err, "SAVE wrote the snapshot")
	last := resp(t, c, r, "LASTSAVE")[0]
	n, err := strconv.ParseInt(strings.TrimPrefix(last, ":"), 10, 64)
	require.NoError(t, err, last)
	assert.InDelta(t, time.Now().Unix(), n, 5)
	assert.Equal(t, []string{"+Background saving started"}, resp(t, c, r, "BGSAVE"))
	cancel()
	require.NoError(t, <-done)
}
