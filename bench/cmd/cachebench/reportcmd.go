package main

import (
	"flag"
	"io"
	"path/filepath"

	"github.com/minicache/minicache/bench/internal/report"
)

// runReport regenerates results.md and the charts from a results.jsonl.
func runReport(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	out := fs.String("out", "results", "directory for results.md and charts")
	in := fs.String("in", "", "results file (default OUT/results.jsonl)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		*in = filepath.Join(*out, "results.jsonl")
	}
	return report.Generate(*in, *out, stderr)
}
