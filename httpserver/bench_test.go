package httpserver_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
)

// discard is a minimal ResponseWriter, so that the benchmarks measure the
// handler rather than httptest.ResponseRecorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchHandler(b *testing.B) (http.Handler, *minicache.Cache[string, string]) {
	c := minicache.New[string, string](minicache.WithCapacity(100_000))
	b.Cleanup(c.Close)
	for i := range 10_000 {
		c.Set("key:"+strconv.Itoa(i), "value-"+strconv.Itoa(i))
	}
	return httpserver.New(c), c
}

func BenchmarkGetHit(b *testing.B) {
	h, _ := benchHandler(b)
	req := httptest.NewRequest("GET", "/get/key:42", nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

func BenchmarkGetMiss(b *testing.B) {
	h, _ := benchHandler(b)
	req := httptest.NewRequest("GET", "/get/nokey:42", nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

func BenchmarkSet(b *testing.B) {
	h, _ := benchHandler(b)
	body := []byte(`{"key":"key:42","value":"value-42-updated","ttl":3600}`)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest("PUT", "/set", rd)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		h.ServeHTTP(w, req)
	}
}

func BenchmarkDelete(b *testing.B) {
	h, c := benchHandler(b)
	req := httptest.NewRequest("DELETE", "/del/key:42", nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		c.Set("key:42", "v")
		h.ServeHTTP(w, req)
	}
}

// BenchmarkGetHitMetrics is BenchmarkGetHit with GET /metrics on, so that
// every request's latency is observed.
func BenchmarkGetHitMetrics(b *testing.B) {
	c := minicache.New[string, string](minicache.WithCapacity(100_000))
	b.Cleanup(c.Close)
	c.Set("key:42", "value-42")
	h := httpserver.New(c, httpserver.WithMetrics(true))
	req := httptest.NewRequest("GET", "/get/key:42", nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
