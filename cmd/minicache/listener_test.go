package main

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := newLimitListener(inner, 2)
	defer l.Close()

	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		require.NoError(t, err, "the third waits in the backlog, its dial succeeds")
		clients = append(clients, c)
		defer c.Close()
	}
	first, second := <-accepted, <-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted beyond the limit of 2")
	case <-time.After(100 * time.Millisecond):
	}
	require.NoError(t, first.Close())
	assert.Error(t, first.Close(), "a second Close fails and gives back no second slot")
	select {
	case third := <-accepted:
		require.NotNil(t, third)
		defer third.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("closing a connection did not let the next one in")
	}
	assert.Len(t, l.slots, 2)
	defer second.Close()

	// Close ends an Accept that waits for a slot.
	c, err := net.Dial("tcp", inner.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, l.Close())
	select {
	case c, ok := <-accepted:
		assert.False(t, ok, "no connection accepted beyond the limit: %v", c)
	case <-time.After(5 * time.Second):
		t.Fatal("Accept did not return after Close")
	}
	_ = clients
}
