package respserver_test

import (
	"testing"

	"github.com/minicache/minicache"
)

// BenchmarkPipeline measures commands through a loopback connection,
// pipelined 16 deep as redis-benchmark -P 16 sends them. Allocations are
// the server's and the test client's together; the client allocates one
// object per reply line and two per bulk string, the server one per key or
// value it converts to a string (and INCR one for the new number).
func BenchmarkPipeline(b *testing.B) {
	for _, bc := range []struct {
		name string
		cmd  []string
	}{
		{"GET", []string{"GET", "key:000000000042"}},
		{"SET", []string{"SET", "key:000000000042", "xxx"}},
		{"INCR", []string{"INCR", "counter"}},
		{"MSET", []string{"MSET", "k1", "xxx", "k2", "xxx", "k3", "xxx", "k4", "xxx", "k5", "xxx", "k6", "xxx", "k7", "xxx", "k8", "xxx", "k9", "xxx", "k10", "xxx"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			addr, cache := startServer(b, []minicache.Option{minicache.WithCapacity(1000)})
			cache.Set("key:000000000042", "xxx")
			c := dial(b, addr)
			var batch []byte
			for range 16 {
				batch = append(batch, encode(bc.cmd...)...)
			}
			b.ReportAllocs()
			for b.Loop() {
				c.send(batch)
				for range 16 {
					if _, err := readReply(c.br); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(16*b.N), "ns/cmd")
		})
	}
}
