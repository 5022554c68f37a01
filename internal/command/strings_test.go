package command_test

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/command"
)

func newCommands(t *testing.T, opts ...minicache.Option) *command.Commands {
	c := minicache.New[string, string](opts...)
	t.Cleanup(c.Close)
	return command.New(c, command.Limits{})
}

func TestIncrBy(t *testing.T) {
	x := newCommands(t, minicache.WithDefaultTTL(time.Minute))
	n, err := x.IncrBy("n", 5)
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)
	ttl, _ := x.Cache().TTL("n")
	assert.Equal(t, minicache.NoExpiration, ttl, "a key INCR creates has no TTL, whatever the cache's default")

	x.Cache().SetWithTTL("n", "41", time.Hour)
	n, err = x.IncrBy("n", 1)
	require.NoError(t, err)
	assert.Equal(t, int64(42), n)
	ttl, _ = x.Cache().TTL("n")
	assert.InDelta(t, float64(time.Hour), float64(ttl), float64(time.Second), "INCR keeps the TTL")

	x.Cache().SetWithTTL("n", strconv.FormatInt(math.MaxInt64, 10), minicache.NoExpiration)
	_, err = x.IncrBy("n", 1)
	assert.ErrorIs(t, err, command.ErrOverflow)
	x.Cache().SetWithTTL("n", strconv.FormatInt(math.MinInt64, 10), minicache.NoExpiration)
	_, err = x.IncrBy("n", -1)
	assert.ErrorIs(t, err, command.ErrOverflow)
	for _, bad := range []string{"abc", " 1", "01", "+1", "1.0", ""} {
		x.Cache().SetWithTTL("s", bad, minicache.NoExpiration)
		_, err = x.IncrBy("s", 1)
		assert.ErrorIs(t, err, command.ErrNotInteger, bad)
		v, _ := x.Cache().Get("s")
		assert.Equal(t, bad, v, "a failed INCR leaves the value alone")
	}
}

func TestIncrByFloat(t *testing.T) {
	x := newCommands(t)
	// Redis's answers (long double arithmetic, "%.17Lf" trimmed).
	steps := []struct{ delta, want string }{
		{"1.5", "1.5"}, {"0.1", "1.6"}, {"-3", "-1.4"}, {"1e3", "998.59999999999999998"}, {"5.0e3", "5998.60000000000000009"},
	}
	for _, s := range steps {
		v, err := x.IncrByFloat("f", s.delta)
		require.NoError(t, err, s.delta)
		assert.Equal(t, s.want, v, s.delta)
	}
	x.Cache().SetWithTTL("f", "10.50", minicache.NoExpiration)
	v, err := x.IncrByFloat("f", "0.1")
	require.NoError(t, err)
	assert.Equal(t, "10.6", v)
	v, err = x.IncrByFloat("g", "1e308")
	require.NoError(t, err)
	assert.Len(t, v, 308, "1e308 fits a long double (as 9.99…e307) and prints in full")
	_, err = x.IncrByFloat("f", "abc")
	assert.ErrorIs(t, err, command.ErrNotFloat)
	_, err = x.IncrByFloat("f", "nan")
	assert.ErrorIs(t, err, command.ErrNotFloat)
	_, err = x.IncrByFloat("f", "inf")
	assert.ErrorIs(t, err, command.ErrNaNOrInfinity)
	x.Cache().SetWithTTL("s", "x1", minicache.NoExpiration)
	_, err = x.IncrByFloat("s", "1")
	assert.ErrorIs(t, err, command.ErrNotFloat)
	x.Cache().SetWithTTL("z", "-0.5", minicache.NoExpiration)
	v, err = x.IncrByFloat("z", "0.5")
	require.NoError(t, err)
	assert.Equal(t, "0", v)
}

func TestParseFloat(t *testing.T) {
	for _, ok := range []string{"1", "-1.5", "+2", ".5", "5.", "1e3", "1E-3", "0x10", "inf", "-Infinity"} {
		_, valid := command.ParseFloat(ok)
		assert.True(t, valid, ok)
	}
	for _, bad := range []string{"", " 1", "1 ", "abc", "nan", "1_000", "--1", "1e99999", "0b1"} {
		_, valid := command.ParseFloat(bad)
		assert.False(t, valid, bad)
	}
}

func TestAppendAndSetRange(t *testing.T) {
	x := newCommands(t, minicache.WithDefaultTTL(time.Minute))
	n, err := x.Append("a", "hello", 0)
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	ttl, _ := x.Cache().TTL("a")
	assert.Equal(t, minicache.NoExpiration, ttl)
	_, err = x.Append("a", "!", 5)
	assert.ErrorIs(t, err, command.ErrTooBig)

	n, err = x.SetRange("a", 1, "EL", 0)
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	v, _ := x.Cache().Get("a")
	assert.Equal(t, "hELlo", v)
	n, err = x.SetRange("a", 7, "x", 0)
	require.NoError(t, err)
	assert.Equal(t, 8, n)
	v, _ = x.Cache().Get("a")
	assert.Equal(t, "hELlo\x00\x00x", v)
	n, err = x.SetRange("absent", 3, "", 0)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, ok := x.Cache().Peek("absent")
	assert.False(t, ok, "an empty SETRANGE creates no key")
	_, err = x.SetRange("a", -1, "x", 0)
	assert.ErrorIs(t, err, command.ErrOffsetRange)
	_, err = x.SetRange("a", 10, "x", 10)
	assert.ErrorIs(t, err, command.ErrTooBig)
}

