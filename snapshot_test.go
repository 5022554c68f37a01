package minicache

import (
	"bytes"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSnapshotRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := New[string, string](WithCapacity(100))
		for i := range 50 {
			src.SetWithTTL("k"+strconv.Itoa(i), "v"+strconv.Itoa(i), time.Duration(i+1)*time.Second)
		}
		src.Set("forever", "x")
		src.Get("k30") // k30 is now the most recently used but one
		src.Set("last", "y")
		var buf bytes.Buffer
		n, err := src.Save(&buf)
		require.NoError(t, err)
		assert.Equal(t, 52, n)

		time.Sleep(10500 * time.Millisecond) // k0..k9 expire meanwhile
		dst := New[string, string](WithCapacity(100))
		n, err = dst.Load(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err)
		assert.Equal(t, 42, n, "the 10 expired entries are skipped")
		left, ok := dst.TTL("k20")
		require.True(t, ok)
		assert.Equal(t, 21*time.Second-10500*time.Millisecond, left, "deadlines are absolute")
		left, _ = dst.TTL("forever")
		assert.Equal(t, NoExpiration, left)

		var want []string
		for k := range src.Keys() {
			if left, ok := src.TTL(k); ok && left > 0 {
				want = append(want, k)
			}
		}
		assert.Equal(t, want, slices.Collect(dst.Keys()), "the recency order is restored")
		assert.Equal(t, []string{"last", "k30"}, slices.Collect(dst.Keys())[:2])
	})
}

func TestSnapshotIntoSmallerCacheKeepsMostRecent(t *testing.T) {
	src := New[int, int](WithCapacity(1000))
	for i := range 1000 {
		src.Set(i, i)
	}
	var buf bytes.Buffer
	_, err := src.Save(&buf)
	require.NoError(t, err)
	dst := New[int, int](WithCapacity(10))
	_, err = dst.Load(&buf)
	require.NoError(t, err)
	assert.Equal(t, []int{999, 998, 997, 996, 995, 994, 993, 992, 991, 990}, slices.Collect(dst.Keys()))
}

func TestSnapshotShardedAndLarge(t *testing.T) {
	src := New[string, []byte](WithShards(16))
	big := bytes.Repeat([]byte("x"), 3*frameTarget) // one entry larger than a frame
	src.Set("big", big)
	for i := range 20000 {
		src.Set(strconv.Itoa(i), []byte(strconv.Itoa(i*i)))
	}
	var buf bytes.Buffer
	n, err := src.Save(&buf)
	require.NoError(t, err)
	assert.Equal(t, 20001, n)
	dst := New[string, []byte]()
	n, err = dst.Load(&buf)
	require.NoError(t, err)
	assert.Equal(t, 20001, n)
	for k, v := range src.All() {
		got, ok := dst.Peek(k)
		require.True(t, ok, k)
		require.Equal(t, v, got)
	}
}

type point struct{ X, Y int }

func TestSnapshotGobCodec(t *testing.T) {
	src := New[point, []string]()
	src.Set(point{1, 2}, []string{"a", "b"})
	src.Set(point{3, 4}, nil)
	var buf bytes.Buffer
	_, err := src.Save(&buf)
	require.NoError(t, err)
	dst := New[point, []string]()
	n, err := dst.Load(&buf)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	v, _ := dst.Get(point{1, 2})
	assert.Equal(t, []string{"a", "b"}, v)
}

// TestSnapshotGobKeepsNil: gob writes a nil pointer as a pointer to a zero
// value, so a cache holding nil (a negative cache's "not found") came back
// holding &user{}.
func TestSnapshotGobKeepsNil(t *testing.T) {
	type user struct{ Name string }
	src := New[int, *user]()
	src.Set(1, &user{"Ada"})
	src.Set(2, nil)
	src.Set(3, &user{})
	var buf bytes.Buffer
	_, err := src.Save(&buf)
	require.NoError(t, err)
	dst := New[int, *user]()
	n, err := dst.Load(&buf)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for k, want := range map[int]*user{1: {"Ada"}, 2: nil, 3: {}} {
		v, ok := dst.Get(k)
		assert.True(t, ok, k)
		assert.Equal(t, want, v, k)
	}

	maps := New[string, map[string]int]()
	maps.Set("nil", nil)
	maps.Set("full", map[string]int{"a": 1})
	buf.Reset()
	_, err = maps.Save(&buf)
	require.NoError(t, err)
	back := New[string, map[string]int]()
	_, err = back.Load(&buf)
	require.NoError(t, err)
	v, ok := back.Get("nil")
	assert.True(t, ok)
	assert.Nil(t, v)
	v, _ = back.Get("full")
	assert.Equal(t, map[string]int{"a": 1}, v)
}

