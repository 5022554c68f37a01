package report

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/minicache/minicache/bench/internal/result"
)

// palette gives each cache the same colour in every chart; minicache is the
// strongest.
var palette = map[string]color.Color{
	"minicache":            color.RGBA{214, 39, 40, 255},
	"otter":                color.RGBA{31, 119, 180, 255},
	"ristretto":            color.RGBA{255, 127, 14, 255},
	"golang-lru":           color.RGBA{44, 160, 44, 255},
	"golang-lru-expirable": color.RGBA{152, 223, 138, 255},
	"ttlcache":             color.RGBA{148, 103, 189, 255},
	"go-cache":             color.RGBA{140, 86, 75, 255},
	"lru-reference":        color.RGBA{127, 127, 127, 255},
}

func colorOf(name string, i int) color.Color {
	if c, ok := palette[name]; ok {
		return c
	}
	g := uint8(60 + 30*i%160)
	return color.RGBA{g, g, 200, 255}
}

func throughputChart(keys string, g int) string { return fmt.Sprintf("throughput_%s_g%d", keys, g) }
func hitRatioChart(trace string) string         { return "hitratio_" + strings.ReplaceAll(trace, "+", "-") }

// series is one cache's values over a chart's categories (NaN = missing).
type series struct {
	name   string
	values []float64
}

// save writes p as base.svg and base.png in dir.
func save(p *plot.Plot, dir, base string, w, h vg.Length) error {
	for _, ext := range []string{".svg", ".png"} {
		if err := p.Save(w, h, filepath.Join(dir, base+ext)); err != nil {
			return err
		}
	}
	return nil
}

// groupedBars draws one group of bars per category, one bar per series.
// chartWidth is the width of the grouped-bar charts.
const chartWidth = 20 * vg.Centimeter

func groupedBars(title, ylabel string, categories []string, ss []series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	n := len(ss)
	// Each group gets an equal share of the plotting area (the chart less
	// about 3 cm of axis), split into n bars and a gap of three.
	group := (chartWidth - 3*vg.Centimeter) / vg.Length(max(1, len(categories)))
	width := group / vg.Length(float64(n)+3)
	for i, s := range ss {
		vals := make(plotter.Values, len(categories))
		for j, v := range s.values {
			if !math.IsNaN(v) {
				vals[j] = v
			}
		}
		b, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		b.Color = colorOf(s.name, i)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(i)-float64(n-1)/2) * width
		p.Add(b)
		p.Legend.Add(s.name, b)
	}
	// Leave headroom above the tallest bar for the legend.
	top := 0.0
	for _, s := range ss {
		for _, v := range s.values {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
	}
	p.Y.Max = top * (1.05 + 0.07*float64(n))
	p.Legend.Top = true
	p.Legend.Left = false
	p.NominalX(categories...)
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil // vertical lines would cut through the bars
	p.Add(grid)
	return p, nil
}

// charts draws every chart the records allow and returns their base names.
func (d *doc) drawCharts(dir string) error {
	if err := d.throughputCharts(dir); err != nil {
		return err
	}
	if err := d.ttlChart(dir); err != nil {
		return err
	}
	if err := d.hitRatioCharts(dir); err != nil {
		return err
	}
	return d.memoryChart(dir)
}

func (d *doc) median(c Cell, cache string) float64 {
	st := d.t[c][cache]
	if st == nil || !st.OK() {
		return math.NaN()
	}
	return st.Median
}

