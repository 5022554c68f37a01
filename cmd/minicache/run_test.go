package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets TestSIGTERM run the real main in a child process: the test
// binary re-executes itself with MINICACHE_TEST_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("MINICACHE_TEST_MAIN") == "1" {
		os.Args = os.Args[:1]
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
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

var addrRE = regexp.MustCompile(`msg="minicache started" addr=(\S+)`)

// waitForAddr waits for the start log line in logs and returns the address.
func waitForAddr(t *testing.T, logs func() string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no start line in the logs after 10s:\n%s", logs())
	return ""
}

func call(t *testing.T, method, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	return resp.StatusCode, string(b)
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-h"}, env(), &stdout, &stderr))
	for _, s := range settings {
		assert.Contains(t, stdout.String(), "-"+s.flag+", "+s.env)
	}
	assert.Contains(t, stdout.String(), "(default 3000)")
	assert.Empty(t, stderr.String())
}

func TestRunRejectsInvalidConfigAtOnce(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), nil, env("CACHE_PORT", "http"), &stdout, &stderr)
	var ce *configError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "CACHE_PORT")
}

func TestRunReportsListenErrorAsConfigError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name string
		args []string
		env  func(string) string
		msg  string
	}{
		{"bad address from the flag", []string{"-host", "999.1.1.1"}, env("CACHE_PORT", "0"),
			"cannot listen on 999.1.1.1:0 (host from flag -host, port from CACHE_PORT)"},
		{"unknown host from the variable", nil, env("CACHE_HOST", "nonexistent.invalid", "CACHE_PORT", "0"),
			"cannot listen on nonexistent.invalid:0 (host from CACHE_HOST, port from CACHE_PORT)"},
		{"port in use, from the flag", []string{"-port", busyPort}, env(),
			"cannot listen on 127.0.0.1:" + busyPort + " (host from default of CACHE_HOST, port from flag -port)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, tt.env, &stdout, &stderr)
			var ce *configError
			require.ErrorAs(t, err, &ce, "exit status 2")
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

// TestEndToEnd runs the real program on a free loopback port, drives it over
// TCP, cancels it while a request is in flight and checks that the request
// completes and run returns nil.
func TestEndToEnd(t *testing.T) {
	gcBefore := gcPercentNow(t)
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env("CACHE_PORT", "0", "CACHE_MAX_ENTRIES", "2", "CACHE_AUTH_TOKEN", "tok",
			"CACHE_MAX_MEMORY", "1KiB", "CACHE_LOG_LEVEL", "debug"), io.Discard, &stderr)
	}()
	base := "http://" + waitForAddr(t, stderr.String)
	logs := stderr.String()
	assert.Contains(t, logs, "max_entries=2 default_ttl=5m0s cleanup_interval=1m0s max_memory=1024 max_connections=1024 max_bytes_in_flight=16777216 gomemlimit=50332672 gogc=400 log_level=DEBUG eviction_policy=lru metrics=on snapshot_path=\"\" snapshot_interval=0s auth=true")
	assert.NotContains(t, logs, "tok ", "the token is never logged")
	assert.Equal(t, float64(gcPercentUnderLimit), gcPercentNow(t), "GOGC while the memory limit bounds the heap")

	auth := []string{"Authorization", "Bearer tok"}
	status, body := call(t, "GET", base+"/health", "")
	assert.Equal(t, 200, status, body)
	status, body = call(t, "GET", base+"/stats", "")
	assert.Equal(t, 401, status, body)

	for _, k := range []string{"a", "b", "c"} {
		status, body = call(t, "PUT", base+"/set", `{"key":"`+k+`","value":"v-`+k+`"}`, auth...)
		require.Equal(t, 200, status, body)
	}
	status, body = call(t, "GET", base+"/get/a", "", auth...)
	assert.Equal(t, 404, status, "evicted by CACHE_MAX_ENTRIES=2: %s", body)
	status, body = call(t, "GET", base+"/get/c", "", auth...)
	assert.Equal(t, 200, status, body)
	assert.JSONEq(t, `{"key":"c","value":"v-c"}`, body)
	status, body = call(t, "PUT", base+"/set", `{"key":"big","value":"`+strings.Repeat("x", 1024)+`"}`, auth...)
	assert.Equal(t, 413, status, "heavier than CACHE_MAX_MEMORY: %s", body)
	status, body = call(t, "GET", base+"/stats", "", auth...)
	assert.Equal(t, 200, status, body)
	assert.Contains(t, body, `"evictions":1,"total_entries":2`)
	assert.Contains(t, body, `"max_weight":1024`)
	status, body = call(t, "DELETE", base+"/del/c", "", auth...)
	assert.Equal(t, 200, status, body)
	assert.Contains(t, stderr.String(), "level=DEBUG msg=request method=DELETE path=/del/c status=200")

	// A request in flight when the shutdown starts is finished. It goes on
	// a new connection: Shutdown waits for new and active connections but
	// closes idle ones, and a reused keep-alive connection would be idle
	// until the server has read the start of the request.
	pr, pw := io.Pipe()
	inFlight := make(chan int, 1)
	fresh := &http.Client{Transport: &http.Transport{}}
	go func() {
		req, _ := http.NewRequest("PUT", base+"/set", pr)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := fresh.Do(req)
		if err != nil {
			inFlight <- -1
			return
		}
		resp.Body.Close()
		inFlight <- resp.StatusCode
	}()
	_, err := pw.Write([]byte(`{"key":"late",`))
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // let the server accept the connection
	cancel()
	select {
	case err := <-done:
		t.Fatalf("run returned %v with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	_, err = pw.Write([]byte(`"value":"v"}`))
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	assert.Equal(t, 200, <-inFlight)

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	assert.Contains(t, stderr.String(), `msg="minicache stopped"`)
	assert.Contains(t, stderr.String(), "in_flight_cut=false")
	assert.Equal(t, gcBefore, gcPercentNow(t), "GOGC restored when run returns")
	_, err = http.Get(base + "/health")
	assert.Error(t, err, "no longer listening")
}

// TestSIGTERM runs main in a child process and checks that SIGTERM makes it
// exit with status 0 after logging its shutdown.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "MINICACHE_TEST_MAIN=1", "CACHE_PORT=0", "CACHE_HOST=127.0.0.1")
	stderrPipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill() }() // already exited in the normal case

	var logs syncBuffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			_, _ = logs.Write(append(sc.Bytes(), '\n'))
		}
	}()
	base := "http://" + waitForAddr(t, logs.String)
	status, body := call(t, "PUT", base+"/set", `{"key":"k","value":"v"}`)
	require.Equal(t, 200, status, body)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	<-copied
	err = cmd.Wait()
	require.NoError(t, err, "exit status after SIGTERM; logs:\n%s", logs.String())
	assert.Contains(t, logs.String(), `msg="minicache stopped"`)
	assert.Contains(t, logs.String(), "entries=1")
}

