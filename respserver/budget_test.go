package respserver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/admission"
	"github.com/minicache/minicache/respserver"
)

const oomReply = `-"OOM command not allowed when used memory > 'maxmemory'."`

// TestBudgetBoundsLargeSetsAcrossConnections has several connections send
// SETs and MSETs of values within the allowance, within the budget and
// beyond it, at once, under a budget of 300 KiB: every command is answered
// OK or OOM, a stored value is intact, each connection still answers PING,
// and the budget is empty again.
func TestBudgetBoundsLargeSetsAcrossConnections(t *testing.T) {
	budget := admission.New(300 << 10)
	addr, cache := startServer(t, nil, respserver.WithBudget(budget))
	sizes := []int{40 << 10, 100 << 10, 120 << 10, 200 << 10} // 200 KiB needs 400 KiB: never fits
	var chargedOK, refused atomic.Int32
	var wg sync.WaitGroup
	for conn := range 8 {
		wg.Go(func() {
			c := dial(t, addr)
			for i := range 12 {
				n := sizes[(conn+i)%len(sizes)]
				key := fmt.Sprintf("k%d-%d", conn, i)
				value := strings.Repeat(string(rune('a'+conn)), n)
				var got reply
				if i%4 == 3 { // two values: the second grows the buffer past the budget
					got = c.do("MSET", key, value, key+"b", value)
				} else {
					got = c.do("SET", key, value)
				}
				mset := i%4 == 3
				fits := !mset && n <= 120<<10 || mset && n <= 40<<10
				charged := mset || n > 64<<10
				switch got.String() {
				case `+"OK"`:
					assert.True(t, fits, "%s of %d bytes cannot fit", key, n)
					v, ok := cache.Peek(key)
					assert.True(t, ok && v == value, "%s is stored intact", key)
					if charged {
						chargedOK.Add(1)
					}
				case oomReply:
					assert.True(t, charged, "%s of %d bytes is within the allowance, never refused", key, n)
					refused.Add(1)
				default:
					t.Errorf("%s of %d bytes: %s", key, n, got)
				}
			}
			assert.Equal(t, `+"PONG"`, c.do("PING").String())
		})
	}
	wg.Wait()
	assert.Equal(t, int64(0), budget.Used(), "every command gave its bytes back")
	assert.Positive(t, chargedOK.Load(), "commands charged to the budget ran")
	assert.Positive(t, refused.Load(), "and those that cannot fit were refused")
}

// TestBudgetRefusalDiscardsAndGoesOn holds the whole budget, so that a SET
// of a large value waits and is refused: the value is read and discarded,
// the commands pipelined behind it run, and the connection stays usable.
func TestBudgetRefusalDiscardsAndGoesOn(t *testing.T) {
	defer respserver.SetBudgetWait(50 * time.Millisecond)()
	budget := admission.New(1 << 20)
	addr, cache := startServer(t, nil, respserver.WithBudget(budget))
	held, ok := budget.Acquire(context.Background(), 1<<20, 0)
	require.True(t, ok)

	c := dial(t, addr)
	big := strings.Repeat("x", 256<<10)
	start := time.Now()
	c.send(bytes.Join([][]byte{encode("SET", "big", big), encode("SET", "small", "v"), encode("GET", "small")}, nil))
	assert.Equal(t, oomReply, c.read().String())
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "it waited for room")
	assert.Equal(t, `+"OK"`, c.read().String(), "the command behind it runs")
	assert.Equal(t, `$"v"`, c.read().String())
	_, ok = cache.Peek("big")
	assert.False(t, ok, "the refused command did not run")

	// An MSET holding its first value's bytes is refused at its second
	// and gives the first back.
	budget.Release(held)
	assert.Equal(t, oomReply, c.do("MSET", "a", big, "b", big, "c", big).String(), "three values need more than the budget")
	assert.Equal(t, int64(0), budget.Used())
	assert.Equal(t, `+"OK"`, c.do("SET", "big", big).String(), "once there is room")
	assert.Equal(t, `+"PONG"`, c.do("PING").String())
	assert.Equal(t, int64(0), budget.Used())
}

