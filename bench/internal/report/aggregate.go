package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/minicache/minicache/bench/internal/result"
	"github.com/minicache/minicache/bench/internal/workload"
)

// Cell identifies one cell of one workload, across caches and repeats.
type Cell struct {
	Workload   string
	Keys       string
	Mix        string
	Goroutines int
	Capacity   int
	Trace      string
	TTLMode    string
	Op         string
	// Placement is "near" or "far" for a throughput or TTL window, from the
	// cache-line round trip between the CPUs measured beside it (see
	// workload.FarPlacement); near and far windows are separate cells.
	Placement string
}

func cellOf(r result.Record) Cell {
	c := Cell{r.Workload, r.Keys, r.Mix, r.Goroutines, r.Capacity, r.Trace, r.TTLMode, r.Op, ""}
	if rtt, ok := r.Metrics["pingpong_ns"]; ok {
		c.Placement = "near"
		if rtt >= workload.FarPlacement {
			c.Placement = "far"
		}
	}
	return c
}

// recordCells returns, for each record, the cells it belongs to: its own, or,
// for a record without a placement (an unsupported cell) in a workload whose
// measured windows have one, every placement measured for that cell.
func recordCells(recs []result.Record) func(result.Record) []Cell {
	placements := map[Cell][]string{}
	for _, r := range recs {
		c := cellOf(r)
		if c.Placement == "" {
			continue
		}
		base := c
		base.Placement = ""
		if !slices.Contains(placements[base], c.Placement) {
			placements[base] = append(placements[base], c.Placement)
		}
	}
	return func(r result.Record) []Cell {
		c := cellOf(r)
		ps := placements[c]
		if c.Placement != "" || len(ps) == 0 {
			return []Cell{c}
		}
		var out []Cell
		for _, p := range ps {
			pc := c
			pc.Placement = p
			out = append(out, pc)
		}
		return out
	}
}

// Label is a short human name of the cell, without the workload.
func (c Cell) Label() string {
	s := ""
	add := func(p string) {
		if p == "" {
			return
		}
		if s != "" {
			s += ", "
		}
		s += p
	}
	switch c.Keys {
	case "int":
		add("int64 keys")
	case "string":
		add("string keys")
	}
	add(c.Mix)
	if c.Goroutines > 0 {
		add(fmt.Sprintf("%d goroutines", c.Goroutines))
	}
	add(c.Trace)
	if c.Capacity > 0 && (c.Workload == result.HitRatio || c.Workload == result.Memory) {
		add(fmt.Sprintf("capacity %s", human(float64(c.Capacity))))
	}
	if c.TTLMode != "" {
		add(c.TTLMode + " TTL")
	}
	add(c.Op)
	if c.Placement != "" {
		add(c.Placement + " CPUs")
	}
	return s
}

// Stat summarises one cache in one cell.
type Stat struct {
	// N is the number of measured repeats.
	N                 int
	Median, Min, Max  float64
	Unsupported, Note string
	Failed            string
	// Extra holds the medians of the other metrics of the records.
	Extra map[string]float64
	// MaxForeign is the largest share of CPU other processes used during
	// one of the repeats.
	MaxForeign float64
}

// Disturbed is the share of foreign CPU above which a measurement is marked.
const Disturbed = 0.10

// Spread is half the min–max range as a fraction of the median.
func (s Stat) Spread() float64 {
	if s.N < 2 || s.Median == 0 {
		return 0
	}
	return (s.Max - s.Min) / 2 / s.Median
}

// OK reports whether s holds a measurement.
func (s Stat) OK() bool { return s.N > 0 }

// Table is every statistic of a result set: cell → cache → Stat.
type Table map[Cell]map[string]*Stat

// MainMetric is the metric each workload is ranked by, and whether higher is
// better.
func MainMetric(workload string) (name string, higherBetter bool) {
	switch workload {
	case result.Throughput, result.TTL:
		return "ops_per_sec", true
	case result.HitRatio:
		return "hit_ratio", true
	case result.Memory:
		return "bytes_per_entry", false
	case result.Allocs:
		return "allocs_per_op", false
	}
	return "", true
}

// aggKey is one cache in one cell.
type aggKey struct {
	cell  Cell
	cache string
}

