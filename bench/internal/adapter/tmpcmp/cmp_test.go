package tmpcmp

import (
	"math/rand/v2"
	"testing"

	"github.com/minicache/minicache/bench/internal/adapter"
)

var keys = func() []int64 {
	z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.01, 1, 1<<20-1)
	k := make([]int64, 1<<21)
	for i := range k {
		k[i] = int64(z.Uint64())
	}
	return k
}()

func bench(b *testing.B, name string) {
	s, err := adapter.Lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	c := s.Int(adapter.Config[int64]{Capacity: 100_000})
	for i := range 1 << 20 {
		c.Set(keys[i], int64(i))
	}
	i := 0
	for b.Loop() {
		c.Set(keys[i&(1<<21-1)], int64(i))
		i++
	}
}

func BenchmarkSet(b *testing.B) {
	for _, n := range []string{"minicache", "phuslu-lru", "go-freelru"} {
		b.Run(n, func(b *testing.B) { bench(b, n) })
	}
}
