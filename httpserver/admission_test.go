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
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/admission"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBusyAnswerReachesAClientSendingItsBody sends large bodies to a server
// whose in-flight bound is taken, over TCP: the client reads each 503, and
// the connection stays open (net/http closes one whose body is left unread,
// which a client still sending may see as a reset).
func TestBusyAnswerReachesAClientSendingItsBody(t *testing.T) {
	defer func(d time.Duration) { admissionWait = d }(admissionWait)
	admissionWait = 20 * time.Millisecond
	c := minicache.New[string, string]()
	defer c.Close()
	budget := admission.New(1)
	h := New(c, WithBudget(budget))
	held, ok := budget.Acquire(context.Background(), 1, 0)
	require.True(t, ok)
	defer budget.Release(held)
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
