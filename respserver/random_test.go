package respserver_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache"
)

// randomCommand draws a command over a few keys and awkward arguments, so
// that collisions, type errors, option clashes and edge values are common.
// It leaves out what answers differently by design (RANDOMKEY, SCAN
// cursors, TIME, CLIENT ID) and draws TTLs long enough that the two servers'
// clocks agree on them to the second.
func randomCommand(r *rand.Rand) []string {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	key := func() string { return pick("a", "b", "c", "n", "f", "") }
	val := func() string {
		return pick("0", "1", "-1", "10", "9223372036854775807", "-9223372036854775808", "1.5", "-0.25", "abc", "", "01", " 1", "1e3", "inf", "x\x00y")
	}
	num := func() string {
		return pick("0", "1", "-1", "5", "100", "1000", "-5", "x", "9223372036854775807", "99999999999999999999", "3.5", "")
	}
	// Relative times are long, so that no key expires during the test;
	// absolute ones are far ahead or long past.
	ttl := func() string { return pick("100", "1000", "0", "-1", "x", "1") }
	at := func() string { return pick("4102444800", "1", "0", "-1", "x") }
	expOpt := func() []string {
		switch r.IntN(8) {
		case 0:
			return []string{pick("EX", "ex"), ttl()}
		case 1:
			return []string{"PX", pick("100000", "0", "x")}
		case 2:
			return []string{"EXAT", pick("4102444800", "1", "0")}
		case 3:
			return []string{"PXAT", pick("4102444800000", "1")}
		case 4:
			return []string{pick("KEEPTTL", "PERSIST")}
		}
		return nil
	}
	var c []string
	switch r.IntN(29) {
	case 0:
		c = []string{"GET", key()}
	case 1:
		c = []string{"SET", key(), val()}
		for range r.IntN(3) {
			c = append(c, pick("NX", "XX", "GET", "nx"))
		}
		c = append(c, expOpt()...)
	case 2:
		c = []string{pick("SETNX", "GETSET", "APPEND"), key(), val()}
	case 3:
		c = []string{"SETEX", key(), ttl(), val()}
		if r.IntN(2) == 0 {
			c = []string{"PSETEX", key(), pick("100000", "0", "-1", "x", "4102444800000"), val()}
		}
	case 4:
		c = []string{pick("GETDEL", "STRLEN", "TYPE", "TTL", "PERSIST", "INCR", "DECR", "EXISTS", "EXPIRETIME"), key()}
	case 5:
		c = append([]string{"GETEX", key()}, expOpt()...)
	case 6:
		c = []string{"MGET", key(), key(), key()}
	case 7:
		c = []string{pick("MSET", "MSETNX"), key(), val(), key(), val()}
		if r.IntN(5) == 0 {
			c = c[:4]
		}
	case 8:
		c = []string{pick("INCRBY", "DECRBY"), key(), num()}
	case 9:
		c = []string{"INCRBYFLOAT", key(), pick("1", "0.1", "-1.5", "1e3", "abc", "inf", "0x10", "5.0e-1", "")}
	case 10:
		c = []string{pick("GETRANGE", "SUBSTR"), key(), num(), num()}
	case 11:
		c = []string{"SETRANGE", key(), pick("0", "1", "3", "-1", "x", "10"), pick("xy", "", "\x00")}
	case 12:
		c = []string{pick("DEL", "UNLINK", "EXISTS", "TOUCH"), key(), key()}
	case 13:
		c = []string{"EXPIRE", key(), ttl()}
		if r.IntN(3) == 0 {
			c = []string{pick("EXPIREAT", "PEXPIREAT"), key(), at()}
		}
		if r.IntN(4) == 0 {
			c = []string{"PEXPIRE", key(), pick("100000", "0", "-1", "x", "4102444800000")}
		}
		for range r.IntN(3) {
			c = append(c, pick("NX", "XX", "GT", "LT", "FOO"))
		}
	case 14:
		c = []string{pick("RENAME", "RENAMENX"), key(), key()}
	case 15:
		c = []string{"COPY", key(), key()}
		if r.IntN(2) == 0 {
			c = append(c, "REPLACE")
		}
	case 16:
		c = []string{"KEYS", pick("*", "a*", "?", "[ab]", "[^a]", "n")}
	case 17:
		// Not DBSIZE: Redis counts keys whose deadline has passed until it
		// reclaims them, the cache never does.
		c = []string{"EXISTS", key(), key(), key()}
	case 18:
		c = []string{pick("PING", "ECHO"), val()}
	case 19:
		c = []string{"SELECT", num()}
	case 20:
		c = []string{pick("FLUSHDB", "FLUSHALL")}
		if r.IntN(10) != 0 { // rarely, or the keys would be few
			c = []string{"EXISTS", key()}
		}
	case 21:
		c = []string{pick("GET", "SET", "MGET", "DEL", "INCRBY", "GETRANGE", "EXPIRE")}
	case 22:
		c = []string{"NOSUCH", key()}
	case 23:
		c = []string{"SET", key(), val(), pick("EX", "PX", "FOO", "EXAT")}
	case 24:
		c = []string{"TTL", key()}
	case 25:
		c = []string{"PTTL", key()}
	case 26:
		c = []string{"PEXPIRETIME", key()}
	case 27:
		switch r.IntN(5) {
		case 0:
			c = []string{"HELLO", pick("2", "3")} // switches the encoding mid-stream
		case 1:
			c = []string{"CLIENT", "SETNAME", pick("x", "a b", "")}
		case 2:
			c = []string{"CLIENT", "GETNAME"}
		case 3:
			c = []string{"CONFIG", "GET", pick("maxmemory", "maxmemory-policy", "save", "appendonly", "nothing")}
		default:
			c = []string{"RESET"}
		}
	default:
		c = []string{"GET", key()}
	}
	return c
}

// TestDifferentialRandom sends the same random commands to redis-server
// and to a respserver and compares every reply.
func TestDifferentialRandom(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr, _ := startServer(t, []minicache.Option{minicache.WithWeigher(func(k, v string) uint64 { return uint64(len(k) + len(v)) })})
	for _, proto := range []string{"2", "3"} {
		want, got := dial(t, redisAddr), dial(t, ourAddr)
		for _, c := range []*client{want, got} {
			c.do("FLUSHALL")
			c.do("HELLO", proto)
		}
		r := rand.New(rand.NewPCG(9, uint64(len(proto))))
		var history []string
		for range 3000 {
			args := randomCommand(r)
			st := step{args: args}
			switch args[0] {
			case "PTTL", "TTL", "PEXPIRETIME", "EXPIRETIME":
				st.cmp = "ttl" // the servers read their clocks a moment apart
			case "KEYS":
				st.cmp = "sort"
			case "HELLO":
				st.cmp = "kind" // the map holds the client id
			}
			w, g := want.do(args...), got.do(args...)
			history = append(history, strconv.Quote(strings.Join(args, " "))+" → "+w.String()+" / "+g.String())
			if st.cmp == "ttl" && w.kind == ':' && g.kind == ':' {
				a, _ := strconv.ParseInt(w.str, 10, 64)
				b, _ := strconv.ParseInt(g.str, 10, 64)
				if a-b < 100 && b-a < 100 {
					continue
				}
			} else if st.cmp == "sort" {
				w, g = w.sorted(), g.sorted()
			} else if st.cmp == "kind" {
				require.Equal(t, w.kind, g.kind, "%q", args)
				continue
			}
			require.Equal(t, w.String(), g.String(), "RESP%s, after:\n%s", proto, strings.Join(history[max(0, len(history)-15):], "\n"))
		}
	}
}
