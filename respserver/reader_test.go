package respserver

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll reads every command of input, returning them as strings and the
// error that ended the input.
func readAll(input string, maxBulk int64) ([][]string, error) {
	r := newReader(strings.NewReader(input), 16, maxBulk)
	var cmds [][]string
	for {
		args, err := r.readCommand()
		if err != nil {
			return cmds, err
		}
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		cmds = append(cmds, cmd)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  [][]string
		err   string // "" for io.EOF
	}{
		{"array", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", [][]string{{"GET", "k"}}, ""},
		{"binary bulk", "*1\r\n$4\r\na\r\nb\r\n", [][]string{{"a\r\nb"}}, ""},
		{"empty bulk", "*2\r\n$3\r\nGET\r\n$0\r\n\r\n", [][]string{{"GET", ""}}, ""},
		{"long bulk across buffers", "*1\r\n$40\r\n" + strings.Repeat("x", 40) + "\r\n", [][]string{{strings.Repeat("x", 40)}}, ""},
		{"pipeline", "*1\r\n$4\r\nPING\r\nPING\r\n", [][]string{{"PING"}, {"PING"}}, ""},
		{"inline", "SET k v\r\n", [][]string{{"SET", "k", "v"}}, ""},
		{"inline LF only", "PING\n", [][]string{{"PING"}}, ""},
		{"inline double quotes", `SET k "a b\x41\n\"\\"` + "\r\n", [][]string{{"SET", "k", "a bA\n\"\\"}}, ""},
		{"inline single quotes", `SET k 'it\'s "x"'` + "\r\n", [][]string{{"SET", "k", `it's "x"`}}, ""},
		{"inline empty quotes", `SET k ""` + "\r\n", [][]string{{"SET", "k", ""}}, ""},
		{"inline tabs", "SET\tk  v \r\n", [][]string{{"SET", "k", "v"}}, ""},
		{"blank lines skipped", "\r\n  \r\nPING\r\n", [][]string{{"PING"}}, ""},
		{"empty arrays skipped", "*0\r\n*-1\r\nPING\r\n", [][]string{{"PING"}}, ""},
		{"unbalanced quotes", `SET k "abc` + "\r\n", nil, "Protocol error: unbalanced quotes in request"},
		{"quote then letter", `SET k "a"b` + "\r\n", nil, "Protocol error: unbalanced quotes in request"},
		{"bad multibulk length", "*x\r\n", nil, "Protocol error: invalid multibulk length"},
		{"multibulk length overflow", "*99999999999999999999\r\n", nil, "Protocol error: invalid multibulk length"},
		{"multibulk leading plus", "*+1\r\n", nil, "Protocol error: invalid multibulk length"},
		{"expected dollar", "*1\r\n:1\r\n", nil, "Protocol error: expected '$', got ':'"},
		{"bad bulk length", "*1\r\n$x\r\n", nil, "Protocol error: invalid bulk length"},
		{"negative bulk length", "*1\r\n$-1\r\n", nil, "Protocol error: invalid bulk length"},
		{"bulk over the limit", "*1\r\n$1025\r\n", nil, "Protocol error: invalid bulk length"},
		{"inline too long", strings.Repeat("x", maxInlineLen+10) + "\r\n", nil, "Protocol error: too big inline request"},
		{"header too long", "*" + strings.Repeat("1", maxInlineLen+10) + "\r\n", nil, "Protocol error: too big mbulk count string"},
		{"cut in a bulk", "*1\r\n$10\r\nabc", nil, io.ErrUnexpectedEOF.Error()},
		{"cut in a header", "*1\r\n$1", nil, io.ErrUnexpectedEOF.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.input, 1024)
			assert.Equal(t, tt.want, got)
			if tt.err == "" {
				assert.ErrorIs(t, err, io.EOF)
			} else {
				require.Error(t, err)
				assert.Equal(t, tt.err, err.Error())
			}
		})
	}
}

// A length prefix alone allocates at most one chunk, however large it is.
func TestReaderLengthPrefixDoesNotAllocate(t *testing.T) {
	input := "*1\r\n$536870912\r\nabc"
	allocs := testing.AllocsPerRun(10, func() {
		r := newReader(strings.NewReader(input), 1024, DefaultMaxBulkLen)
		_, err := r.readCommand()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatal(err)
		}
	})
	assert.Less(t, allocs, 10.0)
	r := newReader(strings.NewReader(input), 1024, DefaultMaxBulkLen)
	r.readCommand()
	assert.LessOrEqual(t, cap(r.buf), 2*readChunk)
}

// The unauthenticated limits apply until the client authenticates.
func TestReaderUnauthenticated(t *testing.T) {
	r := newReader(strings.NewReader("*11\r\n"), 1024, DefaultMaxBulkLen)
	r.authed = false
	_, err := r.readCommand()
	assert.EqualError(t, err, "Protocol error: unauthenticated multibulk length")
	r = newReader(strings.NewReader("*1\r\n$16385\r\n"), 1024, DefaultMaxBulkLen)
	r.authed = false
	_, err = r.readCommand()
	assert.EqualError(t, err, "Protocol error: unauthenticated bulk length")
}

// FuzzReader feeds arbitrary bytes to the frame reader: it must return
// commands or an error, never panic, loop or allocate beyond its bounds.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", `SET k "a\x00b" 'c\'d'` + "\r\n", "*-1\r\n", "*1\r\n$-1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", "\r\n\n", `"\xzz"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newReader(bytes.NewReader(data), 64, 1<<20)
		for range len(data) + 1 {
			args, err := r.readCommand()
			if err != nil {
				var pe *protocolError
				if !errors.As(err, &pe) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(args) == 0 {
				t.Fatal("empty command returned")
			}
			total := 0
			for _, a := range args {
				total += len(a)
			}
			if total > len(data) {
				t.Fatalf("%d argument bytes from %d input bytes", total, len(data))
			}
			if cap(r.buf) > len(data)+readChunk {
				t.Fatalf("buffer of %d for %d input bytes", cap(r.buf), len(data))
			}
		}
		t.Fatal("more commands than input bytes")
	})
}
