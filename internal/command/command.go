// Package command holds the rules that every network front end of minicache
// shares: which keys and values are accepted, how a time to live given as a
// count of seconds (or milliseconds) becomes a [time.Duration], what a Set
// that the cache refuses means, and what the counters of a stats answer are.
//
// A front end (the REST handler in httpserver, the Redis-protocol server in
// respserver) parses its own wire format, calls [Commands], and maps the
// errors it gets back to its own protocol in one place, testing them with
// [errors.Is] against the sentinels below or with [errors.As] against
// [*LimitError] for the bound that was broken.
//
// Keys and values are Go strings and are never altered: a front end that
// cannot represent a byte sequence (REST cannot carry invalid UTF-8 in a JSON
// string) refuses it itself rather than converting it.
package command

import (
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/minicache/minicache"
)

// The sentinels that every error of this package wraps. A front end branches
// on them with [errors.Is] to choose its protocol's answer.
var (
	// ErrEmptyKey: the key is the empty string.
	ErrEmptyKey = errors.New("key is empty")
	// ErrKeyTooLong: the key has more code points than [Limits.MaxKeyLen].
	ErrKeyTooLong = errors.New("key is too long")
	// ErrValueTooLong: the value has more bytes than [Limits.MaxValueBytes].
	ErrValueTooLong = errors.New("value is too long")
	// ErrTTLOutOfRange: a time to live is not positive or does not fit in
	// a time.Duration.
	ErrTTLOutOfRange = errors.New("ttl is out of range")
	// ErrTooHeavy: the cache refused an entry because it alone weighs more
	// than the cache's whole weight bound ([minicache.WithMaxWeight]). The
	// key's previous value, if any, is gone.
	ErrTooHeavy = errors.New("entry is heavier than the cache's weight bound")
)

// LimitError is an input outside a bound. Err is the sentinel that says which
// rule was broken ([ErrEmptyKey], [ErrKeyTooLong], [ErrValueTooLong],
// [ErrTTLOutOfRange] or [ErrTooHeavy]) and Limit the bound: characters for a
// key, bytes for a value, the largest count of the unit for a TTL, the
// weight bound for an entry, 0 for an empty key.
type LimitError struct {
	Err   error
	Limit uint64
	// Unit names the TTL unit ("seconds", "milliseconds") for
	// ErrTTLOutOfRange, and is empty otherwise.
	Unit string
}

// Error returns a message without a protocol's quoting, such as "key is
// longer than 256 characters".
func (e *LimitError) Error() string {
	switch e.Err {
	case ErrEmptyKey:
		return "key must not be empty"
	case ErrKeyTooLong:
		return fmt.Sprintf("key is longer than %d characters", e.Limit)
	case ErrValueTooLong:
		return fmt.Sprintf("value is longer than %d bytes", e.Limit)
	case ErrTTLOutOfRange:
		return fmt.Sprintf("ttl must be a whole number of %s from 1 to %d", e.Unit, e.Limit)
	case ErrTooHeavy:
		return fmt.Sprintf("key and value together are heavier than the cache's whole weight bound of %d; the key's old value, if any, was removed", e.Limit)
	}
	return e.Err.Error()
}

// Unwrap returns Err, so that errors.Is(err, ErrKeyTooLong) and the like
// work.
func (e *LimitError) Unwrap() error { return e.Err }

// Limits bounds the keys and values a front end accepts. The zero value
// accepts everything but the empty key.
type Limits struct {
	// MaxKeyLen is the longest key, in code points as
	// [utf8.RuneCountInString] counts them (each byte of invalid UTF-8
	// counts as one); 0 means unbounded.
	MaxKeyLen int
	// MaxValueBytes is the largest value in bytes; 0 means unbounded.
	MaxValueBytes int
}

// CheckKey returns nil for an acceptable key, else a [*LimitError] wrapping
// [ErrEmptyKey] or [ErrKeyTooLong]. It takes O(1) time for a key of at most
// MaxKeyLen bytes, O(len(key)) otherwise.
func (l Limits) CheckKey(key string) error {
	switch {
	case key == "":
		return &LimitError{Err: ErrEmptyKey}
	case l.MaxKeyLen > 0 && len(key) > l.MaxKeyLen && utf8.RuneCountInString(key) > l.MaxKeyLen:
		return &LimitError{Err: ErrKeyTooLong, Limit: uint64(l.MaxKeyLen)}
	}
	return nil
}

// CheckValue returns nil for an acceptable value, else a [*LimitError]
// wrapping [ErrValueTooLong]. The empty string is a value.
func (l Limits) CheckValue(value string) error {
	if l.MaxValueBytes > 0 && len(value) > l.MaxValueBytes {
		return &LimitError{Err: ErrValueTooLong, Limit: uint64(l.MaxValueBytes)}
	}
	return nil
}

