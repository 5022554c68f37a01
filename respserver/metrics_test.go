package respserver_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/respserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteMetrics(t *testing.T) {
	cache := minicache.New[string, string]()
	defer cache.Close()
	srv := respserver.New(cache)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	c := dial(t, ln.Addr().String())
	for range 20 {
		c.do("SET", "k", "v")
	}
	c.do("GET", "k")
	c.do("CLIENT", "SETNAME", "x")
	var b strings.Builder
	srv.WriteMetrics(&b)
	out := b.String()
	assert.Contains(t, out, `minicache_resp_commands_total{command="set"} 20`+"\n")
	assert.Contains(t, out, `minicache_resp_commands_total{command="get"} 1`+"\n")
	assert.Contains(t, out, `minicache_resp_commands_total{command="client|setname"} 1`+"\n")
	assert.Contains(t, out, `minicache_resp_command_duration_seconds_count{command="set"} 1`+"\n", "one in 16 is timed: the 16th")
	assert.Contains(t, out, "minicache_resp_connected_clients 1\n")
	assert.Contains(t, out, "minicache_resp_connections_total 1\n")
}