// A store the weight bound refuses is ErrTooHeavy, and the key is gone.
func TestReadModifyWriteTooHeavy(t *testing.T) {
	x := newCommands(t, minicache.WithMaxWeight(10), minicache.WithWeigher(func(k, v string) uint64 { return uint64(len(k) + len(v)) }))
	x.Cache().Set("a", "x")
	_, err := x.Append("a", "0123456789", 0)
	assert.ErrorIs(t, err, command.ErrTooHeavy)
	_, ok := x.Cache().Peek("a")
	assert.False(t, ok)
	_, err = x.SetRange("b", 20, "x", 0)
	assert.ErrorIs(t, err, command.ErrTooHeavy)
}

func TestGetRange(t *testing.T) {
	s := "Hello World"
	tests := []struct {
		start, end int64
		want       string
	}{
		{0, 4, "Hello"}, {-5, -1, "World"}, {0, -1, s}, {5, 3, ""}, {-1, -5, ""}, {100, 200, ""},
		{-100, 2, "Hel"}, {0, 100, s}, {-3, -2, "rl"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, command.GetRange(s, tt.start, tt.end), "%d %d", tt.start, tt.end)
	}
	assert.Equal(t, "", command.GetRange("", 0, -1))
}

func TestParseInt(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "1": 1, "-1": -1, "42": 42, "9223372036854775807": math.MaxInt64, "-9223372036854775808": math.MinInt64} {
		n, ok := command.ParseInt(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, n, s)
		n, ok = command.ParseInt([]byte(s))
		assert.True(t, ok, s)
		assert.Equal(t, want, n, s)
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", "-01", " 1", "1 ", "1.0", "1e3", "0x10", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "18446744073709551616", "123456789012345678901"} {
		_, ok := command.ParseInt(s)
		assert.False(t, ok, s)
		_, ok = command.ParseInt([]byte(s))
		assert.False(t, ok, s)
	}
}

// FuzzParseInt checks ParseInt against strconv: it accepts exactly the
// canonical decimal forms strconv.FormatInt writes.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "01", "9223372036854775807", "-9223372036854775809", "+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := command.ParseInt(s)
		want, err := strconv.ParseInt(s, 10, 64)
		canonical := err == nil && strconv.FormatInt(want, 10) == s
		if ok != canonical || ok && n != want {
			t.Fatalf("ParseInt(%q) = %d, %v; strconv gives %d, %v", s, n, ok, want, err)
		}
	})
}

// An INCR of an existing counter, with its key converted from the bytes a
// connection read, allocates nothing: the key goes through
// ComputeIfPresent, and a number below 10,000 is a shared string. A new
// key is copied once, since the cache keeps it.
func TestIncrByExistingKeyDoesNotAllocate(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("instrumentation allocates")
	}
	x := newCommands(t)
	key := []byte("counter:000000000042")
	x.Cache().Set(string(key), "500")
	allocs := testing.AllocsPerRun(50, func() { // 51 runs, one to warm up
		if _, err := x.IncrBy(string(key), 1); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	n, err := x.IncrBy(string(key), 1)
	require.NoError(t, err)
	assert.Equal(t, int64(552), n)

	for i := range 100 { // room for the new keys, so that no table grows while measured
		x.Cache().Set(strconv.Itoa(i), "")
	}
	for i := range 100 {
		x.Cache().Delete(strconv.Itoa(i))
	}
	fresh := []byte("counter:000000000000")
	allocs = testing.AllocsPerRun(50, func() {
		fresh[len(fresh)-1]++ // a new key each run
		if _, err := x.IncrBy(string(fresh), 1); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 1.0, allocs, "the new key's copy")
	v, _ := x.Cache().Get(string(fresh))
	assert.Equal(t, "1", v)
}

func TestIncrByFormatsLikeStrconv(t *testing.T) {
	x := newCommands(t)
	for _, start := range []int64{-3, 0, 98, 9997, math.MaxInt64 - 3} {
		x.Cache().Set("n", strconv.FormatInt(start, 10))
		for i := int64(1); i <= 3; i++ {
			n, err := x.IncrBy("n", 1)
			require.NoError(t, err)
			v, _ := x.Cache().Get("n")
			assert.Equal(t, strconv.FormatInt(start+i, 10), v)
			assert.Equal(t, start+i, n)
		}
	}
}
