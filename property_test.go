package minicache

import (
	"cmp"
	"context"
	"flag"
	"maps"
	"os"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"
)

// model is the reference the property tests hold the cache to: a map, a
// recency order and a clock, with every rule written out plainly. With
// clockPolicy set it models the Clock policy: order is then CLOCK's list,
// newest first, and marked its marks.
type model struct {
	capacity   int
	maxWeight  uint64
	weighted   bool
	defaultTTL time.Duration // <= 0: none

	now     time.Duration // time since the cache was created
	entries map[int]modelEntry
	order   []int // keys, most recently used first
	stats   Stats
	removed []record[int, int]

	clockPolicy bool
	marked      map[int]bool // under Clock: read or overwritten since it last came up
}

type modelEntry struct {
	value  int
	expire time.Duration // 0: never
}

func weightOf(v int) uint64 { return uint64(v%4 + 1) }

func (m *model) expired(e modelEntry) bool { return e.expire != 0 && e.expire <= m.now }

// touch records a use of k: LRU moves it to the front, CLOCK marks it. A
// new key goes to the front, unmarked.
func (m *model) touch(k int) {
	if m.clockPolicy && slices.Contains(m.order, k) {
		m.marked[k] = true
		return
	}
	m.order = slices.DeleteFunc(m.order, func(x int) bool { return x == k })
	m.order = slices.Insert(m.order, 0, k)
}

// victim returns the key the policy would evict, sparing except (-1: none),
// and false when there is none. LRU's is the least recently used; CLOCK
// first passes over the marked keys at the back, clearing each mark and
// moving the key to the front (except moves to the front too, keeping its
// mark), until it comes to an unmarked one.
func (m *model) victim(except int) (int, bool) {
	if m.clockPolicy {
		for range len(m.order) {
			k := m.order[len(m.order)-1]
			if k != except {
				if !m.marked[k] {
					return k, true
				}
				m.marked[k] = false
			}
			m.order = slices.Insert(m.order[:len(m.order)-1], 0, k)
		}
	}
	for _, k := range slices.Backward(m.order) {
		if k != except {
			return k, true
		}
	}
	return 0, false
}

func (m *model) remove(k int, cause RemovalCause) {
	m.removed = append(m.removed, record[int, int]{k, m.entries[k].value, cause})
	switch cause {
	case CauseEvicted:
		m.stats.Evictions++
	case CauseExpired:
		m.stats.Expirations++
	}
	if m.weighted {
		m.stats.Weight -= weightOf(m.entries[k].value)
	}
	delete(m.entries, k)
	delete(m.marked, k)
	m.order = slices.DeleteFunc(m.order, func(x int) bool { return x == k })
}

// firstExpired returns the expired key other than except (-1: none) with
// the earliest deadline.
func (m *model) firstExpired(except int) (int, bool) {
	best, found := 0, false
	for k, e := range m.entries {
		if k != except && m.expired(e) && (!found || e.expire < m.entries[best].expire) {
			best, found = k, true
		}
	}
	return best, found
}

// evictOne reclaims an expired entry if there is one (the policy's victim
// if it has expired, else the earliest deadline), else evicts the victim.
// It spares except, the key being written (-1: none).
func (m *model) evictOne(except int) {
	victim, ok := m.victim(except)
	if ok && m.expired(m.entries[victim]) {
		m.remove(victim, CauseExpired)
		return
	}
	if k, ok := m.firstExpired(except); ok {
		m.remove(k, CauseExpired)
		return
	}
	if ok {
		m.remove(victim, CauseEvicted)
	}
}

func (m *model) purge() int {
	n := 0
	for k, ok := m.firstExpired(-1); ok; k, ok = m.firstExpired(-1) {
		m.remove(k, CauseExpired)
		n++
	}
	return n
}

