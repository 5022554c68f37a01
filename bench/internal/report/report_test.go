package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minicache/minicache/bench/internal/result"
)

func rec(workload, cache string, metric string, v float64, repeat int) result.Record {
	r := result.Record{Workload: workload, Cache: cache, Keys: "int", Repeat: repeat,
		Metrics: map[string]float64{metric: v}, Env: result.Env{GOMAXPROCS: 2}}
	if workload == result.Throughput {
		r.Mix, r.Goroutines, r.Capacity = "75/25", 2, 100_000
	}
	if workload == result.HitRatio {
		r.Trace, r.Capacity = "zipf", 1000
	}
	return r
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("%s: Median(%v) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestAggregateAndLosses(t *testing.T) {
	recs := []result.Record{
		rec(result.Throughput, "minicache", "ops_per_sec", 10e6, 0),
		rec(result.Throughput, "minicache", "ops_per_sec", 12e6, 1),
		rec(result.Throughput, "minicache", "ops_per_sec", 11e6, 2),
		rec(result.Throughput, "otter", "ops_per_sec", 20e6, 0),
		rec(result.Throughput, "lru-reference", "ops_per_sec", 50e6, 0), // not a peer
		rec(result.HitRatio, "minicache", "hit_ratio", 0.50, 0),
		rec(result.HitRatio, "otter", "hit_ratio", 0.40, 0),
		{Workload: result.HitRatio, Cache: "go-cache", Keys: "int", Trace: "zipf", Capacity: 1000, Unsupported: "string keys only"},
	}
	tab := Aggregate(recs)
	var cells []Cell
	for _, r := range recs {
		if c := cellOf(r); len(cells) == 0 || cells[len(cells)-1] != c {
			cells = append(cells, c)
		}
	}
	st := tab[cells[0]]["minicache"]
	if st.N != 3 || st.Median != 11e6 || st.Min != 10e6 || st.Max != 12e6 {
		t.Errorf("minicache stat = %+v", st)
	}
	if got := st.Spread(); got < 0.0909 || got > 0.0910 {
		t.Errorf("Spread() = %v, want 1e6/11e6", got)
	}
	if got := tab[cells[1]]["go-cache"].Unsupported; got != "string keys only" {
		t.Errorf("unsupported reason = %q", got)
	}
	losses := Losses(tab, cells[:2])
	if len(losses) != 1 {
		t.Fatalf("Losses = %+v, want one (throughput vs otter)", losses)
	}
	if l := losses[0]; l.BestPeer != "otter" || l.Gap != "−45.0%" {
		t.Errorf("loss = %+v, want otter, −45.0%%", l)
	}
}

func TestGenerateWritesMarkdownAndCharts(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "results.jsonl")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	w := result.NewWriter(f)
	for _, r := range []result.Record{
		rec(result.Throughput, "minicache", "ops_per_sec", 10e6, 0),
		rec(result.Throughput, "otter", "ops_per_sec", 20e6, 0),
		rec(result.HitRatio, "minicache", "hit_ratio", 0.5, 0),
		rec(result.HitRatio, "lru-reference", "hit_ratio", 0.49, 0),
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if err := Generate(in, dir, os.Stderr); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Throughput", "| 75/25 | 10 ×0.50 | 20 ×1.00 |", "+1.00 pp", "−50.0%"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q", want)
		}
	}
	for _, name := range []string{"throughput_int_g2.svg", "throughput_int_g2.png", "hitratio_zipf.svg"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}
