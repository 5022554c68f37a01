package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/julienschmidt/httprouter"
	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/command"
)

// setRequest is a validated PUT /set body.
type setRequest struct {
	key, value string
	// ttl is minicache.DefaultTTL when the body has no ttl or "ttl": null.
	ttl time.Duration
}

// setFields is a PUT /set body as decoded, before validation.
type setFields struct {
	key, value       string
	hasKey, hasValue bool // present and not null
	keyErr, valueErr bool // present with a JSON type other than string
	// ttl is the raw JSON text of the ttl field, nil when absent or null.
	ttl []byte
}

// readBody reads the request body into *buf, failing with a 413 error when
// it is longer than the body limit.
func (s *server) readBody(r *http.Request, buf *[]byte) error {
	limit := s.cfg.maxBodyBytes
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	b := *buf
	// Size the buffer from Content-Length, but not beyond 64 KiB before the
	// bytes arrive: a client cannot make the server reserve memory by
	// announcing a large body and sending none.
	if want := min(r.ContentLength, 64<<10); want > 0 && int64(cap(b)) < want {
		b = make([]byte, 0, want)
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			*buf = b
			return tooLarge(limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*buf = b
			return clientError(http.StatusBadRequest, "reading request body: "+err.Error())
		}
	}
	*buf = b
	return nil
}

// tooLarge is the error for a body over limit bytes.
func tooLarge(limit int64) error {
	return clientError(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("request body is larger than %d bytes", limit))
}

// decodeSet decodes and validates a PUT /set body.
func (s *server) decodeSet(body []byte) (setRequest, error) {
	f, ok := parseSetFast(body)
	if !ok {
		var err error
		if f, err = parseSetSlow(body); err != nil {
			return setRequest{}, err
		}
	}
	return s.validateSet(f)
}

// validateSet checks the decoded fields of a PUT /set body: their JSON
// types here, the key, value and ttl rules in package command (Set applies
// them again; checking here first answers about the key before the value and
// the value before the ttl).
func (s *server) validateSet(f setFields) (setRequest, error) {
	switch {
	case f.keyErr:
		return setRequest{}, clientError(http.StatusBadRequest, `"key" must be a string`)
	case !f.hasKey:
		return setRequest{}, clientError(http.StatusBadRequest, `missing "key"`)
	}
	if err := s.checkKey(f.key); err != nil {
		return setRequest{}, err
	}
	switch {
	case f.valueErr:
		return setRequest{}, clientError(http.StatusBadRequest, `"value" must be a string`)
	case !f.hasValue:
		return setRequest{}, clientError(http.StatusBadRequest, `missing "value"`)
	}
	if err := s.cmds.Limits().CheckValue(f.value); err != nil {
		return setRequest{}, err
	}
	ttl, err := parseTTL(f.ttl)
	if err != nil {
		return setRequest{}, err
	}
	return setRequest{key: f.key, value: f.value, ttl: ttl}, nil
}

// checkKey validates a key from a body or a path: the rules of package
// command, and the keys "." and ".." that a path cannot carry.
func (s *server) checkKey(key string) error {
	if key == "." || key == ".." {
		// Clients (curl, browsers) and http.ServeMux rewrite "." and ".."
		// path segments, so such a key could not be read back.
		return clientError(http.StatusBadRequest, `"key" must not be "." or ".."`)
	}
	return s.cmds.Limits().CheckKey(key)
}

// parseTTL validates the raw JSON text of a ttl: nil (absent or null) means
// the cache's default TTL; otherwise it must be an integer written without a
// fraction or exponent, in the range [command.TTL] accepts for seconds.
func parseTTL(raw []byte) (time.Duration, error) {
	if raw == nil {
		return minicache.DefaultTTL, nil
	}
	const what = `"ttl" must be a positive whole number of seconds`
	switch c := raw[0]; {
	case c == '-' || ('0' <= c && c <= '9'):
	case c == '"':
		return 0, clientError(http.StatusBadRequest, what+", not a string")
	default:
		return 0, clientError(http.StatusBadRequest, what+", got "+excerpt(raw))
	}
	if bytes.ContainsAny(raw, ".eE") {
		return 0, clientError(http.StatusBadRequest, what+", got "+excerpt(raw))
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil { // out of the int64 range: saturate, command.TTL refuses it
		n = math.MaxInt64
		if raw[0] == '-' {
			n = math.MinInt64
		}
	}
	d, err := command.TTL(n, time.Second)
	switch {
	case err != nil && n < 1:
		return 0, &requestError{msg: what + ", got " + excerpt(raw), cause: err}
	case err != nil:
		return 0, &requestError{msg: fmt.Sprintf(`"ttl" must be at most %d seconds, got %s`, command.MaxTTLSeconds, excerpt(raw)), cause: err}
	}
	return d, nil
}

// excerpt returns raw as a string, shortened to about 40 bytes for an error
// message.
func excerpt(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:37]) + "..."
	}
	return string(raw)
}

