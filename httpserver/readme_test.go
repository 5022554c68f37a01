package httpserver_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// curl runs a curl command line as written in the original Mini Redis README
// (single-quoted -d body, double-quoted -H) against base instead of
// http://localhost:3000, over TCP.
func curl(t *testing.T, base, cmdline string) response {
	t.Helper()
	args := splitShell(t, cmdline)
	require.Equal(t, "curl", args[0])
	method, target, body := "", "", ""
	header := http.Header{}
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, ok := strings.Cut(args[i], ":")
			require.True(t, ok, args[i])
			header.Add(k, strings.TrimSpace(v))
		case "-d":
			i++
			body = args[i]
		default:
			require.True(t, strings.HasPrefix(a, "http://localhost:3000/"), a)
			target = base + strings.TrimPrefix(a, "http://localhost:3000")
		}
	}
	if method == "" {
		method = "GET"
		if body != "" {
			method = "POST"
		}
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return decode(t, resp)
}

// splitShell splits a command line on spaces, honouring single and double
// quotes and backslash-newline continuations; enough for the README.
func splitShell(t *testing.T, s string) []string {
	t.Helper()
	s = strings.ReplaceAll(s, "\\\n", " ")
	var args []string
	var cur strings.Builder
	inArg := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, inArg = c, true
		case c == ' ' || c == '\n' || c == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	require.Zero(t, quote, "unterminated quote in %q", s)
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// TestOriginalREADMEExamples replays the curl examples of the original Mini
// Redis README, in its order, and checks the responses it shows.
func TestOriginalREADMEExamples(t *testing.T) {
	c := minicache.New[string, string](minicache.WithCapacity(1000), minicache.WithDefaultTTL(300*time.Second))
	defer c.Close()
	srv := httptest.NewServer(httpserver.New(c))
	defer srv.Close()
	base := srv.URL

	// Verify It's Running.
	r := curl(t, base, `curl http://localhost:3000/health`)
	require.Equal(t, 200, r.status)
	assert.Equal(t, "healthy", r.body["status"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, r.body["timestamp"])

	// 1. Store a Key-Value Pair.
	r = curl(t, base, `curl -X PUT http://localhost:3000/set \
  -H "Content-Type: application/json" \
  -d '{"key":"session:abc","value":"user_data_here","ttl":1800}'`)
	require.Equal(t, 200, r.status, r.raw)
	assert.Equal(t, map[string]any{"message": "Key 'session:abc' stored successfully"}, r.body)
	ttl, ok := c.TTL("session:abc")
	require.True(t, ok)
	assert.InDelta(t, 1800*time.Second, ttl, float64(10*time.Second))

	// The request body shown in the README, with its response.
	r = curl(t, base, `curl -X PUT http://localhost:3000/set -H "Content-Type: application/json" -d '{
  "key": "user:123",
  "value": "John Doe",
  "ttl": 3600
}'`)
	require.Equal(t, 200, r.status, r.raw)
	assert.Equal(t, map[string]any{"message": "Key 'user:123' stored successfully"}, r.body)

	// 2. Retrieve a Value.
	r = curl(t, base, `curl http://localhost:3000/get/user:123`)
	require.Equal(t, 200, r.status, r.raw)
	assert.Equal(t, map[string]any{"key": "user:123", "value": "John Doe"}, r.body)

	// 4. Get Cache Statistics (after one hit).
	r = curl(t, base, `curl http://localhost:3000/stats`)
	require.Equal(t, 200, r.status, r.raw)
	for _, f := range []string{"hits", "misses", "evictions", "total_entries", "hit_rate"} {
		assert.Contains(t, r.body, f)
	}
	assert.Equal(t, 1.0, r.body["hits"])
	assert.Equal(t, 0.0, r.body["misses"])
	assert.Equal(t, 0.0, r.body["evictions"])
	assert.Equal(t, 2.0, r.body["total_entries"])
	assert.Equal(t, 1.0, r.body["hit_rate"])

	// 3. Delete a Key.
	r = curl(t, base, `curl -X DELETE http://localhost:3000/del/user:123`)
	require.Equal(t, 200, r.status, r.raw)
	assert.Equal(t, map[string]any{"message": "Key 'user:123' deleted successfully"}, r.body)

	// The 404 response of 2.
	r = curl(t, base, `curl http://localhost:3000/get/user:123`)
	require.Equal(t, 404, r.status, r.raw)
	assert.Equal(t, map[string]any{"error": "Key 'user:123' not found"}, r.body)

	// 5. Health Check.
	r = curl(t, base, `curl http://localhost:3000/health`)
	require.Equal(t, 200, r.status)
	assert.Equal(t, "healthy", r.body["status"])
}

// readmeExample is a curl command from this project's README.md and the
// JSON answer the comment after it shows, if any.
type readmeExample struct {
	cmd, want string
}

// readmeExamples extracts the curl commands of the bash blocks of README.md.
func readmeExamples(t *testing.T) []readmeExample {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var out []readmeExample
	inBash := false
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "```bash"):
			inBash = true
		case strings.HasPrefix(line, "```"):
			inBash = false
		case inBash && strings.HasPrefix(line, "curl "):
			cmd := line
			for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
				i++
				cmd += "\n" + lines[i]
			}
			ex := readmeExample{cmd: cmd}
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "# {") {
				ex.want = strings.TrimPrefix(lines[i+1], "# ")
			}
			out = append(out, ex)
		}
	}
	return out
}

// TestProjectREADMEExamples replays, in order, every curl command of this
// project's README.md against the handler (with the README's token for the
// commands that send one) and checks that each gets the answer its comment
// shows: exactly, or for /stats and /health (counters and clock) the same
// fields.
func TestProjectREADMEExamples(t *testing.T) {
	examples := readmeExamples(t)
	require.GreaterOrEqual(t, len(examples), 8, "README.md has lost its curl examples")

	c := minicache.New[string, string](minicache.WithCapacity(1000), minicache.WithDefaultTTL(300*time.Second))
	t.Cleanup(c.Close)
	open := httptest.NewServer(httpserver.New(c))
	t.Cleanup(open.Close)
	authed := httptest.NewServer(httpserver.New(c, httpserver.WithAuthToken("s3cret")))
	t.Cleanup(authed.Close)

	for _, ex := range examples {
		base := open.URL
		if strings.Contains(ex.cmd, "Authorization") {
			base = authed.URL
		}
		resp := curl(t, base, ex.cmd)
		assert.Less(t, resp.status, 500, "%s: %s", ex.cmd, resp.raw)
		if ex.want == "" {
			continue
		}
		var want map[string]any
		require.NoError(t, json.Unmarshal([]byte(ex.want), &want), "README comment %q", ex.want)
		if strings.Contains(ex.cmd, "/stats") || strings.Contains(ex.cmd, "/health") {
			assert.ElementsMatch(t, slices.Collect(maps.Keys(want)), slices.Collect(maps.Keys(resp.body)), ex.cmd)
		} else {
			assert.Equal(t, want, resp.body, ex.cmd)
		}
	}
}
