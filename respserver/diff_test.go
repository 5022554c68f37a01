package respserver_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/respserver"
)

// A step is one command of a differential script and how its two replies
// are compared. Written as text: words separated by spaces, a word in Go
// double quotes may hold spaces and escapes; a leading "~sort", "~ttl" or
// "~kind" chooses the comparison.
type step struct {
	args []string
	cmp  string // "": exact; sort: as a set; ttl: integers within a tolerance; kind: reply type only
}

func parseStep(t *testing.T, s string) step {
	t.Helper()
	var st step
	if rest, ok := strings.CutPrefix(s, "~"); ok {
		st.cmp, s, _ = strings.Cut(rest, " ")
	}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			end := 1
			for ; end < len(s) && (s[end] != '"' || s[end-1] == '\\'); end++ {
			}
			w, err := strconv.Unquote(s[:end+1])
			require.NoError(t, err, s)
			st.args, s = append(st.args, w), s[end+1:]
			continue
		}
		w, rest, _ := strings.Cut(s, " ")
		st.args, s = append(st.args, w), rest
	}
	return st
}

// scripts are the command sequences sent to both servers. Each starts on an
// empty database with a fresh connection.
var scripts = map[string][]string{
	"connection": {
		"PING", "PING hello", "PING a b", "ECHO", "ECHO hi", "ECHO a b",
		"SELECT 0", "SELECT 1", "SELECT x", "SELECT -1", "SELECT 99999999999",
		"AUTH foo", "AUTH default foo", "AUTH other foo", "AUTH a b c",
		"CLIENT SETNAME myname", "CLIENT GETNAME", "CLIENT SETNAME \"a b\"", "CLIENT SETNAME \"\"", "CLIENT GETNAME",
		"CLIENT", "CLIENT FOO", "CLIENT SETNAME", "CLIENT GETNAME x", "~kind CLIENT ID",
		"HELLO 4", "HELLO x", "HELLO 2 FOO", "HELLO 2 SETNAME \"a b\"", "HELLO 2 AUTH default",
		"CONFIG GET save", "CONFIG GET appendonly", "CONFIG GET maxmemory", "CONFIG GET maxmemory-policy", "CONFIG GET databases",
		"CONFIG GET nosuchparam", "CONFIG GET", "CONFIG", "CONFIG SET foo bar", "CONFIG SET maxmemory abc", "CONFIG SET maxmemory",
		"CONFIG SET maxmemory 0", "CONFIG GET maxmemory",
		"COMMAND FOO", "DBSIZE", "DBSIZE x", "FLUSHDB", "FLUSHDB ASYNC", "FLUSHDB SYNC", "FLUSHDB foo", "FLUSHALL x y",
		"~kind TIME", "TIME x",
		"NOSUCHCOMMAND", "NOSUCHCOMMAND a b", "nosuch \"" + strings.Repeat("x", 200) + "\" y",
		"~kind HELLO 2 SETNAME foo", "CLIENT GETNAME", "CLIENT LIST TYPE foo", "CLIENT LIST ID x", "CLIENT LIST ID 0", "CLIENT LIST FOO",
		"~kind CLIENT HELP", "~kind CONFIG HELP", "~kind COMMAND COUNT", "~kind INFO", "~kind INFO keyspace", "~kind CLIENT INFO",
		"~kind CLIENT LIST", "CLIENT SETNAME \"a\\nb\"", "PING \"\"", "ECHO \"\"",
		"~kind LASTSAVE", "BGSAVE x", "BGSAVE SCHEDULE x", "SAVE x", "LASTSAVE x",
		"GET", "get", "SeT", "RESET", "CLIENT GETNAME",
	},
	"set": {
		"SET k v", "GET k", "TTL k", "SET k v2 NX", "GET k", "SET k v3 XX", "GET k", "SET n v XX", "GET n",
		"SET n v NX", "GET n", "SET k v NX XX", "SET k v XX NX", "SET k v GET", "SET k v4 GET", "SET absent v GET",
		"SET k v EX 100", "TTL k", "SET k v PX 100000", "~ttl PTTL k", "SET k v EX 0", "SET k v EX -5", "SET k v EX abc",
		"SET k v PX 0", "SET k v EX 9223372036854775807", "SET k v EX 10 PX 10", "SET k v EX 10 KEEPTTL", "SET k v KEEPTTL EX 10",
		"SET k v EX", "SET k v FOO", "SET k v EX 10 EX 20", "TTL k", "SET k v2 KEEPTTL", "TTL k", "GET k",
		"SET k v3", "TTL k", "SET k v EXAT 4102444800", "~ttl TTL k", "EXPIRETIME k", "SET k v PXAT 4102444800000", "PEXPIRETIME k",
		"SET k v EXAT 1", "GET k", "EXISTS k", "SET k v PXAT 1", "GET k", "SET k v EXAT 0",
		"SET k old", "SET k new NX GET", "GET k", "SET fresh new NX GET", "GET fresh", "SET k new XX GET", "SET nothere new XX GET", "GET nothere",
		"SET e \"\"", "GET e", "STRLEN e", "SET \"\" emptykey", "GET \"\"",
		"SET bin \"a\\x00b\\r\\n\\xff\"", "GET bin", "STRLEN bin",
		"SET k v ex 100 nx", "SET j v ex 100 nx", "TTL j",
		"SET", "SET k",
	},
	"setnx and friends": {
		"SETNX k v", "SETNX k w", "GET k", "TTL k", "SETNX k",
		"SETEX k 100 v", "TTL k", "GET k", "SETEX k 0 v", "SETEX k -1 v", "SETEX k abc v", "SETEX k 100",
		"PSETEX k 100000 v", "~ttl PTTL k", "PSETEX k 0 v", "PSETEX k x v",
		"GETSET k new", "GET k", "TTL k", "GETSET nothere v", "GET nothere", "GETSET k",
		"GETDEL k", "GETDEL k", "EXISTS k", "GETDEL",
		"SET g v", "GETEX g", "TTL g", "GETEX g EX 100", "TTL g", "GETEX g PX 200000", "~ttl PTTL g",
		"GETEX g EXAT 4102444800", "EXPIRETIME g", "GETEX g PXAT 4102444800000", "PEXPIRETIME g",
		"GETEX g PERSIST", "TTL g", "GETEX g EX 0", "GETEX g EX -1", "GETEX g EX x", "GETEX g EX", "GETEX g FOO",
		"GETEX g EX 10 PX 10", "GETEX g PERSIST EX 10", "GETEX g KEEPTTL", "GETEX g NX", "GETEX nothere EX 10",
		"GETEX g EXAT 1", "GET g", "EXISTS g",
	},
	"multi-key strings": {
		"MSET a 1 b 2 c 3", "MGET a b c d", "MSET a", "MSET a 1 b", "MGET",
		"MSETNX a 9 x 1", "GET x", "MSETNX x 1 y 2", "MGET x y", "MSETNX x", "MSETNX p 1 q",
		"DEL a b nothere", "EXISTS a b c c", "UNLINK c x", "EXISTS c x", "DEL", "EXISTS",
	},
	"incr": {
		"INCR n", "INCR n", "GET n", "DECR n", "INCRBY n 10", "DECRBY n 3", "GET n", "INCRBY n x", "INCRBY n 1.5",
		"DECRBY n x", "INCRBY n 9223372036854775807", "SET n 9223372036854775807", "INCR n", "SET n -9223372036854775808", "DECR n",
		"DECRBY n -9223372036854775808", "SET s abc", "INCR s", "SET s \" 1\"", "INCR s", "SET s 01", "INCR s", "SET s +1", "INCR s",
		"SET s 1.0", "INCR s", "SET s \"\"", "INCR s", "SET n 5", "EXPIRE n 100", "INCR n", "TTL n",
		"INCRBY n 99999999999999999999", "INCRBY n \"\"", "INCR", "INCRBY n",
		"INCRBYFLOAT f 1.5", "INCRBYFLOAT f 0.1", "INCRBYFLOAT f -3", "GET f", "INCRBYFLOAT f abc", "INCRBYFLOAT f 1e3",
		"INCRBYFLOAT f 5.0e3", "SET f 10.50", "INCRBYFLOAT f 0.1", "SET f abc", "INCRBYFLOAT f 1", "SET f 3", "INCRBYFLOAT f 1",
		"INCRBYFLOAT f nan", "INCRBYFLOAT g 1e308", "INCRBYFLOAT g 1e308", "INCRBYFLOAT f \"\"", "INCRBYFLOAT f \" 1\"",
		"SET f 1", "EXPIRE f 100", "INCRBYFLOAT f 1", "TTL f", "INCRBYFLOAT f",
	},
	"append and ranges": {
		"APPEND a hello", "APPEND a \" world\"", "GET a", "STRLEN a", "STRLEN nothere", "APPEND a", "STRLEN",
		"SET a v", "EXPIRE a 100", "APPEND a x", "TTL a",
		"SET s \"Hello World\"", "GETRANGE s 0 4", "GETRANGE s -5 -1", "GETRANGE s 0 -1", "GETRANGE s 5 3", "GETRANGE s -1 -5",
		"GETRANGE s 100 200", "GETRANGE s -100 2", "GETRANGE s 0 100", "GETRANGE s x 1", "GETRANGE s 1 x", "GETRANGE nothere 0 1",
		"SUBSTR s 0 4", "GETRANGE s 0", "SET e \"\"", "GETRANGE e 0 -1", "GETRANGE s -3 -2",
		"SETRANGE s 6 Redis", "GET s", "SETRANGE s 20 x", "GET s", "STRLEN s", "SETRANGE s -1 x", "SETRANGE s x x",
		"SETRANGE new 5 x", "GET new", "SETRANGE empty 0 \"\"", "EXISTS empty", "SETRANGE s 0 \"\"", "SETRANGE empty 9999999999 \"\"",
		"SETRANGE s 536870912 x", "SETRANGE s", "SET t v", "EXPIRE t 100", "SETRANGE t 0 w", "TTL t",
	},
	"keys": {
		"SET a 1", "SET b 2", "TYPE a", "TYPE nothere", "TYPE", "TOUCH a b c", "TOUCH",
		"EXPIRE a 100", "TTL a", "PTTL nothere", "TTL nothere", "TTL b", "PTTL b", "EXPIRETIME b", "EXPIRETIME nothere",
		"EXPIRE a 100 NX", "EXPIRE b 100 NX", "TTL b", "EXPIRE b 200 XX", "TTL b", "EXPIRE c 10 XX", "SET c 3", "EXPIRE c 10 XX",
		"EXPIRE b 100 GT", "EXPIRE b 300 GT", "TTL b", "EXPIRE b 400 LT", "EXPIRE b 50 LT", "TTL b", "EXPIRE c 50 GT", "EXPIRE c 50 LT", "TTL c",
		"EXPIRE b 10 NX XX", "EXPIRE b 10 GT LT", "EXPIRE b 10 FOO", "EXPIRE b x", "EXPIRE b", "EXPIRE b 10 nx gt",
		"EXPIRE b 9223372036854775807", "EXPIRE b -9223372036854775807", "PEXPIRE b 9223372036854775807",
		"PEXPIRE b 100000", "~ttl PTTL b", "EXPIREAT b 4102444800", "EXPIRETIME b", "PEXPIREAT b 4102444800123", "PEXPIRETIME b",
		"~ttl TTL b", "EXPIREAT b 4102444800 LT", "EXPIREAT b 4102444801 GT", "EXPIRETIME b",
		"PERSIST b", "TTL b", "PERSIST b", "PERSIST nothere", "PERSIST",
		"EXPIRE b 0", "EXISTS b", "SET b 2", "EXPIRE b -1", "EXISTS b", "SET b 2", "EXPIREAT b 1", "EXISTS b", "SET b 2", "PEXPIREAT b 0", "EXISTS b",
		"EXPIRE nothere 10", "EXPIRE nothere -1",
		"FLUSHALL", "MSET user:1 a user:2 b user:10 c other d \"a*b\" e \"h[e]llo\" f hello g hallo h",
		"~sort KEYS *", "~sort KEYS user:*", "~sort KEYS user:?", "~sort KEYS *1*", "~sort KEYS h[ae]llo", "~sort KEYS h[^e]llo",
		"~sort KEYS \"a\\\\*b\"", "~sort KEYS nomatch", "~sort KEYS h*llo", "KEYS", "DBSIZE",
		"RANDOMKEY x", "FLUSHALL", "RANDOMKEY", "SET only 1", "RANDOMKEY",
	},
	"rename and copy": {
		"SET a 1", "RENAME a b", "GET a", "GET b", "RENAME nothere x", "RENAME b b", "RENAMENX b b", "RENAMENX nothere x",
		"EXPIRE b 100", "RENAME b c", "TTL c", "SET d 4", "RENAMENX c d", "RENAMENX c e", "GET e", "TTL e", "RENAME e d", "GET d", "TTL d",
		"RENAME a", "RENAMENX a",
		"COPY d f", "GET f", "TTL f", "COPY d f", "SET g x", "COPY g f", "GET f", "COPY g f REPLACE", "GET f", "TTL f",
		"COPY nothere f", "COPY d d", "COPY d h DB 0", "COPY d h DB 1", "COPY d h DB x", "COPY d h FOO", "COPY d h DB", "COPY d",
	},
	"scan errors": {
		"SCAN x", "SCAN -1", "SCAN 0 COUNT 0", "SCAN 0 COUNT x", "SCAN 0 COUNT", "SCAN 0 FOO bar", "SCAN 0 MATCH", "SCAN",
		"SCAN 0 TYPE hash", "SCAN 0 TYPE string",
	},
}

