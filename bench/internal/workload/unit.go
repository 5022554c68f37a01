package workload

import (
	"fmt"
	"runtime"
	"time"

	"github.com/minicache/minicache/bench/internal/adapter"
	"github.com/minicache/minicache/bench/internal/result"
)

// Unit is one (workload, cache, cell) measured in its own child process. The
// driver serialises it to JSON on the child's command line.
type Unit struct {
	Workload   string `json:"workload"`
	Cache      string `json:"cache"`
	Keys       string `json:"keys,omitempty"` // "int" or "string"
	ReadPct    int    `json:"read_pct,omitempty"`
	Goroutines int    `json:"goroutines,omitempty"`
	Capacity   int    `json:"capacity,omitempty"`
	Trace      string `json:"trace,omitempty"`    // hit ratio: "zipf" or "zipf+scan"
	TTLMode    string `json:"ttl_mode,omitempty"` // "fixed" or "varied"
	// TraceLen is the number of requests of a throughput or hit-ratio trace.
	TraceLen int `json:"trace_len,omitempty"`
	// Inserts is the number of distinct keys the memory workload inserts.
	Inserts int `json:"inserts,omitempty"`
	// Ops is the number of operations per measured allocation loop.
	Ops      int           `json:"ops,omitempty"`
	Warmup   time.Duration `json:"warmup,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	// TraceDir, when set, is where traces are cached between children.
	TraceDir string `json:"trace_dir,omitempty"`
}

// Mix formats ReadPct as "reads/writes".
func (u Unit) Mix() string {
	return fmt.Sprintf("%d/%d", u.ReadPct, 100-u.ReadPct)
}

// Record returns the result record of u, without metrics or environment.
func (u Unit) Record() result.Record {
	r := result.Record{
		Workload:   u.Workload,
		Cache:      u.Cache,
		Keys:       u.Keys,
		Goroutines: u.Goroutines,
		Capacity:   u.Capacity,
		Trace:      u.Trace,
		TTLMode:    u.TTLMode,
	}
	if u.Workload == result.Throughput || u.Workload == result.TTL {
		r.Mix = u.Mix()
	}
	return r
}

// Unsupported returns why spec cannot run u honestly, or "".
func Unsupported(u Unit, spec adapter.Spec) string {
	f := spec.Features
	if f.ReadOnly {
		if u.Workload == result.Memory || (u.Workload == result.Throughput && u.ReadPct == 100) {
			return ""
		}
		return "a bare map, for reads only"
	}
	switch {
	case u.Keys == "int" && spec.Int == nil:
		return "string keys only"
	case u.Workload == result.TTL && u.TTLMode == "varied" && !f.PerEntryTTL:
		return "no per-entry TTL"
	case u.Workload == result.TTL && !f.FixedTTL && !f.PerEntryTTL:
		return "no TTL"
	case u.Workload == result.TTL:
		return "" // unbounded TTL caches run, with a note
	case u.Workload == result.Memory:
		return "" // unbounded caches get exactly the target number of entries
	case u.Workload == result.Allocs:
		return "" // the evicting Set is marked per operation
	case !f.Bounded:
		return "no capacity bound"
	}
	return ""
}

// Outcome is what a child reports for one record of its unit.
type Outcome struct {
	// Op names the operation for units that measure several (allocations).
	Op          string             `json:"op,omitempty"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Unsupported string             `json:"unsupported,omitempty"`
	Note        string             `json:"note,omitempty"`
	GOMAXPROCS  int                `json:"gomaxprocs"`
}

// Run measures u in this process.
func Run(u Unit) ([]Outcome, error) {
	spec, err := adapter.Lookup(u.Cache)
	if err != nil {
		return nil, err
	}
	if why := Unsupported(u, spec); why != "" {
		return UnsupportedOutcomes(u, why), nil
	}
	var out []Outcome
	switch u.Workload {
	case result.Throughput, result.TTL:
		out, err = runThroughput(u, spec)
	case result.HitRatio:
		out, err = runHitRatio(u, spec)
	case result.Memory:
		out, err = runMemory(u, spec)
	case result.Allocs:
		out, err = runAllocs(u, spec)
	default:
		err = fmt.Errorf("workload: unknown workload %q", u.Workload)
	}
	for i := range out {
		out[i].GOMAXPROCS = runtime.GOMAXPROCS(0)
	}
	return out, err
}

// UnsupportedOutcomes returns the outcomes that mark every record of u
// unsupported for the reason why.
func UnsupportedOutcomes(u Unit, why string) []Outcome {
	if u.Workload == result.Allocs {
		return []Outcome{
			{Op: OpGetHit, Unsupported: why},
			{Op: OpSetExisting, Unsupported: why},
			{Op: OpSetNew, Unsupported: why},
		}
	}
	return []Outcome{{Unsupported: why}}
}
