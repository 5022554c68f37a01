package command_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/command"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckKeyAndValue(t *testing.T) {
	l := command.Limits{MaxKeyLen: 3, MaxValueBytes: 4}
	tests := []struct {
		name  string
		err   error
		want  error
		limit uint64
		msg   string
	}{
		{"key of 3", l.CheckKey("abc"), nil, 0, ""},
		{"key of 3 code points in 6 bytes", l.CheckKey("ééé"), nil, 0, ""},
		{"empty key", l.CheckKey(""), command.ErrEmptyKey, 0, "key must not be empty"},
		{"key of 4", l.CheckKey("abcd"), command.ErrKeyTooLong, 3, "key is longer than 3 characters"},
		{"invalid UTF-8 counts a byte each", l.CheckKey("\xff\xfe\xfd\xfc"), command.ErrKeyTooLong, 3, ""},
		{"value of 4", l.CheckValue("1234"), nil, 0, ""},
		{"empty value", l.CheckValue(""), nil, 0, ""},
		{"value of 5", l.CheckValue("12345"), command.ErrValueTooLong, 4, "value is longer than 4 bytes"},
		{"unbounded key", command.Limits{}.CheckKey(strings.Repeat("k", 1<<16)), nil, 0, ""},
		{"unbounded value", command.Limits{}.CheckValue(strings.Repeat("v", 1<<16)), nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				assert.NoError(t, tt.err)
				return
			}
			require.ErrorIs(t, tt.err, tt.want)
			var le *command.LimitError
			require.ErrorAs(t, tt.err, &le)
			assert.Equal(t, tt.limit, le.Limit)
			if tt.msg != "" {
				assert.Equal(t, tt.msg, tt.err.Error())
			}
		})
	}
}

func TestTTL(t *testing.T) {
	d, err := command.TTL(60, time.Second)
	require.NoError(t, err)
	assert.Equal(t, time.Minute, d)

	d, err = command.TTL(command.MaxTTLSeconds, time.Second)
	require.NoError(t, err)
	assert.Equal(t, time.Duration(command.MaxTTLSeconds)*time.Second, d)

	d, err = command.TTL(1500, time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, 1500*time.Millisecond, d)

	for _, tt := range []struct {
		n    int64
		unit time.Duration
	}{
		{0, time.Second}, {-1, time.Second}, {math.MinInt64, time.Second},
		{command.MaxTTLSeconds + 1, time.Second}, {math.MaxInt64, time.Second},
		{math.MaxInt64/int64(time.Millisecond) + 1, time.Millisecond},
	} {
		_, err := command.TTL(tt.n, tt.unit)
		require.ErrorIs(t, err, command.ErrTTLOutOfRange, "%d × %v", tt.n, tt.unit)
		var le *command.LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, uint64(math.MaxInt64/int64(tt.unit)), le.Limit)
	}
	_, err = command.TTL(0, time.Second)
	assert.EqualError(t, err, "ttl must be a whole number of seconds from 1 to 9223372036")
	_, err = command.TTL(0, time.Millisecond)
	assert.EqualError(t, err, "ttl must be a whole number of milliseconds from 1 to 9223372036854")
	assert.Panics(t, func() { _, _ = command.TTL(1, 0) })
}

func TestSetStores(t *testing.T) {
	c := minicache.New[string, string](minicache.WithDefaultTTL(time.Hour))
	defer c.Close()
	x := command.New(c, command.Limits{MaxKeyLen: 3, MaxValueBytes: 4})

	require.NoError(t, x.Set("k", "v", minicache.DefaultTTL))
	ttl, ok := c.TTL("k")
	require.True(t, ok)
	assert.InDelta(t, time.Hour, ttl, float64(time.Minute), "the cache's default TTL")

	require.NoError(t, x.Set("n", "v", minicache.NoExpiration))
	ttl, ok = c.TTL("n")
	require.True(t, ok)
	assert.Equal(t, minicache.NoExpiration, ttl)

	require.NoError(t, x.Set("k", "w", 10*time.Second))
	v, ok := c.Peek("k")
	require.True(t, ok)
	assert.Equal(t, "w", v)
}

