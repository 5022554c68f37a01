package respserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minicache/minicache"
)

// panicLog records the errors a server logs: a recovered panic is one.
type panicLog struct {
	mu   sync.Mutex // guards msgs
	msgs []string
}

func (l *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *panicLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *panicLog) WithGroup(string) slog.Handler            { return l }
func (l *panicLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
		l.mu.Lock()
		l.msgs = append(l.msgs, b.String())
		l.mu.Unlock()
	}
	return nil
}

// FuzzCommands sends arbitrary input, seeded with every command, through a
// connection: whatever arrives, the server answers or closes, and no
// command panics.
func FuzzCommands(f *testing.F) {
	for _, s := range []string{
		"SET k v EX 10 NX GET\r\nGET k\r\nGETEX k PXAT 1\r\nGETDEL k\r\n",
		"INCR n\r\nINCRBY n -5\r\nDECRBY n 9223372036854775807\r\nINCRBYFLOAT n 1e308\r\n",
		"APPEND a x\r\nSETRANGE a 3 yy\r\nGETRANGE a -2 -1\r\nSUBSTR a 0 0\r\nSTRLEN a\r\n",
		"MSET a 1 b 2\r\nMGET a b c\r\nMSETNX c 3 d 4\r\nGETSET a 9\r\nSETNX e 1\r\nSETEX f 5 v\r\nPSETEX g 5 v\r\n",
		"EXPIRE a 10 GT\r\nPEXPIREAT a 1\r\nTTL b\r\nPTTL b\r\nEXPIRETIME b\r\nPEXPIRETIME b\r\nPERSIST b\r\n",
		"KEYS *\r\nSCAN 0 MATCH a* COUNT 5 TYPE string\r\nRANDOMKEY\r\nRENAME a z\r\nRENAMENX z a\r\nCOPY a y REPLACE\r\n",
		"DEL a\r\nUNLINK b\r\nEXISTS a b\r\nTYPE a\r\nTOUCH a\r\nDBSIZE\r\nFLUSHDB ASYNC\r\nFLUSHALL\r\n",
		"HELLO 3 SETNAME x\r\nCLIENT LIST\r\nCLIENT INFO\r\nCLIENT ID\r\nCLIENT GETNAME\r\nCLIENT SETINFO lib-name x\r\n",
		"CONFIG GET *\r\nCONFIG SET maxmemory 1mb\r\nINFO\r\nINFO keyspace\r\nCOMMAND\r\nCOMMAND INFO get\r\nCOMMAND DOCS\r\nTIME\r\n",
		"PING\r\nECHO x\r\nSELECT 0\r\nAUTH x\r\nRESET\r\nHELLO 2\r\nQUIT\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\x00\xff\r\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
	} {
		f.Add([]byte(s))
	}
	log := &panicLog{}
	cache := minicache.New[string, string](minicache.WithCapacity(100),
		minicache.WithWeigher(func(k, v string) uint64 { return uint64(len(k) + len(v)) }))
	defer cache.Close()
	srv := New(cache, WithLogger(slog.New(log)), WithMaxBulkLen(1<<16))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			nc.Write(data)
			nc.(*net.TCPConn).CloseWrite()
		}()
		// The server answers what it can and closes when the input ends.
		if _, err := io.Copy(io.Discard, nc); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		log.mu.Lock()
		defer log.mu.Unlock()
		if len(log.msgs) > 0 {
			t.Fatalf("%q: %v", data, log.msgs)
		}
	})
}
