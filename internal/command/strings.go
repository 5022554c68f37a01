package command

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/minicache/minicache"
)

// Sentinels of the read-modify-write string commands, with Redis's meaning.
var (
	// ErrNotInteger: a value or an argument is not a decimal int64.
	ErrNotInteger = errors.New("value is not an integer or out of range")
	// ErrOverflow: an increment would leave the int64 range.
	ErrOverflow = errors.New("increment or decrement would overflow")
	// ErrNotFloat: a value or an argument is not a float.
	ErrNotFloat = errors.New("value is not a valid float")
	// ErrNaNOrInfinity: a float increment would produce NaN or ±Inf.
	ErrNaNOrInfinity = errors.New("increment would produce NaN or Infinity")
	// ErrTooBig: a value would grow beyond the size limit passed in.
	ErrTooBig = errors.New("string exceeds maximum allowed size")
	// ErrOffsetRange: a negative offset.
	ErrOffsetRange = errors.New("offset is out of range")
)

// ParseInt parses a signed decimal int64 exactly as Redis does (its
// string2ll): no spaces, no '+', no leading zeros, at most 20 bytes. It takes
// a string or a []byte, so that both a stored value and a protocol argument
// are parsed in place, in one pass.
func ParseInt[T string | []byte](s T) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	var v uint64
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// maxFloatChars bounds the text of a float, as Redis's MAX_LONG_DOUBLE_CHARS.
const maxFloatChars = 5 << 10

// Redis computes INCRBYFLOAT in C's long double, on amd64 the x87 80-bit
// format: a 64-bit mantissa and exponents below 2^16384. A big.Float of
// that precision, rounding to nearest even, gives the same results
// (denormals aside), so the values stored are Redis's to the last digit.
const (
	ldPrec   = 64
	ldMaxExp = 16384
	ldMinExp = -16444
)