// TestDifferential sends every script to a real redis-server and to a
// respserver over RESP2 and RESP3 and compares the replies.
func TestDifferential(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr, _ := startServer(t, []minicache.Option{minicache.WithWeigher(func(k, v string) uint64 { return uint64(len(k) + len(v)) })})
	for _, proto := range []string{"2", "3"} {
		for name, script := range scripts {
			t.Run("RESP"+proto+"/"+name, func(t *testing.T) {
				want, got := dial(t, redisAddr), dial(t, ourAddr)
				for _, c := range []*client{want, got} {
					c.do("FLUSHALL")
					if proto == "3" {
						require.Equal(t, byte('%'), c.do("HELLO", "3").kind)
					}
				}
				for _, line := range script {
					st := parseStep(t, line)
					compare(t, st, want.do(st.args...), got.do(st.args...))
				}
			})
		}
	}
}

// compare asserts that our reply got matches Redis's want for st.
func compare(t *testing.T, st step, want, got reply) {
	t.Helper()
	cmd := strings.Join(st.args, " ")
	switch st.cmp {
	case "":
		assert.Equal(t, want.String(), got.String(), cmd)
	case "sort":
		assert.Equal(t, want.sorted().String(), got.sorted().String(), cmd)
	case "kind":
		assert.Equal(t, want.kind, got.kind, cmd)
	case "ttl":
		require.Equal(t, want.kind, got.kind, cmd)
		w, err1 := strconv.ParseInt(want.str, 10, 64)
		g, err2 := strconv.ParseInt(got.str, 10, 64)
		require.NoError(t, err1, cmd)
		require.NoError(t, err2, cmd)
		assert.InDelta(t, w, g, 100, cmd)
	default:
		t.Fatalf("unknown comparison %q", st.cmp)
	}
}

