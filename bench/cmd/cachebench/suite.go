package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/minicache/minicache/bench/internal/adapter"
	"github.com/minicache/minicache/bench/internal/report"
	"github.com/minicache/minicache/bench/internal/result"
	"github.com/minicache/minicache/bench/internal/traces"
	"github.com/minicache/minicache/bench/internal/workload"
)

// settings are the knobs of one suite run; quick mode shrinks every one.
type settings struct {
	quick     bool
	repeats   int
	workloads []string
	caches    []string

	warmup, duration time.Duration // throughput and TTL windows
	traceLen         int           // throughput trace, a power of two
	capacity         int           // throughput, TTL
	hitTraceLen      int           // Zipf requests of a hit-ratio trace
	hitCapacities    []int
	memCapacity      int
	memInserts       int
	allocCapacity    int
	allocOps         int
	quietWait        time.Duration // per unit; the total is capped at quietBudget
	// retryBudget caps the total time spent measuring disturbed units again
	// (zero in quick mode, which must stay short).
	retryBudget time.Duration
}

// quietBudget caps the total time spent waiting for a quiet machine.
const quietBudget = 60 * time.Second

var allWorkloads = []string{result.Throughput, result.TTL, result.Allocs, result.HitRatio, result.Memory}

func newSettings(quick bool, repeats int) settings {
	s := settings{
		quick:         quick,
		repeats:       5,
		warmup:        100 * time.Millisecond,
		duration:      500 * time.Millisecond,
		traceLen:      1 << 21,
		capacity:      100_000,
		hitTraceLen:   2_000_000,
		hitCapacities: []int{1_000, 10_000, 100_000},
		memCapacity:   1_000_000,
		memInserts:    2_000_000,
		allocCapacity: 100_000,
		allocOps:      1_000_000,
		retryBudget:   90 * time.Second,
	}
	if quick {
		s.repeats = 1
		s.warmup = 50 * time.Millisecond
		s.duration = 150 * time.Millisecond
		s.traceLen = 1 << 20
		s.hitTraceLen = 500_000
		s.memCapacity = 100_000
		s.memInserts = 200_000
		s.allocOps = 200_000
		s.retryBudget = 0
	}
	if repeats > 0 {
		s.repeats = repeats
	}
	return s
}

// plan returns the units of each repeat. Within a repeat, units of one cell
// are adjacent and the cache order rotates with the repeat, so that drift of
// the machine spreads over all caches instead of favouring one.
func plan(s settings, specs []adapter.Spec) [][]workload.Unit {
	procs := runtime.GOMAXPROCS(0)
	var cells []workload.Unit
	want := func(w string) bool { return slices.Contains(s.workloads, w) }
	if want(result.Throughput) {
		for _, keys := range []string{"int", "string"} {
			for _, g := range []int{procs, 2 * procs, 4 * procs} {
				for _, read := range []int{100, 75, 50, 0} {
					if g == 2*procs && read < 75 {
						continue // the scaling step is measured on the read-heavy mixes only
					}
					cells = append(cells, workload.Unit{Workload: result.Throughput, Keys: keys,
						ReadPct: read, Goroutines: g, Capacity: s.capacity, TraceLen: s.traceLen,
						Warmup: s.warmup, Duration: s.duration})
				}
			}
		}
	}
	if want(result.TTL) {
		for _, keys := range []string{"int", "string"} {
			for _, mode := range []string{"fixed", "varied"} {
				cells = append(cells, workload.Unit{Workload: result.TTL, Keys: keys, TTLMode: mode,
					ReadPct: 75, Goroutines: procs, Capacity: s.capacity, TraceLen: s.traceLen,
					Warmup: s.warmup, Duration: s.duration})
			}
		}
	}
	var once []workload.Unit // cells measured in the first repeat only
	if want(result.Allocs) {
		// Allocation counts are exact; one run each is enough.
		for _, keys := range []string{"int", "string"} {
			once = append(once, workload.Unit{Workload: result.Allocs, Keys: keys,
				Capacity: s.allocCapacity, Ops: s.allocOps})
		}
	}
	if want(result.HitRatio) {
		for _, trace := range []string{"zipf", "zipf+scan"} {
			for _, c := range s.hitCapacities {
				once = append(once, workload.Unit{Workload: result.HitRatio, Keys: "int",
					Trace: trace, Capacity: c, TraceLen: s.hitTraceLen})
			}
		}
		// The real traces, when the folder is there (not in a user's clone).
		if _, ok := traces.Dir(); ok {
			for _, t := range traces.All {
				for _, c := range t.Sizes {
					once = append(once, workload.Unit{Workload: result.HitRatio, Keys: "int", Trace: t.Name, Capacity: c})
				}
			}
		} else {
			fmt.Fprintln(os.Stderr, "cachebench: no ../shared/traces folder: the real-trace hit-ratio cells are skipped")
		}
	}
	if want(result.Memory) {
		for _, keys := range []string{"int", "string"} {
			once = append(once, workload.Unit{Workload: result.Memory, Keys: keys,
				Capacity: s.memCapacity, Inserts: s.memInserts})
		}
	}
	repeats := make([][]workload.Unit, s.repeats)
	for r := range repeats {
		rcells := cells
		if r == 0 {
			rcells = append(slices.Clone(cells), once...)
		}
		for _, cell := range rcells {
			for i := range specs {
				u := cell
				u.Cache = specs[(i+r)%len(specs)].Name
				repeats[r] = append(repeats[r], u)
			}
		}
	}
	return repeats
}

