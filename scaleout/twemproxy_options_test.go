package scaleout_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache/scaleout"
)

// fakeTwemproxy serves RESP like twemproxy 0.5.0 does to what go-redis sends
// on connect: it closes the connection on HELLO or CLIENT, and answers
// PING. It records the command names it received.
func fakeTwemproxy(t *testing.T) (addr string, seen chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	seen = make(chan string, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					var args []string
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					var n int
					if _, err := fmt.Sscanf(line, "*%d", &n); err != nil {
						return
					}
					for range n {
						if _, err := r.ReadString('\n'); err != nil { // $len
							return
						}
						a, err := r.ReadString('\n')
						if err != nil {
							return
						}
						args = append(args, strings.TrimRight(a, "\r\n"))
					}
					name := strings.ToLower(args[0])
					seen <- name
					switch name {
					case "hello", "client":
						return // "parsed unsupported command": the connection is closed
					case "ping":
						c.Write([]byte("+PONG\r\n"))
					default:
						c.Write([]byte("-ERR unexpected\r\n"))
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), seen
}

func TestTwemproxyOptions(t *testing.T) {
	ctx := context.Background()
	t.Run("plain go-redis options cannot connect", func(t *testing.T) {
		addr, seen := fakeTwemproxy(t)
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		defer c.Close()
		assert.Error(t, c.Ping(ctx).Err(), "go-redis sends HELLO even for RESP2")
		assert.Equal(t, "hello", <-seen)
	})
	t.Run("TwemproxyOptions connect, in RESP2, without HELLO or CLIENT", func(t *testing.T) {
		addr, seen := fakeTwemproxy(t)
		opt := scaleout.TwemproxyOptions(addr)
		opt.MaxRetries = -1
		c := redis.NewClient(opt)
		defer c.Close()
		for range 3 {
			require.NoError(t, c.Ping(ctx).Err())
		}
		close(seen)
		var names []string
		for n := range seen {
			names = append(names, n)
		}
		assert.Equal(t, []string{"ping", "ping", "ping"}, names, "the proxy saw only the PINGs")
	})
	t.Run("a HELLO sent later goes through", func(t *testing.T) {
		addr, seen := fakeTwemproxy(t)
		opt := scaleout.TwemproxyOptions(addr)
		opt.MaxRetries, opt.PoolSize = -1, 1
		c := redis.NewClient(opt)
		defer c.Close()
		require.NoError(t, c.Ping(ctx).Err())
		assert.Error(t, c.Do(ctx, "hello", "2").Err())
		assert.Equal(t, "ping", <-seen)
		select {
		case n := <-seen:
			assert.Equal(t, "hello", n)
		case <-time.After(5 * time.Second):
			t.Fatal("the second HELLO did not reach the proxy")
		}
	})
}
