package persist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/respserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveAndLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.snap")
	c := minicache.New[string, string]()
	c.SetWithTTL("session", "ada", 4*time.Second)
	c.Set("config", "v1")
	s, err := New(path, c, nil)
	require.NoError(t, err)
	assert.True(t, s.LastSave().IsZero())
	require.NoError(t, s.Save())
	r := s.Last()
	assert.Equal(t, 2, r.Entries)
	assert.Positive(t, r.Bytes)
	assert.False(t, s.LastSave().IsZero())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, r.Bytes, fi.Size())
	entries, _ := os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 1, "no temporary file is left behind")

	time.Sleep(1100 * time.Millisecond)
	d := minicache.New[string, string]()
	n, err := mustNew(t, path, d).Load()
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	left, ok := d.TTL("session")
	require.True(t, ok)
	assert.Less(t, left, 3*time.Second, "deadlines are absolute: the time saved counts")
	assert.Greater(t, left, 2*time.Second)
}

func mustNew(t *testing.T, path string, c *minicache.Cache[string, string]) *Snapshotter {
	s, err := New(path, c, nil)
	require.NoError(t, err)
	return s
}

func TestMissingFileLoadsNothing(t *testing.T) {
	n, err := mustNew(t, filepath.Join(t.TempDir(), "none"), minicache.New[string, string]()).Load()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestDamagedFileIsAnErrorAndLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.snap")
	c := minicache.New[string, string]()
	c.Set("a", "b")
	require.NoError(t, mustNew(t, path, c).Save())
	b, _ := os.ReadFile(path)
	b[len(b)-3] ^= 0xff
	require.NoError(t, os.WriteFile(path, b, 0o644))
	_, err := mustNew(t, path, minicache.New[string, string]()).Load()
	require.ErrorIs(t, err, minicache.ErrSnapshot)
	assert.Contains(t, err.Error(), path)
	after, _ := os.ReadFile(path)
	assert.Equal(t, b, after, "the damaged file is untouched")
}

func TestBadDirectoryIsRefused(t *testing.T) {
	c := minicache.New[string, string]()
	_, err := New(filepath.Join(t.TempDir(), "missing", "cache.snap"), c, nil)
	assert.ErrorContains(t, err, "snapshot directory")
	dir := t.TempDir()
	_, err = New(dir, c, nil)
	assert.ErrorContains(t, err, "is a directory")
	if os.Geteuid() != 0 { // root writes anywhere
		ro := t.TempDir()
		require.NoError(t, os.Chmod(ro, 0o500))
		_, err = New(filepath.Join(ro, "cache.snap"), c, nil)
		assert.ErrorContains(t, err, "not writable")
	}
}

func TestBackgroundSaveRefusesASecond(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.snap")
	c := minicache.New[string, string]()
	for i := range 200_000 {
		c.Set(string(rune('a'+i%26))+time.Duration(i).String(), "value")
	}
	s := mustNew(t, path, c)
	s.mu.Lock() // holds the first save at its start
	require.NoError(t, s.Start())
	assert.True(t, s.Saving())
	assert.ErrorIs(t, s.Start(), ErrSaveInProgress)
	s.mu.Unlock()
	s.Wait()
	assert.False(t, s.Saving())
	require.NotNil(t, s.Last())
	require.NoError(t, s.Last().Err)
	assert.Equal(t, 200_000, s.Last().Entries)
}

func TestWriteMetrics(t *testing.T) {
	c := minicache.New[string, string]()
	c.Set("a", "b")
	s := mustNew(t, filepath.Join(t.TempDir(), "cache.snap"), c)
	var before strings.Builder
	s.WriteMetrics(&before)
	assert.Contains(t, before.String(), "minicache_snapshot_failures_total 0\n")
	assert.NotContains(t, before.String(), "minicache_snapshot_age_seconds", "no save yet")
	require.NoError(t, s.Save())
	var after strings.Builder
	s.WriteMetrics(&after)
	assert.Contains(t, after.String(), "minicache_snapshot_entries 1\n")
	assert.Contains(t, after.String(), "# TYPE minicache_snapshot_age_seconds gauge\n")
	assert.Contains(t, after.String(), "minicache_snapshot_in_progress 0\n")
}

// A Snapshotter is what the Redis front end's SAVE, BGSAVE and LASTSAVE use.
var _ respserver.Saver = (*Snapshotter)(nil)
