package respserver

import "time"

// SetBudgetWait sets how long a command waits for its bytes under the
// budget, and returns a function that restores the previous wait. For the
// tests only; not safe while a server runs.
func SetBudgetWait(d time.Duration) (restore func()) {
	old := budgetWait
	budgetWait = d
	return func() { budgetWait = old }
}
