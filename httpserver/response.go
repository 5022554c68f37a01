package httpserver

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/minicache/minicache/internal/command"
)

// requestError is an error the client caused: the message sent as
// {"error": msg} and either the HTTP status to answer with or, when status
// is 0, the error of package command that caused it (statusOf maps it).
type requestError struct {
	status int
	msg    string
	cause  error
}

func (e *requestError) Error() string { return e.msg }

// Unwrap returns the command error behind e, if any.
func (e *requestError) Unwrap() error { return e.cause }

// clientError returns a *requestError with the given status and message.
func clientError(status int, msg string) error {
	return &requestError{status: status, msg: msg}
}

var (
	errUnauthorized = clientError(http.StatusUnauthorized,
		"missing or invalid bearer token (send the header \"Authorization: Bearer <token>\")")
	errInternal = errors.New("internal server error")
)

// statusOf maps an error to the HTTP status it is answered with. It is the
// one place where that mapping lives: a *requestError with a status carries
// it; the errors of package command map to 400 (a key or ttl outside its
// bounds) or 413 (a value too long, an entry too heavy for the cache);
// anything else is a server fault (500).
func statusOf(err error) int {
	var re *requestError
	if errors.As(err, &re) && re.status != 0 {
		return re.status
	}
	switch {
	case errors.Is(err, command.ErrValueTooLong), errors.Is(err, command.ErrTooHeavy):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, command.ErrEmptyKey), errors.Is(err, command.ErrKeyTooLong),
		errors.Is(err, command.ErrTTLOutOfRange):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// messageOf returns the text of {"error": ...} for err. The errors of
// package command get REST wording: the field named in quotes, as the body
// spells it.
func messageOf(err error) string {
	var re *requestError
	if errors.As(err, &re) {
		return re.msg
	}
	var le *command.LimitError
	if errors.As(err, &le) {
		switch le.Err {
		case command.ErrEmptyKey:
			return `"key" must not be empty`
		case command.ErrKeyTooLong:
			return fmt.Sprintf(`"key" is longer than %d characters`, le.Limit)
		case command.ErrValueTooLong:
			return fmt.Sprintf(`"value" is longer than %d bytes`, le.Limit)
		case command.ErrTooHeavy:
			return fmt.Sprintf("key and value are heavier than the cache's whole memory bound of %d; the key's old value, if any, was removed", le.Limit)
		}
	}
	return err.Error()
}

// jsonContentType is shared by every response; net/http only reads it.
var jsonContentType = []string{"application/json"}

// writeJSON writes status and body, an already encoded JSON object, with the
// JSON content type.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	if len(body) > 2048 {
		// Below that net/http sets Content-Length by itself.
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // nothing to do about a client that went away
}

// writeError answers with the status statusOf(err) gives and the body
// {"error": err.Error()}; a server fault is reported without its details.
func writeError(w http.ResponseWriter, err error) {
	status := statusOf(err)
	msg := messageOf(err)
	if status == http.StatusInternalServerError {
		msg = errInternal.Error()
	}
	b := make([]byte, 0, len(msg)+16)
	b = append(b, `{"error":`...)
	b = appendString(b, msg)
	b = append(b, '}')
	writeJSON(w, status, b)
}

// appendMessage appends {"message":"Key '<key>' <what>"} to dst.
func appendMessage(dst []byte, key, what string) []byte {
	dst = append(dst, `{"message":"Key '`...)
	dst = appendStringBody(dst, key)
	dst = append(dst, "' "...)
	dst = append(dst, what...)
	return append(dst, `"}`...)
}

// appendString appends s to dst as a JSON string. It escapes what JSON
// requires plus U+2028 and U+2029, as encoding/json does, but not <, > and &
// (the responses are never embedded in HTML); each byte of invalid UTF-8
// becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendStringBody(dst, s)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendStringBody is appendString without the surrounding quotes.
func appendStringBody(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// escapedLen returns len(appendStringBody(nil, s)) without building it.
func escapedLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			switch {
			case b >= 0x20 && b != '"' && b != '\\':
				n++
			case b == '"', b == '\\', b == '\b', b == '\f', b == '\n', b == '\r', b == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}