// set stores k → v for ttl as SetWithTTL does and reports whether it stored
// it. A ttl of KeepTTL keeps the deadline of a live entry.
func (m *model) set(k, v int, ttl time.Duration) bool {
	if ttl == KeepTTL {
		if e, ok := m.entries[k]; ok && !m.expired(e) {
			return m.store(k, v, e.expire)
		}
		ttl = DefaultTTL
	}
	if ttl == DefaultTTL {
		ttl = m.defaultTTL
		if ttl <= 0 {
			ttl = NoExpiration
		}
	}
	if m.weighted && m.maxWeight > 0 && weightOf(v) > m.maxWeight {
		m.stats.Rejections++
		m.drop(k)
		return false
	}
	if ttl < 0 {
		m.drop(k)
		return false
	}
	var expire time.Duration
	if ttl != NoExpiration {
		expire = m.now + ttl
	}
	return m.store(k, v, expire)
}

// store stores k → v with the deadline expire (0: none). Under a weight
// bound it makes room before it stores, as the cache does, which CLOCK's
// order tells apart from making it after: an entry given a second chance
// on the way goes to the front ahead of a new key.
func (m *model) store(k, v int, expire time.Duration) bool {
	if m.weighted && m.maxWeight > 0 && weightOf(v) > m.maxWeight {
		m.stats.Rejections++
		m.drop(k)
		return false
	}
	if e, ok := m.entries[k]; ok {
		cause := CauseReplaced
		if m.expired(e) {
			cause = CauseExpired
			m.stats.Expirations++
		}
		m.removed = append(m.removed, record[int, int]{k, e.value, cause})
		m.fitWeight(weightOf(v), k)
		if m.weighted {
			m.stats.Weight -= weightOf(e.value)
		}
	} else {
		m.fitWeight(weightOf(v), -1)
		if m.capacity > 0 && len(m.entries) >= m.capacity {
			m.evictOne(-1)
		}
	}
	m.entries[k] = modelEntry{v, expire}
	if m.weighted {
		m.stats.Weight += weightOf(v)
	}
	m.touch(k)
	return true
}

// fitWeight evicts, sparing keep (the key being overwritten, -1 for a new
// key), until the other entries leave room for w under the weight bound.
func (m *model) fitWeight(w uint64, keep int) {
	if !m.weighted || m.maxWeight == 0 {
		return
	}
	others, old := len(m.entries), uint64(0)
	if e, ok := m.entries[keep]; ok {
		others, old = others-1, weightOf(e.value)
	}
	for ; others > 0 && m.stats.Weight-old > m.maxWeight-w; others-- {
		m.evictOne(keep)
	}
}

// left is the ttl a live entry has left, as Compute and TTL report it.
func (m *model) left(e modelEntry) time.Duration {
	if e.expire == 0 {
		return NoExpiration
	}
	return e.expire - m.now
}

// expireKey gives the live entry of k the ttl, as Expire does.
func (m *model) expireKey(k int, ttl time.Duration) bool {
	e, ok := m.lookup(k)
	if !ok {
		return false
	}
	switch {
	case ttl <= 0:
		m.remove(k, CauseExpired)
	case ttl == NoExpiration:
		m.entries[k] = modelEntry{e.value, 0}
	default:
		m.entries[k] = modelEntry{e.value, m.now + ttl}
	}
	return true
}

func (m *model) drop(k int) {
	if e, ok := m.entries[k]; ok {
		if m.expired(e) {
			m.remove(k, CauseExpired)
		} else {
			m.remove(k, CauseReplaced)
		}
	}
}

// lookup finds a live entry, removing an expired one.
func (m *model) lookup(k int) (modelEntry, bool) {
	e, ok := m.entries[k]
	if ok && m.expired(e) {
		m.remove(k, CauseExpired)
		return modelEntry{}, false
	}
	return e, ok
}

func (m *model) get(k int) (int, bool) {
	e, ok := m.lookup(k)
	if !ok {
		m.stats.Misses++
		return 0, false
	}
	m.stats.Hits++
	m.touch(k)
	return e.value, true
}

// machine drives a cache and the model with the same random actions.
type machine struct {
	c          *Cache[int, int]
	m          *model
	removed    func() []record[int, int]
	exactOrder bool // one shard: eviction and iteration order are exact
	listening  bool // the cache has a removal callback, whose calls check compares
	sets       int
	ctx        context.Context
}

const propertyKeys = 8 // a small key range, so that keys collide and evict

