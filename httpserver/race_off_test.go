//go:build !race

package httpserver_test

// raceEnabled says whether the race detector is on (see race_on_test.go).
const raceEnabled = false
