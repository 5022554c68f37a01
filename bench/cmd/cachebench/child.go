package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/minicache/minicache/bench/internal/workload"
)

// runChild measures one unit and prints its outcomes as one JSON array.
func runChild(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("child", flag.ContinueOnError)
	spec := fs.String("unit", "", "the unit to measure, as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var u workload.Unit
	if err := json.Unmarshal([]byte(*spec), &u); err != nil {
		return fmt.Errorf("child: bad -unit: %w", err)
	}
	out, err := workload.Run(u)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(out)
}
