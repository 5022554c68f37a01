// Package report turns results.jsonl into results.md and charts (SVG and PNG,
// drawn with gonum.org/v1/plot).
package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/minicache/minicache/bench/internal/result"
)

// Generate reads the records at in and writes results.md and the charts into
// out.
func Generate(in, out string, log io.Writer) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	recs, err := result.Read(f)
	f.Close()
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errors.New("report: no records in " + in)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	d := newDoc(recs)
	if err := d.drawCharts(out); err != nil {
		return fmt.Errorf("report: charts: %w", err)
	}
	var md bytes.Buffer
	d.write(&md)
	path := filepath.Join(out, "results.md")
	if err := os.WriteFile(path, md.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s and charts in %s\n", path, out)
	return nil
}