// runSuite plans, runs every unit in a child process, writes results.jsonl,
// then the report.
func runSuite(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("cachebench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "short windows, smaller traces, one repeat (under 2 minutes)")
	out := fs.String("out", "results", "directory for results.jsonl, results.md and charts")
	repeats := fs.Int("repeats", 0, "repeats of the throughput and TTL cells (default 5, quick 1)")
	workloads := fs.String("workloads", strings.Join(allWorkloads, ","), "comma-separated workloads to run")
	caches := fs.String("caches", "", "comma-separated caches to run (default all)")
	noReport := fs.Bool("no-report", false, "write results.jsonl only")
	quiet := fs.Duration("quiet-wait", 0, "before each unit, wait up to this long for other processes to go quiet (default 5s, quick 0)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := newSettings(*quick, *repeats)
	s.quietWait = *quiet
	if s.quietWait == 0 && !*quick {
		s.quietWait = 5 * time.Second
	}
	s.workloads = strings.Split(*workloads, ",")
	for _, w := range s.workloads {
		if !slices.Contains(allWorkloads, w) {
			return fmt.Errorf("unknown workload %q (have %s)", w, strings.Join(allWorkloads, ", "))
		}
	}
	specs := adapter.All()
	if *caches != "" {
		specs = nil
		for _, name := range strings.Split(*caches, ",") {
			sp, err := adapter.Lookup(name)
			if err != nil {
				return err
			}
			specs = append(specs, sp)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(*out, "results.jsonl")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := result.NewWriter(f)

	env := result.CollectEnv(repoRoot(), "cachebench "+strings.Join(args, " "), *quick)
	if env.Scaffold {
		fmt.Fprintln(stderr, "warning: minicache is still the temporary scaffold (scaffold_tmp.go): its numbers mean nothing")
	}
	traceDir, err := os.MkdirTemp("", "cachebench-traces-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(traceDir)
	units := plan(s, specs)
	total := 0
	for _, r := range units {
		total += len(r)
	}
	begin := time.Now()
	done := 0
	var waited, retried time.Duration
	retries := 0
	for rep, rus := range units {
		for _, u := range rus {
			if err := ctx.Err(); err != nil {
				return err
			}
			done++
			if s.quietWait > 0 && waited < quietBudget {
				waited += waitQuiet(min(s.quietWait, quietBudget-waited))
			}
			u.TraceDir = traceDir
			recs := runUnit(ctx, self, u, rep, env)
			if isDisturbed(u, recs) && retried < s.retryBudget {
				// Another process took the CPU: wait for quiet, measure again
				// and keep the second measurement, marked as a retry.
				t := time.Now()
				waitQuiet(min(10*time.Second, s.retryBudget-retried))
				recs = runUnit(ctx, self, u, rep, env)
				for i := range recs {
					recs[i].Attempts = 2
				}
				retried += time.Since(t)
				retries++
			}
			for _, rec := range recs {
				if err := w.Write(rec); err != nil {
					return err
				}
			}
			if len(recs) > 0 {
				fmt.Fprintf(stderr, "[%3d/%d %5.0fs] r%d %s\n", done, total, time.Since(begin).Seconds(), rep, describe(recs))
			}
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (%d units in %.0fs; %.0fs waiting for a quiet machine; %d disturbed units measured again in %.0fs)\n",
		path, total, time.Since(begin).Seconds(), waited.Seconds(), retries, retried.Seconds())
	if *noReport {
		return nil
	}
	return report.Generate(path, *out, stderr)
}

// runUnit measures u in a child process and returns its records. A cell the
// cache cannot run is recorded once, without a child; a failed child is
// recorded with the error in Note.
func runUnit(ctx context.Context, self string, u workload.Unit, rep int, env result.Env) []result.Record {
	spec, err := adapter.Lookup(u.Cache)
	if err != nil {
		return []result.Record{failed(u, rep, env, err)}
	}
	var outs []workload.Outcome
	foreign := 0.0
	if why := workload.Unsupported(u, spec); why != "" {
		if rep > 0 {
			return nil
		}
		outs = workload.UnsupportedOutcomes(u, why)
	} else {
		outs, foreign, err = runChildProcess(ctx, self, u)
		if err != nil {
			return []result.Record{failed(u, rep, env, err)}
		}
	}
	var recs []result.Record
	for _, o := range outs {
		rec := u.Record()
		rec.Repeat = rep
		rec.Op = o.Op
		rec.Metrics = o.Metrics
		rec.Unsupported = o.Unsupported
		rec.Note = o.Note
		rec.Env = env
		rec.ForeignCPU = foreign
		if o.GOMAXPROCS > 0 {
			rec.Env.GOMAXPROCS = o.GOMAXPROCS
		}
		recs = append(recs, rec)
	}
	return recs
}

func failed(u workload.Unit, rep int, env result.Env, err error) result.Record {
	rec := u.Record()
	rec.Repeat = rep
	rec.Note = "failed: " + err.Error()
	rec.Env = env
	return rec
}

// runChildProcess runs `self child -unit JSON` with a generous time limit,
// and returns its outcomes and the share of the machine's CPU that other
// processes used meanwhile.
func runChildProcess(ctx context.Context, self string, u workload.Unit) ([]workload.Outcome, float64, error) {
	js, err := json.Marshal(u)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "child", "-unit", string(js))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	c0, t0 := readCPU(), time.Now()
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 400 {
			msg = msg[:400] + "…"
		}
		return nil, 0, fmt.Errorf("%w: %s", err, msg)
	}
	wall, c1 := time.Since(t0), readCPU()
	foreign := foreignCPU(c0, c1, wall, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	var outs []workload.Outcome
	if err := json.Unmarshal(stdout.Bytes(), &outs); err != nil {
		return nil, 0, fmt.Errorf("child output: %w", err)
	}
	if len(outs) == 0 {
		return nil, 0, errors.New("child reported nothing")
	}
	return outs, foreign, nil
}

// describe is the progress line of one unit.
func describe(recs []result.Record) string {
	r := recs[0]
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %-20s", r.Workload, r.Cache)
	for _, p := range []string{r.Keys, r.Mix, r.Trace, r.TTLMode} {
		if p != "" {
			b.WriteString(" " + p)
		}
	}
	if r.Goroutines > 0 {
		fmt.Fprintf(&b, " g=%d", r.Goroutines)
	}
	if r.Workload == result.HitRatio || r.Workload == result.Memory {
		fmt.Fprintf(&b, " cap=%d", r.Capacity)
	}
	b.WriteString(" →")
	for _, rec := range recs {
		switch {
		case rec.Unsupported != "":
			fmt.Fprintf(&b, " unsupported (%s)", rec.Unsupported)
		case rec.Metrics == nil:
			fmt.Fprintf(&b, " %s", rec.Note)
		default:
			for _, k := range []string{"ops_per_sec", "hit_ratio", "bytes_per_entry", "allocs_per_op"} {
				if v, ok := rec.Metrics[k]; ok {
					if rec.Op != "" {
						fmt.Fprintf(&b, " %s", rec.Op)
					}
					fmt.Fprintf(&b, " %s=%.4g", k, v)
				}
			}
		}
	}
	if r.ForeignCPU >= 0.05 {
		fmt.Fprintf(&b, " (others used %.0f%% CPU)", 100*r.ForeignCPU)
	}
	return b.String()
}

// repoRoot returns the top of the git checkout holding the working
// directory, or "".
func repoRoot() string {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// isDisturbed reports whether u is a timing unit during which other
// processes used more than report.Disturbed of the machine's CPU; such a
// unit is measured again once, while the run's retry budget lasts.
func isDisturbed(u workload.Unit, recs []result.Record) bool {
	if u.Workload != result.Throughput && u.Workload != result.TTL {
		return false
	}
	for _, r := range recs {
		if r.Metrics != nil && r.ForeignCPU > report.Disturbed {
			return true
		}
	}
	return false
}
