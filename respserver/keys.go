package respserver

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/command"
)

// The key commands.
func init() {
	wf := []string{"write", "fast"}
	rf := []string{"readonly", "fast"}
	for _, s := range []*spec{
		{name: "del", arity: -2, flags: []string{"write"}, first: 1, last: -1, step: 1, run: cmdDel},
		{name: "unlink", arity: -2, flags: wf, first: 1, last: -1, step: 1, run: cmdDel},
		{name: "exists", arity: -2, flags: rf, first: 1, last: -1, step: 1, run: cmdExists},
		{name: "type", arity: 2, flags: rf, first: 1, last: 1, step: 1, run: cmdType},
		{name: "touch", arity: -2, flags: rf, first: 1, last: -1, step: 1, run: cmdTouch},
		{name: "expire", arity: -3, flags: wf, first: 1, last: 1, step: 1, run: cmdExpire},
		{name: "pexpire", arity: -3, flags: wf, first: 1, last: 1, step: 1, run: cmdExpire},
		{name: "expireat", arity: -3, flags: wf, first: 1, last: 1, step: 1, run: cmdExpire},
		{name: "pexpireat", arity: -3, flags: wf, first: 1, last: 1, step: 1, run: cmdExpire},
		{name: "ttl", arity: 2, flags: rf, first: 1, last: 1, step: 1, run: cmdTTL},
		{name: "pttl", arity: 2, flags: rf, first: 1, last: 1, step: 1, run: cmdTTL},
		{name: "expiretime", arity: 2, flags: rf, first: 1, last: 1, step: 1, run: cmdTTL},
		{name: "pexpiretime", arity: 2, flags: rf, first: 1, last: 1, step: 1, run: cmdTTL},
		{name: "persist", arity: 2, flags: wf, first: 1, last: 1, step: 1, run: cmdPersist},
		{name: "keys", arity: 2, flags: []string{"readonly"}, run: cmdKeys},
		{name: "scan", arity: -2, flags: []string{"readonly"}, run: cmdScan},
		{name: "randomkey", arity: 1, flags: []string{"readonly"}, run: cmdRandomKey},
		{name: "rename", arity: 3, flags: []string{"write"}, first: 1, last: 2, step: 1, run: cmdRename},
		{name: "renamenx", arity: 3, flags: wf, first: 1, last: 2, step: 1, run: cmdRename},
		{name: "copy", arity: -3, flags: []string{"write", "denyoom"}, first: 1, last: 2, step: 1, run: cmdCopy},
	} {
		register(s)
	}
}

// cmdDel is DEL and UNLINK.
func cmdDel(c *conn, args [][]byte) {
	n := 0
	for j, k := range args[1:] {
		c.prefetchLong(args, 1, 1, j)
		if c.s.cache.Delete(string(k)) {
			n++
		}
	}
	c.w.int(int64(n))
}

// cmdExists counts the keys that exist, a key named twice twice.
func cmdExists(c *conn, args [][]byte) {
	n := 0
	for j, k := range args[1:] {
		c.prefetchLong(args, 1, 1, j)
		if _, ok := c.s.cache.Peek(string(k)); ok {
			n++
		}
	}
	c.w.int(int64(n))
}

func cmdType(c *conn, args [][]byte) {
	if _, ok := c.s.cache.Peek(string(args[1])); ok {
		c.w.simple("string")
	} else {
		c.w.simple("none")
	}
}

// cmdTouch counts the keys that exist and makes each most recently used.
func cmdTouch(c *conn, args [][]byte) {
	n := 0
	for j, k := range args[1:] {
		c.prefetchLong(args, 1, 1, j)
		if _, ok := c.s.cache.Get(string(k)); ok {
			n++
		}
	}
	c.w.int(int64(n))
}