// TestDifferentialScan iterates SCAN to the end on both servers and compares
// the sets of keys found, with and without MATCH and COUNT.
func TestDifferentialScan(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr, _ := startServer(t, nil)
	want, got := dial(t, redisAddr), dial(t, ourAddr)
	for _, c := range []*client{want, got} {
		c.do("FLUSHALL")
		args := []string{"MSET"}
		for i := range 300 {
			args = append(args, "key:"+strconv.Itoa(i), "v")
		}
		c.do(args...)
	}
	for _, opts := range [][]string{nil, {"COUNT", "7"}, {"MATCH", "key:1*"}, {"MATCH", "key:2?", "COUNT", "1000"}, {"TYPE", "string"}, {"TYPE", "list"}} {
		scanAll := func(c *client) reply {
			var all reply
			all.kind = '*'
			cursor := "0"
			for i := 0; ; i++ {
				require.Less(t, i, 1000, "SCAN does not end")
				r := c.do(append([]string{"SCAN", cursor}, opts...)...)
				require.Len(t, r.elems, 2)
				all.elems = append(all.elems, r.elems[1].elems...)
				if cursor = r.elems[0].str; cursor == "0" {
					return all.sorted()
				}
			}
		}
		assert.Equal(t, scanAll(want).String(), scanAll(got).String(), opts)
	}
}