func newMachine(t *rapid.T, shards int) *machine {
	m := &model{entries: map[int]modelEntry{}, marked: map[int]bool{}}
	opts := []Option{WithShards(shards)}
	if rapid.IntRange(0, 2).Draw(t, "policy") == 2 {
		m.clockPolicy = true
		opts = append(opts, WithPolicy(Clock))
	}
	if shards == 1 {
		m.capacity = rapid.IntRange(0, 6).Draw(t, "capacity")
		opts = append(opts, WithCapacity(m.capacity))
		if rapid.Bool().Draw(t, "weighted") {
			m.weighted = true
			m.maxWeight = uint64(rapid.IntRange(0, 12).Draw(t, "maxWeight"))
			opts = append(opts, WithMaxWeight(m.maxWeight), WithWeigher(func(k, v int) uint64 { return weightOf(v) }))
		}
	}
	if rapid.Bool().Draw(t, "hasDefaultTTL") {
		m.defaultTTL = time.Duration(rapid.IntRange(1, 3000).Draw(t, "defaultTTL")) * time.Millisecond
		opts = append(opts, WithDefaultTTL(m.defaultTTL))
	}
	// Without a callback (nobody listening) Set takes its lean path for
	// overwrites (see core.set); the removals are then not compared.
	removed := func() []record[int, int] { return nil }
	listening := rapid.IntRange(0, 3).Draw(t, "listening") > 0
	if listening {
		var opt Option
		opt, removed = recorder[int, int]()
		opts = append(opts, opt)
	}
	return &machine{
		c: New[int, int](opts...), m: m, removed: removed,
		exactOrder: shards == 1, ctx: context.Background(), listening: listening,
	}
}

// beforeSet moves the clock on by 1ns, so that no two Sets share a
// deadline: TTLs and time steps are whole milliseconds, so a deadline's
// nanoseconds name the Set that gave it, and the earliest expired entry is
// always unique.
func (s *machine) beforeSet() {
	time.Sleep(time.Nanosecond)
	s.m.now += time.Nanosecond
}

func drawTTL(t *rapid.T) time.Duration {
	switch rapid.IntRange(0, 5).Draw(t, "ttlKind") {
	case 0:
		return DefaultTTL
	case 1:
		return NoExpiration
	case 2:
		return -time.Duration(rapid.IntRange(1, 1000).Draw(t, "negativeTTL")) * time.Millisecond
	default:
		return time.Duration(rapid.IntRange(1, 3000).Draw(t, "ttl")) * time.Millisecond
	}
}

