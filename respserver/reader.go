package respserver

import (
	"bufio"
	"errors"
	"io"
	"slices"

	"github.com/minicache/minicache/internal/command"
)

// Limits of the frame reader that Redis also has and that no option changes.
const (
	// maxInlineLen bounds an inline command and an array or bulk header line
	// (Redis's PROTO_INLINE_MAX_SIZE).
	maxInlineLen = 64 << 10
	// maxArgs bounds the element count of a command array (Redis accepts up
	// to INT_MAX; that many arguments cannot fit in any bulk limit anyway).
	maxArgs = 1<<31 - 1
	// unauthArgs and unauthBulk bound what a client that has not
	// authenticated yet may send, as Redis does since CVE-2021-32675.
	unauthArgs = 10
	unauthBulk = 16384
	// readChunk is the most a bulk string grows by before its bytes arrive,
	// so that a length prefix alone never causes a large allocation.
	readChunk = 64 << 10
	// keepBuf is the largest argument buffer kept between commands; a larger
	// one, grown for a big value, is dropped once the command is done.
	keepBuf = 1 << 20
	// keepArgs is the largest argument count whose slices are kept between
	// commands.
	keepArgs = 1 << 10
)

// protocolError is a malformed frame. The connection answers it with
// "ERR Protocol error: <msg>" and closes, as Redis does.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "Protocol error: " + e.msg }

// reader parses client commands: RESP arrays of bulk strings and inline
// commands (a line of space-separated, optionally quoted words). It is not
// safe for concurrent use; each connection owns one.
type reader struct {
	br      *bufio.Reader
	maxBulk int64 // longest bulk string accepted
	// authed is false while the client still has to authenticate; the
	// stricter unauth limits then apply.
	authed bool
	// budget charges large arguments to the server's Budget; nil without
	// one (see budget.go).
	budget *argBudget

	buf  []byte   // backing store of the arguments of the current command
	ends []int    // ends[i] is the end of argument i in buf
	args [][]byte // the arguments, slices of buf
	line []byte   // scratch for a line longer than br's buffer
}

func newReader(r io.Reader, size int, maxBulk int64) *reader {
	return &reader{br: bufio.NewReaderSize(r, size), maxBulk: maxBulk, authed: true}
}

// buffered reports whether input is waiting in the buffer, so that a reply
// can wait for the replies of the pipelined commands behind it.
func (r *reader) buffered() bool { return r.br.Buffered() > 0 }

// peekBuffered returns the input waiting in the buffer without consuming
// it, valid until the next read.
func (r *reader) peekBuffered() []byte {
	b, _ := r.br.Peek(r.br.Buffered())
	return b
}

// readCommand returns the next command's arguments, valid until the next
// call. An empty array or a blank inline line is skipped, as Redis does. The
// error is a *protocolError for a malformed frame, or the I/O error.
func (r *reader) readCommand() ([][]byte, error) {
	if cap(r.buf) > keepBuf {
		// Drop the arguments too: they are slices of the big buffer and
		// would keep it reachable while the connection waits.
		r.buf = nil
		clear(r.args[:cap(r.args)])
	}
	if cap(r.ends) > keepArgs {
		r.ends, r.args = nil, nil
	}
	for {
		r.buf, r.ends = r.buf[:0], r.ends[:0]
		b, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		if b[0] == '*' {
			err = r.readArray()
		} else {
			err = r.readInline()
		}
		if err != nil {
			return nil, err
		}
		if len(r.ends) == 0 {
			continue
		}
		r.args = r.args[:0]
		start := 0
		for _, end := range r.ends {
			r.args = append(r.args, r.buf[start:end:end])
			start = end
		}
		return r.args, nil
	}
}

// readLine returns the next line without its "\n" and without a "\r"
// before it, and whether the "\r" was there, valid until the next read. A
// line longer than maxInlineLen is reported as tooLong.
func (r *reader) readLine(tooLong string) (line []byte, crlf bool, err error) {
	line, err = r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.line = append(r.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(r.line) > maxInlineLen {
				return nil, false, &protocolError{tooLong}
			}
			line, err = r.br.ReadSlice('\n')
			r.line = append(r.line, line...)
		}
		line = r.line
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, err
	}
	if len(line) > maxInlineLen+2 {
		return nil, false, &protocolError{tooLong}
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1], true, nil
	}
	return line, false, nil
}

