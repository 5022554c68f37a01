package httpserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/minicache/minicache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdmissionInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &admission{max: 10}
		n, ok := a.acquire(context.Background(), 8, time.Second)
		require.True(t, ok)
		require.Equal(t, int64(8), n)

		got := make(chan int64, 2)
		for _, want := range []int64{5, 1} { // 5 waits; 1 would fit but queues behind it
			go func() {
				n, ok := a.acquire(context.Background(), want, time.Minute)
				assert.True(t, ok)
				got <- n
			}()
			synctest.Wait()
		}
		assert.Empty(t, got, "no waiter overtakes the oldest")
		a.release(8)
		assert.ElementsMatch(t, []int64{5, 1}, []int64{<-got, <-got})
		assert.Equal(t, int64(6), a.used)
	})
}

func TestAdmissionTimesOutAndCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &admission{max: 10}
		n, ok := a.acquire(context.Background(), 100, time.Second)
		require.True(t, ok, "a request larger than the bound runs alone")
		assert.Equal(t, int64(10), n)

		start := time.Now()
		_, ok = a.acquire(context.Background(), 1, 3*time.Second)
		assert.False(t, ok)
		assert.Equal(t, 3*time.Second, time.Since(start))

		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(time.Second); cancel() }()
		_, ok = a.acquire(ctx, 1, time.Hour)
		assert.False(t, ok, "the request's context ended")

		a.release(n)
		assert.Equal(t, int64(0), a.used)
		assert.Zero(t, a.waiters.Len(), "waiters that gave up are gone")
		n, ok = a.acquire(context.Background(), 10, 0)
		assert.True(t, ok)
		assert.Equal(t, int64(10), n)
	})
}

func TestAdmissionGiveUpUnblocksSmallerWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &admission{max: 10}
		held, _ := a.acquire(context.Background(), 6, 0)
		big := make(chan bool)
		go func() { _, ok := a.acquire(context.Background(), 8, time.Second); big <- ok }()
		synctest.Wait()
		small := make(chan bool)
		go func() { _, ok := a.acquire(context.Background(), 4, time.Hour); small <- ok }()
		synctest.Wait()
		assert.False(t, <-big, "the big waiter times out")
		assert.True(t, <-small, "and the small one behind it, which fits, is admitted")
		a.release(held)
	})
}

// TestBusyAnswerReachesAClientSendingItsBody sends large bodies to a server
// whose in-flight bound is taken, over TCP: the client reads each 503, and
// the connection stays open (net/http closes one whose body is left unread,
// which a client still sending may see as a reset).
func TestBusyAnswerReachesAClientSendingItsBody(t *testing.T) {
	defer func(d time.Duration) { admissionWait = d }(admissionWait)
	admissionWait = 20 * time.Millisecond
	c := minicache.New[string, string]()
	defer c.Close()
	h := New(c, WithMaxBytesInFlight(1)).(*server)
	held, ok := h.admit.acquire(context.Background(), 1, 0)
	require.True(t, ok)
	defer h.admit.release(held)
	srv := httptest.NewUnstartedServer(h)
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	body := `{"key":"k","value":"` + strings.Repeat("x", 4<<20) + `"}`
	for range 3 { // on one keep-alive connection
		req, err := http.NewRequest("PUT", srv.URL+"/set", strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, "the client gets an answer")
		_, _ = io.Copy(io.Discard, resp.Body) // so that the client may reuse the connection
		resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	}
	assert.Equal(t, int32(1), conns.Load(), "the body was read, so the connection was kept")
}
