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
// it is longer than the body limit. A body with a Content-Length ends in one
// buffer of exactly that size; one without grows by doubling up to the limit.
func (s *server) readBody(r *http.Request, buf *[]byte) error {
	limit := s.cfg.maxBodyBytes
	cl := r.ContentLength
	if cl > limit {
		return tooLarge(limit)
	}
	b := *buf
	// Size the buffer from Content-Length, but not beyond 64 KiB before the
	// bytes arrive: a client cannot make the server reserve memory by
	// announcing a large body and sending none.
	if want := min(cl, 64<<10); want > 0 && int64(cap(b)) < want {
		b = make([]byte, 0, want)
	}
	for cl < 0 || int64(len(b)) < cl { // net/http ends a body at its Content-Length
		if len(b) == cap(b) {
			size := cl
			if size < 0 {
				size = min(max(2*int64(cap(b)), 4096), limit+1)
			}
			nb := make([]byte, len(b), size)
			copy(nb, b)
			b = nb
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

// inFlightCharge is what a PUT /set holds of the bytes-in-flight bound while
// it runs: its body (the limit when the length is unknown) plus the decoded
// value, which is never longer than the body nor than the value limit.
func (s *server) inFlightCharge(r *http.Request) int64 {
	body := r.ContentLength
	if body < 0 || body > s.cfg.maxBodyBytes {
		body = s.cfg.maxBodyBytes
	}
	return body + min(body, int64(s.cfg.maxValueBytes))
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

// parseSetSlow decodes any PUT /set body. It accepts what encoding/json
// accepts and decodes it the same way (field names match exactly, the last
// of duplicate fields wins, unknown fields are ignored), except that it
// refuses what encoding/json would silently alter: invalid UTF-8 anywhere in
// the body, and lone surrogate escapes in "key" or "value". The body is not
// copied; only the winning key and value are decoded, each into one string
// of its exact length.
func parseSetSlow(body []byte) (setFields, error) {
	var f setFields
	i := skipSpace(body, 0)
	if i == len(body) {
		return f, clientError(http.StatusBadRequest,
			`request body is empty; send a JSON object such as {"key": "k", "value": "v"}`)
	}
	if !json.Valid(body) {
		// Unmarshal checks the syntax before it decodes anything, so this
		// only produces the error message.
		err := json.Unmarshal(body, new(struct{}))
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return f, clientError(http.StatusBadRequest, "malformed JSON body: "+err.Error())
	}
	if kind := jsonKind(body[i]); kind != "object" {
		return f, clientError(http.StatusBadRequest, "request body must be a JSON object, not "+kind)
	}
	// The spans of the last "key", "value" and "ttl", decoded at the end.
	keyAt, valueAt := -1, -1
	i = skipSpace(body, i+1)
	for body[i] != '}' {
		name, next, err := jsonString(body, i, "field name")
		if err != nil { // not UTF-8: no field we know; refused below
			name, next = "", skipValue(body, i)
		}
		i = skipSpace(body, skipSpace(body, next)+1) // past the ':'
		end := skipValue(body, i)
		switch name {
		case "key":
			keyAt = i
		case "value":
			valueAt = i
		case "ttl":
			f.ttl = body[i:end]
			if string(f.ttl) == "null" {
				f.ttl = nil
			}
		}
		i = skipSpace(body, end)
		if body[i] == ',' {
			i = skipSpace(body, i+1)
		}
	}
	var err error
	if f.key, f.hasKey, f.keyErr, err = stringField(body, keyAt, "key"); err != nil {
		return f, err
	}
	if f.value, f.hasValue, f.valueErr, err = stringField(body, valueAt, "value"); err != nil {
		return f, err
	}
	if !utf8.Valid(body) {
		return f, clientError(http.StatusBadRequest, "request body is not valid UTF-8; JSON text must be UTF-8")
	}
	return f, nil
}

// jsonKind names the kind of JSON value that starts with c.
func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// stringField decodes the field named field whose value starts at b[at]
// (at < 0: the field is absent): ok reports a string, typeErr a value other
// than a string or null.
func stringField(b []byte, at int, field string) (s string, ok, typeErr bool, err error) {
	switch {
	case at < 0 || b[at] == 'n':
		return "", false, false, nil
	case b[at] != '"':
		return "", false, true, nil
	}
	s, _, err = jsonString(b, at, field)
	return s, err == nil, false, err
}

// skipValue returns the index after the JSON value that starts at b[i], in
// a body that json.Valid accepted.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 { // the end of the enclosing object
				return i
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
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
	if !utf8.ValidString(key) {
		// Only the Redis protocol can store such a key; a JSON answer
		// could not name it without changing it.
		return key, errKeyNotUTF8
	}
	return key, s.checkKey(key)
}

// errKeyNotUTF8 refuses a path key that is not UTF-8 once unescaped.
var errKeyNotUTF8 = clientError(http.StatusBadRequest,
	`"key" is not valid UTF-8 once unescaped; REST keys and values are UTF-8 text (use the Redis protocol for binary keys)`)
