package respserver

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// writer encodes replies in the protocol version the client chose with
// HELLO: RESP2 (the default) or RESP3. It buffers; the connection flushes
// when no more pipelined input is waiting. It is not safe for concurrent use.
type writer struct {
	bw      *bufio.Writer
	resp3   bool
	scratch [32]byte
}

func newWriter(w io.Writer, size int) *writer {
	return &writer{bw: bufio.NewWriterSize(w, size)}
}

func (w *writer) flush() error { return w.bw.Flush() }

// header writes a type byte, a number and CRLF.
func (w *writer) header(t byte, n int64) {
	b := append(w.scratch[:0], t)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, '\r', '\n')
	w.bw.Write(b)
}

// simple writes a simple string; s must not contain CR or LF.
func (w *writer) simple(s string) {
	w.bw.WriteByte('+')
	w.bw.WriteString(s)
	w.bw.WriteString("\r\n")
}

func (w *writer) ok() { w.bw.WriteString("+OK\r\n") }

// error writes an error reply. msg starts with its code ("ERR ...",
// "WRONGPASS ..."); CR and LF in it become spaces, as Redis does.
func (w *writer) error(msg string) {
	w.bw.WriteByte('-')
	if strings.ContainsAny(msg, "\r\n") {
		msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	}
	w.bw.WriteString(msg)
	w.bw.WriteString("\r\n")
}

func (w *writer) int(n int64) { w.header(':', n) }

// bool writes 1 or 0, as Redis's integer replies to yes-or-no questions.
func (w *writer) bool(b bool) {
	if b {
		w.bw.WriteString(":1\r\n")
	} else {
		w.bw.WriteString(":0\r\n")
	}
}

func (w *writer) bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.bw.Write(b)
	w.bw.WriteString("\r\n")
}

func (w *writer) bulkString(s string) {
	w.header('$', int64(len(s)))
	w.bw.WriteString(s)
	w.bw.WriteString("\r\n")
}

// null writes the null bulk string (RESP2 $-1, RESP3 _).
func (w *writer) null() {
	if w.resp3 {
		w.bw.WriteString("_\r\n")
	} else {
		w.bw.WriteString("$-1\r\n")
	}
}

// nullArray writes the null array (RESP2 *-1, RESP3 _).
func (w *writer) nullArray() {
	if w.resp3 {
		w.bw.WriteString("_\r\n")
	} else {
		w.bw.WriteString("*-1\r\n")
	}
}

func (w *writer) arrayLen(n int) { w.header('*', int64(n)) }

// mapLen starts a map of n pairs: a RESP3 map, or a RESP2 array of 2n.
func (w *writer) mapLen(n int) {
	if w.resp3 {
		w.header('%', int64(n))
	} else {
		w.header('*', int64(2*n))
	}
}

// setLen starts a set: a RESP3 set, or a RESP2 array.
func (w *writer) setLen(n int) {
	if w.resp3 {
		w.header('~', int64(n))
	} else {
		w.header('*', int64(n))
	}
}

// verbatim writes text: a RESP3 verbatim string of format "txt", or a RESP2
// bulk string.
func (w *writer) verbatim(s string) {
	if !w.resp3 {
		w.bulkString(s)
		return
	}
	w.header('=', int64(len(s)+4))
	w.bw.WriteString("txt:")
	w.bw.WriteString(s)
	w.bw.WriteString("\r\n")
}

// strings writes an array of bulk strings.
func (w *writer) strings(ss []string) {
	w.arrayLen(len(ss))
	for _, s := range ss {
		w.bulkString(s)
	}
}