// TestHeaderLimit checks that the request line and headers may take 64 KiB,
// and no more.
func TestHeaderLimit(t *testing.T) {
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env("CACHE_PORT", "0"), io.Discard, &stderr) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	addr := waitForAddr(t, stderr.String)

	status := func(total int) int {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer conn.Close()
		head := "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: "
		tail := "\r\n\r\n"
		_, err = io.WriteString(conn, head+strings.Repeat("p", total-len(head)-len(tail))+tail)
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, status(headerLimit), "64 KiB of request line and headers")
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, status(headerLimit+1))
}

// TestAnswersBeforeTheHandler pins down the answers that net/http writes
// itself, before the handler sees a request, as README.md lists them: they
// are the only ones that are not JSON.
func TestAnswersBeforeTheHandler(t *testing.T) {
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env("CACHE_PORT", "0"), io.Discard, &stderr) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	addr := waitForAddr(t, stderr.String)

	tests := []struct {
		name, request string
		status        int
		contentType   string
	}{
		{"bad escape", "GET /get/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "text/plain; charset=utf-8"},
		{"NUL in the path", "GET /get/a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "text/plain; charset=utf-8"},
		{"two Content-Lengths", "PUT /set HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "text/plain; charset=utf-8"},
		{"no Host", "GET /health HTTP/1.1\r\n\r\n", 400, "text/plain; charset=utf-8"},
		{"gzip transfer encoding", "PUT /set HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "text/plain; charset=utf-8"},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 200, ""},
		{"escaped NUL reaches the handler", "GET /get/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 404, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			_, err = io.WriteString(conn, tt.request)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.contentType, resp.Header.Get("Content-Type"))
		})
	}
}

// TestExitStatus2 runs main in a child process: a listen failure exits with
// status 2, as every configuration error does, naming its source.
func TestExitStatus2(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	for _, tt := range []struct{ env, msg string }{
		{"CACHE_HOST=999.1.1.1", "host from CACHE_HOST, port from CACHE_PORT"},
		{"CACHE_CLEANUP_INTERVAL=1ns", "below the floor of 100ms"},
	} {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), "MINICACHE_TEST_MAIN=1", "CACHE_PORT=0", tt.env)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, tt.env)
		assert.Equal(t, 2, ee.ExitCode(), tt.env)
		assert.Contains(t, stderr.String(), tt.msg)
	}
}

// serve runs the server with the given environment until the returned stop
// is called, and returns its base URL, its logs and stop, which returns
// run's error.
func serve(t *testing.T, kv ...string) (base string, logs func() string, stop func() error) {
	t.Helper()
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env(append([]string{"CACHE_PORT", "0"}, kv...)...), io.Discard, &stderr) }()
	base = "http://" + waitForAddr(t, stderr.String)
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return base, stderr.String, stop
}

