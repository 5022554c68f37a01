// Command cachebench runs the comparative benchmark suite of minicache and
// writes its results, tables and charts.
//
//	cachebench [-quick] [-out results] [-repeats n] [-workloads list] [-caches list]
//	cachebench report [-in results/results.jsonl] [-out results]
//
// Every (workload, cache, cell) unit runs in a fresh child process: the
// driver re-executes its own binary as `cachebench child -unit JSON`, so that
// no cache inherits another's heap, goroutines or GC state.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cachebench:", err)
		os.Exit(1)
	}
}

// run dispatches on the first argument: "child", "report", or the suite.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "child":
			return runChild(args[1:], stdout)
		case "report":
			return runReport(args[1:], stderr)
		case "run":
			args = args[1:]
		}
	}
	return runSuite(ctx, args, stderr)
}
