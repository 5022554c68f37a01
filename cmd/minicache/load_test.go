package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryBoundUnderFloods builds the server, runs it with
// CACHE_MAX_MEMORY=32MiB (MINICACHE_FLOOD_MAX_MEMORY=bytes to change it) and
// no entry bound, floods it as issue 8 describes
// (1 MiB values from 64 clients; 1 MiB values written as \u0001 escapes, 6
// MiB bodies, from 128 clients; and GETs of such a value, 6 MiB answers,
// from 128 clients), and checks that every request is answered (200, or 503
// with Retry-After) and that the peak RSS stays within 1.5 × CACHE_MAX_MEMORY
// + 64 MiB. MINICACHE_FLOOD_SCALE=n multiplies the request counts.
func TestMemoryBoundUnderFloods(t *testing.T) {
	maxMemory, scale := floodParams(t)
	cmd, logs := startFloodServer(t, maxMemory)
	base := "http://" + waitForAddr(t, logs.String)
	assert.Contains(t, logs.String(), fmt.Sprintf("gomemlimit=%d", maxMemory+int(inFlightBudget(uint64(maxMemory)))+memLimitHeadroom))

	// A body is `{"key":"` + key + tail; the tails are shared, so that the
	// client allocates nothing per request and keeps up with the server.
	plain := []byte(`","value":"` + strings.Repeat("v", 1<<20) + `"}`)
	escaped := []byte(`","value":"` + strings.Repeat(`\u0001`, 1<<20) + `"}`)
	newBody := func(key string, tail []byte) (io.Reader, int64) {
		head := `{"key":"` + key
		return io.MultiReader(strings.NewReader(head), bytes.NewReader(tail)), int64(len(head) + len(tail))
	}

	type flood struct {
		name            string
		clients, total  int
		method, path    string
		body            []byte
		wantStatus      int
		wantBodyAtLeast int
	}
	floods := []flood{
		{"1 MiB values, 64 clients", 64, 400 * scale, "PUT", "/set", plain, 200, 0},
		{"1 MiB values as \\u0001 escapes (6 MiB bodies), 128 clients", 128, 128 * scale, "PUT", "/set", escaped, 200, 0},
		{"GETs of a 1 MiB value of control characters (6 MiB answers), 128 clients", 128, 128 * scale, "GET", "/get/ctl", nil, 200, 6 << 20},
	}
	for _, f := range floods {
		if f.method == "GET" {
			body, n := newBody("ctl", escaped)
			req, _ := http.NewRequest("PUT", base+"/set", body)
			req.ContentLength = n
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, 200, resp.StatusCode)
		}
		start := time.Now()
		var next, ok, busy atomic.Int64
		var failures sync.Map
		tr := &http.Transport{MaxConnsPerHost: f.clients, MaxIdleConnsPerHost: f.clients}
		client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
		var wg sync.WaitGroup
		for range f.clients {
			wg.Go(func() {
				for {
					i := int(next.Add(1))
					if i > f.total {
						return
					}
					req, _ := http.NewRequest(f.method, base+f.path, nil)
					if f.body != nil {
						body, n := newBody(fmt.Sprintf("k%07d", i), f.body)
						req.Body, req.ContentLength = io.NopCloser(body), n
					}
					resp, err := client.Do(req)
					if err != nil {
						failures.Store(i, err.Error())
						continue
					}
					n, err := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					switch {
					case err != nil:
						failures.Store(i, "reading the answer: "+err.Error())
					case resp.StatusCode == f.wantStatus && n >= int64(f.wantBodyAtLeast):
						ok.Add(1)
					case resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "":
						busy.Add(1)
					default:
						failures.Store(i, fmt.Sprintf("status %d, %d bytes", resp.StatusCode, n))
					}
				}
			})
		}
		wg.Wait()
		tr.CloseIdleConnections()
		var failed []string
		failures.Range(func(k, v any) bool { failed = append(failed, fmt.Sprint(k, ": ", v)); return len(failed) < 5 })
		if !assert.Empty(t, failed, "%s: every request is answered", f.name) {
			for line := range strings.SplitSeq(logs.String(), "\n") {
				if !strings.Contains(line, "status=200") {
					t.Log("server: ", line)
				}
			}
		}
		assert.Equal(t, int64(f.total), ok.Load()+busy.Load(), f.name)
		t.Logf("%s: %d requests in %v: %d ok, %d busy (503); peak RSS so far %.1f MiB",
			f.name, f.total, time.Since(start).Round(time.Millisecond), ok.Load(), busy.Load(),
			float64(peakRSS(t, cmd.Process.Pid))/(1<<20))
	}

	checkPeakRSS(t, cmd, base, maxMemory)
}

// floodParams returns CACHE_MAX_MEMORY for the floods (32 MiB, or
// MINICACHE_FLOOD_MAX_MEMORY) and the factor of their request counts (1, or
// MINICACHE_FLOOD_SCALE), or skips the test under -short or without /proc.
func floodParams(t *testing.T) (maxMemory, scale int) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and floods the server")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the peak RSS")
	}
	maxMemory, scale = 32<<20, 1
	for name, p := range map[string]*int{"MINICACHE_FLOOD_MAX_MEMORY": &maxMemory, "MINICACHE_FLOOD_SCALE": &scale} {
		if s := os.Getenv(name); s != "" {
			var err error
			*p, err = strconv.Atoi(s)
			require.NoError(t, err, name)
		}
	}
	return maxMemory, scale
}