func (s *machine) actions() map[string]func(*rapid.T) {
	key := rapid.IntRange(0, propertyKeys-1)
	value := rapid.IntRange(0, 99)
	return map[string]func(*rapid.T){
		"Set": func(t *rapid.T) {
			k, v := key.Draw(t, "k"), value.Draw(t, "v")
			s.beforeSet()
			s.c.Set(k, v)
			s.m.set(k, v, DefaultTTL)
		},
		"SetWithTTL": func(t *rapid.T) {
			k, v, ttl := key.Draw(t, "k"), value.Draw(t, "v"), drawTTL(t)
			s.beforeSet()
			s.c.SetWithTTL(k, v, ttl)
			s.m.set(k, v, ttl)
		},
		"Get": func(t *rapid.T) {
			k := key.Draw(t, "k")
			v, ok := s.c.Get(k)
			wv, wok := s.m.get(k)
			equal(t, "Get ok", wok, ok)
			equal(t, "Get value", wv, v)
		},
		"Peek": func(t *rapid.T) {
			k := key.Draw(t, "k")
			v, ok := s.c.Peek(k)
			e, wok := s.m.lookup(k)
			equal(t, "Peek ok", wok, ok)
			equal(t, "Peek value", e.value, v)
		},
		"TTL": func(t *rapid.T) {
			k := key.Draw(t, "k")
			left, ok := s.c.TTL(k)
			e, wok := s.m.lookup(k)
			equal(t, "TTL ok", wok, ok)
			want := time.Duration(0)
			if wok {
				want = NoExpiration
				if e.expire != 0 {
					want = e.expire - s.m.now
				}
			}
			equal(t, "TTL", want, left)
		},
		"Delete": func(t *rapid.T) {
			k := key.Draw(t, "k")
			_, want := s.m.lookup(k)
			if want {
				s.m.remove(k, CauseDeleted)
			}
			equal(t, "Delete", want, s.c.Delete(k))
		},
		"GetOrLoad": func(t *rapid.T) {
			k, v := key.Draw(t, "k"), value.Draw(t, "v")
			s.beforeSet()
			got, err := s.c.GetOrLoad(s.ctx, k, func(context.Context, int) (int, error) { return v, nil })
			equal(t, "GetOrLoad error", nil, err)
			want, ok := s.m.get(k)
			if !ok {
				s.m.stats.Loads++
				s.m.set(k, v, DefaultTTL)
				want = v
			}
			equal(t, "GetOrLoad", want, got)
		},
		"Sleep": func(t *rapid.T) {
			d := time.Duration(rapid.IntRange(1, 2000).Draw(t, "ms")) * time.Millisecond
			time.Sleep(d)
			s.m.now += d
		},
		"DeleteExpired": func(t *rapid.T) {
			equal(t, "DeleteExpired", s.m.purge(), s.c.DeleteExpired())
		},
		"Clear": func(t *rapid.T) {
			s.m.purge()
			for _, k := range slices.Clone(s.m.order) {
				s.m.remove(k, CauseCleared)
			}
			s.c.Clear()
		},
		"Len": func(t *rapid.T) {
			s.m.purge()
			equal(t, "Len", len(s.m.entries), s.c.Len())
		},
		"All": func(t *rapid.T) {
			s.m.purge()
			var got, want []record[int, int]
			for k, v := range s.c.All() {
				got = append(got, record[int, int]{Key: k, Value: v})
			}
			for _, k := range s.m.order {
				want = append(want, record[int, int]{Key: k, Value: s.m.entries[k].value})
			}
			if !s.exactOrder {
				sortRecords(got)
				sortRecords(want)
			}
			equal(t, "All", want, got)
		},
		"SetIfAbsent": func(t *rapid.T) {
			k, v, ttl := key.Draw(t, "k"), value.Draw(t, "v"), drawTTL(t)
			s.beforeSet()
			want := false
			if _, ok := s.m.lookup(k); !ok {
				want = s.m.set(k, v, ttl)
			}
			equal(t, "SetIfAbsent", want, s.c.SetIfAbsent(k, v, ttl))
		},
		"Replace": func(t *rapid.T) {
			k, v, ttl := key.Draw(t, "k"), value.Draw(t, "v"), drawTTL(t)
			s.beforeSet()
			want := false
			if _, ok := s.m.lookup(k); ok {
				want = s.m.set(k, v, ttl)
			}
			equal(t, "Replace", want, s.c.Replace(k, v, ttl))
		},
		"Compute": func(t *rapid.T) {
			k, v, ttl := key.Draw(t, "k"), value.Draw(t, "v"), drawTTLOrKeep(t)
			op := ComputeOp(rapid.IntRange(0, 2).Draw(t, "op"))
			ifPresent := rapid.Bool().Draw(t, "ifPresent") // ComputeIfPresent
			s.beforeSet()
			e, found := s.m.lookup(k)
			var wantLeft time.Duration
			if found {
				wantLeft = s.m.left(e)
				v = (e.value + v) % 100 // a read-modify-write
			}
			want, wantOK := e.value, found
			switch {
			case ifPresent && !found: // nothing to do
			case op == ComputeStore:
				want, wantOK = v, s.m.set(k, v, ttl)
				if !wantOK {
					want = 0
				}
			case op == ComputeDelete:
				want, wantOK = 0, false
				if found {
					s.m.remove(k, CauseDeleted)
				}
			}
			called := false
			f := func(old int, left time.Duration, ok bool) (int, time.Duration, ComputeOp) {
				called = true
				equal(t, "Compute found", found, ok)
				equal(t, "Compute old", e.value, old)
				equal(t, "Compute ttl", wantLeft, left)
				return v, ttl, op
			}
			var got int
			var ok bool
			if ifPresent {
				got, ok = s.c.ComputeIfPresent(k, func(old int, left time.Duration) (int, time.Duration, ComputeOp) {
					return f(old, left, true)
				})
			} else {
				got, ok = s.c.Compute(k, f)
			}
			equal(t, "Compute called", found || !ifPresent, called)
			equal(t, "Compute ok", wantOK, ok)
			equal(t, "Compute value", want, got)
		},
		"GetAndSet": func(t *rapid.T) {
			k, v, ttl := key.Draw(t, "k"), value.Draw(t, "v"), drawTTLOrKeep(t)
			s.beforeSet()
			e, found := s.m.lookup(k)
			s.m.set(k, v, ttl)
			old, ok := s.c.GetAndSet(k, v, ttl)
			equal(t, "GetAndSet found", found, ok)
			equal(t, "GetAndSet old", e.value, old)
		},
		"GetAndDelete": func(t *rapid.T) {
			k := key.Draw(t, "k")
			e, found := s.m.lookup(k)
			if found {
				s.m.remove(k, CauseDeleted)
			}
			old, ok := s.c.GetAndDelete(k)
			equal(t, "GetAndDelete found", found, ok)
			equal(t, "GetAndDelete old", e.value, old)
		},
		"Expire": func(t *rapid.T) {
			k, ttl := key.Draw(t, "k"), drawExpireTTL(t)
			s.beforeSet()
			equal(t, "Expire", s.m.expireKey(k, ttl), s.c.Expire(k, ttl))
		},
		"GetAndExpire": func(t *rapid.T) {
			k, ttl := key.Draw(t, "k"), drawExpireTTL(t)
			s.beforeSet()
			want, wantOK := s.m.get(k)
			if wantOK {
				s.m.expireKey(k, ttl)
			}
			got, ok := s.c.GetAndExpire(k, ttl)
			equal(t, "GetAndExpire ok", wantOK, ok)
			equal(t, "GetAndExpire value", want, got)
		},
		"SetWithDeadline": func(t *rapid.T) {
			k, v := key.Draw(t, "k"), value.Draw(t, "v")
			s.beforeSet()
			var at time.Time
			want := true
			if rapid.Bool().Draw(t, "hasDeadline") {
				ttl := time.Duration(rapid.IntRange(-1000, 3000).Draw(t, "deadlineMs")) * time.Millisecond
				at = time.Now().Add(ttl)
				if ttl <= 0 {
					s.m.drop(k)
					want = false
				} else {
					want = s.m.store(k, v, s.m.now+ttl)
				}
			} else {
				want = s.m.store(k, v, 0)
			}
			equal(t, "SetWithDeadline", want, s.c.SetWithDeadline(k, v, at))
		},
		"Entries": func(t *rapid.T) {
			s.m.purge()
			epoch := s.c.c.clock.epoch
			var got, want []Entry[int, int]
			for e := range s.c.Entries() {
				got = append(got, e)
			}
			for _, k := range s.m.order {
				e := Entry[int, int]{Key: k, Value: s.m.entries[k].value}
				if x := s.m.entries[k].expire; x != 0 {
					e.Expiry = epoch.Add(x).Round(0)
				}
				want = append(want, e)
			}
			if !s.exactOrder {
				byKey := func(a, b Entry[int, int]) int { return cmp.Compare(a.Key, b.Key) }
				slices.SortFunc(got, byKey)
				slices.SortFunc(want, byKey)
			}
			equal(t, "Entries", want, got)
		},
		"Scan": func(t *rapid.T) {
			count := rapid.IntRange(0, 4).Draw(t, "count")
			s.m.purge()
			var got []int
			cursor := uint64(0)
			for steps := 0; ; steps++ {
				if steps > 2*propertyKeys+len(s.c.c.shards)+2 {
					t.Fatalf("Scan does not end: cursor %#x", cursor)
				}
				got, cursor = s.c.Scan(cursor, count, got)
				if cursor == 0 {
					break
				}
			}
			slices.Sort(got)
			equal(t, "Scan", slices.Sorted(maps.Keys(s.m.entries)), got)
		},
		"SetCapacity": func(t *rapid.T) {
			if !s.exactOrder {
				t.Skip("capacity is modelled with one shard")
			}
			n := rapid.IntRange(0, 6).Draw(t, "newCapacity")
			s.m.capacity = n
			for n > 0 && len(s.m.entries) > n {
				s.m.evictOne(-1)
			}
			s.c.SetCapacity(n)
			equal(t, "Capacity", n, s.c.Capacity())
		},
		"SetMaxWeight": func(t *rapid.T) {
			if !s.m.weighted {
				t.Skip("the cache weighs nothing")
			}
			w := uint64(rapid.IntRange(0, 12).Draw(t, "newMaxWeight"))
			s.m.maxWeight = w
			for w > 0 && s.m.stats.Weight > w && len(s.m.entries) > 0 {
				s.m.evictOne(-1)
			}
			s.c.SetMaxWeight(w)
			equal(t, "MaxWeight", w, s.c.MaxWeight())
		},
		"": s.check,
	}
}