// TestBudgetRefusalKeepsNoBuffer refuses a 64 MiB value at once (it needs
// more than the whole budget) and checks that the server did not allocate
// anything near its length while discarding it.
func TestBudgetRefusalKeepsNoBuffer(t *testing.T) {
	addr, _ := startServer(t, nil, respserver.WithMaxBytesInFlight(1<<20))
	c := dial(t, addr)
	const n = 64 << 20
	head := fmt.Appendf(nil, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", n)
	body := bytes.Repeat([]byte("y"), 1<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c.send(head)
	for range n / len(body) {
		c.send(body)
	}
	c.send([]byte("\r\n"))
	assert.Equal(t, oomReply, c.read().String())
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "the value was not buffered")
	assert.Equal(t, `+"PONG"`, c.do("PING").String())
}

// TestCloseEndsBudgetWaits closes a server while a command waits for bytes
// under a budget held elsewhere: Close returns at once, not after the wait.
func TestCloseEndsBudgetWaits(t *testing.T) {
	defer respserver.SetBudgetWait(time.Minute)()
	budget := admission.New(1 << 20)
	held, _ := budget.Acquire(context.Background(), 1<<20, 0)
	defer budget.Release(held)
	cache := minicache.New[string, string]()
	defer cache.Close()
	srv := respserver.New(cache, respserver.WithBudget(budget))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	c := dial(t, ln.Addr().String())
	c.send(encode("SET", "k", strings.Repeat("x", 128<<10)))
	require.Eventually(t, func() bool { return budget.Used() == 1<<20 }, time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the command queue for its bytes
	start := time.Now()
	require.NoError(t, srv.Close())
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, int64(1<<20), budget.Used(), "the waiter gave up and holds nothing")
}

// TestSlowSenderCannotPinTheBudget has a client start a large SET, so that
// its command holds bytes of the budget, and then stop sending: the server
// disconnects it once the command has taken heldReadTimeout, which gives the
// bytes back. A client that sends its large value promptly, and one that
// stays idle between small commands, are not affected.
func TestSlowSenderCannotPinTheBudget(t *testing.T) {
	defer respserver.SetHeldReadTimeout(300 * time.Millisecond)()
	budget := admission.New(1 << 20)
	addr, cache := startServer(t, nil, respserver.WithBudget(budget))

	slow := dial(t, addr)
	value := strings.Repeat("v", 300<<10)
	frame := encode("SET", "slow", value)
	slow.send(frame[:len(frame)/2]) // half the value, then nothing
	require.Eventually(t, func() bool { return budget.Used() > 0 }, 5*time.Second, 5*time.Millisecond,
		"the command holds bytes of the budget")

	idle := dial(t, addr)
	assert.Equal(t, `+"PONG"`, idle.do("PING").String())
	time.Sleep(500 * time.Millisecond) // longer than the timeout, between commands

	slow.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, err := slow.br.ReadByte()
	var ne net.Error
	require.Error(t, err)
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server disconnects the slow sender: %v", err)
	assert.Eventually(t, func() bool { return budget.Used() == 0 }, 5*time.Second, 5*time.Millisecond,
		"its bytes are given back")
	_, ok := cache.Peek("slow")
	assert.False(t, ok, "nothing of the half-sent command is stored")

	assert.Equal(t, `+"PONG"`, idle.do("PING").String(), "an idle connection is not cut")
	fast := dial(t, addr)
	assert.Equal(t, `+"OK"`, fast.do("SET", "fast", value).String())
	time.Sleep(500 * time.Millisecond) // the lifted deadline does not fire later
	assert.Equal(t, `+"PONG"`, fast.do("PING").String())
	assert.Zero(t, budget.Used())
}

// TestNonReaderCannotPinTheBudget has a client send a command that holds
// bytes of the budget and whose reply (the old value, through SET's GET
// option) is larger than the socket buffers, and never read it: the write
// is cut after heldReadTimeout as the read would be, and the bytes come
// back.
func TestNonReaderCannotPinTheBudget(t *testing.T) {
	defer respserver.SetHeldReadTimeout(300 * time.Millisecond)()
	budget := admission.New(4 << 20)
	addr, cache := startServer(t, nil, respserver.WithBudget(budget))
	cache.Set("k", strings.Repeat("o", 32<<20))

	c := dial(t, addr)
	c.send(encode("SET", "k", strings.Repeat("n", 300<<10), "GET")) // and never read
	assert.Eventually(t, func() bool { return budget.Used() > 0 }, 5*time.Second, time.Millisecond,
		"the command holds bytes of the budget")
	assert.Eventually(t, func() bool { return budget.Used() == 0 }, 5*time.Second, 5*time.Millisecond,
		"the blocked reply is cut and the bytes are given back")
}

// TestIdleTimeoutSurvivesAChargedCommand: once a command that held bytes of
// the budget has run, the idle timeout applies again, even when the next
// frame is already partly buffered.
func TestIdleTimeoutSurvivesAChargedCommand(t *testing.T) {
	addr, _ := startServer(t, nil, respserver.WithIdleTimeout(200*time.Millisecond), respserver.WithMaxBytesInFlight(16<<20))
	c := dial(t, addr)
	c.send(append(encode("SET", "k", strings.Repeat("v", 300<<10)), "*1\r\n$4\r\nPI"...))
	assert.Equal(t, `+"OK"`, c.read().String())
	c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, err := c.br.ReadByte()
	var ne net.Error
	require.Error(t, err)
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server closes the idle connection: %v", err)
}
