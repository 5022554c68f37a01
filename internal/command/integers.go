package command

import "strconv"

// sharedInts is the decimal text of 0 to sharedIntsMax-1 back to back, and
// sharedIntEnds[n] where the text of n ends in it: an INCR whose result is
// in that range stores a substring of it, allocating nothing, and every
// counter holding the same small number shares its bytes (Redis shares the
// objects of these integers the same way).
const sharedIntsMax = 10000

var (
	sharedInts    string
	sharedIntEnds [sharedIntsMax]uint16
)

func init() {
	b := make([]byte, 0, 38890) // the digits of 0 to 9999
	for n := range sharedIntsMax {
		b = strconv.AppendInt(b, int64(n), 10)
		sharedIntEnds[n] = uint16(len(b))
	}
	sharedInts = string(b)
}

// formatInt returns the decimal text of n, without allocating for 0 to
// 9999.
func formatInt(n int64) string {
	if n < 0 || n >= sharedIntsMax {
		return strconv.FormatInt(n, 10)
	}
	start := uint16(0)
	if n > 0 {
		start = sharedIntEnds[n-1]
	}
	return sharedInts[start:sharedIntEnds[n]]
}
