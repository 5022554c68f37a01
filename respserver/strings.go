package respserver

import (
	"errors"
	"math"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/command"
)

// The string commands.
func init() {
	w, r := []string{"write", "denyoom"}, []string{"readonly", "fast"}
	wf := []string{"write", "denyoom", "fast"}
	for _, s := range []*spec{
		{name: "get", arity: 2, flags: r, first: 1, last: 1, step: 1, run: cmdGet},
		{name: "set", arity: -3, flags: w, first: 1, last: 1, step: 1, run: cmdSet},
		{name: "setnx", arity: 3, flags: wf, first: 1, last: 1, step: 1, run: cmdSetNX},
		{name: "setex", arity: 4, flags: w, first: 1, last: 1, step: 1, run: cmdSetEX},
		{name: "psetex", arity: 4, flags: w, first: 1, last: 1, step: 1, run: cmdSetEX},
		{name: "getset", arity: 3, flags: wf, first: 1, last: 1, step: 1, run: cmdGetSet},
		{name: "getdel", arity: 2, flags: []string{"write", "fast"}, first: 1, last: 1, step: 1, run: cmdGetDel},
		{name: "getex", arity: -2, flags: []string{"write", "fast"}, first: 1, last: 1, step: 1, run: cmdGetEx},
		{name: "mget", arity: -2, flags: r, first: 1, last: -1, step: 1, run: cmdMGet},
		{name: "mset", arity: -3, flags: w, first: 1, last: -1, step: 2, run: cmdMSet},
		{name: "msetnx", arity: -3, flags: w, first: 1, last: -1, step: 2, run: cmdMSetNX},
		{name: "append", arity: 3, flags: wf, first: 1, last: 1, step: 1, run: cmdAppend},
		{name: "strlen", arity: 2, flags: r, first: 1, last: 1, step: 1, run: cmdStrlen},
		{name: "incr", arity: 2, flags: wf, first: 1, last: 1, step: 1, run: cmdIncr},
		{name: "decr", arity: 2, flags: wf, first: 1, last: 1, step: 1, run: cmdIncr},
		{name: "incrby", arity: 3, flags: wf, first: 1, last: 1, step: 1, run: cmdIncr},
		{name: "decrby", arity: 3, flags: wf, first: 1, last: 1, step: 1, run: cmdIncr},
		{name: "incrbyfloat", arity: 3, flags: wf, first: 1, last: 1, step: 1, run: cmdIncrByFloat},
		{name: "getrange", arity: 4, flags: []string{"readonly"}, first: 1, last: 1, step: 1, run: cmdGetRange},
		{name: "substr", arity: 4, flags: []string{"readonly"}, first: 1, last: 1, step: 1, run: cmdGetRange},
		{name: "setrange", arity: 4, flags: w, first: 1, last: 1, step: 1, run: cmdSetRange},
	} {
		register(s)
	}
}

// fail writes the Redis error reply for an error of package command.
func (c *conn) fail(err error) {
	switch {
	case errors.Is(err, command.ErrTooHeavy):
		c.w.error(errOOM)
	case errors.Is(err, command.ErrNotInteger):
		c.w.error(errNotInteger)
	case errors.Is(err, command.ErrOverflow):
		c.w.error(errOverflow)
	case errors.Is(err, command.ErrNotFloat):
		c.w.error(errNotFloat)
	case errors.Is(err, command.ErrNaNOrInfinity):
		c.w.error("ERR increment would produce NaN or Infinity")
	case errors.Is(err, command.ErrTooBig):
		c.w.error(errTooBig)
	case errors.Is(err, command.ErrOffsetRange):
		c.w.error(errOffsetRange)
	default:
		c.w.error("ERR " + err.Error())
	}
}

// An expiry is the expiry option of SET or GETEX.
type expiry struct {
	kind expiryKind
	n    int64 // the option's argument: seconds or milliseconds, relative or absolute
}

type expiryKind uint8

