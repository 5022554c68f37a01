// TEMPORARY scaffold: same API as the real implementation, naive internals.
// It exists only so that httpserver/ and bench/ compile while the core is written.
package minicache

import (
	"context"
	"iter"
	"math"
	"sync"
	"time"
)

const (
	NoExpiration time.Duration = math.MaxInt64
	DefaultTTL   time.Duration = 0
)

type RemovalCause uint8

const (
	CauseEvicted RemovalCause = iota + 1
	CauseExpired
	CauseDeleted
	CauseReplaced
	CauseCleared
)

func (r RemovalCause) String() string { return "" }

type config struct {
	capacity int
	ttl      time.Duration
	interval time.Duration
	shards   int
	maxW     uint64
	weigher  any
	onRemove any
}

type Option func(*config)

func WithCapacity(n int) Option                   { return func(c *config) { c.capacity = n } }
func WithDefaultTTL(d time.Duration) Option       { return func(c *config) { c.ttl = d } }
func WithCleanupInterval(d time.Duration) Option  { return func(c *config) { c.interval = d } }
func WithShards(n int) Option                     { return func(c *config) { c.shards = n } }
func WithMaxWeight(w uint64) Option               { return func(c *config) { c.maxW = w } }
func WithWeigher[K comparable, V any](f func(K, V) uint64) Option {
	return func(c *config) { c.weigher = f }
}
func WithRemovalCallback[K comparable, V any](f func(K, V, RemovalCause)) Option {
	return func(c *config) { c.onRemove = f }
}

type Stats struct {
	Hits, Misses, Evictions, Expirations, Rejections, Loads, LoadErrors uint64
	Weight                                                              uint64
}

func (s Stats) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

type item[V any] struct {
	v   V
	exp time.Time
}

type Cache[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]item[V]
	cfg config
	st  Stats
}

func New[K comparable, V any](opts ...Option) *Cache[K, V] {
	c := &Cache[K, V]{m: map[K]item[V]{}}
	for _, o := range opts {
		o(&c.cfg)
	}
	return c
}

func (c *Cache[K, V]) Set(k K, v V) { c.SetWithTTL(k, v, DefaultTTL) }
func (c *Cache[K, V]) SetWithTTL(k K, v V, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ttl == 0 {
		ttl = c.cfg.ttl
	}
	var exp time.Time
	if ttl > 0 && ttl != NoExpiration {
		exp = time.Now().Add(ttl)
	}
	if w, ok := c.cfg.weigher.(func(K, V) uint64); ok && c.cfg.maxW > 0 && w(k, v) > c.cfg.maxW {
		c.st.Rejections++
		delete(c.m, k)
		return
	}
	if c.cfg.capacity > 0 && len(c.m) >= c.cfg.capacity {
		if _, ok := c.m[k]; !ok {
			for kk := range c.m {
				delete(c.m, kk)
				c.st.Evictions++
				break
			}
		}
	}
	c.m[k] = item[V]{v, exp}
}
func (c *Cache[K, V]) Get(k K) (V, bool) {
	v, ok := c.Peek(k)
	c.mu.Lock()
	if ok {
		c.st.Hits++
	} else {
		c.st.Misses++
	}
	c.mu.Unlock()
	return v, ok
}
func (c *Cache[K, V]) Peek(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.m[k]
	if ok && !it.exp.IsZero() && !time.Now().Before(it.exp) {
		delete(c.m, k)
		c.st.Expirations++
		ok = false
	}
	return it.v, ok
}
func (c *Cache[K, V]) Delete(k K) bool {
	_, ok := c.Peek(k)
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
	return ok
}
func (c *Cache[K, V]) TTL(k K) (time.Duration, bool) {
	if _, ok := c.Peek(k); !ok {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[k].exp.IsZero() {
		return NoExpiration, true
	}
	return time.Until(c.m[k].exp), true
}
func (c *Cache[K, V]) Len() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.m) }
func (c *Cache[K, V]) Clear()   { c.mu.Lock(); defer c.mu.Unlock(); clear(c.m) }
func (c *Cache[K, V]) DeleteExpired() int { return 0 }
func (c *Cache[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		c.mu.Lock()
		m := make(map[K]V)
		for k, it := range c.m {
			m[k] = it.v
		}
		c.mu.Unlock()
		for k, v := range m {
			if !yield(k, v) {
				return
			}
		}
	}
}
func (c *Cache[K, V]) Keys() iter.Seq[K] {
	return func(yield func(K) bool) {
		for k := range c.All() {
			if !yield(k) {
				return
			}
		}
	}
}
func (c *Cache[K, V]) Stats() Stats { c.mu.Lock(); defer c.mu.Unlock(); return c.st }
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, k K, load func(context.Context, K) (V, error)) (V, error) {
	if v, ok := c.Get(k); ok {
		return v, nil
	}
	v, err := load(ctx, k)
	if err == nil {
		c.Set(k, v)
	}
	return v, err
}
func (c *Cache[K, V]) Capacity() int     { return c.cfg.capacity }
func (c *Cache[K, V]) MaxWeight() uint64 { return c.cfg.maxW }
func (c *Cache[K, V]) Close()            {}
