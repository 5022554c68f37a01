package respserver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/respserver"
)

// startServer serves a fresh cache with opts on a loopback port and returns
// the address and the cache; the test's cleanup shuts it down.
func startServer(t testing.TB, cacheOpts []minicache.Option, opts ...respserver.Option) (string, *minicache.Cache[string, string]) {
	t.Helper()
	cache := minicache.New[string, string](cacheOpts...)
	srv := respserver.New(cache, opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, respserver.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		cache.Close()
	})
	return ln.Addr().String(), cache
}

// startRedis starts a real redis-server on a free loopback port with extra
// arguments and returns its address. Without a redis-server that starts, the
// test is skipped with a loud message, or fails under CI.
func startRedis(t testing.TB, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipOrFail(t, "redis-server is not installed (apt-get install redis-server)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--databases", "1",
		"--maxmemory-policy", "allkeys-lru", "--dir", t.TempDir()}, extra...)
	cmd := exec.Command(bin, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if nc, err := net.Dial("tcp", addr); err == nil {
			nc.Close()
			return addr
		}
	}
	skipOrFail(t, "redis-server did not start: "+out.String())
	return ""
}

func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal("!!! " + msg)
	}
	t.Skip("!!! SKIPPING the comparison with a real Redis: " + msg)
}

// client is a raw RESP client that returns each reply as text.
type client struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// encode is args as a RESP array of bulk strings.
var encode = respserver.EncodeCommand

// do sends one command and returns its reply.
func (c *client) do(args ...string) reply {
	c.t.Helper()
	c.send(encode(args...))
	r, err := readReply(c.br)
	require.NoError(c.t, err, "%s: %q", c.nc.RemoteAddr(), args)
	return r
}

func (c *client) send(b []byte) {
	c.t.Helper()
	_, err := c.nc.Write(b)
	require.NoError(c.t, err)
}

func (c *client) read() reply {
	c.t.Helper()
	r, err := readReply(c.br)
	require.NoError(c.t, err)
	return r
}

// reply is a parsed RESP2 or RESP3 reply.
type reply struct {
	kind  byte // the RESP type byte
	str   string
	elems []reply
	attrs []reply
}

// String renders r unambiguously, one line.
func (r reply) String() string {
	switch r.kind {
	case '*', '%', '~', '>':
		parts := make([]string, len(r.elems))
		for i, e := range r.elems {
			parts[i] = e.String()
		}
		return string(r.kind) + "[" + strings.Join(parts, " ") + "]"
	}
	return string(r.kind) + strconv.Quote(r.str)
}

// sorted returns r with its elements sorted (for KEYS and SCAN).
func (r reply) sorted() reply {
	e := slices.Clone(r.elems)
	slices.SortFunc(e, func(a, b reply) int { return strings.Compare(a.String(), b.String()) })
	r.elems = e
	return r
}

func readReply(br *bufio.Reader) (reply, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return reply{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return reply{}, fmt.Errorf("bad line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-', ':', ',', '#', '(', '_':
		return reply{kind: kind, str: body}, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return reply{}, err
		}
		if n < 0 {
			return reply{kind: '_', str: "nil"}, nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(br, buf); err != nil {
			return reply{}, err
		}
		return reply{kind: kind, str: string(buf[:n])}, nil
	case '*', '%', '~', '>', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return reply{}, err
		}
		if n < 0 {
			return reply{kind: '_', str: "nil"}, nil
		}
		if kind == '%' || kind == '|' {
			n *= 2
		}
		r := reply{kind: kind}
		for range n {
			e, err := readReply(br)
			if err != nil {
				return reply{}, err
			}
			r.elems = append(r.elems, e)
		}
		if kind == '|' { // attributes precede the reply they annotate
			next, err := readReply(br)
			next.attrs = r.elems
			return next, err
		}
		return r, nil
	}
	return reply{}, fmt.Errorf("unknown reply type %q", line)
}

func ioReadFull(br *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := br.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
