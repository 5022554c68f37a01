package httpserver_test

import (
	"net/http"
	"testing"

	"github.com/minicache/minicache/httpserver"
	"github.com/stretchr/testify/assert"
)

func TestAuth(t *testing.T) {
	const token = "s3cret-token"
	tests := []struct {
		name          string
		method, path  string
		authorization string // header value; "" sends none
		status        int
	}{
		{"no header", "GET", "/get/k", "", 401},
		{"wrong token", "GET", "/get/k", "Bearer nope", 401},
		{"token prefix", "GET", "/get/k", "Bearer s3cret", 401},
		{"token with suffix", "GET", "/get/k", "Bearer s3cret-token2", 401},
		{"wrong scheme", "GET", "/get/k", "Basic " + token, 401},
		{"bare token", "GET", "/get/k", token, 401},
		{"empty bearer", "GET", "/get/k", "Bearer ", 401},
		{"set without token", "PUT", "/set", "", 401},
		{"del without token", "DELETE", "/del/k", "", 401},
		{"stats without token", "GET", "/stats", "", 401},
		{"unknown route without token", "GET", "/nope", "", 401},
		{"right token", "GET", "/get/k", "Bearer " + token, 200},
		{"scheme is case-insensitive", "GET", "/get/k", "bearer " + token, 200},
		{"stats with token", "GET", "/stats", "Bearer " + token, 200},
		{"unknown route with token", "GET", "/nope", "Bearer " + token, 404},
		{"health is open", "GET", "/health", "", 200},
		{"health with wrong token", "GET", "/health", "Bearer nope", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := newHandler(t, httpserver.WithAuthToken(token))
			c.Set("k", "v")
			var hdr []string
			if tt.authorization != "" {
				hdr = []string{"Authorization", tt.authorization}
			}
			r := serve(t, h, tt.method, tt.path, "", hdr...)
			assert.Equal(t, tt.status, r.status, r.raw)
			if tt.status == http.StatusUnauthorized {
				assert.Equal(t, `Bearer realm="minicache"`, r.header.Get("WWW-Authenticate"))
				assert.Contains(t, r.body["error"], "missing or invalid bearer token")
			}
		})
	}
}

func TestAuthOffByDefault(t *testing.T) {
	for _, opts := range [][]httpserver.Option{nil, {httpserver.WithAuthToken("")}} {
		h, c := newHandler(t, opts...)
		c.Set("k", "v")
		assert.Equal(t, 200, serve(t, h, "GET", "/get/k", "").status)
		assert.Equal(t, 200, serve(t, h, "GET", "/get/k", "", "Authorization", "Bearer anything").status)
	}
}
