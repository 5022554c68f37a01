package httpserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/httpserver"
)

// A service mounts the cache API under a prefix of its own mux.
func ExampleNew_mounted() {
	c := minicache.New[string, string](minicache.WithCapacity(1000), minicache.WithDefaultTTL(5*time.Minute))
	defer c.Close()

	mux := http.NewServeMux()
	mux.Handle("/cache/", http.StripPrefix("/cache", httpserver.New(c)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(b))
	}
	do("PUT", "/cache/set", `{"key": "user:123", "value": "John Doe", "ttl": 3600}`)
	do("GET", "/cache/get/user:123", "")
	do("DELETE", "/cache/del/user:123", "")
	do("GET", "/cache/get/user:123", "")
	// Output:
	// 200 {"message":"Key 'user:123' stored successfully"}
	// 200 {"key":"user:123","value":"John Doe"}
	// 200 {"message":"Key 'user:123' deleted successfully"}
	// 404 {"error":"Key 'user:123' not found"}
}

// Keys may contain any character; clients escape them with url.PathEscape.
func ExampleNew_awkwardKeys() {
	c := minicache.New[string, string]()
	defer c.Close()
	h := httpserver.New(c)

	c.Set("docs/a b?#%.txt", "contents")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/get/"+url.PathEscape("docs/a b?#%.txt"), nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 200 {"key":"docs/a b?#%.txt","value":"contents"}
}

// With an auth token every route but /health needs a bearer token.
func ExampleWithAuthToken() {
	c := minicache.New[string, string]()
	defer c.Close()
	h := httpserver.New(c, httpserver.WithAuthToken("s3cret"))

	for _, auth := range []string{"", "Bearer s3cret"} {
		req := httptest.NewRequest("GET", "/get/k", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body)
	}
	// Output:
	// 401 {"error":"missing or invalid bearer token (send the header \"Authorization: Bearer <token>\")"}
	// 404 {"error":"Key 'k' not found"}
}