func TestSnapshotWrongCodec(t *testing.T) {
	src := New[string, string]()
	src.Set("a", "b")
	var buf bytes.Buffer
	_, err := src.Save(&buf)
	require.NoError(t, err)
	_, err = New[string, int]().Load(&buf)
	require.ErrorIs(t, err, ErrSnapshot)
	assert.Contains(t, err.Error(), `saved with codecs "string"/"string", loading with "string"/"gob:int"`)
}

// TestSnapshotDamage truncates a snapshot at every length and flips every
// byte of it: each must give an ErrSnapshot, never a panic or a partial
// frame in the cache.
func TestSnapshotDamage(t *testing.T) {
	src := New[string, string](WithCapacity(10))
	for i := range 5 {
		src.SetWithTTL("k"+strconv.Itoa(i), "value"+strconv.Itoa(i), time.Hour)
	}
	var buf bytes.Buffer
	_, err := src.Save(&buf)
	require.NoError(t, err)
	good := buf.Bytes()
	for n := range len(good) {
		_, err := New[string, string]().Load(bytes.NewReader(good[:n]))
		require.ErrorIs(t, err, ErrSnapshot, "truncated at %d", n)
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x5a
		dst := New[string, string]()
		_, err := dst.Load(bytes.NewReader(bad))
		require.ErrorIs(t, err, ErrSnapshot, "byte %d flipped", i)
		for k, v := range dst.All() { // nothing from a damaged frame
			want, _ := src.Peek(k)
			require.Equal(t, want, v)
		}
	}
	_, err = New[string, string]().Load(bytes.NewReader(append(bytes.Clone(good), 0)))
	require.ErrorIs(t, err, ErrSnapshot, "trailing bytes")
}

func TestSnapshotHugeLengthDoesNotAllocate(t *testing.T) {
	// A valid header, then an entries frame announcing 2 GiB.
	var buf bytes.Buffer
	_, err := New[string, string]().Save(&buf)
	require.NoError(t, err)
	header := buf.Bytes()[:buf.Len()-6]                      // without the end frame
	frame := []byte{'E', 0x01, 0x80, 0x80, 0x80, 0x80, 0x08} // one entry in 2 GiB
	in := append(bytes.Clone(header), frame...)
	c := New[string, string]()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.Load(bytes.NewReader(in))
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrSnapshot)
	assert.Contains(t, err.Error(), "truncated")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "allocated from the length field")
}

func TestSnapshotWriteError(t *testing.T) {
	c := New[string, string]()
	c.Set("a", "b")
	_, err := c.Save(failingWriter{})
	assert.True(t, errors.Is(err, errWrite))
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func FuzzLoad(f *testing.F) {
	src := New[string, string](WithCapacity(10))
	src.SetWithTTL("a", "1", time.Hour)
	src.Set("b", "2")
	var buf bytes.Buffer
	if _, err := src.Save(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(snapshotMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := New[string, string](WithCapacity(100))
		n, err := c.Load(bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrSnapshot) {
			t.Fatalf("error not wrapping ErrSnapshot: %v", err)
		}
		if n > c.Len() && c.Len() < 100 {
			t.Fatalf("stored %d, holds %d", n, c.Len())
		}
	})
}

func TestSnapshotKeepsWTinyLFUFrequencies(t *testing.T) {
	src := New[int, int](WithCapacity(100), WithPolicy(WTinyLFU))
	for k := range 100 {
		src.Set(k, k)
	}
	for range 12 {
		src.Get(7) // a hot key
	}
	var buf bytes.Buffer
	_, err := src.Save(&buf)
	require.NoError(t, err)
	estimate := func(c *Cache[int, int], k int) uint64 {
		h := c.c.hash(k)
		s := c.c.shardFor(h)
		s.mu.Lock()
		defer s.mu.Unlock()
		_, i := s.lookup(k, h, false)
		return s.order.lfu.frequency(i)
	}
	saved := estimate(src, 7)
	require.GreaterOrEqual(t, saved, uint64(12))

	dst := New[int, int](WithCapacity(100), WithPolicy(WTinyLFU))
	n, err := dst.Load(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, 100, n)
	assert.GreaterOrEqual(t, estimate(dst, 7), saved, "the hot key is still known as hot")
	assert.Less(t, estimate(dst, 8), estimate(dst, 7), "a key read once is not")

	lru := New[int, int](WithCapacity(100)) // an LRU cache reads the same file
	n, err = lru.Load(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, 100, n)
}
