// Package workload generates the key traces and runs the five workloads of
// the suite (throughput, hit ratio, memory, TTL-heavy, allocations) against
// one adapter.Cache. Each function here runs in the child process of one
// unit; the driver in cmd/cachebench decides which.
package workload

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
)

// KeySpace is the number of distinct keys of the Zipf distribution.
const KeySpace = 1_000_000

// ZipfS is the Zipf exponent of every trace.
const ZipfS = 1.01

// scramble is a bijection on uint64 (the splitmix64 finaliser: xor-shifts and
// multiplications by odd constants are invertible), so that popular ranks
// are not small, adjacent integers while distinct ranks stay distinct keys.
func scramble(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// IntKey returns the int64 key of a rank.
func IntKey(rank uint64) int64 {
	return int64(scramble(rank))
}

// StringKeyLen is the length of every string key.
const StringKeyLen = 16

// StringKey returns the 16-byte string key of a rank (the scrambled rank in
// zero-padded hexadecimal), freshly allocated.
func StringKey(rank uint64) string {
	var b [StringKeyLen]byte
	appendHexKey(b[:0], rank)
	return string(b[:])
}

// appendHexKey appends the 16 hexadecimal digits of scramble(rank).
func appendHexKey(dst []byte, rank uint64) []byte {
	const digits = "0123456789abcdef"
	x := scramble(rank)
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[(x>>uint(shift))&0xf])
	}
	return dst
}

// StringKeys returns the string keys of ranks [0, n) as substrings of one
// shared allocation, so that building a trace costs two allocations rather
// than n.
func StringKeys(n int) []string {
	buf := make([]byte, 0, n*StringKeyLen)
	for r := range n {
		buf = appendHexKey(buf, uint64(r))
	}
	all := string(buf)
	keys := make([]string, n)
	for r := range keys {
		keys[r] = all[r*StringKeyLen : (r+1)*StringKeyLen]
	}
	return keys
}

// ZipfRanks returns n ranks drawn from a Zipf distribution with exponent s
// over [0, imax], from a fixed seed so that every process sees the same trace.
func ZipfRanks(seed uint64, n int, s float64, imax uint64) []uint32 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	z := rand.NewZipf(r, s, 1, imax)
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(z.Uint64())
	}
	return out
}

// CachedZipfRanks is ZipfRanks(seed, n, ZipfS, KeySpace-1), kept in a file
// under dir so that the many child processes of a suite generate each trace
// once. A missing or unreadable file is regenerated; dir "" disables the
// cache.
func CachedZipfRanks(dir string, seed uint64, n int) []uint32 {
	if dir == "" {
		return ZipfRanks(seed, n, ZipfS, KeySpace-1)
	}
	name := filepath.Join(dir, fmt.Sprintf("zipf-%s-%d-%d-%g-%d.bin", runtime.Version(), seed, n, ZipfS, KeySpace))
	if b, err := os.ReadFile(name); err == nil && len(b) == 4*n {
		out := make([]uint32, n)
		for i := range out {
			out[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
		return out
	}
	ranks := ZipfRanks(seed, n, ZipfS, KeySpace-1)
	b := make([]byte, 4*n)
	for i, r := range ranks {
		binary.LittleEndian.PutUint32(b[4*i:], r)
	}
	// Write then rename, so that a reader never sees half a file.
	if f, err := os.CreateTemp(dir, "zipf-*.tmp"); err == nil {
		_, werr := f.Write(b)
		cerr := f.Close()
		if werr != nil || cerr != nil || os.Rename(f.Name(), name) != nil {
			os.Remove(f.Name())
		}
	}
	return ranks
}

// WithScans returns a copy of ranks where, after every `every` ranks, a scan
// of scanLen one-off ranks (never seen before or again, all ≥ KeySpace) is
// inserted: the polluted trace of the hit-ratio workload.
func WithScans(ranks []uint32, every, scanLen int) []uint32 {
	out := make([]uint32, 0, len(ranks)+len(ranks)/every*scanLen)
	next := uint32(KeySpace)
	for i, r := range ranks {
		out = append(out, r)
		if (i+1)%every == 0 {
			for range scanLen {
				out = append(out, next)
				next++
			}
		}
	}
	return out
}

// IntValues returns n int64 values to store.
func IntValues(n int) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(i)
	}
	return v
}

// ByteValueLen is the size of every []byte value.
const ByteValueLen = 64

// ByteValues returns n distinct 64-byte values to store.
func ByteValues(n int) [][]byte {
	v := make([][]byte, n)
	for i := range v {
		b := make([]byte, ByteValueLen)
		for j := range b {
			b[j] = byte(i + j)
		}
		v[i] = b
	}
	return v
}