// Conditions of the EXPIRE family.
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// cmdExpire is EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT key time
// [NX|XX|GT|LT]. A time in the past removes the key and answers 1.
func cmdExpire(c *conn, args [][]byte) {
	name := c.run.name
	flags := 0
	for _, a := range args[3:] {
		switch {
		case equalFold(a, "nx"):
			flags |= expireNX
		case equalFold(a, "xx"):
			flags |= expireXX
		case equalFold(a, "gt"):
			flags |= expireGT
		case equalFold(a, "lt"):
			flags |= expireLT
		default:
			c.w.error("ERR Unsupported option " + string(a))
			return
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.w.error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.w.error("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := command.ParseInt(args[2])
	if !ok {
		c.w.error(errNotInteger)
		return
	}
	invalid := "ERR invalid expire time in '" + name + "' command"
	if name == "expire" || name == "expireat" {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.w.error(invalid)
			return
		}
		when *= 1000
	}
	now := time.Now()
	if name == "expire" || name == "pexpire" {
		if when > math.MaxInt64-now.UnixMilli() {
			c.w.error(invalid)
			return
		}
	}
	// at is the new deadline in Unix milliseconds, as Redis compares them
	// for GT and LT; ttl the new time to live, ≤ 0 to remove the key.
	at, ttl := when, time.Duration(-1)
	if name == "expireat" || name == "pexpireat" {
		if d := time.UnixMilli(when).Sub(now); d > 0 {
			ttl = capTTL(d)
		}
	} else {
		at += now.UnixMilli()
		if when > 0 {
			ttl = msDuration(when)
		}
	}
	key := string(args[1])
	if flags == 0 {
		c.w.bool(c.s.cache.Expire(key, ttl))
		return
	}
	done := false
	c.s.cache.Compute(key, func(v string, cur time.Duration, found bool) (string, time.Duration, minicache.ComputeOp) {
		persistent := cur == minicache.NoExpiration
		var curAt int64 // the current deadline in Unix milliseconds
		if found && !persistent {
			curAt = time.Now().Add(cur).UnixMilli()
		}
		switch {
		case !found,
			flags&expireNX != 0 && !persistent,
			flags&expireXX != 0 && persistent,
			flags&expireGT != 0 && (persistent || at <= curAt),
			flags&expireLT != 0 && !persistent && at >= curAt:
			return v, 0, minicache.ComputeKeep
		}
		done = true
		if ttl <= 0 {
			return v, 0, minicache.ComputeDelete
		}
		return v, ttl, minicache.ComputeStore
	})
	c.w.bool(done)
}

// cmdTTL is TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1
// for one without a deadline.
func cmdTTL(c *conn, args [][]byte) {
	name := c.run.name
	ttl, ok := c.s.cache.TTL(string(args[1]))
	switch {
	case !ok:
		c.w.int(-2)
		return
	case ttl == minicache.NoExpiration:
		c.w.int(-1)
		return
	}
	var ms int64
	if name == "expiretime" || name == "pexpiretime" {
		ms = time.Now().Add(ttl).UnixMilli()
	} else {
		ms = int64((ttl + 500*time.Microsecond) / time.Millisecond)
	}
	if name == "ttl" || name == "expiretime" {
		c.w.int((ms + 500) / 1000)
	} else {
		c.w.int(ms)
	}
}

// cmdPersist removes the deadline of a key and answers 1, or 0 if the key is
// missing or has none.
func cmdPersist(c *conn, args [][]byte) {
	done := false
	c.s.cache.Compute(string(args[1]), func(v string, ttl time.Duration, found bool) (string, time.Duration, minicache.ComputeOp) {
		if !found || ttl == minicache.NoExpiration {
			return v, 0, minicache.ComputeKeep
		}
		done = true
		return v, minicache.NoExpiration, minicache.ComputeStore
	})
	c.w.bool(done)
}

// cmdKeys answers every key matching the pattern, in no particular order.
// It walks the whole cache.
func cmdKeys(c *conn, args [][]byte) {
	pattern := string(args[1])
	all := pattern == "*"
	var keys []string
	for k := range c.s.cache.Keys() {
		if all || command.Match(pattern, k) {
			keys = append(keys, k)
		}
	}
	c.w.strings(keys)
}

// cmdScan is SCAN cursor [MATCH pattern] [COUNT count] [TYPE type], with
// the guarantees of [minicache.Cache.Scan].
func cmdScan(c *conn, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.w.error("ERR invalid cursor")
		return
	}
	count := 10
	pattern, typ := "*", "string"
	for i := 2; i < len(args); i += 2 {
		a := args[i]
		if i+1 >= len(args) {
			c.w.error(errSyntax)
			return
		}
		switch {
		case equalFold(a, "count"):
			n, ok := command.ParseInt(args[i+1])
			if !ok {
				c.w.error(errNotInteger)
				return
			}
			if n < 1 {
				c.w.error(errSyntax)
				return
			}
			count = int(min(n, 1<<20))
		case equalFold(a, "match"):
			pattern = string(args[i+1])
		case equalFold(a, "type"):
			typ = string(args[i+1])
		default:
			c.w.error(errSyntax)
			return
		}
	}
	keys, next := c.s.cache.Scan(cursor, count, nil)
	if !equalFold([]byte(typ), "string") {
		keys = keys[:0]
	}
	if pattern != "*" {
		kept := keys[:0]
		for _, k := range keys {
			if command.Match(pattern, k) {
				kept = append(kept, k)
			}
		}
		keys = kept
	}
	c.w.arrayLen(2)
	c.w.bulkString(strconv.FormatUint(next, 10))
	c.w.strings(keys)
}

// parseCursor parses a SCAN cursor as C's strtoul does: an optional sign
// (a negative cursor wraps around, and so ends the iteration at once), then
// decimal digits.
func parseCursor(b []byte) (uint64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// cmdRandomKey answers a key chosen uniformly at random, or nil when the
// cache is empty. It walks the cache up to the chosen key: O(n).
func cmdRandomKey(c *conn, _ [][]byte) {
	n := c.s.cache.Len()
	if n > 0 {
		i := rand.IntN(n)
		for k := range c.s.cache.Keys() {
			if i == 0 {
				c.w.bulkString(k)
				return
			}
			i--
		}
	}
	c.w.null()
}

// take removes key and returns its value and time to live in one atomic
// step.
func (c *conn) take(key string) (string, time.Duration, bool) {
	var value string
	var ttl time.Duration
	var found bool
	c.s.cache.Compute(key, func(v string, t time.Duration, ok bool) (string, time.Duration, minicache.ComputeOp) {
		value, ttl, found = v, t, ok
		return v, 0, minicache.ComputeDelete
	})
	return value, ttl, found
}

// cmdRename is RENAME and RENAMENX src dst. Taking src and storing dst are
// two atomic steps, not one: another client may see neither key between
// them.
func cmdRename(c *conn, args [][]byte) {
	nx := equalFold(args[0], "renamenx")
	src, dst := string(args[1]), string(args[2])
	if _, ok := c.s.cache.Peek(src); !ok {
		c.w.error(errNoSuchKey)
		return
	}
	if src == dst {
		if nx {
			c.w.bool(false)
		} else {
			c.w.ok()
		}
		return
	}
	if nx {
		if _, ok := c.s.cache.Peek(dst); ok {
			c.w.bool(false)
			return
		}
	}
	v, ttl, ok := c.take(src)
	if !ok {
		c.w.error(errNoSuchKey)
		return
	}
	stored := false
	if nx {
		stored = c.s.cache.SetIfAbsent(dst, v, ttl)
		if !stored {
			c.s.cache.SetIfAbsent(src, v, ttl) // dst appeared meanwhile: put src back
			c.w.bool(false)
			return
		}
	} else {
		stored = c.s.cache.SetWithTTL(dst, v, ttl)
	}
	switch {
	case !stored:
		c.w.error(errOOM)
	case nx:
		c.w.bool(true)
	default:
		c.w.ok()
	}
}

// cmdCopy is COPY src dst [DB 0] [REPLACE], copying the time to live too.
func cmdCopy(c *conn, args [][]byte) {
	replace := false
	for j := 3; j < len(args); j++ {
		switch {
		case equalFold(args[j], "replace"):
			replace = true
		case equalFold(args[j], "db") && j+1 < len(args):
			db, ok := command.ParseInt(args[j+1])
			if !ok {
				c.w.error(errNotInteger)
				return
			}
			if db != 0 {
				c.w.error(errDBIndex)
				return
			}
			j++
		default:
			c.w.error(errSyntax)
			return
		}
	}
	src, dst := string(args[1]), string(args[2])
	if src == dst {
		c.w.error("ERR source and destination objects are the same")
		return
	}
	var value string
	var ttl time.Duration
	var found bool
	c.s.cache.Compute(src, func(v string, t time.Duration, ok bool) (string, time.Duration, minicache.ComputeOp) {
		value, ttl, found = v, t, ok
		return v, 0, minicache.ComputeKeep
	})
	if !found {
		c.w.bool(false)
		return
	}
	if replace {
		if !c.s.cache.SetWithTTL(dst, value, ttl) {
			c.w.error(errOOM)
			return
		}
		c.w.bool(true)
		return
	}
	c.w.bool(c.s.cache.SetIfAbsent(dst, value, ttl))
}
