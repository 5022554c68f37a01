package metrics

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHistogramVec(t *testing.T) {
	v := NewHistogramVec("req_seconds", "Request time.", []float64{0.1, 1}, "route")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				v.With("/a").Observe(0.0625)
				v.With("/b").Observe(5)
			}
		})
	}
	wg.Wait()
	v.With("/a").Observe(0.5)
	var b strings.Builder
	w := NewWriter(&b)
	v.Write(w)
	assert.NoError(t, w.Flush())
	assert.Equal(t, `# HELP req_seconds Request time.
# TYPE req_seconds histogram
req_seconds_bucket{route="/a",le="0.1"} 400
req_seconds_bucket{route="/a",le="1"} 401
req_seconds_bucket{route="/a",le="+Inf"} 401
req_seconds_sum{route="/a"} 25.5
req_seconds_count{route="/a"} 401
req_seconds_bucket{route="/b",le="0.1"} 0
req_seconds_bucket{route="/b",le="1"} 0
req_seconds_bucket{route="/b",le="+Inf"} 400
req_seconds_sum{route="/b"} 2000
req_seconds_count{route="/b"} 400
`, b.String())
}

func TestEscaping(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	w.Family("x", "gauge", "a \\ b\nc")
	w.Sample("x", 1.5, Label{"l", "q\"\\\n"})
	assert.NoError(t, w.Flush())
	assert.Equal(t, "# HELP x a \\\\ b\\nc\n# TYPE x gauge\nx{l=\"q\\\"\\\\\\n\"} 1.5\n", b.String())
}

func TestObserveAllocatesNothing(t *testing.T) {
	v := NewHistogramVec("h", "", LatencyBuckets, "route", "code")
	v.With("/get", "200").Observe(0.001)
	allocs := testing.AllocsPerRun(100, func() { v.With("/get", "200").Observe(0.001) })
	assert.LessOrEqual(t, allocs, 1.0)
}