// drawTTLOrKeep draws a ttl as drawTTL does, or KeepTTL.
func drawTTLOrKeep(t *rapid.T) time.Duration {
	if rapid.IntRange(0, 4).Draw(t, "keepTTL") == 0 {
		return KeepTTL
	}
	return drawTTL(t)
}

// drawExpireTTL draws a ttl for Expire: positive, NoExpiration, or zero or
// less (expire now).
func drawExpireTTL(t *rapid.T) time.Duration {
	switch rapid.IntRange(0, 3).Draw(t, "expireKind") {
	case 0:
		return NoExpiration
	case 1:
		return -time.Duration(rapid.IntRange(0, 1000).Draw(t, "expireNow")) * time.Millisecond
	default:
		return time.Duration(rapid.IntRange(1, 3000).Draw(t, "expireTTL")) * time.Millisecond
	}
}

// check compares the cache with the model after every action, without
// changing either: removals, counters, and the raw contents of the shards,
// expired entries not yet found included, so that expired entries can
// linger from one action to the next as they do in use.
func (s *machine) check(t *rapid.T) {

	got, want := s.removed(), s.m.removed
	s.m.removed = nil
	if !s.exactOrder {
		sortRecords(got)
		sortRecords(want)
	}
	if s.listening {
		equal(t, "removals", want, got)
	}
	equal(t, "stats", s.m.stats, s.c.Stats())

	var raw []int
	for i := range s.c.c.shards {
		sh := &s.c.c.shards[i]
		sh.mu.Lock()
		if sh.slab.len > sh.capacity {
			t.Fatalf("shard %d holds %d entries, over its capacity %d", i, sh.slab.len, sh.capacity)
		}
		for j := range sh.order.walk {
			e := sh.slab.entries[j]
			equal(t, "entry", s.m.entries[e.key], modelEntry{e.value, time.Duration(sh.slab.expire(j))})
			raw = append(raw, e.key)
		}
		sh.mu.Unlock()
	}
	if s.exactOrder {
		equal(t, "recency order", s.m.order, raw)
	} else {
		equal(t, "keys", slices.Sorted(maps.Keys(s.m.entries)), slices.Sorted(slices.Values(raw)))
	}
}

