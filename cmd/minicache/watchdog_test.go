package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shortLimits runs the test with the HTTP limits cut to a second or less,
// each different, so that a test tells which limit cut a connection.
func shortLimits(t *testing.T) {
	h, r, i := headerTimeout, requestTimeout, idleTimeout
	headerTimeout, requestTimeout, idleTimeout = 300*time.Millisecond, 600*time.Millisecond, 1200*time.Millisecond
	t.Cleanup(func() { headerTimeout, requestTimeout, idleTimeout = h, r, i })
}

// dialHTTP opens a raw connection to the server at base.
func dialHTTP(t *testing.T, base string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the server closes c within d: a read gets
// EOF or a reset, not a timeout. It discards what c receives meanwhile.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// keptAlive opens a raw connection to the server at base and has one
// request answered on it, in full.
func keptAlive(t *testing.T, base string) net.Conn {
	t.Helper()
	c := dialHTTP(t, base)
	fmt.Fprint(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	return c
}

// trickle writes s a byte at a time, every gap, until a write fails or s
// ends.
func trickle(c net.Conn, s string, gap time.Duration) {
	for i := range len(s) {
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
		time.Sleep(gap)
	}
}

func TestWatchdogCutsSlowHeaders(t *testing.T) {
	shortLimits(t)
	base, _, _ := serve(t)

	// On a new connection (slowloris).
	c := dialHTTP(t, base)
	go trickle(c, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "+strings.Repeat("a", 100), 50*time.Millisecond)
	assert.True(t, closedWithin(c, 3*time.Second), "slow headers on a new connection are cut")

	// On a kept-alive connection, after a first request served in full.
	c = keptAlive(t, base)
	go trickle(c, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "+strings.Repeat("a", 100), 50*time.Millisecond)
	assert.True(t, closedWithin(c, 3*time.Second), "slow headers of a second request are cut")
}

func TestWatchdogCutsASlowBody(t *testing.T) {
	shortLimits(t)
	base, _, _ := serve(t)
	c := dialHTTP(t, base)
	body := `{"key":"slow","value":"` + strings.Repeat("x", 200) + `"}`
	fmt.Fprintf(c, "PUT /set HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	go trickle(c, body, 50*time.Millisecond) // 10 s in all
	start := time.Now()
	assert.True(t, closedWithin(c, 5*time.Second), "a slow body is cut")
	assert.Less(t, time.Since(start), 3*time.Second)
	code, _ := call(t, "GET", base+"/get/slow", "")
	assert.Equal(t, 404, code, "nothing of the cut request is stored")
}

func TestWatchdogCutsAClientThatDoesNotRead(t *testing.T) {
	shortLimits(t)
	base, _, _ := serve(t, "CACHE_MAX_ENTRIES", "0")
	value := strings.Repeat("v", 512<<10)
	code, _ := call(t, "PUT", base+"/set", `{"key":"big","value":"`+value+`"}`)
	require.Equal(t, 200, code)
	c := dialHTTP(t, base)
	// 64 requests for 512 KiB each: far more than the sockets' buffers
	// hold, so the server's writes block until it gives up.
	var reqs strings.Builder
	for range 64 {
		reqs.WriteString("GET /get/big HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	_, err := io.WriteString(c, reqs.String())
	require.NoError(t, err)
	time.Sleep(3 * requestTimeout)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, c)
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the connection was closed, not kept waiting")
	assert.Less(t, n, int64(64*len(value)), "the answers stopped")
}

func TestWatchdogCutsIdleConnections(t *testing.T) {
	shortLimits(t)
	base, _, _ := serve(t)

	// A new connection that never sends: the header limit.
	c := dialHTTP(t, base)
	start := time.Now()
	assert.True(t, closedWithin(c, 3*time.Second), "a connection that never sends is cut")
	assert.GreaterOrEqual(t, time.Since(start), headerTimeout)
	assert.Less(t, time.Since(start), idleTimeout)

	// A kept-alive connection after a request: the idle limit.
	c = keptAlive(t, base)
	start = time.Now()
	assert.True(t, closedWithin(c, 5*time.Second), "an idle kept-alive connection is cut")
	assert.GreaterOrEqual(t, time.Since(start), idleTimeout)
}

func TestWatchdogCloseTwiceAndNoLimits(t *testing.T) {
	w := newWatchdog(0, 0, 0) // no limit: nothing is ever cut
	assert.Equal(t, time.Duration(0), w.limit(phaseIdle))
	w.Close()
	w.Close()
}

// TestWatchdogSparesSteadyClients sends requests on one kept-alive
// connection for longer than every limit, each in good time: none is cut.
func TestWatchdogSparesSteadyClients(t *testing.T) {
	shortLimits(t)
	base, _, _ := serve(t)
	c := dialHTTP(t, base)
	r := bufio.NewReader(c)
	deadline := time.Now().Add(2 * idleTimeout)
	for i := 0; time.Now().Before(deadline); i++ {
		body := fmt.Sprintf(`{"key":"k%d","value":"v"}`, i)
		_, err := fmt.Fprintf(c, "PUT /set HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		require.NoError(t, err)
		resp, err := http.ReadResponse(r, nil)
		require.NoError(t, err, "request %d", i)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		time.Sleep(headerTimeout + 100*time.Millisecond) // idle past the header limit, within the idle one
	}
}
