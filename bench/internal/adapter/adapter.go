// Package adapter puts every cache under test behind one small interface, one
// file per cache, so that the workloads never know whose code they drive.
//
// Each adapter configures its cache the way that cache's own documentation
// recommends for a bounded in-memory cache; the Spec.Config field says how, and
// bench/README.md repeats it.
package adapter

import (
	"fmt"
	"slices"
	"time"
)

// Cache is what the workloads call. Implementations must be safe for
// concurrent use.
type Cache[K comparable, V any] interface {
	// Get returns the value for key and whether it was found.
	Get(key K) (V, bool)
	// Set stores value for key without a TTL (or with the cache-wide TTL of
	// Config.TTL, for caches that only have that).
	Set(key K, value V)
	// SetWithTTL stores value for key, expiring after ttl. The workloads call
	// it only when Features.PerEntryTTL is set, or with ttl == Config.TTL when
	// Features.FixedTTL is set.
	SetWithTTL(key K, value V, ttl time.Duration)
	// Len returns the number of entries, or -1 when the cache cannot tell.
	Len() int
	// Close releases background goroutines where the cache allows it.
	Close()
}

// Settler is implemented by caches that apply writes asynchronously or keep
// deferred maintenance; Settle waits until earlier writes are visible.
type Settler interface {
	Settle()
}

// Settle calls c.Settle when c is a Settler.
func Settle(c any) {
	if s, ok := c.(Settler); ok {
		s.Settle()
	}
}

// Config is what a workload asks of a cache.
type Config[K comparable] struct {
	// Capacity is the maximum number of entries; every adapter of a bounded
	// cache honours it exactly as its library allows.
	Capacity int
	// TTL, when non-zero, is the fixed TTL that every Set carries; with
	// TTLOf it is the typical TTL, for caches that want a default TTL and a
	// cleanup interval at construction.
	TTL time.Duration
	// TTLOf, when non-nil, gives each key its own TTL (the varied-TTL
	// workload). The workload passes TTLOf(key) to SetWithTTL; caches that
	// take per-entry TTLs through a calculator call TTLOf themselves.
	TTLOf func(K) time.Duration
}

// Features says which workloads a cache can run honestly.
type Features struct {
	// Bounded: the cache enforces a maximum number of entries.
	Bounded bool
	// FixedTTL: every entry can expire after one TTL chosen at construction.
	FixedTTL bool
	// PerEntryTTL: each Set can carry its own TTL.
	PerEntryTTL bool
	// IntKeys: the cache accepts int64 keys natively (go-cache takes only
	// strings).
	IntKeys bool
	// ReadOnly: not a cache but a ceiling to compare with, safe only for
	// concurrent reads after a single-goroutine fill: it runs the 100/0
	// throughput mix and the memory workload only.
	ReadOnly bool
}

// Spec describes one cache under test.
type Spec struct {
	// Name is the short name used in flags, JSON and tables.
	Name string
	// Module is the Go module and version measured.
	Module string
	// Config says how the cache is configured and why, for the README.
	Config string
	// Features lists what the cache supports.
	Features Features
	// Int builds an int64→int64 cache; nil when IntKeys is false.
	Int func(Config[int64]) Cache[int64, int64]
	// Str builds a string→[]byte cache.
	Str func(Config[string]) Cache[string, []byte]
}

var registry []Spec

// register adds a spec; called from each adapter file's init.
func register(s Spec) {
	registry = append(registry, s)
}

// order is the column order in tables and charts: minicache, the reference,
// then the peers. Unknown names sort last, alphabetically.
var order = []string{"minicache", "minicache-wtinylfu", "minicache-clock", "otter", "ristretto", "phuslu-lru", "go-freelru", "map-ceiling", "golang-lru", "golang-lru-expirable", "ttlcache", "go-cache", "lru-reference"}

// All returns every registered cache in display order.
func All() []Spec {
	out := slices.Clone(registry)
	rank := func(n string) int {
		if i := slices.Index(order, n); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(out, func(a, b Spec) int {
		if ra, rb := rank(a.Name), rank(b.Name); ra != rb {
			return ra - rb
		}
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out
}

// Lookup returns the spec called name.
func Lookup(name string) (Spec, error) {
	for _, s := range registry {
		if s.Name == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("adapter: unknown cache %q", name)
}

// Unavailable names the peers the issue asks for that this machine cannot
// fetch, with the reason; the report lists them so that nobody reads their
// absence as a win. Every peer is available now.
var Unavailable []struct{ Name, Reason string }
