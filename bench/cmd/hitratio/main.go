// Command hitratio replays the hit-ratio traces (Zipf, Zipf+scan, and the
// real traces of ../shared/traces when present) on the caches named by
// -caches, single-threaded and cache-aside, and prints a table of hit
// ratios per trace and cache size, with the best peer of each cell and,
// for reference, Belady's optimum (MIN: what a policy that knew the future
// would hit; a cell above it comes from a cache holding more than its
// capacity, which -residency shows).
//
//	go run ./cmd/hitratio                       # every trace, default caches
//	go run ./cmd/hitratio -traces oltp,loop     # some of them
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/minicache/minicache/bench/internal/adapter"
	"github.com/minicache/minicache/bench/internal/traces"
	"github.com/minicache/minicache/bench/internal/workload"
)

func main() {
	cachesFlag := flag.String("caches", "minicache,minicache-wtinylfu,otter,ristretto", "caches to replay on")
	tracesFlag := flag.String("traces", "zipf,zipf+scan,oltp,p3,loop", "traces to replay")
	zipfLen := flag.Int("zipf-len", 2_000_000, "Zipf requests of the synthetic traces")
	residency := flag.Bool("residency", false, "sample each cache's Len every 1013 requests and show its largest when above the capacity")
	flag.Parse()
	var specs []adapter.Spec
	for _, name := range strings.Split(*cachesFlag, ",") {
		s, err := adapter.Lookup(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		specs = append(specs, s)
	}
	want := strings.Split(*tracesFlag, ",")
	type cell struct {
		trace string
		size  int
		keys  []int64
	}
	var cells []cell
	for _, kind := range []string{"zipf", "zipf+scan"} {
		if !slices.Contains(want, kind) {
			continue
		}
		keys, _, err := workload.HitRatioTrace("", kind, *zipfLen)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, size := range []int{1000, 10_000, 100_000} {
			cells = append(cells, cell{kind, size, keys})
		}
	}
	dir, ok := traces.Dir()
	for _, t := range traces.All {
		if !slices.Contains(want, t.Name) {
			continue
		}
		if !ok {
			fmt.Fprintf(os.Stderr, "skipping %s: no traces folder (../shared/traces or $MINICACHE_TRACES)\n", t.Name)
			continue
		}
		raw, err := traces.Read(dir, t.File)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		keys := make([]int64, len(raw))
		for i, k := range raw {
			keys[i] = int64(k)
		}
		for _, size := range t.Sizes {
			cells = append(cells, cell{t.Name, size, keys})
		}
	}

	fmt.Printf("| trace | size |")
	for _, s := range specs {
		fmt.Printf(" %s |", s.Name)
	}
	fmt.Printf(" best but minicache-wtinylfu | optimum (MIN) |\n|---|---:|%s---|---:|\n", strings.Repeat("---:|", len(specs)))
	for _, c := range cells {
		fmt.Printf("| %s | %d |", c.trace, c.size)
		best, bestName := -1.0, ""
		for _, s := range specs {
			cache := s.Int(adapter.Config[int64]{Capacity: c.size})
			var hits, largest int
			if *residency {
				hits, largest = replaySampled(cache, c.keys)
			} else {
				hits = workload.HitRatio(cache, c.keys)
			}
			ratio := float64(hits) / float64(len(c.keys))
			cache.Close()
			if largest > c.size {
				fmt.Printf(" %.2f (holds up to %d) |", 100*ratio, largest)
			} else {
				fmt.Printf(" %.2f |", 100*ratio)
			}
			// The bar: the best of the peers and of exact LRU (minicache's
			// default policy), that is everything but W-TinyLFU itself.
			if s.Name != "minicache-wtinylfu" && ratio > best {
				best, bestName = ratio, s.Name
			}
		}
		bar := "–" // no cache but W-TinyLFU was asked for
		if bestName != "" {
			bar = fmt.Sprintf("%.2f %s", 100*best, bestName)
		}
		fmt.Printf(" %s | %.2f |\n", bar, 100*float64(workload.Belady(c.keys, c.size))/float64(len(c.keys)))
	}
}

// replaySampled is workload.HitRatio that also samples the cache's Len and
// returns the largest it saw: caches that apply writes asynchronously can
// hold more than their capacity for a while.
func replaySampled(c adapter.Cache[int64, int64], keys []int64) (hits, largest int) {
	for i, k := range keys {
		if _, ok := c.Get(k); ok {
			hits++
		} else {
			c.Set(k, k)
		}
		if i%1013 == 0 {
			largest = max(largest, c.Len())
		}
	}
	return hits, largest
}