// TestDifferentialAuth compares the replies of both servers with a password.
func TestDifferentialAuth(t *testing.T) {
	redisAddr := startRedis(t, "--requirepass", "sekret")
	ourAddr, _ := startServer(t, nil, respserver.WithPassword("sekret"))
	script := []string{
		"GET k", "PING", "NOSUCH x", "GET", "HELLO 3", "HELLO 2 AUTH default wrong", "AUTH wrong", "AUTH default wrong", "AUTH other sekret",
		"AUTH sekret", "SET k v", "GET k", "RESET", "GET k", "AUTH default sekret", "GET k", "RESET",
		"~kind HELLO 2 AUTH default sekret", "GET k", "QUIT",
	}
	want, got := dial(t, redisAddr), dial(t, ourAddr)
	for _, line := range script {
		st := parseStep(t, line)
		compare(t, st, want.do(st.args...), got.do(st.args...))
	}
	// An unauthenticated client may not send long frames.
	for _, addr := range []string{redisAddr, ourAddr} {
		c := dial(t, addr)
		args := make([]string, 11)
		for i := range args {
			args[i] = "x"
		}
		assert.Equal(t, `-"ERR Protocol error: unauthenticated multibulk length"`, c.do(args...).String(), addr)
		c = dial(t, addr)
		assert.Equal(t, `-"ERR Protocol error: unauthenticated bulk length"`, c.do("GET", strings.Repeat("x", 20000)).String(), addr)
	}
}