func sortRecords(r []record[int, int]) {
	slices.SortFunc(r, func(a, b record[int, int]) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Value, b.Value), cmp.Compare(a.Cause, b.Cause))
	})
}

func equal[T any](t *rapid.T, what string, want, got T) {
	t.Helper()
	if !reflect.DeepEqual(want, got) && !bothEmpty(want, got) {
		t.Fatalf("%s: want %v, got %v", what, want, got)
	}
}

// TestPropertyOneShard holds a one-shard cache, with or without a capacity,
// weight bound and default TTL, to the model: values, Len, exact eviction
// and recency order, removals with their causes, and all the counters.
func TestPropertyOneShard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(inBubble{t}, func(t *rapid.T) {
			s := newMachine(t, 1)
			defer s.c.Close()
			t.Repeat(s.actions())
		})
	})
}

// TestPropertySharded holds an unbounded cache of several shards to the
// model: without eviction, sharding must not change what is observable
// beyond the order of iteration.
func TestPropertySharded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(inBubble{t}, func(t *rapid.T) {
			s := newMachine(t, rapid.IntRange(2, 5).Draw(t, "shards"))
			defer s.c.Close()
			t.Repeat(s.actions())
		})
	})
}

// bothEmpty reports whether a and b are slices of length 0 (nil or not).
func bothEmpty(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.Kind() == reflect.Slice && vb.Kind() == reflect.Slice && va.Len() == 0 && vb.Len() == 0
}