const (
	expNone    expiryKind = iota
	expEX                 // EX seconds
	expPX                 // PX milliseconds
	expEXAT               // EXAT unix-seconds
	expPXAT               // PXAT unix-milliseconds
	expKeepTTL            // KEEPTTL (SET)
	expPersist            // PERSIST (GETEX)
)

// parseExpiry checks the argument of an expiry option as Redis does and
// converts it to a ttl for the cache: positive, or -1 for a deadline that
// has passed (the key is then removed). It returns false with the error
// reply written.
func (c *conn) parseExpiry(e expiry, arg []byte, cmd string) (time.Duration, bool) {
	n, ok := command.ParseInt(arg)
	if !ok {
		c.w.error(errNotInteger)
		return 0, false
	}
	seconds := e.kind == expEX || e.kind == expEXAT
	if n <= 0 || seconds && n > math.MaxInt64/1000 {
		c.w.error("ERR invalid expire time in '" + cmd + "' command")
		return 0, false
	}
	ms := n
	if seconds {
		ms *= 1000
	}
	now := time.Now()
	if e.kind == expEXAT || e.kind == expPXAT {
		d := time.UnixMilli(ms).Sub(now) // saturates, never overflows
		if d <= 0 {
			return -1, true
		}
		return capTTL(d), true
	}
	if ms > math.MaxInt64-now.UnixMilli() {
		c.w.error("ERR invalid expire time in '" + cmd + "' command")
		return 0, false
	}
	return msDuration(ms), true
}

// msDuration converts milliseconds to a time to live, saturating rather
// than overflowing (see capTTL).
func msDuration(ms int64) time.Duration {
	d := time.Duration(math.MaxInt64)
	if ms <= math.MaxInt64/int64(time.Millisecond) {
		d = time.Duration(ms) * time.Millisecond
	}
	return capTTL(d)
}

// capTTL keeps a time to live off minicache.NoExpiration (math.MaxInt64),
// which would mean no deadline at all; the cache itself cuts a deadline
// past 2262-04-11 to that day.
func capTTL(d time.Duration) time.Duration {
	return min(d, minicache.NoExpiration-1)
}

func cmdGet(c *conn, args [][]byte) {
	if v, ok := c.s.cache.Get(string(args[1])); ok {
		c.w.bulkString(v)
	} else {
		c.w.null()
	}
}

// timeOption sets e's kind from a, an EX, PX, EXAT or PXAT option, and
// reports whether a is one that may stand here: free (no expiry option
// given yet) or the same option repeated, as Redis allows.
func (e *expiry) timeOption(a []byte, free bool) bool {
	for _, o := range [...]struct {
		name string
		kind expiryKind
	}{{"ex", expEX}, {"px", expPX}, {"exat", expEXAT}, {"pxat", expPXAT}} {
		if equalFold(a, o.name) {
			if !free && e.kind != o.kind {
				return false
			}
			e.kind = o.kind
			return true
		}
	}
	return false
}