// readArray reads "*<n>\r\n" followed by n bulk strings. Its lines must
// end in "\r\n": Redis reads them up to the "\r", so a bare "\n" makes the
// number it parses invalid.
func (r *reader) readArray() error {
	line, crlf, err := r.readLine("too big mbulk count string")
	if err != nil {
		return err
	}
	n, ok := command.ParseInt(line[1:])
	if !ok || !crlf || n > maxArgs {
		return &protocolError{"invalid multibulk length"}
	}
	if !r.authed && n > unauthArgs {
		return &protocolError{"unauthenticated multibulk length"}
	}
	for range n { // n ≤ 0: an empty command, skipped
		if err := r.readBulk(); err != nil {
			return err
		}
	}
	return r.refusal()
}

// readBulk reads one "$<len>\r\n<bytes>\r\n" onto buf. The buffer grows as
// the bytes arrive, by at most readChunk ahead of them; under a budget, one
// beyond argAllowance is first sized by reserve, within the bytes granted.
func (r *reader) readBulk() error {
	line, crlf, err := r.readLine("too big bulk count string")
	if err != nil {
		return err
	}
	if len(line) == 0 || line[0] != '$' {
		c := byte(' ')
		if len(line) > 0 {
			c = line[0]
		}
		return &protocolError{"expected '$', got '" + string(c) + "'"}
	}
	n, ok := command.ParseInt(line[1:])
	if !ok || !crlf || n < 0 || n > r.maxBulk {
		return &protocolError{"invalid bulk length"}
	}
	if !r.authed && n > unauthBulk {
		return &protocolError{"unauthenticated bulk length"}
	}
	if r.budget != nil && !r.reserve(n) {
		// Refused under the budget: skip the bytes without keeping them.
		if _, err := r.br.Discard(int(n) + 2); err != nil {
			return unexpected(err)
		}
		return nil
	}
	for left := int(n); left > 0; {
		k := min(left, readChunk)
		start := len(r.buf)
		r.buf = slices.Grow(r.buf, k)[:start+k]
		if _, err := io.ReadFull(r.br, r.buf[start:]); err != nil {
			return unexpected(err)
		}
		left -= k
	}
	r.ends = append(r.ends, len(r.buf))
	// Redis skips the two bytes after the data without looking at them.
	if _, err := r.br.Discard(2); err != nil {
		return unexpected(err)
	}
	return nil
}

// readInline reads one inline command, split as Redis's sdssplitargs does.
func (r *reader) readInline() error {
	line, _, err := r.readLine("too big inline request")
	if err != nil {
		return err
	}
	if !splitArgs(line, r) {
		r.buf, r.ends = r.buf[:0], r.ends[:0]
		return &protocolError{"unbalanced quotes in request"}
	}
	return nil
}

// unexpected turns the EOF that cuts a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// splitArgs splits line into arguments as Redis's sdssplitargs does: words
// separated by spaces, "double quotes" with C escapes (\n \r \t \b \a \xHH),
// 'single quotes' with only \' as escape. A closing quote must be followed
// by a space or the end. It appends the words to r and reports false on
// unbalanced quotes.
func splitArgs(line []byte, r *reader) bool {
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			return true
		}
		inq, insq := false, false
		for done := false; !done; {
			switch {
			case inq:
				if p == len(line) {
					return false
				}
				switch c := line[p]; {
				case c == '\\' && p+3 < len(line) && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					r.buf = append(r.buf, unhex(line[p+2])<<4|unhex(line[p+3]))
					p += 3
				case c == '\\' && p+1 < len(line):
					p++
					switch line[p] {
					case 'n':
						r.buf = append(r.buf, '\n')
					case 'r':
						r.buf = append(r.buf, '\r')
					case 't':
						r.buf = append(r.buf, '\t')
					case 'b':
						r.buf = append(r.buf, '\b')
					case 'a':
						r.buf = append(r.buf, '\a')
					default:
						r.buf = append(r.buf, line[p])
					}
				case c == '"':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return false
					}
					done = true
				default:
					r.buf = append(r.buf, c)
				}
			case insq:
				if p == len(line) {
					return false
				}
				switch c := line[p]; {
				case c == '\\' && p+1 < len(line) && line[p+1] == '\'':
					p++
					r.buf = append(r.buf, '\'')
				case c == '\'':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return false
					}
					done = true
				default:
					r.buf = append(r.buf, c)
				}
			default:
				if p == len(line) {
					done = true
					break
				}
				switch c := line[p]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					r.buf = append(r.buf, c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		r.ends = append(r.ends, len(r.buf))
	}
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
