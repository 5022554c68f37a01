package httpserver

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonString decodes the JSON string that starts at b[i] (a '"') in a body
// that json.Valid accepted, and returns it with the index after its closing
// quote. Unlike encoding/json, which silently turns invalid UTF-8 and lone
// surrogate escapes into U+FFFD, it refuses them with a 400 error naming
// field, so that no key or value is ever changed. The result is built in one
// allocation of exactly its decoded length.
func jsonString(b []byte, i int, field string) (string, int, error) {
	// Pass 1: validate and measure.
	n := 0
	j := i + 1
	for {
		c := b[j]
		switch {
		case c == '"':
			goto measured
		case c == '\\':
			r, size, err := unescape(b, j, field)
			if err != nil {
				return "", 0, err
			}
			n += utf8.RuneLen(r)
			j += size
		case c < utf8.RuneSelf:
			n++
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				return "", 0, clientError(http.StatusBadRequest,
					fmt.Sprintf("%q is not valid UTF-8 (byte 0x%02x at offset %d of the body); JSON text must be UTF-8", field, c, j))
			}
			n += size
			j += size
		}
	}
measured:
	end := j + 1
	// Pass 2: copy, decoding the escapes.
	var sb strings.Builder
	sb.Grow(n)
	start := i + 1
	for j = start; b[j] != '"'; {
		if b[j] != '\\' {
			j++
			continue
		}
		sb.Write(b[start:j])
		r, size, _ := unescape(b, j, field)
		sb.WriteRune(r)
		j += size
		start = j
	}
	sb.Write(b[start:j])
	return sb.String(), end, nil
}

// unescape decodes the escape sequence at b[j] (a '\\') of a valid JSON
// string, joining a UTF-16 surrogate pair written as two \u escapes. It
// refuses a lone surrogate, which no UTF-8 string can hold.
func unescape(b []byte, j int, field string) (r rune, size int, err error) {
	switch b[j+1] {
	case '"', '\\', '/':
		return rune(b[j+1]), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	}
	// \uXXXX; json.Valid has checked the four hex digits.
	r = hex4(b[j+2 : j+6])
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if r < 0xdc00 && j+12 <= len(b) && b[j+6] == '\\' && b[j+7] == 'u' {
		if r2 := hex4(b[j+8 : j+12]); 0xdc00 <= r2 && r2 < 0xe000 {
			return utf16.DecodeRune(r, r2), 12, nil
		}
	}
	return 0, 0, clientError(http.StatusBadRequest,
		fmt.Sprintf(`%q contains the lone surrogate \u%04x (offset %d of the body), which is not a character; JSON text must be UTF-8`, field, r, j))
}

// hex4 decodes four hexadecimal digits.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
