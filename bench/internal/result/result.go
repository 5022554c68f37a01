// Package result defines one measured (or unsupported) cell of the suite as a
// JSON Lines record, and the machine description stored with each record.
package result

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Workload names.
const (
	Throughput = "throughput"
	HitRatio   = "hitratio"
	Memory     = "memory"
	TTL        = "ttl"
	Allocs     = "allocs"
)

// Record is one line of results.jsonl: one cache in one cell of one workload
// in one repeat. Fields that do not apply to the workload are left empty.
type Record struct {
	Workload string `json:"workload"`
	Cache    string `json:"cache"`
	// Keys is the key/value layout: "int" (int64→int64) or "string"
	// (16-byte string → 64-byte []byte).
	Keys string `json:"keys,omitempty"`
	// Mix is the read/write split in percent, e.g. "75/25".
	Mix        string `json:"mix,omitempty"`
	Goroutines int    `json:"goroutines,omitempty"`
	Capacity   int    `json:"capacity,omitempty"`
	// Trace is the hit-ratio trace: "zipf" or "zipf+scan".
	Trace string `json:"trace,omitempty"`
	// TTLMode is "fixed" or "varied" in the TTL workload.
	TTLMode string `json:"ttl_mode,omitempty"`
	// Op is the operation of the allocation workload: "get-hit",
	// "set-existing" or "set-new-evicting".
	Op     string `json:"op,omitempty"`
	Repeat int    `json:"repeat"`
	// Unsupported, when non-empty, says why the cache cannot run this cell;
	// Metrics is then empty.
	Unsupported string `json:"unsupported,omitempty"`
	// Metrics holds the measured values, e.g. "ops_per_sec", "hit_ratio",
	// "bytes_per_entry", "allocs_per_op".
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Note carries a caveat shown in the report (e.g. "unbounded").
	Note string `json:"note,omitempty"`
	// ForeignCPU is the share of the machine's CPU (0–1) that processes
	// other than the measured child used while it ran: interference.
	ForeignCPU float64 `json:"foreign_cpu"`
	// Attempts is 2 when a first measurement was disturbed by other
	// processes and this record is the second; 0 or 1 otherwise.
	Attempts int `json:"attempts,omitempty"`
	Env      Env `json:"env"`
}

// Env describes where and how a record was measured.
type Env struct {
	GoVersion  string `json:"go"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPU        string `json:"cpu"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Kernel     string `json:"kernel,omitempty"`
	MemTotal   string `json:"mem_total,omitempty"`
	// Commit is the repository's HEAD, with "+dirty" when the tree differs.
	Commit string `json:"commit,omitempty"`
	// Scaffold is true when minicache was the temporary naive scaffold,
	// whose numbers mean nothing.
	Scaffold bool   `json:"minicache_scaffold,omitempty"`
	Quick    bool   `json:"quick,omitempty"`
	Started  string `json:"started"`
	Command  string `json:"command"`
}

// CollectEnv describes this process and machine. repoRoot locates the
// minicache checkout (for the commit and the scaffold check); it may be "".
func CollectEnv(repoRoot, command string, quick bool) Env {
	e := Env{
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPU:        cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Kernel:     strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		MemTotal:   memTotal(),
		Quick:      quick,
		Started:    time.Now().UTC().Format(time.RFC3339),
		Command:    command,
	}
	if repoRoot != "" {
		if out, err := exec.Command("git", "-C", repoRoot, "rev-parse", "--short=12", "HEAD").Output(); err == nil {
			e.Commit = strings.TrimSpace(string(out))
			if st, err := exec.Command("git", "-C", repoRoot, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
				e.Commit += "+dirty"
			}
		}
		if _, err := os.Stat(filepath.Join(repoRoot, "scaffold_tmp.go")); err == nil {
			e.Scaffold = true
		}
	}
	return e
}

func readFile(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	return string(b)
}

func cpuModel() string {
	for line := range strings.Lines(readFile("/proc/cpuinfo")) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	for line := range strings.Lines(readFile("/proc/meminfo")) {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Writer appends records to a JSON Lines stream.
type Writer struct {
	enc *json.Encoder
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{enc: json.NewEncoder(w)}
}

// Write appends one record.
func (w *Writer) Write(r Record) error {
	return w.enc.Encode(r)
}

// Read parses every record of a JSON Lines stream.
func Read(r io.Reader) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return nil, fmt.Errorf("result: line %d: %w", n, err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}
