package scaleout_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache/scaleout"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// proc is a child process a test started; stop ends it and waits.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	once sync.Once
}

// syncBuffer is a bytes.Buffer safe for the child's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs name with args and stops it when the test ends, logging its
// output if the test failed.
func start(t testing.TB, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(name, args...), out: &syncBuffer{}}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	dieWithTest(p.cmd)
	require.NoError(t, p.cmd.Start(), "start %s", name)
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("%s %v output:\n%s", name, args, p.out.String())
		}
	})
	return p
}

// stop sends sig (SIGKILL to crash it), waits up to 10 s, then kills.
// Calls after the first do nothing.
func (p *proc) stop(sig syscall.Signal) {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(sig)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	})
}

// waitPing waits until a Redis-protocol server answers PING at addr.
func waitPing(t testing.TB, addr string) {
	t.Helper()
	// Options that work through twemproxy too, which refuses HELLO and CLIENT.
	opt := scaleout.TwemproxyOptions(addr)
	opt.MaxRetries, opt.DialTimeout = -1, 200*time.Millisecond
	c := redis.NewClient(opt)
	defer c.Close()
	require.Eventually(t, func() bool {
		return c.Ping(context.Background()).Err() == nil
	}, 10*time.Second, 20*time.Millisecond, "no PONG from %s", addr)
}

// startRedis starts a throwaway redis-server on a free loopback port and
// returns its address; the test is skipped, loudly, without redis-server.
func startRedis(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("SKIPPED: redis-server is not installed (apt-get install redis-server); CI installs it")
	}
	port := strconv.Itoa(freePort(t))
	start(t, nil, "redis-server", "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	addr := "127.0.0.1:" + port
	waitPing(t, addr)
	return addr
}
