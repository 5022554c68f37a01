package respserver

import (
	"fmt"
	"time"
)

// SetBudgetWait sets how long a command waits for its bytes under the
// budget, and returns a function that restores the previous wait. For the
// tests only; not safe while a server runs.
func SetBudgetWait(d time.Duration) (restore func()) {
	old := budgetWait
	budgetWait = d
	return func() { budgetWait = old }
}

// SetHeldReadTimeout sets how long a command holding bytes of the budget may
// take to arrive, and returns a function that restores the previous value.
// For the tests only; not safe while a server runs.
func SetHeldReadTimeout(d time.Duration) (restore func()) {
	old := heldReadTimeout
	heldReadTimeout = d
	return func() { heldReadTimeout = old }
}

// EncodeCommand is args as a RESP array of bulk strings, as a client sends
// a command.
func EncodeCommand(args ...string) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b
}