// MaxTTLSeconds is the largest time to live in seconds that fits in a
// time.Duration (about 292 years).
const MaxTTLSeconds = math.MaxInt64 / int64(time.Second)

// TTL converts n units (time.Second or time.Millisecond, as EX and PX count
// them) to a duration. n must be from 1 to the largest count that fits in a
// time.Duration ([MaxTTLSeconds] for seconds); otherwise TTL returns a
// [*LimitError] wrapping [ErrTTLOutOfRange]. A unit that is not positive
// panics: it is a programmer error.
func TTL(n int64, unit time.Duration) (time.Duration, error) {
	if unit <= 0 {
		panic("command: TTL called with a non-positive unit")
	}
	if limit := math.MaxInt64 / int64(unit); n < 1 || n > limit {
		return 0, &LimitError{Err: ErrTTLOutOfRange, Limit: uint64(limit), Unit: unitName(unit)}
	}
	return time.Duration(n) * unit, nil
}

// unitName names a TTL unit for an error message.
func unitName(unit time.Duration) string {
	switch unit {
	case time.Second:
		return "seconds"
	case time.Millisecond:
		return "milliseconds"
	}
	return unit.String() + " units"
}

// Commands runs the commands front ends share against one cache, with the
// limits of one front end. It holds no state besides them and is safe for
// concurrent use, as the cache is.
type Commands struct {
	cache  *minicache.Cache[string, string]
	limits Limits
}

// New returns the commands over c with the limits l. It panics if c is nil.
func New(c *minicache.Cache[string, string], l Limits) *Commands {
	if c == nil {
		panic("command: New called with a nil cache")
	}
	return &Commands{cache: c, limits: l}
}

// Cache returns the cache the commands run against.
func (x *Commands) Cache() *minicache.Cache[string, string] { return x.cache }

// Limits returns the limits the commands check.
func (x *Commands) Limits() Limits { return x.limits }

// Set checks key and value against the limits and stores them with the time
// to live ttl ([minicache.DefaultTTL] for the cache's default,
// [minicache.NoExpiration] for never; a negative ttl is refused as
// [ErrTTLOutOfRange] rather than deleting the key).
//
// The rule for a refused entry is the cache's: when the cache refuses the
// entry because it alone weighs more than the weight bound, Set returns a
// [*LimitError] wrapping [ErrTooHeavy], and the key's previous value is
// removed, not kept, so that no reader goes on seeing a value its writer
// meant to replace. The cache counts the refusal in Stats().Rejections.
// Other errors leave the cache untouched.
func (x *Commands) Set(key, value string, ttl time.Duration) error {
	if err := x.limits.CheckKey(key); err != nil {
		return err
	}
	if err := x.limits.CheckValue(value); err != nil {
		return err
	}
	if ttl < 0 {
		return &LimitError{Err: ErrTTLOutOfRange, Limit: uint64(MaxTTLSeconds), Unit: "seconds"}
	}
	if !x.cache.SetWithTTL(key, value, ttl) {
		return &LimitError{Err: ErrTooHeavy, Limit: x.cache.MaxWeight()}
	}
	return nil
}

// Stats is the answer to a stats command, in the terms of the original Mini
// Redis server plus extras.
type Stats struct {
	// Hits and Misses count lookups that found a live entry or none.
	Hits, Misses uint64
	// Evictions counts keys removed by LRU (for the capacity or the weight
	// bound) or by TTL, as the original Mini Redis defines it:
	// [minicache.Stats].Evictions + [minicache.Stats].Expirations.
	Evictions uint64
	// Expirations is the TTL part of Evictions.
	Expirations uint64
	// Rejections counts entries refused as heavier than the weight bound.
	Rejections uint64
	// Entries is the number of live entries ([minicache.Cache.Len]).
	Entries int
	// HitRate is Hits / (Hits + Misses), 0 before the first lookup.
	HitRate float64
	// Capacity is the bound on entries, 0 for none.
	Capacity int
	// Weight is the total weight of the entries; MaxWeight its bound, 0 for
	// none.
	Weight, MaxWeight uint64
}

// Stats returns a snapshot of the cache's counters mapped to [Stats]. It
// takes O(shards) time; see [minicache.Cache.Stats] for its consistency.
func (x *Commands) Stats() Stats {
	st := x.cache.Stats()
	return Stats{
		Hits:        st.Hits,
		Misses:      st.Misses,
		Evictions:   st.Evictions + st.Expirations,
		Expirations: st.Expirations,
		Rejections:  st.Rejections,
		Entries:     x.cache.Len(),
		HitRate:     st.HitRatio(),
		Capacity:    x.cache.Capacity(),
		Weight:      st.Weight,
		MaxWeight:   x.cache.MaxWeight(),
	}
}
