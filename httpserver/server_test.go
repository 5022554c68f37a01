package httpserver_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSet(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name   string
		body   string
		status int
		// msg is a substring of the message or error.
		msg string
	}{
		{"full", `{"key": "user:123", "value": "John Doe", "ttl": 3600}`, 200, "Key 'user:123' stored successfully"},
		{"no ttl", `{"key":"a","value":"b"}`, 200, "Key 'a' stored successfully"},
		{"null ttl", `{"key":"a","value":"b","ttl":null}`, 200, "stored successfully"},
		{"empty value", `{"key":"a","value":""}`, 200, "stored successfully"},
		{"fields in any order with space", " \n{ \"ttl\" : 5 ,\t\"value\":\"v\" , \"key\":\"k\" }\r\n", 200, "Key 'k' stored"},
		{"unknown fields ignored", `{"key":"a","value":"b","extra":{"x":[1,2]}}`, 200, "stored successfully"},
		{"escaped strings", `{"key":"a\"b\\c\u00e9","value":"line\nbreak"}`, 200, `Key 'a"b\cé' stored`},
		{"duplicate field, last wins", `{"key":"a","key":"b","value":"v"}`, 200, "Key 'b' stored"},
		{"key of 256 characters", setBody(t, strings.Repeat("é", 256), "v", nil), 200, "stored successfully"},
		{"value of 1 MiB", setBody(t, "big", strings.Repeat("x", mib), nil), 200, "stored successfully"},
		{"largest ttl", `{"key":"a","value":"b","ttl":9223372036}`, 200, "stored successfully"},

		{"empty body", ``, 400, "request body is empty"},
		{"malformed JSON", `{"key":"a","value":`, 400, "malformed JSON body"},
		{"not JSON", `key=a&value=b`, 400, "malformed JSON body"},
		{"trailing garbage", `{"key":"a","value":"b"} x`, 400, "malformed JSON body"},
		{"array", `["a","b"]`, 400, "must be a JSON object, not array"},
		{"string", `"a"`, 400, "must be a JSON object, not string"},
		{"null body", `null`, 400, "must be a JSON object, not null"},
		{"empty object", `{}`, 400, `missing "key"`},
		{"missing key", `{"value":"b"}`, 400, `missing "key"`},
		{"null key", `{"key":null,"value":"b"}`, 400, `missing "key"`},
		{"key is a number", `{"key":1,"value":"b"}`, 400, `"key" must be a string`},
		{"key with other case", `{"KEY":"a","value":"b"}`, 400, `missing "key"`},
		{"empty key", `{"key":"","value":"b"}`, 400, `"key" must not be empty`},
		{"dot key", `{"key":".","value":"b"}`, 400, `must not be "." or ".."`},
		{"dot dot key", `{"key":"..","value":"b"}`, 400, `must not be "." or ".."`},
		{"key of 257 characters", setBody(t, strings.Repeat("é", 257), "v", nil), 400, `"key" is longer than 256 characters`},
		{"missing value", `{"key":"a"}`, 400, `missing "value"`},
		{"null value", `{"key":"a","value":null}`, 400, `missing "value"`},
		{"value is an object", `{"key":"a","value":{"x":1}}`, 400, `"value" must be a string`},
		{"value is a number", `{"key":"a","value":5}`, 400, `"value" must be a string`},
		{"value over 1 MiB", setBody(t, "big", strings.Repeat("x", mib+1), nil), 413, `"value" is longer than 1048576 bytes`},
		{"body over the limit", `{"key":"a","value":"` + strings.Repeat(" ", 7*mib) + `"}`, 413, "request body is larger than"},
		{"negative ttl", `{"key":"a","value":"b","ttl":-5}`, 400, `"ttl" must be a positive whole number of seconds, got -5`},
		{"zero ttl", `{"key":"a","value":"b","ttl":0}`, 400, "got 0"},
		{"minus zero ttl", `{"key":"a","value":"b","ttl":-0}`, 400, "got -0"},
		{"fractional ttl", `{"key":"a","value":"b","ttl":1.5}`, 400, "got 1.5"},
		{"integral ttl written with a fraction", `{"key":"a","value":"b","ttl":60.0}`, 400, "got 60.0"},
		{"exponent ttl", `{"key":"a","value":"b","ttl":1e3}`, 400, "got 1e3"},
		{"string ttl", `{"key":"a","value":"b","ttl":"60"}`, 400, "not a string"},
		{"bool ttl", `{"key":"a","value":"b","ttl":true}`, 400, "got true"},
		{"huge negative ttl", `{"key":"a","value":"b","ttl":-99999999999999999999}`, 400, "positive whole number"},
		{"ttl too large", `{"key":"a","value":"b","ttl":9223372037}`, 400, `"ttl" must be at most 9223372036 seconds`},
		{"ttl overflowing int64", `{"key":"a","value":"b","ttl":99999999999999999999}`, 400, "must be at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := newHandler(t)
			r := serve(t, h, http.MethodPut, "/set", tt.body, "Content-Type", "application/json")
			require.Equal(t, tt.status, r.status, r.raw)
			if tt.status == http.StatusOK {
				require.Len(t, r.body, 1, r.raw)
				assert.Contains(t, r.body["message"], tt.msg)
				assert.Equal(t, 1, c.Len())
			} else {
				require.Len(t, r.body, 1, r.raw)
				assert.Contains(t, r.body["error"], tt.msg)
				assert.Equal(t, 0, c.Len(), "nothing stored on error")
			}
		})
	}
}

