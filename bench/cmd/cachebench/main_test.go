package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/minicache/minicache/bench/internal/adapter"
	"github.com/minicache/minicache/bench/internal/traces"
	"github.com/minicache/minicache/bench/internal/workload"
)

func TestPlanInterleavesCaches(t *testing.T) {
	specs := adapter.All()[:3]
	s := newSettings(false, 2)
	s.workloads = allWorkloads
	reps := plan(s, specs)
	if len(reps) != 2 {
		t.Fatalf("%d repeats, want 2", len(reps))
	}
	// Throughput 20 cells (16, and the read-heavy mixes at 2×GOMAXPROCS)
	// and TTL 4 every repeat; allocations 2, hit ratio 6
	// (and 8 more on the real traces, when they are there) and memory 2 in
	// the first only.
	hit := 6
	if _, ok := traces.Dir(); ok {
		for _, tr := range traces.All {
			hit += len(tr.Sizes)
		}
	}
	if got, want := len(reps[0]), (20+4+2+hit+2)*3; got != want {
		t.Errorf("repeat 0 has %d units, want %d", got, want)
	}
	if got, want := len(reps[1]), (20+4)*3; got != want {
		t.Errorf("repeat 1 has %d units, want %d", got, want)
	}
	if reps[0][0].Cache == reps[1][0].Cache {
		t.Errorf("both repeats start with %s; the order should rotate", reps[0][0].Cache)
	}
}

func TestChildPrintsOutcomes(t *testing.T) {
	u := workload.Unit{Workload: "allocs", Cache: "lru-reference", Keys: "int", Capacity: 1000, Ops: 20_000}
	js, _ := json.Marshal(u)
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"child", "-unit", string(js)}, &out, &errs); err != nil {
		t.Fatal(err, errs.String())
	}
	var outs []workload.Outcome
	if err := json.Unmarshal(out.Bytes(), &outs); err != nil {
		t.Fatal(err)
	}
	// A handful of runtime allocations (the test framework's own) may land
	// in the window; a per-operation allocation would show as ≥ 1.
	if len(outs) != 3 || outs[0].Op != workload.OpGetHit || outs[0].Metrics["allocs_per_op"] > 0.01 {
		t.Errorf("outcomes = %+v", outs)
	}
}
