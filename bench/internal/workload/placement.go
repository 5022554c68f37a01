package workload

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// FarPlacement is the round trip, in nanoseconds, from which two CPUs count
// as far apart. On the 2-vCPU machines this suite runs on, a cache line's
// round trip between the two is either about 90 ns (near: siblings or one
// socket) or about 410 ns (far), and it changes between runs as the
// hypervisor places the vCPUs; 250 ns splits the two.
const FarPlacement = 250

// PingPong measures the round trip of a cache line between two goroutines
// locked to OS threads, which GOMAXPROCS ≥ 2 spreads over two CPUs: each
// waits for the other's write of one atomic before writing it back. It
// returns the median of five timings of 20,000 round trips, in nanoseconds
// per round trip, or 0 with fewer than two CPUs.
func PingPong() float64 {
	if runtime.GOMAXPROCS(0) < 2 {
		return 0
	}
	var samples []float64
	for range 5 {
		samples = append(samples, pingPongOnce(20_000))
	}
	return median(samples)
}

func pingPongOnce(n int) float64 {
	var ball atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := int64(1); i <= int64(2*n); i += 2 {
			for ball.Load() != i {
			}
			ball.Store(i + 1)
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	for i := int64(0); i < int64(2*n); i += 2 {
		ball.Store(i + 1)
		for ball.Load() != i+2 {
		}
	}
	took := time.Since(start)
	wg.Wait()
	return float64(took.Nanoseconds()) / float64(n)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}
