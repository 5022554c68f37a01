package workload

import (
	"fmt"
	"runtime"

	"github.com/minicache/minicache/bench/internal/adapter"
)

// heap returns live heap bytes and objects after two full collections.
func heap() (bytes, objects uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.HeapObjects
}

// runMemory builds the cache inside the measurement, inserts u.Inserts
// distinct keys (u.Capacity for an unbounded cache), and divides the live
// heap growth by the entries still resident. Keys and values are allocated
// one by one so that the cache owns them, as in an application.
func runMemory(u Unit, spec adapter.Spec) ([]Outcome, error) {
	inserts := u.Inserts
	note := ""
	if !spec.Features.Bounded {
		inserts = u.Capacity
		note = fmt.Sprintf("unbounded: %d keys inserted", inserts)
	}
	switch u.Keys {
	case "int":
		var c adapter.Cache[int64, int64]
		m := measureHeap(func() { c = spec.Int(adapter.Config[int64]{Capacity: u.Capacity}) },
			func() {
				for r := range uint64(inserts) {
					c.Set(IntKey(r), int64(r))
				}
				adapter.Settle(c)
			},
			func() (int, int) {
				resident := 0
				for r := range uint64(inserts) {
					if _, ok := c.Get(IntKey(r)); ok {
						resident++
					}
				}
				return c.Len(), resident
			})
		c.Close()
		m["payload_bytes_per_entry"] = 16
		return []Outcome{{Metrics: m, Note: note}}, nil
	case "string":
		var c adapter.Cache[string, []byte]
		m := measureHeap(func() { c = spec.Str(adapter.Config[string]{Capacity: u.Capacity}) },
			func() {
				for r := range uint64(inserts) {
					v := make([]byte, ByteValueLen)
					v[0] = byte(r)
					c.Set(StringKey(r), v)
				}
				adapter.Settle(c)
			},
			func() (int, int) {
				resident := 0
				for r := range uint64(inserts) {
					if _, ok := c.Get(StringKey(r)); ok {
						resident++
					}
				}
				return c.Len(), resident
			})
		c.Close()
		// 16-byte key data + 16-byte string header + 64-byte value data +
		// 24-byte slice header.
		m["payload_bytes_per_entry"] = 16 + 16 + 64 + 24
		return []Outcome{{Metrics: m, Note: note}}, nil
	}
	return nil, fmt.Errorf("workload: unknown key layout %q", u.Keys)
}

// measureHeap returns the heap growth caused by build and fill, per entry
// resident afterwards (count is only called after the measurement).
func measureHeap(build, fill func(), count func() (length, resident int)) map[string]float64 {
	b0, o0 := heap()
	build()
	fill()
	b1, o1 := heap()
	length, resident := count()
	m := map[string]float64{
		"heap_bytes": float64(int64(b1 - b0)),
		"resident":   float64(resident),
	}
	if length >= 0 {
		m["len"] = float64(length)
	}
	if resident > 0 {
		m["bytes_per_entry"] = float64(int64(b1-b0)) / float64(resident)
		m["objects_per_entry"] = float64(int64(o1-o0)) / float64(resident)
	}
	return m
}
