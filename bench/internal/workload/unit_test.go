package workload

import (
	"testing"
	"time"

	"github.com/minicache/minicache/bench/internal/adapter"
	"github.com/minicache/minicache/bench/internal/result"
)

// TestRunSmallUnits runs every workload on every cache at toy sizes, to check
// that each path produces the metrics the report reads.
func TestRunSmallUnits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every cache")
	}
	units := []struct {
		u      Unit
		metric string
	}{
		{Unit{Workload: result.Throughput, Keys: "int", ReadPct: 75, Goroutines: 2, Capacity: 1000,
			TraceLen: 1 << 12, Warmup: time.Millisecond, Duration: 50 * time.Millisecond}, "ops_per_sec"},
		{Unit{Workload: result.TTL, Keys: "string", TTLMode: "varied", ReadPct: 75, Goroutines: 2,
			Capacity: 1000, TraceLen: 1 << 12, Warmup: time.Millisecond, Duration: 50 * time.Millisecond}, "ops_per_sec"},
		{Unit{Workload: result.HitRatio, Keys: "int", Trace: "zipf+scan", Capacity: 1000, TraceLen: 200_000}, "hit_ratio"},
		{Unit{Workload: result.Memory, Keys: "string", Capacity: 1000, Inserts: 2000}, "bytes_per_entry"},
		{Unit{Workload: result.Allocs, Keys: "int", Capacity: 1000, Ops: 2000}, "allocs_per_op"},
	}
	for _, spec := range adapter.All() {
		for _, tc := range units {
			u := tc.u
			u.Cache = spec.Name
			t.Run(spec.Name+"/"+u.Workload, func(t *testing.T) {
				outs, err := Run(u)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range outs {
					if o.Unsupported != "" {
						continue
					}
					v, ok := o.Metrics[tc.metric]
					if !ok {
						t.Fatalf("outcome %+v lacks %s", o, tc.metric)
					}
					if tc.metric == "hit_ratio" && (v <= 0 || v >= 1) {
						t.Errorf("hit ratio %v outside (0, 1)", v)
					}
					if tc.metric == "ops_per_sec" && v <= 0 {
						t.Errorf("ops/s = %v", v)
					}
				}
			})
		}
	}
}

func TestOpPatternHasExactWriteShare(t *testing.T) {
	for _, read := range []int{100, 75, 50, 0} {
		p := opPattern(read)
		writes := 0
		for _, w := range p {
			if w {
				writes++
			}
		}
		if want := (100 - read) * 128 / 100; writes != want {
			t.Errorf("read %d%%: %d writes of 128, want %d", read, writes, want)
		}
	}
}
