package respserver

import (
	"context"
	"errors"
	"github.com/minicache/minicache/admission"
	"time"
)

// argAllowance is what a command's arguments may hold without being
// charged to the budget: the chunk the reader grows a buffer by anyway.
// Most commands stay within it and never touch the budget's lock.
const argAllowance = readChunk

// budgetWait is how long a command waits for its bytes under the budget
// before it is refused: short, so that a client (go-redis reads with a 3 s
// timeout) gets its answer rather than giving up on the connection. (A
// variable for the tests only.)
var budgetWait = time.Second

// heldReadTimeout is how long a command that holds bytes of the budget may
// take, from the grant, to arrive in full and have its replies and those
// before it written; a client that sends it slower, or does not read its
// replies meanwhile, is disconnected, so that it cannot pin the budget that
// every large command shares (as REST's ReadTimeout bounds a slow body).
// (A variable for the tests only.)
var heldReadTimeout = 30 * time.Second

// errOverBudget is what readCommand returns for a command refused under the
// budget, once its input has been read and discarded. The connection
// answers it with errOOM and goes on.
var errOverBudget = errors.New("respserver: command refused over the bytes-in-flight budget")

// argBudget is a connection's share of the server's [Budget]: what its
// current command holds. Only the connection's goroutine uses it.
type argBudget struct {
	b   *admission.Budget
	ctx context.Context // ends when the server closes its connections
	// held is the bytes granted to the current command.
	held int64
	// refused is set when the current command could not be granted its
	// bytes: the rest of its input is read and discarded.
	refused bool
	// onHold is called when the current command first holds bytes: the
	// connection bounds, from then on, how long it may take to arrive and
	// to be answered (see heldReadTimeout).
	onHold func()
}

// reserve makes room in buf for a bulk string of n bytes under the budget,
// and reports false when the command is refused, by this argument or an
// earlier one; the caller then discards the argument's bytes. Arguments
// within argAllowance reserve nothing. Beyond it the command holds the
// capacity of its buffer plus the bytes of its arguments (the copy the
// command makes of them into the cache, which also covers the old buffer
// while a growing one is copied): it waits for them in arrival order, up to
// budgetWait, and is refused at once when they exceed the whole budget. The
// buffer is then allocated at the size granted, so that it does not grow
// again (and leave garbage) as the bytes arrive.
func (r *reader) reserve(n int64) bool {
	if !r.budget.refused && int64(len(r.buf))+n <= argAllowance {
		return true // the common case, inlined
	}
	return r.reserveSlow(n)
}

// reserveSlow is reserve beyond the allowance or for a refused command.
func (r *reader) reserveSlow(n int64) bool {
	ab := r.budget
	if ab.refused {
		return false
	}
	need := int64(len(r.buf)) + n
	c := int64(cap(r.buf))
	newCap := c
	if c < need {
		newCap = max(need, c+c/2) // geometric when several arguments are large
	}
	want := newCap + need
	if want > ab.b.Max() {
		r.refuse()
		return false
	}
	if inc := want - ab.held; inc > 0 {
		got, ok := ab.b.Acquire(ab.ctx, inc, budgetWait)
		if !ok {
			r.refuse()
			return false
		}
		if ab.held == 0 && ab.onHold != nil {
			ab.onHold()
		}
		ab.held += got
	}
	if c < need {
		nb := make([]byte, len(r.buf), newCap)
		copy(nb, r.buf)
		r.buf = nb
	}
	return true
}

// refuse gives up the current command: it returns what the command holds
// and drops the arguments read so far.
func (r *reader) refuse() {
	r.budget.refused = true
	r.releaseHeld()
	r.buf, r.ends = r.buf[:0], r.ends[:0]
}

// refusal returns errOverBudget, once, at the end of a refused command's
// frame.
func (r *reader) refusal() error {
	if r.budget == nil || !r.budget.refused {
		return nil
	}
	r.budget.refused = false
	return errOverBudget
}

// release returns what the current command holds of the budget; the
// connection calls it once the command has run, and when it closes.
func (r *reader) release() {
	if r.budget != nil && r.budget.held > 0 {
		r.releaseHeld()
	}
}

// releaseHeld returns the bytes held and drops the buffer they paid for
// (with the argument slices into it), so that an idle connection keeps no
// more than the allowance.
func (r *reader) releaseHeld() {
	ab := r.budget
	if ab.held > 0 {
		ab.b.Release(ab.held)
		ab.held = 0
	}
	if cap(r.buf) > argAllowance {
		r.buf = nil
		clear(r.args[:cap(r.args)])
	}
}
