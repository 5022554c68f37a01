//go:build race

package httpserver_test

// raceEnabled says whether the race detector is on: it makes sync.Pool
// drop a quarter of what is put back, so allocation counts mean nothing.
const raceEnabled = true