func TestSetStoresValueAndTTL(t *testing.T) {
	h, c := newHandler(t)
	r := serve(t, h, http.MethodPut, "/set", `{"key":"k","value":"line\nbreak \u2028 é","ttl":60}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	v, ok := c.Peek("k")
	require.True(t, ok)
	assert.Equal(t, "line\nbreak \u2028 é", v)
	ttl, ok := c.TTL("k")
	require.True(t, ok)
	assert.InDelta(t, 60*time.Second, ttl, float64(5*time.Second))

	r = serve(t, h, http.MethodPut, "/set", `{"key":"k","value":"forever","ttl":9223372036}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	r = serve(t, h, http.MethodGet, "/get/k", "")
	require.Equal(t, http.StatusOK, r.status, "a ttl of 292 years must not expire at once: %s", r.raw)
	assert.Equal(t, "forever", r.body["value"])
}

func TestDefaultTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := minicache.New[string, string](minicache.WithDefaultTTL(10 * time.Second))
		defer c.Close()
		h := httpserver.New(c)

		require.Equal(t, 200, serve(t, h, "PUT", "/set", `{"key":"default","value":"v"}`).status)
		require.Equal(t, 200, serve(t, h, "PUT", "/set", `{"key":"null","value":"v","ttl":null}`).status)
		require.Equal(t, 200, serve(t, h, "PUT", "/set", `{"key":"long","value":"v","ttl":30}`).status)
		require.Equal(t, 200, serve(t, h, "PUT", "/set", `{"key":"short","value":"v","ttl":1}`).status)

		time.Sleep(2 * time.Second)
		assert.Equal(t, 404, serve(t, h, "GET", "/get/short", "").status, "expired after its own ttl")
		assert.Equal(t, 200, serve(t, h, "GET", "/get/default", "").status)

		time.Sleep(9 * time.Second)
		r := serve(t, h, "GET", "/get/default", "")
		assert.Equal(t, 404, r.status, "expired after the cache's default TTL")
		assert.Equal(t, "Key 'default' not found", r.body["error"])
		assert.Equal(t, 404, serve(t, h, "GET", "/get/null", "").status)
		assert.Equal(t, 404, serve(t, h, "DELETE", "/del/null", "").status, "expired counts as absent")
		assert.Equal(t, 200, serve(t, h, "GET", "/get/long", "").status)
	})
}

