package main

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// cpuSample is the first line of /proc/stat: jiffies spent busy and in
// total, over all CPUs.
type cpuSample struct {
	busy, total uint64
	ok          bool
}

func readCPU() cpuSample {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuSample{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return cpuSample{}
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 8 || fields[0] != "cpu" {
		return cpuSample{}
	}
	var s cpuSample
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return cpuSample{}
		}
		s.total += v
		// user nice system idle iowait irq softirq steal guest guest_nice;
		// guest time is already counted in user.
		if i != 3 && i != 4 && i < 8 {
			s.busy += v
		}
	}
	s.ok = true
	return s
}

// busyFraction is the fraction of all CPUs busy between a and b.
func busyFraction(a, b cpuSample) float64 {
	if !a.ok || !b.ok || b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total)
}

// foreignCPU is the fraction of the machine's CPU that processes other than
// the child used while it ran: busy time minus the child's own CPU time.
func foreignCPU(a, b cpuSample, wall, childCPU time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	own := childCPU.Seconds() / (wall.Seconds() * float64(runtime.NumCPU()))
	return max(0, busyFraction(a, b)-own)
}

// waitQuiet waits, up to limit, until other processes use less than 10% of
// the machine over a 250 ms sample, and returns how long it waited.
func waitQuiet(limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit {
		a := readCPU()
		time.Sleep(250 * time.Millisecond)
		if !a.ok || busyFraction(a, readCPU()) < 0.10 {
			break
		}
	}
	return time.Since(start)
}
