package command_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/minicache/minicache/internal/command"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name, pattern, s string
		want             bool
	}{
		{"star matches all", "*", "anything", true},
		{"star matches empty", "*", "", true},
		{"empty pattern", "", "", true},
		{"empty pattern, text", "", "a", false},
		{"prefix", "user:*", "user:1", true},
		{"prefix miss", "user:*", "usr:1", false},
		{"question", "h?llo", "hello", true},
		{"question needs a byte", "h?llo", "hllo", false},
		{"class", "h[ae]llo", "hallo", true},
		{"class miss", "h[ae]llo", "hillo", false},
		{"negated class", "h[^e]llo", "hallo", true},
		{"negated class miss", "h[^e]llo", "hello", false},
		{"range", "h[a-b]llo", "hbllo", true},
		{"reversed range", "h[b-a]llo", "hallo", true},
		{"range miss", "h[a-b]llo", "hcllo", false},
		{"escaped star", `a\*b`, "a*b", true},
		{"escaped star is literal", `a\*b`, "axb", false},
		{"escape in class", `[\]]`, "]", true},
		{"unterminated class", "a[bc", "ab", true},
		{"trailing backslash", `a\`, `a\`, true},
		{"backtracking", "*a*b*c", "xxaxxbxxbxc", true},
		{"backtracking miss", "*a*b*c", "xxaxxbxxbx", false},
		{"many stars", "a**********b", "ab", true},
		{"pathological", "a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"binary", "\x00*", "\x00\xff", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, command.Match(tt.pattern, tt.s))
		})
	}
}