func TestGetAndDelete(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		status int
		body   map[string]any
	}{
		{"hit", "GET", "/get/user:123", 200, map[string]any{"key": "user:123", "value": "John Doe"}},
		// httptest.ResponseRecorder keeps a HEAD body; a real server drops it.
		{"head hit", "HEAD", "/get/user:123", 200, map[string]any{"key": "user:123", "value": "John Doe"}},
		{"miss", "GET", "/get/user:999", 404, map[string]any{"error": "Key 'user:999' not found"}},
		{"head miss", "HEAD", "/get/user:999", 404, map[string]any{"error": "Key 'user:999' not found"}},
		{"empty key", "GET", "/get/", 400, map[string]any{"error": `"key" must not be empty`}},
		{"key too long", "GET", "/get/" + strings.Repeat("k", 257), 400, map[string]any{"error": `"key" is longer than 256 characters`}},
		{"delete", "DELETE", "/del/user:123", 200, map[string]any{"message": "Key 'user:123' deleted successfully"}},
		{"delete miss", "DELETE", "/del/user:999", 404, map[string]any{"error": "Key 'user:999' not found"}},
		{"delete empty key", "DELETE", "/del/", 400, map[string]any{"error": `"key" must not be empty`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := newHandler(t)
			c.Set("user:123", "John Doe")
			r := serve(t, h, tt.method, tt.target, "")
			assert.Equal(t, tt.status, r.status, r.raw)
			assert.Equal(t, tt.body, r.body)
		})
	}
}

func TestDeleteRemoves(t *testing.T) {
	h, c := newHandler(t)
	c.Set("k", "v")
	require.Equal(t, 200, serve(t, h, "DELETE", "/del/k", "").status)
	_, ok := c.Peek("k")
	assert.False(t, ok)
	assert.Equal(t, 404, serve(t, h, "DELETE", "/del/k", "").status)
}

func TestStats(t *testing.T) {
	h, c := newHandler(t)
	r := serve(t, h, "GET", "/stats", "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, map[string]any{
		"hits": 0.0, "misses": 0.0, "evictions": 0.0, "total_entries": 0.0, "hit_rate": 0.0,
		"expirations": 0.0, "rejections": 0.0, "capacity": 0.0, "weight": 0.0, "max_weight": 0.0,
	}, r.body, "hit_rate is 0 before any lookup")

	c.Set("a", "1")
	c.Set("b", "2")
	for _, k := range []string{"a", "a", "b", "x"} {
		serve(t, h, "GET", "/get/"+k, "")
	}
	r = serve(t, h, "GET", "/stats", "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, 3.0, r.body["hits"])
	assert.Equal(t, 1.0, r.body["misses"])
	assert.Equal(t, 2.0, r.body["total_entries"])
	assert.Equal(t, 0.75, r.body["hit_rate"])
}

func TestStatsEvictionsCountLRUAndTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := minicache.New[string, string](minicache.WithCapacity(2), minicache.WithShards(1))
		defer c.Close()
		h := httpserver.New(c)
		serve(t, h, "PUT", "/set", `{"key":"a","value":"1","ttl":1}`)
		serve(t, h, "PUT", "/set", `{"key":"b","value":"2"}`)
		serve(t, h, "PUT", "/set", `{"key":"c","value":"3"}`)         // evicts a
		serve(t, h, "PUT", "/set", `{"key":"d","value":"4","ttl":1}`) // evicts b
		time.Sleep(2 * time.Second)
		serve(t, h, "GET", "/get/d", "") // expired

		r := serve(t, h, "GET", "/stats", "")
		require.Equal(t, 200, r.status)
		assert.Equal(t, 3.0, r.body["evictions"], "2 by LRU + 1 by TTL: %s", r.raw)
		assert.Equal(t, 1.0, r.body["expirations"], r.raw)
		assert.Equal(t, 1.0, r.body["total_entries"], r.raw)
		assert.Equal(t, 2.0, r.body["capacity"], r.raw)
	})
}

