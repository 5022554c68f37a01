// Package traces reads the real cache traces of ../shared/traces (ARC's
// OLTP and P3, LIRS's loop) for hit-ratio work. Tests and benchmarks that
// use them skip when the folder is absent, as it is in a user's clone.
package traces

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Trace is one trace file and the cache sizes it is measured at.
type Trace struct {
	Name  string // short name, as in tables
	File  string // file name inside the traces folder
	Sizes []int  // cache sizes, in entries
}

// All lists the traces and the sizes of the hit-ratio cells.
var All = []Trace{
	{"oltp", "OLTP.lis.zst", []int{1000, 5000, 20000}},
	{"p3", "P3.lis.zst", []int{10_000, 50_000, 200_000}},
	{"loop", "loop.gz", []int{256, 512}},
}

// Dir returns the traces folder: $MINICACHE_TRACES, else ../shared/traces
// from the repository root (found by walking up from the working directory
// to the folder holding go.mod of the library), and whether it exists.
func Dir() (string, bool) {
	if d := os.Getenv("MINICACHE_TRACES"); d != "" {
		_, err := os.Stat(d)
		return d, err == nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/minicache/minicache\n") {
			t := filepath.Join(d, "..", "shared", "traces")
			_, err := os.Stat(t)
			return t, err == nil
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Read returns the keys of trace file name in dir, in request order.
func Read(dir, name string) ([]uint64, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader
	arc := false
	switch {
	case strings.HasSuffix(name, ".zst"):
		d, err := zstd.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		r, arc = d, true
	case strings.HasSuffix(name, ".gz"):
		g, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer g.Close()
		r = g
	default:
		r = f
	}
	var keys []uint64
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		start, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if !arc {
			keys = append(keys, start)
			continue
		}
		// ARC: start count ignored request-number stands for count
		// requests of start, start+1, ...
		if len(fields) < 2 {
			return nil, fmt.Errorf("%s:%d: want start and count", name, line)
		}
		count, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		for i := range count {
			keys = append(keys, start+i)
		}
	}
	return keys, sc.Err()
}
