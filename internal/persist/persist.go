// Package persist keeps a server's cache in a snapshot file, for warm
// restarts: it loads the file at start, saves in the background every
// interval and once more at shutdown, and writes each snapshot so that a
// crash at any moment (kill -9, power loss) leaves the previous complete
// one: a temporary file in the same directory, fsynced, renamed over the
// old one, and the directory fsynced.
package persist

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/metrics"
)

// ErrSaveInProgress is returned by Start when a save is already running.
var ErrSaveInProgress = errors.New("persist: a save is already in progress")

// Snapshotter saves and loads one cache to and from one file. Its methods
// are safe for concurrent use; saves never overlap.
type Snapshotter struct {
	path   string
	cache  *minicache.Cache[string, string]
	logger *slog.Logger

	mu       sync.Mutex   // held for the whole of a save
	saving   atomic.Bool  // a save is running
	lastSave atomic.Int64 // Unix seconds of the last successful save; 0 before it
	last     atomic.Pointer[Result]
	failures atomic.Uint64
	wg       sync.WaitGroup // background saves started by Start
}

// Result describes one save.
type Result struct {
	Entries  int
	Bytes    int64
	Duration time.Duration
	At       time.Time
	Err      error
}

// New returns a Snapshotter for path, after checking that its directory
// exists and is writable (by creating and removing a file in it): a server
// should refuse to start rather than find out at its first save.
func New(path string, c *minicache.Cache[string, string], logger *slog.Logger) (*Snapshotter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("snapshot directory %s: %w", dir, err)
	case !st.IsDir():
		return nil, fmt.Errorf("snapshot directory %s is not a directory", dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("snapshot path %s is a directory", path)
	}
	probe, err := os.CreateTemp(dir, ".minicache-probe-*")
	if err != nil {
		return nil, fmt.Errorf("snapshot directory %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return &Snapshotter{path: path, cache: c, logger: logger}, nil
}

// Path returns the snapshot file's path.
func (s *Snapshotter) Path() string { return s.path }

// Load stores the entries of the snapshot file in the cache and returns how
// many it stored; a missing file loads nothing and is not an error. A
// damaged file is an error naming the file and what is wrong, and is left
// as it is for the operator to look at.
func (s *Snapshotter) Load() (int, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.logger.Info("no snapshot to load", slog.String("path", s.path))
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("opening snapshot %s: %w", s.path, err)
	}
	defer f.Close()
	start := time.Now()
	n, err := s.cache.Load(f)
	if err != nil {
		return n, fmt.Errorf("loading snapshot %s: %w", s.path, err)
	}
	fi, _ := f.Stat()
	s.logger.Info("snapshot loaded", slog.String("path", s.path), slog.Int("entries", n),
		slog.Int64("bytes", fi.Size()), slog.Duration("took", time.Since(start)))
	if fi != nil {
		s.lastSave.Store(fi.ModTime().Unix())
	}
	return n, nil
}

// Save writes a snapshot now, waiting for a save in progress to end first,
// and logs it; [Snapshotter.Last] tells how it went. Save, Start, Saving and
// LastSave make a Snapshotter the respserver.Saver of SAVE, BGSAVE and
// LASTSAVE.
func (s *Snapshotter) Save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saving.Store(true)
	defer s.saving.Store(false)
	return s.saveLocked().Err
}

// Start begins a save in the background (Redis BGSAVE), or returns
// ErrSaveInProgress if one is running. Wait waits for it.
func (s *Snapshotter) Start() error {
	if !s.saving.CompareAndSwap(false, true) {
		return ErrSaveInProgress
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		defer s.saving.Store(false)
		s.saveLocked()
	}()
	return nil
}

// saveLocked writes a snapshot, records and logs the result. s.mu is held.
func (s *Snapshotter) saveLocked() Result {
	r := s.write()
	s.last.Store(&r)
	if r.Err != nil {
		s.failures.Add(1)
		s.logger.Error("snapshot failed", slog.String("path", s.path), slog.Any("error", r.Err))
		return r
	}
	s.lastSave.Store(r.At.Unix())
	s.logger.Info("snapshot saved", slog.String("path", s.path), slog.Int("entries", r.Entries),
		slog.Int64("bytes", r.Bytes), slog.Duration("took", r.Duration))
	return r
}

// Wait waits for the background saves started by Start.
func (s *Snapshotter) Wait() { s.wg.Wait() }

// Saving reports whether a save is running.
func (s *Snapshotter) Saving() bool { return s.saving.Load() }

// LastSave returns the time of the last successful save (or of the file
// loaded at start), the zero Time before any.
func (s *Snapshotter) LastSave() time.Time {
	if t := s.lastSave.Load(); t != 0 {
		return time.Unix(t, 0)
	}
	return time.Time{}
}

// Failures returns how many saves have failed.
func (s *Snapshotter) Failures() uint64 { return s.failures.Load() }

// WriteMetrics writes the snapshot metrics in the Prometheus text format.
func (s *Snapshotter) WriteMetrics(w io.Writer) {
	mw := metrics.NewWriter(w)
	if t := s.LastSave(); !t.IsZero() {
		mw.Gauge("minicache_snapshot_last_success_timestamp_seconds",
			"When the last snapshot was saved (or the one loaded at start was written), since the Unix epoch.", float64(t.Unix()))
		mw.Gauge("minicache_snapshot_age_seconds", "Seconds since the last successful snapshot.", time.Since(t).Seconds())
	}
	if r := s.Last(); r != nil {
		mw.Gauge("minicache_snapshot_duration_seconds", "How long the last save took.", r.Duration.Seconds())
		mw.Gauge("minicache_snapshot_entries", "Entries in the last save.", float64(r.Entries))
		mw.Gauge("minicache_snapshot_bytes", "Bytes of the last save.", float64(r.Bytes))
	}
	mw.Counter("minicache_snapshot_failures_total", "Saves that failed.", float64(s.Failures()))
	mw.Gauge("minicache_snapshot_in_progress", "1 while a save runs.", boolFloat(s.Saving()))
	_ = mw.Flush()
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Last returns the result of the last save, nil before any.
func (s *Snapshotter) Last() *Result { return s.last.Load() }

// Run saves every interval until ctx is done; it does not save at the end
// (the server's shutdown does, after its front ends have stopped).
func (s *Snapshotter) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Save()
		}
	}
}

// write writes the snapshot crash-safely. s.mu is held.
func (s *Snapshotter) write() Result {
	start := time.Now()
	r := Result{At: start}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*")
	if err != nil {
		r.Err = err
		return r
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	w := &countingWriter{w: tmp}
	bw := bufio.NewWriterSize(w, 1<<20)
	n, err := s.cache.Save(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	r.Entries, r.Bytes, r.Duration, r.Err = n, w.n, time.Since(start), err
	return r
}

// syncDir fsyncs a directory, so that a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type countingWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
