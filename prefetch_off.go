//go:build !amd64 || race

package minicache

// prefetching says whether Prefetch does its work: on amd64, without the
// race detector, which would rightly report its reads (see prefetch).
const prefetching = false

func prefetchMany([]uintptr) {}
