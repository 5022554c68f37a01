package respserver

import (
	"bytes"
	"strings"
	"time"
)

// Error replies shared by many commands, with Redis 7's texts.
const (
	errSyntax      = "ERR syntax error"
	errNotInteger  = "ERR value is not an integer or out of range"
	errNotFloat    = "ERR value is not a valid float"
	errNoAuth      = "NOAUTH Authentication required."
	errWrongPass   = "WRONGPASS invalid username-password pair or user is disabled."
	errNoSuchKey   = "ERR no such key"
	errOOM         = "OOM command not allowed when used memory > 'maxmemory'."
	errOverflow    = "ERR increment or decrement would overflow"
	errTooBig      = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errDBIndex     = "ERR DB index is out of range"
	errInvalidExp  = "ERR invalid expire time in '%s' command"
	errOffsetRange = "ERR offset is out of range"
)

// handler runs one command. args[0] is the command name as the client sent
// it; the arity has been checked. It writes exactly one reply.
type handler func(c *conn, args [][]byte)

// spec describes a command as COMMAND reports it and as exec checks it.
type spec struct {
	name  string // full name, lower case: "get", "client|setname"
	arity int    // Redis's arity: n exactly, -n at least n, the name counted
	flags []string
	// first, last and step locate the keys among the arguments, as in
	// Redis's COMMAND reply (0: no keys).
	first, last, step int
	noAuth            bool // may run before authentication
	run               handler
	subs              map[string]*spec // subcommands of a container command
	id                int              // index of the command's counters in a Server
}

// specs lists every command and subcommand by id.
var specs []*spec

// table maps lower-case command names to their specs; filled by init
// functions of the files that implement them and never written after.
var table = map[string]*spec{}

// register adds s to the table, or as a subcommand of its container.
func register(s *spec) {
	s.id = len(specs)
	specs = append(specs, s)
	if parent, sub, ok := strings.Cut(s.name, "|"); ok {
		p := table[parent]
		if p.subs == nil {
			p.subs = map[string]*spec{}
		}
		p.subs[sub] = s
		return
	}
	table[s.name] = s
}

// lookup finds name in m, case-insensitively, without allocating for names
// of up to 32 bytes.
func lookup(m map[string]*spec, name []byte) *spec {
	var buf [32]byte
	if len(name) > len(buf) {
		return m[strings.ToLower(string(name))]
	}
	low := buf[:len(name)]
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		low[i] = ch
	}
	return m[string(low)]
}

// specCache remembers the last command name looked up and its spec: a
// pipeline mostly repeats one command, and comparing its name costs less
// than folding its case and hashing it again.
type specCache struct {
	name []byte
	s    *spec
}

// find is lookup(table, name) through the cache.
func (c *specCache) find(name []byte) *spec {
	if c.s != nil && bytes.Equal(name, c.name) {
		return c.s
	}
	s := lookup(table, name)
	if s != nil && len(name) <= 32 {
		c.name, c.s = append(c.name[:0], name...), s
	}
	return s
}

// exec runs one command: it finds it, checks its arity and the client's
// authentication in Redis's order, and calls its handler.
func (c *conn) exec(args [][]byte) {
	s := c.specs.find(args[0])
	if s == nil {
		c.w.error(unknownCommand(args))
		return
	}
	if s.subs != nil && len(args) >= 2 {
		sub := lookup(s.subs, args[1])
		if sub == nil {
			c.w.error("ERR unknown subcommand '" + trunc(string(args[1]), 128) + "'. Try " + strings.ToUpper(s.name) + " HELP.")
			return
		}
		s = sub
	}
	if n := len(args); s.arity > 0 && n != s.arity || s.arity < 0 && n < -s.arity {
		c.w.error("ERR wrong number of arguments for '" + s.name + "' command")
		return
	}
	if !c.authed && !s.noAuth {
		c.w.error(errNoAuth)
		return
	}
	c.count(s)
	if c.sampled++; c.sampled&(latencySample-1) == 0 {
		start := time.Now()
		s.run(c, args)
		c.s.stats.latency.With(s.name).Observe(time.Since(start).Seconds())
		return
	}
	s.run(c, args)
}

// unknownCommand is Redis's reply to a command it does not know.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.WriteString(trunc(string(args[0]), 128))
	b.WriteString("', with args beginning with: ")
	n := b.Len()
	for _, a := range args[1:] {
		if b.Len()-n >= 128 {
			break
		}
		prec := 128 - (b.Len() - n)
		b.WriteByte('\'')
		b.WriteString(trunc(string(a), prec))
		b.WriteString("' ")
	}
	return b.String()
}

// trunc cuts s to at most n bytes, as C's %.*s.
func trunc(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}

// equalFold reports whether b is s (lower case ASCII) in any case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		ch := b[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != s[i] {
			return false
		}
	}
	return true
}