// TestDifferentialProtocol sends malformed and inline frames to both.
func TestDifferentialProtocol(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr, _ := startServer(t, nil)
	cases := []struct{ name, send string }{
		{"inline", "PING\r\n"},
		{"inline with quotes", "SET k \"a b\\x41\\n\"\r\nGET k\r\n"},
		{"inline single quotes", "SET k 'it\\'s'\r\nGET k\r\n"},
		{"inline bare LF", "PING\n"},
		{"inline blank lines", "\r\n\r\nPING\r\n"},
		{"inline unbalanced", "SET k \"abc\r\n"},
		{"inline quote then letter", "SET k \"a\"b\r\n"},
		{"empty array", "*0\r\nPING\r\n"},
		{"negative array", "*-1\r\nPING\r\n"},
		{"bad multibulk length", "*x\r\n"},
		{"huge multibulk length", "*99999999999\r\n"},
		{"expected dollar", "*1\r\n+PING\r\n"},
		{"bad bulk length", "*1\r\n$x\r\n"},
		{"negative bulk length", "*1\r\n$-1\r\n"},
		{"huge bulk length", "*1\r\n$999999999999\r\n"},
		{"bulk length ending in a bare LF", "*1\r\n$4\nPING\r\n"},
		{"multibulk length ending in a bare LF", "*1\n$4\r\nPING\r\n"},
		{"bare LF before the dollar check", "*1\r\n4\nPING\r\n"},
		{"pipeline", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n"},
		{"error keeps connection", "*1\r\n$3\r\nFOO\r\n*1\r\n$4\r\nPING\r\n"},
		{"unknown inline command", "foo bar\r\nPING\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var results []string
			for _, addr := range []string{redisAddr, ourAddr} {
				c := dial(t, addr)
				c.send([]byte(tc.send))
				c.nc.(interface{ CloseWrite() error }).CloseWrite()
				var out []string
				for {
					c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
					r, err := readReply(c.br)
					if err != nil {
						break
					}
					out = append(out, r.String())
				}
				results = append(results, strings.Join(out, "\n"))
			}
			assert.Equal(t, results[0], results[1])
		})
	}
}