// measuredCaches returns the caches with at least one measurement in cells.
func (d *doc) measuredCaches(cells []Cell) []string {
	var out []string
	for _, name := range d.caches {
		for _, c := range cells {
			if !math.IsNaN(d.median(c, name)) {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

func (d *doc) throughputCharts(dir string) error {
	cells := d.cellsOf(result.Throughput)
	for _, keys := range []string{"int", "string"} {
		for _, g := range goroutineCounts(cells) {
			var sub []Cell
			var mixes []string
			for _, c := range cells {
				if c.Keys == keys && c.Goroutines == g {
					sub = append(sub, c)
					mixes = append(mixes, c.Mix)
				}
			}
			if len(sub) == 0 {
				continue
			}
			var ss []series
			for _, name := range d.measuredCaches(sub) {
				s := series{name: name}
				for _, c := range sub {
					s.values = append(s.values, d.median(c, name)/1e6)
				}
				ss = append(ss, s)
			}
			p, err := groupedBars(fmt.Sprintf("Throughput, %s, %d goroutines", layoutName(keys), g),
				"M ops/s (median)", mixes, ss)
			if err != nil {
				return err
			}
			p.X.Label.Text = "reads/writes"
			if err := save(p, dir, throughputChart(keys, g), chartWidth, 11*vg.Centimeter); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *doc) ttlChart(dir string) error {
	cells := d.cellsOf(result.TTL)
	if len(cells) == 0 {
		return nil
	}
	var cats []string
	for _, c := range cells {
		cats = append(cats, c.Keys+", "+c.TTLMode)
	}
	var ss []series
	for _, name := range d.measuredCaches(cells) {
		s := series{name: name}
		for _, c := range cells {
			s.values = append(s.values, d.median(c, name)/1e6)
		}
		ss = append(ss, s)
	}
	p, err := groupedBars(fmt.Sprintf("TTL-heavy throughput (%s, %d goroutines, every Set with a TTL)",
		cells[0].Mix, cells[0].Goroutines), "M ops/s (median)", cats, ss)
	if err != nil {
		return err
	}
	p.X.Label.Text = "keys, TTL"
	return save(p, dir, "ttl", chartWidth, 11*vg.Centimeter)
}

func (d *doc) hitRatioCharts(dir string) error {
	cells := d.cellsOf(result.HitRatio)
	for _, tr := range hitTraces(cells) {
		var sub []Cell
		for _, c := range cells {
			if c.Trace == tr {
				sub = append(sub, c)
			}
		}
		if len(sub) == 0 {
			continue
		}
		p := plot.New()
		p.Title.Text = "Hit ratio, " + traceTitle(tr)
		p.X.Label.Text = "capacity (entries, log scale)"
		p.Y.Label.Text = "hit ratio (%)"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.ConstantTicks(capacityTicks(sub))
		p.Add(plotter.NewGrid())
		for i, name := range d.measuredCaches(sub) {
			var xys plotter.XYs
			for _, c := range sub {
				if v := d.median(c, name); !math.IsNaN(v) {
					xys = append(xys, plotter.XY{X: float64(c.Capacity), Y: 100 * v})
				}
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return err
			}
			col := colorOf(name, i)
			l.Color = col
			l.Width = vg.Points(1.5)
			if name == Reference {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			pts.Color = col
			pts.Shape = draw.CircleGlyph{}
			p.Add(l, pts)
			p.Legend.Add(name, l, pts)
		}
		p.Legend.Top = true
		p.Legend.Left = true
		if err := save(p, dir, hitRatioChart(tr), 16*vg.Centimeter, 11*vg.Centimeter); err != nil {
			return err
		}
	}
	return nil
}

func capacityTicks(cells []Cell) []plot.Tick {
	var ts []plot.Tick
	for _, c := range cells {
		ts = append(ts, plot.Tick{Value: float64(c.Capacity), Label: human(float64(c.Capacity))})
	}
	return ts
}

func (d *doc) memoryChart(dir string) error {
	cells := d.cellsOf(result.Memory)
	if len(cells) == 0 {
		return nil
	}
	var cats []string
	for _, c := range cells {
		cats = append(cats, shortLayout(c.Keys))
	}
	var ss []series
	for _, name := range d.measuredCaches(cells) {
		s := series{name: name}
		for _, c := range cells {
			s.values = append(s.values, d.median(c, name))
		}
		ss = append(ss, s)
	}
	p, err := groupedBars(fmt.Sprintf("Heap bytes per entry at capacity %s (lower is better)", human(float64(cells[0].Capacity))),
		"bytes per resident entry", cats, ss)
	if err != nil {
		return err
	}
	return save(p, dir, "memory", chartWidth, 11*vg.Centimeter)
}

func shortLayout(keys string) string {
	if keys == "int" {
		return "int64 → int64"
	}
	return "string → []byte"
}

// hitTraces returns the traces of the hit-ratio cells, in order of first
// appearance.
func hitTraces(cells []Cell) []string {
	var out []string
	for _, c := range cells {
		if !slices.Contains(out, c.Trace) {
			out = append(out, c.Trace)
		}
	}
	return out
}

// traceTitle describes a trace for a chart's title.
func traceTitle(tr string) string {
	switch tr {
	case "zipf", "zipf+scan":
		return tr + " trace (Zipf s=1.01, 1M keys)"
	case "oltp":
		return "ARC OLTP trace (914k requests, 187k keys)"
	case "p3":
		return "ARC P3 trace (3.9M requests, 763k keys)"
	case "loop":
		return "LIRS loop trace (505k requests, a loop of 1011 keys)"
	}
	return tr + " trace"
}