func TestSnapshotWarmRestart(t *testing.T) {
	path := t.TempDir() + "/cache.snap"
	base, logs, stop := serve(t, "CACHE_SNAPSHOT_PATH", path)
	status, body := call(t, "PUT", base+"/set", `{"key":"short","value":"lived","ttl":3}`)
	require.Equal(t, 200, status, body)
	status, body = call(t, "PUT", base+"/set", `{"key":"user:1","value":"Ada","ttl":3600}`)
	require.Equal(t, 200, status, body)
	require.NoError(t, stop())
	assert.Regexp(t, `msg="snapshot saved" path=\S+ entries=2 bytes=\d+ took=`, logs())

	time.Sleep(3100 * time.Millisecond) // "short" expires while the server is down
	base, logs, stop = serve(t, "CACHE_SNAPSHOT_PATH", path, "CACHE_SNAPSHOT_INTERVAL", "1")
	assert.Contains(t, logs(), `msg="snapshot loaded"`)
	assert.Contains(t, logs(), "entries=1", "the expired entry is skipped")
	status, body = call(t, "GET", base+"/get/user:1", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"key":"user:1","value":"Ada"}`, body)
	status, _ = call(t, "GET", base+"/get/short", "")
	assert.Equal(t, 404, status)
	require.Eventually(t, func() bool { return strings.Count(logs(), `msg="snapshot saved"`) >= 1 },
		5*time.Second, 50*time.Millisecond, "the interval saves in the background")
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(b), "minicache_snapshot_entries 1\n")
	assert.Contains(t, string(b), "minicache_entries 1\n")
	require.NoError(t, stop())
}

func TestDamagedSnapshotStopsTheStart(t *testing.T) {
	path := t.TempDir() + "/cache.snap"
	damaged := []byte("MCSNAP\x01 not really")
	require.NoError(t, os.WriteFile(path, damaged, 0o644))
	err := run(context.Background(), nil, env("CACHE_PORT", "0", "CACHE_SNAPSHOT_PATH", path), io.Discard, io.Discard)
	require.Error(t, err)
	var ce *configError
	assert.False(t, errors.As(err, &ce), "a damaged file is not a configuration error")
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "invalid snapshot")
	after, _ := os.ReadFile(path)
	assert.Equal(t, damaged, after, "the file is left for the operator")

	err = run(context.Background(), nil, env("CACHE_PORT", "0", "CACHE_SNAPSHOT_PATH", t.TempDir()+"/missing/cache.snap"), io.Discard, io.Discard)
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), `invalid CACHE_SNAPSHOT_PATH=`)
	assert.Contains(t, err.Error(), "snapshot directory")
}

func TestEvictionPolicies(t *testing.T) {
	for name, policy := range map[string]string{"allkeys-lfu": "w-tinylfu", "allkeys-clock": "clock"} {
		t.Run(name, func(t *testing.T) {
			base, logs, stop := serve(t, "CACHE_EVICTION_POLICY", name, "CACHE_MAX_ENTRIES", "100")
			assert.Contains(t, logs(), "eviction_policy="+policy)
			for i := range 300 {
				status, body := call(t, "PUT", base+"/set", `{"key":"k`+strconv.Itoa(i)+`","value":"v"}`)
				require.Equal(t, 200, status, body)
			}
			_, body := call(t, "GET", base+"/stats", "")
			assert.Contains(t, body, `"total_entries":100`)
			require.NoError(t, stop())
		})
	}
}

// gcPercentNow reads the runtime's GOGC without changing it.
func gcPercentNow(t *testing.T) float64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	require.Equal(t, metrics.KindUint64, s[0].Value.Kind())
	return float64(s[0].Value.Uint64())
}

// TestGOGCIsTheOperators: with GOGC set, or without a memory bound, the
// server leaves the collector's pace alone (TestEndToEnd checks that it
// sets it with a bound, and restores it on return).
func TestGOGCIsTheOperators(t *testing.T) {
	before := gcPercentNow(t)
	for _, tc := range []struct {
		name   string
		getenv func(string) string
	}{
		{"GOGC set", env("CACHE_PORT", "0", "CACHE_MAX_MEMORY", "1MiB", "GOGC", "100")},
		{"no memory bound", env("CACHE_PORT", "0")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr syncBuffer
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, nil, tc.getenv, io.Discard, &stderr) }()
			waitForAddr(t, stderr.String)
			assert.Contains(t, stderr.String(), "gogc=-1")
			assert.Equal(t, before, gcPercentNow(t))
			cancel()
			require.NoError(t, <-done)
		})
	}
}
