// Command snapbench times a snapshot of N entries (16-byte keys, 32-byte
// values) saved to a file and loaded back, as cmd/minicache does it (through
// internal/persist: buffered write, fsync, rename, fsync of the directory),
// and prints one line per step for bench/snapshot.sh, which runs it beside
// redis-server's SAVE and RDB load of the same data.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/persist"
)

func main() {
	n := flag.Int("n", 1_000_000, "entries")
	dir := flag.String("dir", os.TempDir(), "directory of the snapshot file")
	flag.Parse()
	c := minicache.New[string, string]()
	for i := range *n {
		c.Set(fmt.Sprintf("key:%012d", i), fmt.Sprintf("value:%026d", i))
	}
	path := filepath.Join(*dir, "snapbench.snap")
	s, err := persist.New(path, c, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtime.GC()
	if err := s.Save(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := s.Last()
	fmt.Printf("minicache save: %d entries, %d bytes, %.3f s\n", r.Entries, r.Bytes, r.Duration.Seconds())

	d := minicache.New[string, string]()
	l, _ := persist.New(path, d, slog.New(slog.DiscardHandler))
	runtime.GC()
	start := time.Now()
	loaded, err := l.Load()
	took := time.Since(start)
	if err != nil || loaded != *n {
		fmt.Fprintln(os.Stderr, "load:", loaded, err)
		os.Exit(1)
	}
	fmt.Printf("minicache load: %d entries, %.3f s\n", loaded, took.Seconds())
	os.Remove(path)
}
