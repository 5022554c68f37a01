// Package metrics writes metrics in the Prometheus text exposition format
// (version 0.0.4) and keeps the few instruments the servers need: counters,
// and histograms of request latency by label. It is written here rather
// than taken from client_golang to keep the library module's go.mod free of
// Prometheus's dependency tree; the format is checked with Prometheus's own
// parser in bench/internal/promcheck.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ContentType is the Content-Type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Writer writes metric families. Each family is written once, with its HELP
// and TYPE lines, followed by its samples.
type Writer struct {
	w   *bufio.Writer
	err error
}

// NewWriter returns a Writer on w; call Flush at the end.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// Flush writes what is buffered and returns the first error met.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); w.err == nil {
		w.err = err
	}
	return w.err
}

// Label is one name="value" pair of a sample.
type Label struct{ Name, Value string }

// Family starts a metric family of the given type ("counter", "gauge",
// "histogram" or "untyped").
func (w *Writer) Family(name, typ, help string) {
	fmt.Fprintf(w.w, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
}

// Sample writes one sample of the current family.
func (w *Writer) Sample(name string, value float64, labels ...Label) {
	w.w.WriteString(name)
	if len(labels) > 0 {
		w.w.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				w.w.WriteByte(',')
			}
			w.w.WriteString(l.Name)
			w.w.WriteString(`="`)
			w.w.WriteString(escapeLabel(l.Value))
			w.w.WriteByte('"')
		}
		w.w.WriteByte('}')
	}
	w.w.WriteByte(' ')
	w.w.WriteString(formatFloat(value))
	w.w.WriteByte('\n')
}

// Counter writes a family of one counter sample.
func (w *Writer) Counter(name, help string, value float64) {
	w.Family(name, "counter", help)
	w.Sample(name, value)
}

// Gauge writes a family of one gauge sample.
func (w *Writer) Gauge(name, help string, value float64) {
	w.Family(name, "gauge", help)
	w.Sample(name, value)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// LatencyBuckets are the upper bounds, in seconds, of the latency
// histograms: 25 µs to 10 s.
var LatencyBuckets = []float64{0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

// Histogram counts observations in buckets. It is safe for concurrent use
// and allocates nothing per observation.
type Histogram struct {
	bounds  []float64
	counts  []atomic.Uint64 // one per bound, and the +Inf bucket
	sumBits atomic.Uint64   // float64 bits of the sum
}

// NewHistogram returns a histogram with the given increasing upper bounds.
func NewHistogram(bounds []float64) *Histogram {
	return &Histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// Observe records v.
func (h *Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v)
	h.counts[i].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// write writes the histogram's samples under name with labels.
func (h *Histogram) write(w *Writer, name string, labels []Label) {
	var cum uint64
	le := append(slices.Clone(labels), Label{Name: "le"})
	for i := range h.counts {
		cum += h.counts[i].Load()
		bound := math.Inf(1)
		if i < len(h.bounds) {
			bound = h.bounds[i]
		}
		le[len(le)-1].Value = formatFloat(bound)
		w.Sample(name+"_bucket", float64(cum), le...)
	}
	w.Sample(name+"_sum", math.Float64frombits(h.sumBits.Load()), labels...)
	w.Sample(name+"_count", float64(cum), labels...)
}

// HistogramVec is a family of histograms told apart by the values of fixed
// label names, created on first use.
type HistogramVec struct {
	name, help string
	labels     []string
	bounds     []float64
	m          sync.Map // joined label values → *entry
}

type vecEntry struct {
	values []string
	h      *Histogram
}

// NewHistogramVec returns a family of histograms with the given label names.
func NewHistogramVec(name, help string, bounds []float64, labels ...string) *HistogramVec {
	return &HistogramVec{name: name, help: help, labels: labels, bounds: bounds}
}

// With returns the histogram of the given label values, one per label name.
func (v *HistogramVec) With(values ...string) *Histogram {
	key := strings.Join(values, "\xff")
	if e, ok := v.m.Load(key); ok {
		return e.(*vecEntry).h
	}
	e, _ := v.m.LoadOrStore(key, &vecEntry{values: slices.Clone(values), h: NewHistogram(v.bounds)})
	return e.(*vecEntry).h
}

// Write writes the family, its histograms sorted by label values.
func (v *HistogramVec) Write(w *Writer) {
	var es []*vecEntry
	v.m.Range(func(_, e any) bool { es = append(es, e.(*vecEntry)); return true })
	slices.SortFunc(es, func(a, b *vecEntry) int { return slices.Compare(a.values, b.values) })
	w.Family(v.name, "histogram", v.help)
	for _, e := range es {
		labels := make([]Label, len(v.labels))
		for i, n := range v.labels {
			labels[i] = Label{n, e.values[i]}
		}
		e.h.write(w, v.name, labels)
	}
}

var processStart = time.Now()

// WriteRuntime writes the Go runtime's and the process's metrics, under the
// names client_golang's collectors use: go_goroutines, go_threads, go_info,
// go_memstats_*, go_gc_duration_seconds (as a count and sum), process_*.
func WriteRuntime(w *Writer) {
	w.Gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	w.Family("go_info", "gauge", "Information about the Go environment.")
	w.Sample("go_info", 1, Label{"version", runtime.Version()})
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/goal:bytes"},
		{Name: "/sched/gomaxprocs:threads"},
		{Name: "/gc/gomemlimit:bytes"},
	}
	metrics.Read(samples)
	value := func(i int) float64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return float64(samples[i].Value.Uint64())
		}
		return 0
	}
	w.Gauge("go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", value(0))
	w.Gauge("go_memstats_sys_bytes", "Bytes of memory obtained from the OS.", value(1))
	w.Counter("go_gc_cycles_total", "Completed GC cycles.", value(2))
	w.Gauge("go_gc_heap_goal_bytes", "Heap size target for the end of the GC cycle.", value(3))
	w.Gauge("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting.", value(4))
	w.Gauge("go_gc_gomemlimit_bytes", "The Go runtime memory limit (GOMEMLIMIT).", value(5))
	w.Gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.",
		float64(processStart.UnixNano())/1e9)
	if cpu, rss, ok := procStat(); ok {
		w.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", cpu)
		w.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", rss)
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		w.Gauge("process_open_fds", "Number of open file descriptors.", float64(len(fds)))
	}
}

// procStat reads the process's CPU time and resident memory from
// /proc/self/stat (Linux).
func procStat() (cpuSeconds, rssBytes float64, ok bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name, in parentheses, may contain spaces: fields are
	// counted after its closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 22 {
		return 0, 0, false
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	rss, _ := strconv.ParseFloat(f[21], 64)
	const ticks = 100 // USER_HZ on Linux
	return (utime + stime) / ticks, rss * float64(os.Getpagesize()), true
}
