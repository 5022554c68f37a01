package minicache

import (
	"hash/maphash"
	"math/rand/v2"
	"reflect"
	"unsafe"
)

// newHasher returns a seeded hash function for keys of type K. One hash
// picks the shard (its low half) and the bucket and tag inside the shard (its
// high half), so each operation hashes its key once.
//
// Strings go to maphash.String and integers of every size through a
// multiply-xorshift mixer; both are much cheaper than the general
// maphash.Comparable, which every other key type uses.
//
// Callers pass the key through [hide]: a key passed to a function value
// escapes, and then every Get of a string made from a []byte
// (c.Get(string(b))) would allocate the string. Hiding it is sound: no hash
// function keeps its key, and each operation hashes its key once. For keys
// that hold pointers, maphash.Comparable hashes the pointers themselves and
// makes them escape on purpose, since a stack that moves would change a
// pointer's hash between calls; here a key left on the stack is hashed
// once, and it can equal no stored key, because every method that stores a
// key makes it escape.
func newHasher[K comparable]() func(K) uint64 {
	t := reflect.TypeFor[K]()
	switch t.Kind() {
	case reflect.String:
		seed := maphash.MakeSeed()
		return func(k K) uint64 {
			return maphash.String(seed, *(*string)(unsafe.Pointer(&k)))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		seed := rand.Uint64()
		switch t.Size() {
		case 8:
			return func(k K) uint64 { return mix(*(*uint64)(unsafe.Pointer(&k)) ^ seed) }
		case 4:
			return func(k K) uint64 { return mix(uint64(*(*uint32)(unsafe.Pointer(&k))) ^ seed) }
		case 2:
			return func(k K) uint64 { return mix(uint64(*(*uint16)(unsafe.Pointer(&k))) ^ seed) }
		case 1:
			return func(k K) uint64 { return mix(uint64(*(*uint8)(unsafe.Pointer(&k))) ^ seed) }
		}
	}
	seed := maphash.MakeSeed()
	return func(k K) uint64 { return maphash.Comparable(seed, k) }
}

// hashIsCheap reports whether hashing a stored key of type K again costs
// about nothing: an integer's hash is a few instructions on bytes held in
// its entry. A string's hash reads its bytes, a trip to memory for the
// entry of a key not used lately, such as an eviction's victim, so shards
// keep the tags of those keys instead (see shard.tagOf).
func hashIsCheap[K comparable]() bool {
	switch reflect.TypeFor[K]().Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// dataFirst reports whether a T's first word points to its data, as a
// string's and a slice's do (see prefetch).
func dataFirst[T any]() bool {
	k := reflect.TypeFor[T]().Kind()
	return k == reflect.String || k == reflect.Slice
}

// mix is a bijective 64-bit finalizer (the one of MurmurHash3): every input
// bit affects every output bit, so sequential integer keys spread evenly
// over shards and buckets.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hide returns p so that escape analysis does not follow it, as the
// runtime's noescape does: passing *hide(&k) to a function value leaves k
// where it is. The round trip through uintptr is outside unsafe.Pointer's
// rules, as noescape's is, and safe for the same reason: the result is
// used at once, while p's referent is live, and checkptr accepts it.
func hide[T any](p *T) *T {
	return (*T)(unsafe.Add(unsafe.Pointer(nil), uintptr(unsafe.Pointer(p))))
}
