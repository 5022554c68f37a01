package httpserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// response is a decoded answer of the handler.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// newHandler returns a handler over a fresh unbounded cache.
func newHandler(t testing.TB, opts ...httpserver.Option) (http.Handler, *minicache.Cache[string, string]) {
	t.Helper()
	c := minicache.New[string, string]()
	t.Cleanup(c.Close)
	return httpserver.New(c, opts...), c
}

// serve sends one request to h in process and decodes the answer. Every
// answer must be application/json; a body, when there is one, a JSON object.
func serve(t testing.TB, h http.Handler, method, target, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return decode(t, rec.Result())
}

// decode reads and checks resp.
func decode(t testing.TB, resp *http.Response) response {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "Content-Type of %s", raw)
	if resp.StatusCode != http.StatusNoContent && len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &r.body), "body %q", raw)
	}
	return r
}

// setBody returns a PUT /set body for key, value and, unless nil, ttl.
func setBody(t testing.TB, key, value string, ttl any) string {
	t.Helper()
	m := map[string]any{"key": key, "value": value}
	if ttl != nil {
		m["ttl"] = ttl
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}
