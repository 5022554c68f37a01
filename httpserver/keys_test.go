package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// awkwardKeys are keys whose characters mean something in a URL.
var awkwardKeys = []string{
	"user:123",
	"a/b",
	"/leading",
	"trailing/",
	"a//b",
	"a/../b",
	"./x",
	"...",
	"%",
	"%2F",
	"100%",
	"a?b=c",
	"a#frag",
	"with space",
	" ",
	"+plus+",
	"semi;colon",
	"amp&er=sand",
	"quote\"s'",
	"back\\slash",
	"naïve 日本語 🚀",
	"tab\tnewline\n",
	"nul\x00byte",
	"get/del/set",
	"*",
	"~tilde",
	strings.Repeat("/", 256),
	strings.Repeat("日", 256),
}

// client talks to a running handler over TCP, as an external client would.
type client struct {
	t    *testing.T
	base string // e.g. http://127.0.0.1:1234/cache
}

func (c client) do(method, path, body string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	return decode(c.t, resp)
}

// roundTrip stores key, reads it back, deletes it and checks it is gone.
func (c client) roundTrip(key string) {
	c.t.Helper()
	value := "value of " + key
	r := c.do("PUT", "/set", setBody(c.t, key, value, 60))
	require.Equal(c.t, 200, r.status, "PUT %q: %s", key, r.raw)
	assert.Equal(c.t, "Key '"+key+"' stored successfully", r.body["message"])

	r = c.do("GET", "/get/"+url.PathEscape(key), "")
	require.Equal(c.t, 200, r.status, "GET %q: %s", key, r.raw)
	assert.Equal(c.t, map[string]any{"key": key, "value": value}, r.body)

	r = c.do("DELETE", "/del/"+url.PathEscape(key), "")
	require.Equal(c.t, 200, r.status, "DELETE %q: %s", key, r.raw)
	assert.Equal(c.t, "Key '"+key+"' deleted successfully", r.body["message"])

	r = c.do("GET", "/get/"+url.PathEscape(key), "")
	assert.Equal(c.t, 404, r.status, "GET %q after DELETE: %s", key, r.raw)
}

// mounts returns the handler served directly and under a prefix.
func mounts(h http.Handler) map[string]struct {
	handler http.Handler
	prefix  string
} {
	mux := http.NewServeMux()
	mux.Handle("/cache/", http.StripPrefix("/cache", h))
	return map[string]struct {
		handler http.Handler
		prefix  string
	}{
		"direct":  {h, ""},
		"mounted": {mux, "/cache"},
	}
}

func TestAwkwardKeysRoundTripOverTCP(t *testing.T) {
	c := minicache.New[string, string]()
	defer c.Close()
	for name, m := range mounts(httpserver.New(c)) {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(m.handler)
			defer srv.Close()
			cl := client{t: t, base: srv.URL + m.prefix}
			for _, key := range awkwardKeys {
				cl.roundTrip(key)
			}
		})
	}
}

// TestKeysRoundTrip checks, for random keys drawn from characters that
// matter in URLs, that every key PUT /set accepts can be read and deleted
// through its url.PathEscape form, served directly and under a prefix.
func TestKeysRoundTrip(t *testing.T) {
	c := minicache.New[string, string](minicache.WithCapacity(100))
	defer c.Close()
	for name, m := range mounts(httpserver.New(c)) {
		t.Run(name, func(t *testing.T) {
			chars := []rune("ab/.%?#:;&=+ \t\n\\\"'~*@!$()[]{}é日🚀\x00\x7f\u2028")
			rapid.Check(t, func(rt *rapid.T) {
				key := rapid.StringOfN(rapid.SampledFrom(chars), 1, 20, -1).Draw(rt, "key")
				r := serve(t, m.handler, "PUT", m.prefix+"/set", setBody(t, key, "v", nil))
				if key == "." || key == ".." {
					if r.status != 400 {
						rt.Fatalf("PUT %q: want 400, got %d", key, r.status)
					}
					return
				}
				if r.status != 200 {
					rt.Fatalf("PUT %q: %d %s", key, r.status, r.raw)
				}
				for _, method := range []string{"GET", "DELETE"} {
					prefix := map[string]string{"GET": "/get/", "DELETE": "/del/"}[method]
					r = serve(t, m.handler, method, m.prefix+prefix+url.PathEscape(key), "")
					if r.status != 200 {
						rt.Fatalf("%s %q: %d %s", method, key, r.status, r.raw)
					}
				}
				if _, ok := c.Peek(key); ok {
					rt.Fatalf("%q still present after DELETE", key)
				}
			})
		})
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	c := minicache.New[string, string]()
	defer c.Close()
	mux := http.NewServeMux()
	mux.Handle("/cache/", http.StripPrefix("/cache", httpserver.New(c)))
	mux.HandleFunc("/other", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "other") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cl := client{t: t, base: srv.URL + "/cache"}

	tests := []struct {
		name, method, path, body string
		status                   int
		field, want              string
	}{
		{"set", "PUT", "/set", `{"key":"k","value":"v"}`, 200, "message", "Key 'k' stored successfully"},
		{"get", "GET", "/get/k", "", 200, "value", "v"},
		{"health", "GET", "/health", "", 200, "status", "healthy"},
		{"stats", "GET", "/stats", "", 200, "", ""},
		{"del", "DELETE", "/del/k", "", 200, "message", "Key 'k' deleted successfully"},
		{"miss", "GET", "/get/k", "", 404, "error", "Key 'k' not found"},
		{"unknown", "GET", "/nope", "", 404, "error", "no route for GET /cache/nope;"},
		{"trailing slash not redirected", "GET", "/stats/", "", 404, "error", "no route for GET /cache/stats/;"},
		{"prefix root", "GET", "/", "", 404, "error", "no route for GET /cache/;"},
		{"wrong method", "POST", "/set", "", 405, "error", "method POST not allowed on /cache/set"},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rd io.Reader
			if tt.body != "" {
				rd = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, cl.base+tt.path, rd)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			r := decode(t, resp)
			assert.Equal(t, tt.status, r.status, r.raw)
			assert.Empty(t, r.header.Get("Location"))
			if tt.field != "" {
				assert.Contains(t, r.body[tt.field], tt.want)
			}
		})
	}
}
