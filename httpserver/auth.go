package httpserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorized reports whether r carries "Authorization: Bearer <token>" with
// the configured token. The scheme is case-insensitive (RFC 9110). Both tokens
// are hashed first, so the comparison takes the same time whatever the
// length or content of the token sent.
func (s *server) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimLeft(token, " ")))
	return subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) == 1
}
