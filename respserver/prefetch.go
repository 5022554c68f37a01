package respserver

import (
	"unsafe"

	"github.com/minicache/minicache/internal/command"
)

// prefetchKeys is the most keys one scan collects: enough for a pipeline of
// 16 commands or an MSET of 10 pairs and the commands behind it.
const prefetchKeys = 32

// readCommand is the reader's readCommand, first handing the cache the
// keys of the commands waiting whole in the input buffer (see
// prefetchAhead). It waits for input before the scan rather than in the
// reader, so that the scan sees the command about to run too; an error of
// that wait is the reader's to report, which reads again and gets it again.
func (c *conn) readCommand() ([][]byte, error) {
	if !c.r.buffered() {
		c.r.br.Peek(1)
	}
	c.prefetchAhead()
	before := c.r.br.Buffered()
	args, err := c.r.readCommand()
	if after := c.r.br.Buffered(); after <= before {
		c.ahead -= before - after
	} else {
		c.ahead = 0 // refilled: what was scanned has been read
	}
	return args, err
}

// prefetchAhead hands the cache the keys of the commands waiting whole in
// the input buffer, before the first of them runs, so that their trips to
// memory overlap instead of following one another (see
// minicache.Cache.Prefetch): a pipeline or an MSET of keys that are not in
// the CPU's caches then waits for memory about once. It scans again only
// once the commands it scanned have been read; c.ahead counts the bytes
// of them still buffered.
//
// While Prefetch starts no loads (the cache is small enough for the CPU's
// caches, or it does nothing on this platform), the connection backs off: it
// skips the scans of 1, 3, 7 and up to 1023 commands between tries, so
// that a workload that gains nothing pays almost nothing.
func (c *conn) prefetchAhead() {
	if c.ahead > 0 {
		return
	}
	if c.skip > 0 {
		c.skip--
		return
	}
	keys, n := scanKeys(c.keys[:0], c.r.peekBuffered(), &c.specs)
	c.ahead = n
	if len(keys) > 1 { // one key alone gains nothing from the overlap
		if c.prefetch(keys) > 0 {
			c.backoff = 0
		} else {
			c.backoff = min(2*c.backoff+1, maxPrefetchBackoff)
			c.skip = c.backoff
		}
	}
	c.release(keys)
}

// maxPrefetchBackoff is the most commands prefetchAhead skips between
// tries that start nothing.
const maxPrefetchBackoff = 1023

// prefetchLong prefetches, for a command with more keys than a scan takes,
// the keys one batch ahead of the one its handler is at: a handler of many
// keys (MGET, MSET, DEL, EXISTS, TOUCH) calls it with j, the index of the
// key it is about to run among its keys, each key at args[first+j*step].
// Every prefetchKeys/2 keys from the middle of what prefetchAhead took, it
// prefetches the next prefetchKeys/2, so that the handler never waits on
// more than one key's trips at a time. It does nothing while prefetching
// is backing off.
func (c *conn) prefetchLong(args [][]byte, first, step, j int) {
	const half = prefetchKeys / 2
	if j%half != 0 || j < half || c.backoff != 0 {
		return
	}
	keys := c.keys[:0]
	for i := first + (j+half)*step; i < len(args) && len(keys) < half; i += step {
		keys = append(keys, unsafe.String(unsafe.SliceData(args[i]), len(args[i])))
	}
	if len(keys) > 0 {
		c.prefetch(keys)
	}
	c.release(keys)
}

// prefetch hands keys to the cache's Prefetch, counting the call for the
// tests, and returns how many loads it started.
func (c *conn) prefetch(keys []string) int {
	c.prefetches++
	return c.s.cache.Prefetch(keys...)
}

// release keeps keys' array as the scratch of the next scan, cleared: its
// strings point into the input buffer or the arguments.
func (c *conn) release(keys []string) {
	clear(keys)
	c.keys = keys[:0]
}

// scanKeys appends to keys the keys of the whole commands at the start of
// b, RESP arrays of bulk strings, stopping at the first command that is
// incomplete, inline, malformed or empty, or whose keys would not all fit
// in prefetchKeys (unless it is the first: then its first keys are taken). It returns the
// keys, which point into b, and how many bytes of b the commands scanned
// take. It reads b only; the reader reports any error when it gets there.
// specs finds the commands' specs.
func scanKeys(keys []string, b []byte, specs *specCache) ([]string, int) {
	done := 0
	for len(b) > done && b[done] == '*' && len(keys) < prefetchKeys {
		pos := done
		n, ok := scanNumber(b, &pos)
		if !ok || n <= 0 {
			break
		}
		var s *spec
		start := len(keys)
		whole := true
		for i := range int(n) {
			if pos >= len(b) || b[pos] != '$' {
				whole = false
				break
			}
			l, ok := scanNumber(b, &pos)
			if !ok || l < 0 || l > int64(len(b)-pos-2) { // l+2 could overflow
				whole = false
				break
			}
			arg := b[pos : pos+int(l)]
			pos += int(l) + 2
			if i == 0 {
				if s = specs.find(arg); s == nil || s.first == 0 {
					s = nil
				}
				continue
			}
			if s != nil && isKey(s, i, int(n)) && len(keys) < prefetchKeys {
				keys = append(keys, unsafe.String(unsafe.SliceData(arg), len(arg)))
			}
		}
		if !whole {
			keys = keys[:start]
			break
		}
		if s != nil && done > 0 && len(keys)-start < keyCount(s, int(n)) {
			keys = keys[:start] // cut by the limit: left whole to the next scan
			break
		}
		done = pos
	}
	return keys, done
}

// scanNumber reads the number after the type byte at b[*pos] up to its
// "\r\n", moving *pos past them.
func scanNumber(b []byte, pos *int) (int64, bool) {
	i := *pos + 1
	for j := i; j+1 < len(b) && j-i <= 20; j++ {
		if b[j] == '\r' && b[j+1] == '\n' {
			n, ok := command.ParseInt(b[i:j])
			*pos = j + 2
			return n, ok
		}
	}
	return 0, false
}

// lastKey returns the index of the last key of a call of s with n
// arguments, counting the name.
func lastKey(s *spec, n int) int {
	if s.last < 0 {
		return n + s.last
	}
	return s.last
}

// isKey reports whether argument i of a call of s with n arguments is a
// key.
func isKey(s *spec, i, n int) bool {
	return s.first > 0 && i >= s.first && i <= lastKey(s, n) && (i-s.first)%max(s.step, 1) == 0
}

// keyCount returns how many keys a call of s with n arguments has.
func keyCount(s *spec, n int) int {
	last := lastKey(s, n)
	if last < s.first {
		return 0
	}
	return (last-s.first)/max(s.step, 1) + 1
}