// inBubble hides from rapid that it runs under a *testing.T, whose Deadline
// may not be called inside a synctest bubble; rapid then times itself with
// time.Now, the bubble's fake clock.
type inBubble struct{ *testing.T }

// TestMain runs the property tests longer than rapid's defaults (100 checks
// of 30 steps), unless the command line sets -rapid.checks or -rapid.steps.
func TestMain(m *testing.M) {
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, value := range map[string]string{"rapid.checks": "400", "rapid.steps": "100"} {
		if !set[name] {
			if err := flag.Set(name, value); err != nil {
				panic(err)
			}
		}
	}
	os.Exit(m.Run())
}

// TestPropertyLeanWritesMatchTheGeneralPath drives two caches of the same
// policy, capacity and hash function with the same operations: one with no
// removal callback, whose Sets take the lean paths (an overwrite in place,
// an insert into a full shard recycling the victim's slot, see core.set),
// and one with a callback, whose Sets go through putLocked. After every
// operation both must hold the same entries in the same slots, in the same
// order, with the same counts.
func TestPropertyLeanWritesMatchTheGeneralPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(inBubble{t}, func(t *rapid.T) {
			policy := rapid.SampledFrom([]Policy{LRU, WTinyLFU, Clock}).Draw(t, "policy")
			opts := []Option{
				WithPolicy(policy),
				WithCapacity(rapid.IntRange(1, 40).Draw(t, "capacity")),
				WithShards(rapid.IntRange(1, 3).Draw(t, "shards")),
			}
			lean := New[int, int](opts...)
			defer lean.Close()
			opt, _ := recorder[int, int]()
			general := New[int, int](append(opts, opt)...)
			defer general.Close()
			general.c.hashFn = lean.c.hashFn // the same shards, slots and tags
			for i := range general.c.shards {
				general.c.shards[i].hash = lean.c.hashFn
			}
			key := rapid.IntRange(0, 120)
			both := func(f func(c *Cache[int, int])) {
				f(lean)
				f(general)
			}
			t.Repeat(map[string]func(*rapid.T){
				"Set": func(t *rapid.T) {
					k, v := key.Draw(t, "k"), rapid.Int().Draw(t, "v")
					both(func(c *Cache[int, int]) { c.Set(k, v) })
				},
				"SetWithTTL": func(t *rapid.T) { // rare: a deadline ends the lean paths in its shard
					if rapid.IntRange(0, 20).Draw(t, "ttl?") > 0 {
						return
					}
					k, ttl := key.Draw(t, "k"), time.Duration(rapid.IntRange(1, 50).Draw(t, "ms"))*time.Millisecond
					both(func(c *Cache[int, int]) { c.SetWithTTL(k, k, ttl) })
				},
				"Get": func(t *rapid.T) {
					k := key.Draw(t, "k")
					v1, ok1 := lean.Get(k)
					v2, ok2 := general.Get(k)
					equal(t, "Get", [2]any{v2, ok2}, [2]any{v1, ok1})
				},
				"Delete": func(t *rapid.T) {
					k := key.Draw(t, "k")
					both(func(c *Cache[int, int]) { c.Delete(k) })
				},
				"Sleep": func(t *rapid.T) {
					time.Sleep(time.Duration(rapid.IntRange(1, 30).Draw(t, "ms")) * time.Millisecond)
				},
				"": func(t *rapid.T) {
					equal(t, "stats", general.Stats(), lean.Stats())
					for i := range lean.c.shards {
						a, b := &lean.c.shards[i], &general.c.shards[i]
						var gotSlots, wantSlots []uint32
						var got, want []int
						for j := range a.order.walk {
							gotSlots, got = append(gotSlots, j), append(got, a.slab.entries[j].key)
						}
						for j := range b.order.walk {
							wantSlots, want = append(wantSlots, j), append(want, b.slab.entries[j].key)
						}
						equal(t, "keys in order", want, got)
						equal(t, "slots in order", wantSlots, gotSlots)
					}
				},
			})
		})
	})
}
