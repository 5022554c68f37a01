//go:build amd64 && !race

package minicache

// prefetching says whether Prefetch does its work: on amd64, without the
// race detector, which would rightly report its reads (see prefetch).
const prefetching = true

// prefetchMany issues a prefetch of each address into all levels of the
// CPU's caches (PREFETCHT0), which never faults. In prefetch_amd64.s.
//
//go:noescape
func prefetchMany(addrs []uintptr)
