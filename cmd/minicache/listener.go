package main

import (
	"net"
	"sync"
)

// limitListener accepts at most n connections at once: Accept waits for one
// of them to close before it takes the next from the kernel's backlog, so
// that a flood of connections waits there instead of costing memory here.
// It is netutil.LimitListener written with the standard library.
type limitListener struct {
	net.Listener
	slots chan struct{} // one token per open connection

	closeOnce sync.Once
	done      chan struct{} // closed by Close, to end a waiting Accept
}

// newLimitListener returns l limited to n open connections.
func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

// Close closes the listener and ends a waiting Accept.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back when it is first closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes the connection when the one it wraps can.
func (c *limitConn) CloseWrite() error { return closeWrite(c.Conn) }

// closeWrite half-closes c if it can (a *net.TCPConn can), as net/http does
// before it closes a connection it answered with an error, so that the
// answer is not lost to a reset.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