// startFloodServer builds the server and runs it on loopback ports with
// CACHE_MAX_MEMORY=maxMemory, no entry bound, no default TTL, the runtime's
// GOMEMLIMIT left to the server and the extra env; it returns the process
// and its logs (debug level). The test's cleanup kills it.
func startFloodServer(t *testing.T, maxMemory int, env ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "minicache")
	build := exec.Command("go", "build", "-o", exe, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "CACHE_PORT=0", "CACHE_HOST=127.0.0.1", "CACHE_MAX_ENTRIES=0",
		"CACHE_MAX_MEMORY="+strconv.Itoa(maxMemory), "CACHE_DEFAULT_TTL=0", "GOMEMLIMIT=", "CACHE_LOG_LEVEL=debug")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := &syncBuffer{}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			_, _ = logs.Write(append(sc.Bytes(), '\n'))
		}
	}()
	return cmd, logs
}

// checkPeakRSS checks that the cache kept within its weight bound and that
// the peak RSS of the server stayed within 1.5 × maxMemory + 64 MiB.
func checkPeakRSS(t *testing.T, cmd *exec.Cmd, base string, maxMemory int) {
	t.Helper()
	resp, err := http.Get(base + "/stats")
	require.NoError(t, err)
	var st struct {
		Weight    uint64 `json:"weight"`
		MaxWeight uint64 `json:"max_weight"`
		Entries   int    `json:"total_entries"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	assert.LessOrEqual(t, st.Weight, st.MaxWeight)
	assert.Positive(t, st.Entries)

	peak := peakRSS(t, cmd.Process.Pid)
	bound := uint64(maxMemory)*3/2 + 64<<20
	t.Logf("peak RSS %.1f MiB (bound %.0f MiB); cache weight %.1f MiB in %d entries",
		float64(peak)/(1<<20), float64(bound)/(1<<20), float64(st.Weight)/(1<<20), st.Entries)
	assert.LessOrEqual(t, peak, bound, "peak RSS within 1.5 × CACHE_MAX_MEMORY + 64 MiB")
}

// TestMemoryBoundUnderRESPFloods runs the server as
// TestMemoryBoundUnderFloods does, with CACHE_RESP_PORT, and floods its
// Redis front end with raw RESP, one connection per client: SETs of 1 MiB
// values from 64 clients, then SETs of 6 MiB values from 128 clients. Every
// command must be answered OK, or OOM when it could not get its bytes in
// flight in time; every connection must still answer PING; and the peak RSS
// must stay within 1.5 × CACHE_MAX_MEMORY + 64 MiB, the bound of the REST
// floods. MINICACHE_FLOOD_SCALE=n multiplies the command counts.
func TestMemoryBoundUnderRESPFloods(t *testing.T) {
	maxMemory, scale := floodParams(t)
	cmd, logs := startFloodServer(t, maxMemory, "CACHE_RESP_PORT="+freePort(t))
	base := "http://" + waitForAddr(t, logs.String)
	m := respAddrRE.FindStringSubmatch(logs.String())
	require.NotNil(t, m, logs.String())
	addr := m[1]

	floods := []struct {
		name           string
		clients, total int
		value          []byte
	}{
		{"SETs of 1 MiB values, 64 clients", 64, 400 * scale, bytes.Repeat([]byte("v"), 1<<20)},
		{"SETs of 6 MiB values, 128 clients", 128, 128 * scale, bytes.Repeat([]byte("w"), 6<<20)},
	}
	for _, f := range floods {
		start := time.Now()
		var next, ok, oom atomic.Int64
		var failures sync.Map
		var wg sync.WaitGroup
		for client := range f.clients {
			wg.Go(func() {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					failures.Store(-client, "dial: "+err.Error())
					return
				}
				defer nc.Close()
				_ = nc.SetDeadline(time.Now().Add(time.Minute))
				br := bufio.NewReader(nc)
				var head []byte
				for {
					i := int(next.Add(1))
					if i > f.total {
						break
					}
					head = fmt.Appendf(head[:0], "*3\r\n$3\r\nSET\r\n$8\r\nk%07d\r\n$%d\r\n", i, len(f.value))
					frame := net.Buffers{head, f.value, []byte("\r\n")}
					if _, err := frame.WriteTo(nc); err != nil {
						failures.Store(i, "sending: "+err.Error())
						return
					}
					line, err := br.ReadString('\n')
					switch {
					case err != nil:
						failures.Store(i, "reading the answer: "+err.Error())
						return
					case line == "+OK\r\n":
						ok.Add(1)
					case line == "-OOM command not allowed when used memory > 'maxmemory'.\r\n":
						oom.Add(1)
					default:
						failures.Store(i, fmt.Sprintf("answer %q", line))
					}
				}
				if _, err := io.WriteString(nc, "*1\r\n$4\r\nPING\r\n"); err != nil {
					failures.Store(-client, "PING: "+err.Error())
					return
				}
				if line, err := br.ReadString('\n'); err != nil || line != "+PONG\r\n" {
					failures.Store(-client, fmt.Sprintf("PING answered %q, %v", line, err))
				}
			})
		}
		wg.Wait()
		var failed []string
		failures.Range(func(k, v any) bool { failed = append(failed, fmt.Sprint(k, ": ", v)); return len(failed) < 5 })
		assert.Empty(t, failed, "%s: every command is answered and every connection kept", f.name)
		assert.Equal(t, int64(f.total), ok.Load()+oom.Load(), f.name)
		assert.Positive(t, ok.Load(), f.name)
		t.Logf("%s: %d commands in %v: %d OK, %d OOM; peak RSS so far %.1f MiB",
			f.name, f.total, time.Since(start).Round(time.Millisecond), ok.Load(), oom.Load(),
			float64(peakRSS(t, cmd.Process.Pid))/(1<<20))
	}
	checkPeakRSS(t, cmd, base, maxMemory)
}

// peakRSS returns the peak resident set size of process pid, in bytes
// (VmHWM of /proc/pid/status).
func peakRSS(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err, line)
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