// Aggregate groups records by cell and cache and takes medians over repeats.
func Aggregate(recs []result.Record) Table {
	vals := map[aggKey]map[string][]float64{}
	t := Table{}
	cellsOfRecord := recordCells(recs)
	for _, r := range recs {
		for _, c := range cellsOfRecord(r) {
			aggregateOne(t, vals, c, r)
		}
	}
	for k, ms := range vals {
		st := t[k.cell][k.cache]
		main, _ := MainMetric(k.cell.Workload)
		for m, vs := range ms {
			med := Median(vs)
			st.Extra[m] = med
			if m == main {
				st.N = len(vs)
				st.Median = med
				st.Min = slices.Min(vs)
				st.Max = slices.Max(vs)
			}
		}
	}
	return t
}

// aggregateOne adds record r to cell c of t, collecting its metrics in vals.
func aggregateOne(t Table, vals map[aggKey]map[string][]float64, c Cell, r result.Record) {
	if t[c] == nil {
		t[c] = map[string]*Stat{}
	}
	st := t[c][r.Cache]
	if st == nil {
		st = &Stat{Extra: map[string]float64{}}
		t[c][r.Cache] = st
	}
	switch {
	case r.Unsupported != "":
		st.Unsupported = r.Unsupported
		return
	case r.Metrics == nil:
		st.Failed = r.Note
		return
	}
	if r.Note != "" {
		st.Note = r.Note
	}
	st.MaxForeign = max(st.MaxForeign, r.ForeignCPU)
	k := aggKey{c, r.Cache}
	if vals[k] == nil {
		vals[k] = map[string][]float64{}
	}
	for m, v := range r.Metrics {
		vals[k][m] = append(vals[k][m], v)
	}
}

// Median returns the median of vs (the mean of the middle two for an even
// count), or 0 for none.
func Median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Ours is the cache the report is about; Reference is the exact-LRU baseline,
// which is not counted as a peer.
// OursLFU is minicache with WithPolicy(WTinyLFU): the cell's "ours" for hit
// ratio. Neither variant of minicache counts as a peer.
const (
	Ours      = "minicache"
	OursLFU   = "minicache-wtinylfu"
	Reference = "lru-reference"
	// Ceiling is the bare map read without locking: a bound, not a peer.
	Ceiling = "map-ceiling"
)

// Loss is one cell where minicache measured worse than the best peer.
type Loss struct {
	Cell      Cell
	Ours      float64
	BestPeer  string
	Best      float64
	Gap       string // formatted, e.g. "−23%" or "+1.5 pp"
	GapRatio  float64
	Workload  string
	Direction string // "higher is better" or "lower is better"
}

// Losses returns every cell where minicache is worse than the best peer, in
// the order of cells.
func Losses(t Table, cells []Cell) []Loss {
	var out []Loss
	for _, c := range cells {
		caches := t[c]
		ours, ok := caches[Ours]
		if w, wok := caches[OursLFU]; c.Workload == result.HitRatio && wok && w.OK() {
			ours, ok = w, true // for hit ratio, the policy made for it
		}
		if !ok || !ours.OK() {
			continue
		}
		_, higher := MainMetric(c.Workload)
		bestName, best := "", 0.0
		for name, st := range caches {
			if strings.HasPrefix(name, Ours) || name == Reference || name == Ceiling || !st.OK() {
				continue
			}
			better := bestName == "" || (higher && st.Median > best) || (!higher && st.Median < best) ||
				(st.Median == best && name < bestName)
			if better {
				bestName, best = name, st.Median
			}
		}
		if bestName == "" {
			continue
		}
		o, b := ours.Median, best
		switch c.Workload {
		case result.Allocs:
			// Fractions below 0.005 allocs/op are runtime noise (GC
			// bookkeeping, a rare map growth), not a per-operation cost.
			o, b = math.Round(o*100)/100, math.Round(b*100)/100
		case result.HitRatio:
			// Differences below 0.01 percentage points are not shown.
			o, b = math.Round(o*1e4)/1e4, math.Round(b*1e4)/1e4
		}
		worse := (higher && o < b) || (!higher && o > b)
		if !worse {
			continue
		}
		l := Loss{Cell: c, Ours: ours.Median, BestPeer: bestName, Best: best, Workload: c.Workload}
		switch {
		case c.Workload == result.HitRatio:
			l.Gap = fmt.Sprintf("−%.2f pp", 100*(best-ours.Median))
		case best == 0:
			l.Gap = fmt.Sprintf("+%.3g (peer 0)", ours.Median)
		case higher:
			l.GapRatio = ours.Median/best - 1
			l.Gap = fmt.Sprintf("−%.1f%%", -100*l.GapRatio)
		default:
			l.GapRatio = ours.Median/best - 1
			l.Gap = fmt.Sprintf("+%.1f%%", 100*l.GapRatio)
		}
		out = append(out, l)
	}
	return out
}