func TestSetRefusalsLeaveTheCacheAlone(t *testing.T) {
	c := minicache.New[string, string]()
	defer c.Close()
	x := command.New(c, command.Limits{MaxKeyLen: 3, MaxValueBytes: 4})
	require.NoError(t, x.Set("k", "old", minicache.DefaultTTL))

	assert.ErrorIs(t, x.Set("", "v", minicache.DefaultTTL), command.ErrEmptyKey)
	assert.ErrorIs(t, x.Set("long", "v", minicache.DefaultTTL), command.ErrKeyTooLong)
	assert.ErrorIs(t, x.Set("k", "12345", minicache.DefaultTTL), command.ErrValueTooLong)
	assert.ErrorIs(t, x.Set("k", "new", -time.Second), command.ErrTTLOutOfRange, "a negative ttl is refused, not a delete")

	v, ok := c.Peek("k")
	require.True(t, ok, "input errors keep the old value")
	assert.Equal(t, "old", v)
	assert.Equal(t, 1, c.Len())
}

func TestSetTooHeavyRemovesTheOldValue(t *testing.T) {
	c := minicache.New[string, string](minicache.WithMaxWeight(10),
		minicache.WithWeigher(func(k, v string) uint64 { return uint64(len(k) + len(v)) }))
	defer c.Close()
	x := command.New(c, command.Limits{})

	require.NoError(t, x.Set("k", "123456789", minicache.DefaultTTL), "weight 10 fits")
	err := x.Set("k", "1234567890", minicache.DefaultTTL)
	require.ErrorIs(t, err, command.ErrTooHeavy)
	var le *command.LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, uint64(10), le.Limit)
	assert.Contains(t, err.Error(), "weight bound of 10")

	_, ok := c.Peek("k")
	assert.False(t, ok, "a refused Set removes the key's old value")
	st := x.Stats()
	assert.Equal(t, uint64(1), st.Rejections)
	assert.Equal(t, 0, st.Entries)
}

func TestStatsEvictionsIncludeExpirations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := minicache.New[string, string](minicache.WithCapacity(2), minicache.WithShards(1))
		defer c.Close()
		x := command.New(c, command.Limits{})
		require.NoError(t, x.Set("a", "1", minicache.DefaultTTL))
		require.NoError(t, x.Set("b", "2", minicache.DefaultTTL))
		require.NoError(t, x.Set("c", "3", minicache.DefaultTTL)) // evicts a
		c.Delete("b")
		require.NoError(t, x.Set("d", "4", time.Second))
		time.Sleep(2 * time.Second)
		c.Get("c")
		c.Get("d") // expired: a miss and an expiration
		c.Get("x")

		st := x.Stats()
		assert.Equal(t, uint64(2), st.Evictions, "1 by LRU + 1 by TTL")
		assert.Equal(t, uint64(1), st.Expirations)
		assert.Equal(t, uint64(1), st.Hits)
		assert.Equal(t, uint64(2), st.Misses)
		assert.InDelta(t, 1.0/3, st.HitRate, 1e-9)
		assert.Equal(t, 1, st.Entries)
		assert.Equal(t, 2, st.Capacity)
		assert.Equal(t, uint64(0), st.MaxWeight)
	})
}

func TestLimitErrorUnwrap(t *testing.T) {
	err := error(&command.LimitError{Err: command.ErrKeyTooLong, Limit: 1})
	assert.True(t, errors.Is(err, command.ErrKeyTooLong))
	assert.False(t, errors.Is(err, command.ErrValueTooLong))
}

func TestNewPanicsOnNilCache(t *testing.T) {
	assert.PanicsWithValue(t, "command: New called with a nil cache", func() { command.New(nil, command.Limits{}) })
}