// parseSetSlow decodes a PUT /set body with encoding/json. It accepts any
// valid JSON; field names match exactly (the last of duplicates wins) and
// unknown fields are ignored.
func parseSetSlow(body []byte) (setFields, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return setFields{}, clientError(http.StatusBadRequest,
			`request body is empty; send a JSON object such as {"key": "k", "value": "v"}`)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return setFields{}, clientError(http.StatusBadRequest,
				"request body must be a JSON object, not "+te.Value)
		}
		return setFields{}, clientError(http.StatusBadRequest, "malformed JSON body: "+err.Error())
	}
	if obj == nil { // the body was null
		return setFields{}, clientError(http.StatusBadRequest, "request body must be a JSON object, not null")
	}
	var f setFields
	f.key, f.hasKey, f.keyErr = stringField(obj["key"])
	f.value, f.hasValue, f.valueErr = stringField(obj["value"])
	if raw := obj["ttl"]; raw != nil && string(raw) != "null" {
		f.ttl = raw
	}
	return f, nil
}

// stringField decodes raw, the JSON text of a field: ok reports a string,
// typeErr a value other than a string or null.
func stringField(raw json.RawMessage) (s string, ok, typeErr bool) {
	if raw == nil || string(raw) == "null" {
		return "", false, false
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, true
	}
	return s, true, false
}

// parseSetFast decodes the common shape of a PUT /set body without
// reflection: one object whose members are only "key", "value" and "ttl",
// each at most once, the strings valid UTF-8 without escape sequences, the
// ttl null or an integer. For anything else it reports false and the caller
// falls back to parseSetSlow, which decodes the same input to the same result
// (FuzzSetBody checks that).
func parseSetFast(b []byte) (f setFields, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return f, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return f, skipSpace(b, i+1) == len(b)
	}
	var seenKey, seenValue, seenTTL bool
	for {
		var name []byte
		if name, i, ok = scanString(b, i); !ok {
			return f, false
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return f, false
		}
		i = skipSpace(b, i+1)
		switch string(name) {
		case "key":
			if seenKey {
				return f, false
			}
			seenKey = true
			if f.key, f.hasKey, i, ok = scanStringOrNull(b, i); !ok {
				return f, false
			}
		case "value":
			if seenValue {
				return f, false
			}
			seenValue = true
			if f.value, f.hasValue, i, ok = scanStringOrNull(b, i); !ok {
				return f, false
			}
		case "ttl":
			if seenTTL {
				return f, false
			}
			seenTTL = true
			if f.ttl, i, ok = scanIntOrNull(b, i); !ok {
				return f, false
			}
		default:
			return f, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return f, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return f, skipSpace(b, i+1) == len(b)
		default:
			return f, false
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString scans a JSON string starting at b[i] that has no escape
// sequences and is valid UTF-8. It returns the contents and the index after
// the closing quote; ok is false for anything else.
func scanString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	start := i + 1
	ascii := true
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s = b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, i, false
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, i, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, i, false
}

// scanStringOrNull scans a string as scanString does, or the literal null.
func scanStringOrNull(b []byte, i int) (s string, isString bool, next int, ok bool) {
	if bytes.HasPrefix(b[i:], []byte("null")) {
		return "", false, i + 4, true
	}
	raw, next, ok := scanString(b, i)
	if !ok {
		return "", false, i, false
	}
	return string(raw), true, next, true
}

// scanIntOrNull scans a JSON integer without a fraction or exponent
// (returning its text) or the literal null (returning nil).
func scanIntOrNull(b []byte, i int) (raw []byte, next int, ok bool) {
	if bytes.HasPrefix(b[i:], []byte("null")) {
		return nil, i + 4, true
	}
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	digits := j
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	switch {
	case j == digits, // no digits
		b[digits] == '0' && j-digits > 1, // leading zero: not JSON
		j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E'):
		return nil, i, false
	}
	return b[i:j], j, true
}

// pathKey extracts the key of a /get/ or /del/ route: the catch-all
// parameter without its leading '/', already URL-decoded by net/http.
func (s *server) pathKey(ps httprouter.Params) (string, error) {
	key := ps.ByName("key")
	if len(key) > 0 && key[0] == '/' {
		key = key[1:]
	}
	return key, s.checkKey(key)
}
