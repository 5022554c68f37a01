package respserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one client connection. Its goroutine owns the reader, the writer
// and the plain fields; other goroutines (CLIENT LIST) read only the
// atomics and the fields mu guards.
type conn struct {
	s       *Server
	nc      net.Conn
	id      int64
	r       *reader
	w       *writer
	created time.Time
	authed  bool   // whether the client may run commands (no password: always)
	quit    bool   // close after the reply being written
	sampled uint32 // commands run, for the latency sample

	// The server-wide counters are updated once per run of the same
	// command rather than once per command (see count), since every
	// atomic add is a barrier that waits for the stores before it.
	run     *spec // the command running, and of the current run; nil before the first
	runN    uint64
	pending int64 // commands read since the server's total was last updated

	// ahead is how many bytes of the buffered input prefetchAhead has
	// scanned and not yet read; keys is its scratch.
	ahead int
	keys  []string
	// skip is how many commands to run before prefetchAhead scans again,
	// backoff how many it skipped last, while Prefetch finds nothing.
	skip, backoff int
	prefetches    int       // calls of Prefetch, for the tests
	specs         specCache // the last command's spec, for exec and prefetchAhead

	// heldDeadline is set while a read deadline bounds the arrival of a
	// command that holds bytes of the budget (see heldReadTimeout).
	heldDeadline bool

	// Read by CLIENT LIST from other goroutines, without a lock: they are
	// written for every command or read, where a lock would cost.
	lastCmd atomic.Pointer[spec] // the last command run; nil before the first
	active  atomic.Int64         // when input last arrived, in Unix nanoseconds

	mu      sync.Mutex // guards the fields below
	name    string     // CLIENT SETNAME
	libName string     // CLIENT SETINFO LIB-NAME
	libVer  string     // CLIENT SETINFO LIB-VER
	resp    int        // protocol version, 2 or 3
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		s:       s,
		nc:      nc,
		id:      s.nextID.Add(1),
		w:       newWriter(nc, DefaultOutputBuffer),
		created: time.Now(),
		authed:  s.cfg.password == "",
		resp:    2,
	}
	c.active.Store(c.created.UnixNano())
	c.r = newReader(flushReader{c}, DefaultInputBuffer, s.cfg.maxBulkLen)
	c.r.authed = c.authed
	if s.cfg.budget != nil {
		c.r.budget = &argBudget{b: s.cfg.budget, ctx: s.waits, onHold: c.startHeld}
	}
	return c
}

// serve reads and runs commands until the client quits, the connection
// fails, a frame is malformed or the server shuts down.
func (c *conn) serve() {
	log := c.s.cfg.logger
	log.Debug("respserver: client connected", slog.Int64("id", c.id), slog.String("addr", c.nc.RemoteAddr().String()))
	defer func() {
		if p := recover(); p != nil {
			log.Error("respserver: panic serving a command", slog.Int64("id", c.id), slog.String("panic", fmt.Sprint(p)))
		}
		c.publish()
		c.r.release()
		c.s.forget(c)
		c.nc.Close()
		log.Debug("respserver: client closed", slog.Int64("id", c.id))
	}()
	for {
		if !c.r.buffered() {
			// Nothing more is pipelined: send what the replies so far hold.
			// A client that does not read blocks this write, and so is not
			// read from either.
			if err := c.sendReplies(); err != nil {
				return
			}
			if d := c.s.cfg.idleTimeout; d > 0 {
				c.nc.SetReadDeadline(time.Now().Add(d))
			}
		}
		args, err := c.readCommand()
		if err != nil {
			if errors.Is(err, errOverBudget) {
				c.endCommand()
				c.w.error(errOOM) // its input was read and discarded: go on
				continue
			}
			var pe *protocolError
			if errors.As(err, &pe) {
				log.Debug("respserver: protocol error", slog.Int64("id", c.id), slog.String("err", pe.msg))
				c.w.error("ERR " + pe.Error())
				c.w.flush()
			}
			return
		}
		c.pending++
		c.exec(args)
		c.endCommand()
		if c.quit {
			c.w.flush()
			return
		}
	}
}