// cmdSet is SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL].
func cmdSet(c *conn, args [][]byte) {
	var nx, xx, get bool
	var e expiry
	var expArg []byte
	for j := 3; j < len(args); j++ {
		a := args[j]
		hasNext := j+1 < len(args)
		free := e.kind == expNone
		switch {
		case equalFold(a, "nx") && !xx:
			nx = true
		case equalFold(a, "xx") && !nx:
			xx = true
		case equalFold(a, "get"):
			get = true
		case equalFold(a, "keepttl") && (free || e.kind == expKeepTTL):
			e.kind = expKeepTTL
		case hasNext && e.timeOption(a, free):
			expArg = args[j+1]
			j++
		default:
			c.w.error(errSyntax)
			return
		}
	}
	ttl := minicache.NoExpiration
	if expArg != nil {
		var ok bool
		if ttl, ok = c.parseExpiry(e, expArg, "set"); !ok {
			return
		}
	}
	key, value := string(args[1]), string(args[2])
	if !nx && !xx && !get && e.kind != expKeepTTL {
		if ttl < 0 {
			c.s.cache.Delete(key)
		} else if !c.s.cache.SetWithTTL(key, value, ttl) {
			c.w.error(errOOM)
			return
		}
		c.w.ok()
		return
	}
	var old string
	var found, stored bool
	_, present := c.s.cache.Compute(key, func(v string, _ time.Duration, ok bool) (string, time.Duration, minicache.ComputeOp) {
		old, found = v, ok
		if nx && ok || xx && !ok {
			return v, 0, minicache.ComputeKeep
		}
		stored = true
		if e.kind == expKeepTTL {
			if ok {
				return value, minicache.KeepTTL, minicache.ComputeStore
			}
			return value, minicache.NoExpiration, minicache.ComputeStore
		}
		return value, ttl, minicache.ComputeStore
	})
	if stored && !present && ttl > 0 {
		c.w.error(errOOM)
		return
	}
	switch {
	case get && found:
		c.w.bulkString(old)
	case get, !stored:
		c.w.null()
	default:
		c.w.ok()
	}
}

func cmdSetNX(c *conn, args [][]byte) {
	c.w.bool(c.s.cache.SetIfAbsent(string(args[1]), string(args[2]), minicache.NoExpiration))
}

// cmdSetEX is SETEX key seconds value and PSETEX key milliseconds value.
func cmdSetEX(c *conn, args [][]byte) {
	e, name := expiry{kind: expEX}, "setex"
	if equalFold(args[0], "psetex") {
		e, name = expiry{kind: expPX}, "psetex"
	}
	ttl, ok := c.parseExpiry(e, args[2], name)
	if !ok {
		return
	}
	if !c.s.cache.SetWithTTL(string(args[1]), string(args[3]), ttl) {
		c.w.error(errOOM)
		return
	}
	c.w.ok()
}

func cmdGetSet(c *conn, args [][]byte) {
	key, value := string(args[1]), string(args[2])
	old, found := c.s.cache.GetAndSet(key, value, minicache.NoExpiration)
	if _, ok := c.s.cache.Peek(key); !ok {
		c.w.error(errOOM)
		return
	}
	if found {
		c.w.bulkString(old)
	} else {
		c.w.null()
	}
}

func cmdGetDel(c *conn, args [][]byte) {
	if v, ok := c.s.cache.GetAndDelete(string(args[1])); ok {
		c.w.bulkString(v)
	} else {
		c.w.null()
	}
}

// cmdGetEx is GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST].
func cmdGetEx(c *conn, args [][]byte) {
	var e expiry
	var expArg []byte
	for j := 2; j < len(args); j++ {
		a := args[j]
		hasNext := j+1 < len(args)
		free := e.kind == expNone
		switch {
		case equalFold(a, "persist") && (free || e.kind == expPersist):
			e.kind = expPersist
		case hasNext && e.timeOption(a, free):
			expArg = args[j+1]
			j++
		default:
			c.w.error(errSyntax)
			return
		}
	}
	key := string(args[1])
	var v string
	var ok bool
	switch e.kind {
	case expNone:
		v, ok = c.s.cache.Get(key)
	case expPersist:
		v, ok = c.s.cache.GetAndExpire(key, minicache.NoExpiration)
	default:
		// Redis looks the key up before it checks the expire time.
		if _, found := c.s.cache.Peek(key); !found {
			v, ok = c.s.cache.Get(key) // a miss, counted as Redis does
			break
		}
		ttl, valid := c.parseExpiry(e, expArg, "getex")
		if !valid {
			return
		}
		v, ok = c.s.cache.GetAndExpire(key, ttl)
	}
	if ok {
		c.w.bulkString(v)
	} else {
		c.w.null()
	}
}

