package httpserver

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/julienschmidt/httprouter"
)

// set handles PUT /set: body {"key": k, "value": v, "ttl": seconds}.
func (s *server) set(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if s.admit != nil && r.ContentLength <= s.cfg.maxBodyBytes {
		n, ok := s.admit.Acquire(r.Context(), s.inFlightCharge(r), admissionWait)
		if !ok {
			// A client that is sending its body would see the connection
			// reset if net/http closed it on an unread body: read the
			// body to the end (through a small buffer) so that it gets the
			// answer. A client waiting for "100 Continue" sends nothing.
			if r.Header.Get("Expect") == "" {
				_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, s.cfg.maxBodyBytes))
			}
			w.Header().Set("Retry-After", "1")
			writeError(w, errBusy)
			return
		}
		defer s.admit.Release(n)
	}
	buf := s.getBuf()
	defer s.putBuf(buf)
	if err := s.readBody(r, buf); err != nil {
		writeError(w, err)
		return
	}
	req, err := s.decodeSet(*buf)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.cmds.Set(req.key, req.value, req.ttl); err != nil {
		writeError(w, err)
		return
	}
	*buf = appendMessage((*buf)[:0], req.key, "stored successfully")
	writeJSON(w, http.StatusOK, *buf)
}

// admissionWait is how long a PUT /set waits for room under the
// bytes-in-flight bound before it is answered 503. (A variable for the
// tests only.)
var admissionWait = 10 * time.Second

// errBusy answers a PUT /set that waited admissionWait in vain.
var errBusy = clientError(http.StatusServiceUnavailable,
	"server busy: too many bytes of request bodies in flight; retry after the Retry-After delay")

// get handles GET /get/{key}, and HEAD, which answers the same but uses
// Peek: it counts neither a hit nor a miss and leaves the recency alone.
func (s *server) get(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	key, err := s.pathKey(ps)
	if err != nil {
		writeError(w, err)
		return
	}
	var v string
	var ok bool
	if r.Method == http.MethodHead {
		v, ok = s.cache.Peek(key) // a HEAD is no lookup: no hit, no miss, no recency
	} else {
		v, ok = s.cache.Get(key)
	}
	if !ok {
		writeError(w, notFound(key))
		return
	}
	if !utf8.ValidString(v) {
		writeError(w, clientError(http.StatusUnprocessableEntity,
			"the value of key '"+key+"' is not valid UTF-8, which a JSON string cannot carry unchanged; read it over the Redis protocol"))
		return
	}
	buf := s.getBuf()
	defer s.putBuf(buf)
	b := append(*buf, `{"key":`...)
	b = appendString(b, key)
	b = append(b, `,"value":"`...)
	if len(v) <= streamChunk {
		b = appendStringBody(b, v)
		*buf = append(b, `"}`...)
		writeJSON(w, http.StatusOK, *buf)
		return
	}
	// A large value is escaped and written a piece at a time, so that a
	// GET holds a small buffer, not a second (up to 6 times larger) copy.
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h.Set("Content-Length", strconv.Itoa(len(b)+escapedLen(v)+2))
	w.WriteHeader(http.StatusOK)
	for len(v) > 0 {
		end := min(len(v), streamChunk)
		for end < len(v) && !utf8.RuneStart(v[end]) {
			end-- // never split a character
		}
		b = appendStringBody(b, v[:end])
		v = v[end:]
		if len(v) > 0 {
			if _, err := w.Write(b); err != nil {
				*buf = b
				return // the client went away
			}
			b = b[:0]
		}
	}
	*buf = append(b, `"}`...)
	_, _ = w.Write(*buf)
}

// streamChunk is the size of the pieces of a large value that GET escapes
// and writes at a time (at most 6 times as many bytes once escaped).
const streamChunk = 8 << 10

// del handles DELETE /del/{key}.
func (s *server) del(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	key, err := s.pathKey(ps)
	if err != nil {
		writeError(w, err)
		return
	}
	if !s.cache.Delete(key) {
		writeError(w, notFound(key))
		return
	}
	buf := s.getBuf()
	defer s.putBuf(buf)
	*buf = appendMessage(*buf, key, "deleted successfully")
	writeJSON(w, http.StatusOK, *buf)
}

// notFound is the error for a key that is absent or expired.
func notFound(key string) error {
	return clientError(http.StatusNotFound, "Key '"+key+"' not found")
}

// statsResponse is the body of GET /stats. The first five fields are the
// original Mini Redis ones; the rest are extras. See [command.Stats] for
// their meaning.
type statsResponse struct {
	Hits         uint64  `json:"hits"`
	Misses       uint64  `json:"misses"`
	Evictions    uint64  `json:"evictions"`
	TotalEntries int     `json:"total_entries"`
	HitRate      float64 `json:"hit_rate"`
	Expirations  uint64  `json:"expirations"`
	Rejections   uint64  `json:"rejections"`
	Capacity     int     `json:"capacity"`
	Weight       uint64  `json:"weight"`
	MaxWeight    uint64  `json:"max_weight"`
}

// stats handles GET /stats.
func (s *server) stats(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	st := s.cmds.Stats()
	writeValue(w, statsResponse{
		Hits:         st.Hits,
		Misses:       st.Misses,
		Evictions:    st.Evictions,
		TotalEntries: st.Entries,
		HitRate:      st.HitRate,
		Expirations:  st.Expirations,
		Rejections:   st.Rejections,
		Capacity:     st.Capacity,
		Weight:       st.Weight,
		MaxWeight:    st.MaxWeight,
	})
}

// health handles GET /health.
func (s *server) health(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	writeValue(w, struct {
		Status    string `json:"status"`
		Timestamp string `json:"timestamp"`
	}{"healthy", time.Now().UTC().Format(time.RFC3339)})
}

// writeValue answers 200 with v encoded by encoding/json, for the routes
// that are not on the hot path.
func writeValue(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// options answers the OPTIONS requests that httprouter handles itself,
// after it has set the Allow header.
func (s *server) options(w http.ResponseWriter, _ *http.Request) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusNoContent)
}

// requestPath returns the path as the client sent it (still escaped, and
// before a mount's http.StripPrefix removed its prefix), for messages and
// logs; for a request built in process without a RequestURI, r.URL.Path.
func requestPath(r *http.Request) string {
	if p, _, _ := strings.Cut(r.RequestURI, "?"); p != "" {
		return p
	}
	return r.URL.Path
}

// notFound answers a request for which no route exists, naming the routes
// this server has (GET /metrics only with WithMetrics).
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	routes := "PUT /set, GET /get/{key}, DELETE /del/{key}, GET /stats, GET /health"
	if s.cfg.metrics {
		routes += ", GET /metrics"
	}
	writeError(w, clientError(http.StatusNotFound,
		fmt.Sprintf("no route for %s %s; the routes are %s", r.Method, requestPath(r), routes)))
}

// methodNotAllowed answers a request whose route exists for other methods;
// httprouter has set the Allow header.
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, clientError(http.StatusMethodNotAllowed,
		fmt.Sprintf("method %s not allowed on %s (allowed: %s)", r.Method, requestPath(r), w.Header().Get("Allow"))))
}

// panicked answers 500 for a handler that panicked, and logs the panic.
func (s *server) panicked(w http.ResponseWriter, r *http.Request, v any) {
	if l := s.cfg.logger; l != nil {
		l.LogAttrs(r.Context(), slog.LevelError, "panic in handler",
			slog.String("method", r.Method), slog.String("path", requestPath(r)), slog.Any("panic", v))
	}
	writeError(w, errInternal)
}