// count records that s is about to run. The calls of s are added to the
// server's counters when a different command runs, when the connection is
// about to wait for input and when it closes: a pipeline of one command
// costs one atomic add, and a command that reads the counters (INFO) sees
// every command before it.
func (c *conn) count(s *spec) {
	if s != c.run {
		c.publish()
		c.run = s
		c.lastCmd.Store(s)
	}
	c.runN++
}

// publish adds the calls counted so far to the server's counters.
func (c *conn) publish() {
	if c.runN > 0 {
		c.s.stats.calls[c.run.id].Add(c.runN)
		c.runN = 0
	}
	if c.pending > 0 {
		c.s.commands.Add(c.pending)
		c.pending = 0
	}
}

// drainWait is how long a connection waits for more input once the server
// shuts down: commands already sent are served, and an idle connection
// closes after this long.
const drainWait = 50 * time.Millisecond

// flushReader is the connection as its reader sees it: before a read that
// may block, it sends the replies written so far. Without it a client that
// pipelines a frame in pieces would wait for replies the server holds while
// the server waits for the rest of the frame. Once the server shuts down,
// each read waits at most drainWait: the connection serves what its client
// has sent and closes when input stops.
type flushReader struct{ c *conn }

func (f flushReader) Read(p []byte) (int, error) {
	c := f.c
	if err := c.sendReplies(); err != nil {
		return 0, err
	}
	// Shutdown stores closing before it shortens the deadlines, so a read
	// that misses closing here still has its deadline shortened.
	if c.s.closing.Load() {
		c.nc.SetReadDeadline(time.Now().Add(drainWait))
	}
	n, err := c.nc.Read(p)
	c.active.Store(time.Now().UnixNano())
	return n, err
}

// startHeld bounds a command that holds bytes of the budget: its input
// must arrive, and the replies before and of it be written, within
// heldReadTimeout, both reads and writes being cut after that.
func (c *conn) startHeld() {
	c.heldDeadline = true
	c.nc.SetDeadline(time.Now().Add(heldReadTimeout))
}

// endCommand ends the command just run or refused: it gives back what the
// command held of the budget and lifts startHeld's deadline, putting back
// the idle timeout, if any. (A shutdown sets its own deadline before each
// read.)
func (c *conn) endCommand() {
	c.r.release()
	if !c.heldDeadline {
		return
	}
	c.heldDeadline = false
	c.nc.SetDeadline(time.Time{})
	if d := c.s.cfg.idleTimeout; d > 0 {
		c.nc.SetReadDeadline(time.Now().Add(d))
	}
}

// sendReplies makes the counts of the commands run so far visible and
// writes their replies, before the connection waits for input.
//
// It yields first, so that the other connections whose input is ready run
// their commands before this one writes and the replies of one scheduler
// round leave together, as an event loop sends them. A client woken by the
// first of them is still busy when the next arrive, instead of going back
// to sleep between writes: waking a sleeping CPU is what a write costs most
// (bench/resp.sh: 10-35% less server CPU per command at -P 16).
func (c *conn) sendReplies() error {
	c.publish()
	if c.w.bw.Buffered() == 0 {
		return nil
	}
	runtime.Gosched()
	return c.w.flush()
}

// setAuthed records that the client authenticated (or, after RESET with a
// password, that it no longer is).
func (c *conn) setAuthed(ok bool) {
	c.authed = ok
	c.r.authed = ok
}

// info is the client's line of CLIENT LIST and CLIENT INFO.
func (c *conn) info() string {
	c.mu.Lock()
	name, lib, ver, resp := c.name, c.libName, c.libVer, c.resp
	c.mu.Unlock()
	cmd := "NULL"
	if s := c.lastCmd.Load(); s != nil {
		cmd = s.name
	}
	active := time.Unix(0, c.active.Load())
	now := time.Now()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=0 name=%s age=%d idle=%d flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=%d rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=default redir=-1 resp=%d lib-name=%s lib-ver=%s\n",
		c.id, c.nc.RemoteAddr(), c.nc.LocalAddr(), name,
		int64(now.Sub(c.created)/time.Second), int64(now.Sub(active)/time.Second),
		DefaultInputBuffer, cmd, resp, lib, ver)
}