func cmdMGet(c *conn, args [][]byte) {
	c.w.arrayLen(len(args) - 1)
	for j, k := range args[1:] {
		c.prefetchLong(args, 1, 1, j)
		if v, ok := c.s.cache.Get(string(k)); ok {
			c.w.bulkString(v)
		} else {
			c.w.null()
		}
	}
}

// cmdMSet stores every pair; each store is atomic, the whole is not.
func cmdMSet(c *conn, args [][]byte) {
	if len(args)%2 == 0 {
		c.w.error("ERR wrong number of arguments for '" + c.run.name + "' command")
		return
	}
	refused := false
	for i := 1; i < len(args); i += 2 {
		c.prefetchLong(args, 1, 2, i/2)
		if !c.s.cache.SetWithTTL(string(args[i]), string(args[i+1]), minicache.NoExpiration) {
			refused = true
		}
	}
	if refused {
		c.w.error(errOOM)
		return
	}
	c.w.ok()
}

// cmdMSetNX stores every pair if none of the keys exists. The check and the
// stores are not one atomic step: a key created meanwhile by another client
// is overwritten.
func cmdMSetNX(c *conn, args [][]byte) {
	if len(args)%2 == 0 {
		c.w.error("ERR wrong number of arguments for 'msetnx' command")
		return
	}
	for i := 1; i < len(args); i += 2 {
		if _, ok := c.s.cache.Peek(string(args[i])); ok {
			c.w.bool(false)
			return
		}
	}
	refused := false
	for i := 1; i < len(args); i += 2 {
		if !c.s.cache.SetWithTTL(string(args[i]), string(args[i+1]), minicache.NoExpiration) {
			refused = true
		}
	}
	if refused {
		c.w.error(errOOM)
		return
	}
	c.w.bool(true)
}

func cmdAppend(c *conn, args [][]byte) {
	n, err := c.s.cmds.Append(string(args[1]), string(args[2]), c.s.cfg.maxBulkLen)
	if err != nil {
		c.fail(err)
		return
	}
	c.w.int(int64(n))
}

func cmdStrlen(c *conn, args [][]byte) {
	v, _ := c.s.cache.Get(string(args[1]))
	c.w.int(int64(len(v)))
}

// cmdIncr is INCR, DECR, INCRBY and DECRBY.
func cmdIncr(c *conn, args [][]byte) {
	delta := int64(1)
	name := c.run.name
	if len(args) == 3 {
		var ok bool
		if delta, ok = command.ParseInt(args[2]); !ok {
			c.w.error(errNotInteger)
			return
		}
	}
	if name == "decr" || name == "decrby" {
		if delta == math.MinInt64 {
			c.w.error("ERR decrement would overflow")
			return
		}
		delta = -delta
	}
	n, err := c.s.cmds.IncrBy(string(args[1]), delta)
	if err != nil {
		c.fail(err)
		return
	}
	c.w.int(n)
}

func cmdIncrByFloat(c *conn, args [][]byte) {
	v, err := c.s.cmds.IncrByFloat(string(args[1]), string(args[2]))
	if err != nil {
		c.fail(err)
		return
	}
	c.w.bulkString(v)
}

// cmdGetRange is GETRANGE and SUBSTR key start end.
func cmdGetRange(c *conn, args [][]byte) {
	start, ok1 := command.ParseInt(args[2])
	end, ok2 := command.ParseInt(args[3])
	if !ok1 || !ok2 {
		c.w.error(errNotInteger)
		return
	}
	v, _ := c.s.cache.Get(string(args[1]))
	c.w.bulkString(command.GetRange(v, start, end))
}

func cmdSetRange(c *conn, args [][]byte) {
	offset, ok := command.ParseInt(args[2])
	if !ok {
		c.w.error(errNotInteger)
		return
	}
	n, err := c.s.cmds.SetRange(string(args[1]), offset, string(args[3]), c.s.cfg.maxBulkLen)
	if err != nil {
		c.fail(err)
		return
	}
	c.w.int(int64(n))
}