func TestHealth(t *testing.T) {
	h, _ := newHandler(t)
	before := time.Now().UTC().Truncate(time.Second)
	r := serve(t, h, "GET", "/health", "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, "healthy", r.body["status"])
	ts, ok := r.body["timestamp"].(string)
	require.True(t, ok, r.raw)
	assert.True(t, strings.HasSuffix(ts, "Z"), "UTC timestamp: %s", ts)
	at, err := time.Parse(time.RFC3339, ts)
	require.NoError(t, err)
	assert.False(t, at.Before(before), "timestamp %s is now", ts)
	assert.WithinDuration(t, time.Now(), at, 5*time.Second)
}

func TestRoutingErrors(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		status int
		allow  string
		msg    string
	}{
		{"unknown route", "GET", "/nope", 404, "", "no route for GET /nope"},
		{"root", "GET", "/", 404, "", "no route"},
		{"get without key segment", "GET", "/get", 404, "", "no route"},
		{"trailing slash", "PUT", "/set/", 404, "", "no route"},
		{"wrong case", "GET", "/STATS", 404, "", "no route"},
		{"double slash", "GET", "//stats", 404, "", "no route"},
		{"post set", "POST", "/set", 405, "OPTIONS, PUT", "method POST not allowed on /set"},
		{"get set", "GET", "/set", 405, "OPTIONS, PUT", "not allowed"},
		{"put get", "PUT", "/get/k", 405, "GET, HEAD, OPTIONS", "not allowed"},
		{"get del", "GET", "/del/k", 405, "DELETE, OPTIONS", "not allowed"},
		{"delete stats", "DELETE", "/stats", 405, "GET, HEAD, OPTIONS", "not allowed"},
		{"post health", "POST", "/health", 405, "GET, HEAD, OPTIONS", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newHandler(t)
			r := serve(t, h, tt.method, tt.target, "")
			assert.Equal(t, tt.status, r.status, r.raw)
			assert.Equal(t, tt.allow, r.header.Get("Allow"))
			assert.Empty(t, r.header.Get("Location"), "never redirects")
			assert.Contains(t, r.body["error"], tt.msg)
		})
	}
}

func TestOptions(t *testing.T) {
	h, _ := newHandler(t)
	r := serve(t, h, "OPTIONS", "/set", "")
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, "OPTIONS, PUT", r.header.Get("Allow"))
	assert.Empty(t, r.raw)
}

