//go:build amd64 && !race

package minicache

// optimisticReads says whether W-TinyLFU and Clock caches try Gets without
// the lock (see optimistic.go): on amd64, without the race detector.
const optimisticReads = true