// ParseFloat parses a float as Redis's INCRBYFLOAT does (its string2ld,
// strtold): the whole string, no leading space, decimal or 0x hexadecimal,
// inf and infinity allowed, not NaN, not overflowing or underflowing a long
// double, shorter than 5 KiB. The result has long double precision.
func ParseFloat(s string) (*big.Float, bool) {
	if len(s) == 0 || len(s) >= maxFloatChars || isSpace(s[0]) || strings.ContainsRune(s, '_') {
		return nil, false
	}
	f := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
	unsigned := strings.TrimLeft(s, "+-")
	if len(s)-len(unsigned) > 1 {
		return nil, false
	}
	switch strings.ToLower(unsigned) {
	case "inf", "infinity":
		return f.SetInf(s[0] == '-'), true
	}
	base := 10
	if len(unsigned) > 1 && unsigned[0] == '0' && (unsigned[1] == 'x' || unsigned[1] == 'X') {
		base = 0
	}
	if _, _, err := f.Parse(s, base); err != nil {
		return nil, false
	}
	if exp := f.MantExp(nil); f.Sign() != 0 && (exp > ldMaxExp || exp < ldMinExp) {
		return nil, false // strtold: ERANGE to ±HUGE_VALL or to zero
	}
	return f, true
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// FormatFloat formats f as INCRBYFLOAT answers it (Redis's ld2string in
// human mode): "%.17Lf" with the trailing zeros, and a trailing point,
// removed, and "-0" as "0".
func FormatFloat(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.ContainsRune(s, '.') {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// keepTTL is the ttl a read-modify-write stores with: the entry's own
// deadline when it exists, and none for a key it creates (as Redis does,
// whatever the cache's default TTL).
func keepTTL(found bool) time.Duration {
	if found {
		return minicache.KeepTTL
	}
	return minicache.NoExpiration
}

// tooHeavy is the error of a store the weight bound refused.
func (x *Commands) tooHeavy() error {
	return &LimitError{Err: ErrTooHeavy, Limit: x.cache.MaxWeight()}
}

// compute is Cache.Compute on key, which the caller may have converted from
// bytes for the call: an existing entry is updated through
// ComputeIfPresent, which keeps no reference to key, so that only a new key
// is copied to the heap (RESP's INCR of an existing counter allocates
// nothing for its key).
func (x *Commands) compute(key string, f func(v string, ttl time.Duration, found bool) (string, time.Duration, minicache.ComputeOp)) (string, bool) {
	called := false
	v, ok := x.cache.ComputeIfPresent(key, func(v string, ttl time.Duration) (string, time.Duration, minicache.ComputeOp) {
		called = true
		return f(v, ttl, true)
	})
	if called {
		return v, ok
	}
	return x.cache.Compute(strings.Clone(key), f)
}

// IncrBy adds delta to the integer value of key (0 when absent) atomically,
// keeping its time to live, and returns the new value (Redis INCRBY). It
// returns [ErrNotInteger] if the value is not an integer, [ErrOverflow] if
// the sum leaves the int64 range, and a [*LimitError] wrapping [ErrTooHeavy]
// if the cache refused the result.
func (x *Commands) IncrBy(key string, delta int64) (int64, error) {
	var n int64
	var err error
	_, ok := x.compute(key, func(v string, _ time.Duration, found bool) (string, time.Duration, minicache.ComputeOp) {
		old := int64(0)
		if found {
			var isInt bool
			if old, isInt = ParseInt(v); !isInt {
				err = ErrNotInteger
				return v, 0, minicache.ComputeKeep
			}
		}
		if delta < 0 && old < 0 && delta < math.MinInt64-old || delta > 0 && old > 0 && delta > math.MaxInt64-old {
			err = ErrOverflow
			return v, 0, minicache.ComputeKeep
		}
		n = old + delta
		return formatInt(n), keepTTL(found), minicache.ComputeStore
	})
	if err == nil && !ok {
		err = x.tooHeavy()
	}
	return n, err
}

// IncrByFloat adds the float delta to the float value of key (0 when
// absent) atomically, keeping its time to live, and returns the new value as
// it is stored (Redis INCRBYFLOAT, computed in long double precision). It
// returns [ErrNotFloat] if the value or delta is not a float,
// [ErrNaNOrInfinity] if the sum is not finite, and a [*LimitError] wrapping
// [ErrTooHeavy] if the cache refused the result.
func (x *Commands) IncrByFloat(key string, delta string) (string, error) {
	incr, ok := ParseFloat(delta)
	if !ok {
		return "", ErrNotFloat
	}
	var out string
	var err error
	_, stored := x.compute(key, func(v string, _ time.Duration, found bool) (string, time.Duration, minicache.ComputeOp) {
		old := new(big.Float).SetPrec(ldPrec)
		if found {
			var isFloat bool
			if old, isFloat = ParseFloat(v); !isFloat {
				err = ErrNotFloat
				return v, 0, minicache.ComputeKeep
			}
		}
		if old.IsInf() || incr.IsInf() {
			err = ErrNaNOrInfinity
			return v, 0, minicache.ComputeKeep
		}
		sum := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Add(old, incr)
		if sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
			err = ErrNaNOrInfinity
			return v, 0, minicache.ComputeKeep
		}
		out = FormatFloat(sum)
		return out, keepTTL(found), minicache.ComputeStore
	})
	if err == nil && !stored {
		err = x.tooHeavy()
	}
	return out, err
}

// Append appends suffix to the value of key (creating it when absent)
// atomically, keeping its time to live, and returns the new length (Redis
// APPEND). It returns [ErrTooBig] if the result would be longer than limit
// bytes (limit ≤ 0: no bound), and a [*LimitError] wrapping [ErrTooHeavy] if
// the cache refused the result.
func (x *Commands) Append(key, suffix string, limit int64) (int, error) {
	var n int
	var err error
	_, ok := x.compute(key, func(v string, _ time.Duration, found bool) (string, time.Duration, minicache.ComputeOp) {
		if limit > 0 && int64(len(v))+int64(len(suffix)) > limit {
			err = ErrTooBig
			return v, 0, minicache.ComputeKeep
		}
		nv := v + suffix
		n = len(nv)
		return nv, keepTTL(found), minicache.ComputeStore
	})
	if err == nil && !ok {
		err = x.tooHeavy()
	}
	return n, err
}

// SetRange overwrites the value of key from byte offset on with value,
// padding with zero bytes, atomically and keeping its time to live, and
// returns the new length (Redis SETRANGE). An empty value changes nothing
// and creates no key. It returns [ErrOffsetRange] for a negative offset,
// [ErrTooBig] if the result would be longer than limit bytes (limit ≤ 0: no
// bound), and a [*LimitError] wrapping [ErrTooHeavy] if the cache refused
// the result.
func (x *Commands) SetRange(key string, offset int64, value string, limit int64) (int, error) {
	if offset < 0 {
		return 0, ErrOffsetRange
	}
	var n int
	var err error
	_, ok := x.compute(key, func(v string, _ time.Duration, found bool) (string, time.Duration, minicache.ComputeOp) {
		n = len(v)
		if value == "" {
			return v, 0, minicache.ComputeKeep
		}
		if limit > 0 && offset+int64(len(value)) > limit {
			err = ErrTooBig
			return v, 0, minicache.ComputeKeep
		}
		end := int(offset) + len(value)
		var b strings.Builder
		b.Grow(max(end, len(v)))
		if int(offset) <= len(v) {
			b.WriteString(v[:offset])
		} else {
			b.WriteString(v)
			b.WriteString(strings.Repeat("\x00", int(offset)-len(v)))
		}
		b.WriteString(value)
		if end < len(v) {
			b.WriteString(v[end:])
		}
		nv := b.String()
		n = len(nv)
		return nv, keepTTL(found), minicache.ComputeStore
	})
	if err == nil && value != "" && !ok {
		err = x.tooHeavy()
	}
	return n, err
}

// GetRange returns the bytes of s from start to end inclusive, with Redis
// GETRANGE's rules: negative indexes count from the end, the range is
// clamped to s, and an empty range gives "".
func GetRange(s string, start, end int64) string {
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		return ""
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return ""
	}
	return s[start : end+1]
}