func TestTooHeavyEntryAnswers413AndRemovesOldValue(t *testing.T) {
	weigh := func(k, v string) uint64 { return uint64(len(k) + len(v)) }
	c := minicache.New[string, string](minicache.WithMaxWeight(10), minicache.WithWeigher(weigh))
	defer c.Close()
	h := httpserver.New(c)

	require.Equal(t, 200, serve(t, h, "PUT", "/set", `{"key":"k","value":"123456789"}`).status, "weight 10 fits")
	r := serve(t, h, "PUT", "/set", `{"key":"k","value":"1234567890"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status, r.raw)
	assert.Equal(t, "key and value are heavier than the cache's whole memory bound of 10; the key's old value, if any, was removed", r.body["error"])
	_, ok := c.Peek("k")
	assert.False(t, ok, "a refused PUT removes the old value, as Set does")
	assert.Equal(t, 404, serve(t, h, "GET", "/get/k", "").status)

	r = serve(t, h, "GET", "/stats", "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, 1.0, r.body["rejections"], "the cache saw and counted the refusal: %s", r.raw)
	assert.Equal(t, 0.0, r.body["weight"], r.raw)
}

func TestLimitsOptions(t *testing.T) {
	h, _ := newHandler(t, httpserver.WithMaxKeyLen(3), httpserver.WithMaxValueBytes(4), httpserver.WithMaxBodyBytes(40))
	assert.Equal(t, 200, serve(t, h, "PUT", "/set", `{"key":"abc","value":"1234"}`).status)
	assert.Equal(t, 400, serve(t, h, "PUT", "/set", `{"key":"abcd","value":"1234"}`).status)
	assert.Equal(t, 413, serve(t, h, "PUT", "/set", `{"key":"abc","value":"12345"}`).status)
	assert.Equal(t, 413, serve(t, h, "PUT", "/set", `{"key":"abc","value":"1234",              "x":1}`).status)
	assert.Equal(t, 400, serve(t, h, "GET", "/get/abcd", "").status)
}

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, _ := newHandler(t, httpserver.WithLogger(l))
	serve(t, h, "GET", "/get/nope", "")
	out := buf.String()
	assert.Contains(t, out, "level=DEBUG msg=request method=GET path=/get/nope status=404")

	buf.Reset()
	l = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h, _ = newHandler(t, httpserver.WithLogger(l))
	serve(t, h, "GET", "/get/nope", "")
	assert.Empty(t, buf.String(), "no request log above debug level")
}

func TestNewPanicsOnNilCache(t *testing.T) {
	assert.PanicsWithValue(t, "httpserver: New called with a nil cache", func() { httpserver.New(nil) })
}

func TestInvalidUTF8IsRefusedNeverChanged(t *testing.T) {
	tests := []struct {
		name, body, msg string
	}{
		{"key byte 0xff", "{\"key\":\"\xff\",\"value\":\"v\"}", `"key" is not valid UTF-8 (byte 0xff`},
		{"key byte 0xfe", "{\"key\":\"\xfe\",\"value\":\"v\"}", `"key" is not valid UTF-8 (byte 0xfe`},
		{"key lone high surrogate", `{"key":"\ud800","value":"v"}`, `"key" contains the lone surrogate \ud800`},
		{"key lone low surrogate", `{"key":"a\udc00","value":"v"}`, `"key" contains the lone surrogate \udc00`},
		{"key high surrogate before a non-surrogate", `{"key":"\ud800\u0041","value":"v"}`, `lone surrogate \ud800`},
		{"value truncated sequence", "{\"key\":\"k\",\"value\":\"a\xc3\"}", `"value" is not valid UTF-8`},
		{"value encoded surrogate", "{\"key\":\"k\",\"value\":\"\xed\xa0\x80\"}", `"value" is not valid UTF-8`},
		{"value lone surrogate after a pair", `{"key":"k","value":"\ud83d\ude80\ud800"}`, `"value" contains the lone surrogate \ud800`},
		{"escaped key, invalid value", "{\"key\":\"a\\n\",\"value\":\"\xff\"}", `"value" is not valid UTF-8`},
		{"invalid UTF-8 in an unknown field", "{\"key\":\"k\",\"value\":\"v\",\"note\":\"\xff\"}", "request body is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := newHandler(t)
			r := serve(t, h, http.MethodPut, "/set", tt.body)
			assert.Equal(t, http.StatusBadRequest, r.status, r.raw)
			assert.Contains(t, r.body["error"], tt.msg)
			assert.Equal(t, 0, c.Len(), "nothing stored")
		})
	}

	t.Run("distinct keys stay distinct", func(t *testing.T) {
		h, c := newHandler(t)
		for _, body := range []string{`{"key":"\ud83d\ude80","value":"pair"}`, "{\"key\":\"\xef\xbf\xbd\",\"value\":\"fffd\"}",
			`{"key":"\u00e9\n","value":"\ud800\udc00 \u2028"}`} {
			r := serve(t, h, http.MethodPut, "/set", body)
			require.Equal(t, http.StatusOK, r.status, r.raw)
		}
		assert.Equal(t, 3, c.Len())
		for k, want := range map[string]string{"🚀": "pair", "\ufffd": "fffd", "é\n": "\U00010000 \u2028"} {
			v, ok := c.Peek(k)
			require.True(t, ok, k)
			assert.Equal(t, want, v, "stored byte for byte")
		}
	})
}

func TestGetRefusesWhatJSONCannotCarry(t *testing.T) {
	h, c := newHandler(t)
	c.Set("bin", "\xff\x00\xfe") // as the Redis protocol could store it
	c.Set("\xff", "v")

	r := serve(t, h, "GET", "/get/bin", "")
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, r.raw)
	assert.Contains(t, r.body["error"], "value of key 'bin' is not valid UTF-8")
	for _, m := range []string{"GET", "DELETE"} {
		r = serve(t, h, m, "/get/%FF", "")
		if m == "DELETE" {
			r = serve(t, h, m, "/del/%FF", "")
		}
		assert.Equal(t, http.StatusBadRequest, r.status, r.raw)
		assert.Contains(t, r.body["error"], `"key" is not valid UTF-8`)
	}
	_, ok := c.Peek("\xff")
	assert.True(t, ok, "not deleted")
}

func TestHeadCountsNoLookup(t *testing.T) {
	h, c := newHandler(t)
	c.Set("k", "v")
	assert.Equal(t, http.StatusOK, serve(t, h, "HEAD", "/get/k", "").status)
	assert.Equal(t, http.StatusNotFound, serve(t, h, "HEAD", "/get/nope", "").status)
	st := c.Stats()
	assert.Equal(t, uint64(0), st.Hits)
	assert.Equal(t, uint64(0), st.Misses)
	serve(t, h, "GET", "/get/k", "")
	assert.Equal(t, uint64(1), c.Stats().Hits)
}

func TestBytesInFlightBoundWaitsThen503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, c := newHandler(t, httpserver.WithMaxBytesInFlight(100))
		// A first PUT announces 60 bytes and sends them slowly: it holds
		// 60 + 60 bytes (body and value), the whole bound.
		body := `{"key":"slow","value":"` + strings.Repeat("x", 35) + `"}`
		require.Len(t, body, 60)
		pr, pw := io.Pipe()
		first := make(chan int)
		go func() {
			req := httptest.NewRequest("PUT", "/set", pr)
			req.ContentLength = int64(len(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			first <- rec.Code
		}()
		_, err := pw.Write([]byte(body[:10]))
		require.NoError(t, err)
		synctest.Wait()

		// A second waits for room, then gets 503 with Retry-After.
		start := time.Now()
		sent := strings.NewReader(`{"key":"k","value":"v"}`)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("PUT", "/set", sent))
		r := decode(t, rec.Result())
		assert.Equal(t, http.StatusServiceUnavailable, r.status, r.raw)
		assert.Zero(t, sent.Len(), "the body was read to the end, so that net/http keeps the connection")
		assert.Equal(t, "1", r.header.Get("Retry-After"))
		assert.Contains(t, r.body["error"], "server busy")
		assert.Equal(t, 10*time.Second, time.Since(start), "it waited before giving up")

		// A third is admitted as soon as the first finishes.
		third := make(chan response)
		go func() { third <- serve(t, h, "PUT", "/set", `{"key":"k","value":"v"}`) }()
		synctest.Wait()
		_, err = pw.Write([]byte(body[10:]))
		require.NoError(t, err)
		require.NoError(t, pw.Close())
		assert.Equal(t, http.StatusOK, <-first)
		assert.Equal(t, http.StatusOK, (<-third).status)
		assert.Equal(t, 2, c.Len())
		assert.Equal(t, http.StatusOK, serve(t, h, "GET", "/get/k", "").status, "GET is not bounded")
	})
}

func TestGetLargeValueIsStreamedExactly(t *testing.T) {
	c := minicache.New[string, string]()
	defer c.Close()
	srv := httptest.NewServer(httpserver.New(c))
	defer srv.Close()
	// Multi-byte characters and escapes straddle every 8 KiB piece.
	value := strings.Repeat("é\x01\u2028\"🚀x\\", 40_000)
	c.Set("big", value)

	resp, err := http.Get(srv.URL + "/get/big")
	require.NoError(t, err)
	r := decode(t, resp)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, strconv.Itoa(len(r.raw)), resp.Header.Get("Content-Length"))
	assert.Equal(t, value, r.body["value"])
	assert.Equal(t, "big", r.body["key"])
}

func TestMessagesNameThePathAsSent(t *testing.T) {
	var logs bytes.Buffer
	l := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, _ := newHandler(t, httpserver.WithLogger(l))
	mux := http.NewServeMux()
	mux.Handle("/cache/", http.StripPrefix("/cache", h))

	r := serve(t, mux, "GET", "/cache/nope?x=1", "")
	assert.Equal(t, 404, r.status)
	assert.Contains(t, r.body["error"], "no route for GET /cache/nope;")
	r = serve(t, mux, "POST", "/cache/set", "")
	assert.Equal(t, 405, r.status)
	assert.Contains(t, r.body["error"], "method POST not allowed on /cache/set (allowed: OPTIONS, PUT)")
	assert.Contains(t, logs.String(), "path=/cache/set status=405")
}
