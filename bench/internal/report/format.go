package report

import (
	"fmt"
	"math"

	"github.com/minicache/minicache/bench/internal/result"
)

// human formats n with a k/M suffix: 1000 → "1k", 1500000 → "1.5M".
func human(n float64) string {
	switch {
	case n >= 1e6:
		return trim(n/1e6) + "M"
	case n >= 1e3:
		return trim(n/1e3) + "k"
	}
	return trim(n)
}

func trim(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// value formats the main metric of a workload.
func value(workload string, v float64) string {
	switch workload {
	case result.Throughput, result.TTL:
		return fmt.Sprintf("%.3g M/s", v/1e6)
	case result.HitRatio:
		return fmt.Sprintf("%.2f%%", 100*v)
	case result.Memory:
		return fmt.Sprintf("%.0f B", v)
	case result.Allocs:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%g", v)
}

// cellText is the table text of one cache in one cell: the median, the
// spread when there were repeats, and the ratio to otter when asked.
func cellText(workload string, st *Stat, otter *Stat, withRatio bool) string {
	switch {
	case st == nil:
		return "–"
	case st.Unsupported != "":
		return "n/a: " + st.Unsupported
	case st.Failed != "":
		return "failed"
	case !st.OK():
		return "–"
	}
	var s string
	switch workload {
	case result.Throughput, result.TTL:
		s = fmt.Sprintf("%.3g", st.Median/1e6)
	default:
		s = value(workload, st.Median)
	}
	if sp := st.Spread(); st.N > 1 {
		s += fmt.Sprintf(" ±%.0f%%", 100*sp)
	}
	if withRatio && otter != nil && otter.OK() && otter.Median != 0 {
		s += fmt.Sprintf(" ×%.2f", st.Median/otter.Median)
	}
	if st.Note != "" {
		s += "†"
	}
	if st.MaxForeign > Disturbed {
		s += "‡"
	}
	return s
}
