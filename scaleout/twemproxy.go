package scaleout

import (
	"bytes"
	"context"
	"net"
	"sync"

	"github.com/redis/go-redis/v9"
)

// TwemproxyOptions returns go-redis options for a client of twemproxy
// (nutcracker) at addr: RESP2, no CLIENT SETINFO on connect, and a dialer
// that answers the HELLO go-redis v9 sends on every new connection.
//
// twemproxy 0.5.0 does not forward HELLO or CLIENT: it closes the client's
// connection instead of answering an error, and go-redis v9, which always
// sends HELLO first and falls back to RESP2 only on an error reply, then
// cannot connect at all (go-redis issue #2616). The dialer's connection
// answers that first HELLO itself with Redis's "unknown command" error, so
// go-redis goes on in RESP2 as it would with a Redis older than 6; every
// other byte goes to the proxy unchanged.
//
// Leave ClientName empty and DB at 0: the proxy refuses the CLIENT SETNAME
// and SELECT they would send on connect. A Password is sent with AUTH,
// which the proxy checks against its own redis_auth.
func TwemproxyOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:            addr,
		Protocol:        2,
		DisableIdentity: true,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &noHelloConn{Conn: c}, nil
		},
	}
}

// noHelloConn answers a HELLO that is the first thing written on it with an
// error reply, and passes everything else through.
type noHelloConn struct {
	net.Conn
	mu    sync.Mutex // guards wrote and reply
	wrote bool       // something was written: a later HELLO goes to the proxy
	reply []byte     // the answer to the first HELLO, not yet read
}

const helloReply = "-ERR unknown command 'HELLO', with args beginning with: \r\n"

func (c *noHelloConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	first := !c.wrote
	c.wrote = true
	if first && isHello(p) {
		c.reply = []byte(helloReply)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *noHelloConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.reply) > 0 {
		n := copy(p, c.reply)
		c.reply = c.reply[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

// isHello reports whether p is exactly one RESP command named HELLO, as
// go-redis writes it: *N\r\n$5\r\nHELLO\r\n...
func isHello(p []byte) bool {
	_, rest, ok := bytes.Cut(p, []byte("\r\n"))
	return ok && len(p) > 0 && p[0] == '*' &&
		len(rest) >= 11 && bytes.EqualFold(rest[:11], []byte("$5\r\nHELLO\r\n"))
}
