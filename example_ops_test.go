package minicache_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minicache/minicache"
)

// Compute makes a read-modify-write of one key atomic: here a counter that
// keeps its time to live, as Redis INCR does.
func ExampleCache_Compute() {
	c := minicache.New[string, int]()
	c.SetWithTTL("hits", 41, time.Hour)
	incr := func(v int, _ time.Duration, _ bool) (int, time.Duration, minicache.ComputeOp) {
		return v + 1, minicache.KeepTTL, minicache.ComputeStore
	}
	n, _ := c.Compute("hits", incr)
	left, _ := c.TTL("hits")
	fmt.Println(n, left > 59*time.Minute)

	// Delete a key only if it holds a given value.
	_, present := c.Compute("hits", func(v int, _ time.Duration, found bool) (int, time.Duration, minicache.ComputeOp) {
		if found && v == 42 {
			return 0, 0, minicache.ComputeDelete
		}
		return v, 0, minicache.ComputeKeep
	})
	fmt.Println(present)
	// Output:
	// 42 true
	// false
}

// ComputeIfPresent updates a key only if it is there, and keeps no
// reference to the key it is given: a server that reads keys as bytes
// updates existing counters without copying the key to the heap, and falls
// back to Compute, which stores a copy, only for a new one.
func ExampleCache_ComputeIfPresent() {
	c := minicache.New[string, int]()
	incr := func(v int, _ time.Duration) (int, time.Duration, minicache.ComputeOp) {
		return v + 1, minicache.KeepTTL, minicache.ComputeStore
	}
	key := []byte("visits") // as read from a connection
	for range 3 {
		if _, ok := c.ComputeIfPresent(string(key), incr); !ok {
			c.Compute(string(key), func(v int, _ time.Duration, _ bool) (int, time.Duration, minicache.ComputeOp) {
				return v + 1, minicache.KeepTTL, minicache.ComputeStore
			})
		}
	}
	n, _ := c.Get("visits")
	fmt.Println(n)
	_, ok := c.ComputeIfPresent("absent", incr)
	fmt.Println(ok)
	// Output:
	// 3
	// false
}

func ExampleCache_SetIfAbsent() {
	c := minicache.New[string, string]()
	fmt.Println(c.SetIfAbsent("lock", "worker-1", 30*time.Second))
	fmt.Println(c.SetIfAbsent("lock", "worker-2", 30*time.Second))
	fmt.Println(c.Replace("missing", "x", minicache.DefaultTTL))
	v, _ := c.Get("lock")
	fmt.Println(v)
	// Output:
	// true
	// false
	// false
	// worker-1
}

func ExampleCache_GetAndSet() {
	c := minicache.New[string, string]()
	c.SetWithTTL("config", "v1", time.Hour)
	old, ok := c.GetAndSet("config", "v2", minicache.KeepTTL)
	fmt.Println(old, ok)
	v, ok := c.GetAndDelete("config")
	fmt.Println(v, ok, c.Len())
	// Output:
	// v1 true
	// v2 true 0
}

// Expire changes a deadline without touching the value; GetAndExpire reads
// and extends it in one step, for sliding expiry on demand.
func ExampleCache_Expire() {
	c := minicache.New[string, string]()
	c.Set("session", "abc")
	c.Expire("session", 10*time.Minute)
	left, _ := c.TTL("session")
	fmt.Println(left > 9*time.Minute)

	v, _ := c.GetAndExpire("session", time.Hour)
	left, _ = c.TTL("session")
	fmt.Println(v, left > 59*time.Minute)

	c.Expire("session", minicache.NoExpiration)
	left, _ = c.TTL("session")
	fmt.Println(left == minicache.NoExpiration)
	// Output:
	// true
	// abc true
	// true
}

// Scan walks a cache that is being written to in steps of bounded work,
// like Redis SCAN: each key present throughout is returned.
func ExampleCache_Scan() {
	c := minicache.New[string, int](minicache.WithShards(4))
	for i := range 10 {
		c.Set("k"+strconv.Itoa(i), i)
	}
	var keys []string
	for cursor := uint64(0); ; {
		keys, cursor = c.Scan(cursor, 3, keys)
		c.Set("new", 1) // concurrent writes are allowed
		if cursor == 0 {
			break
		}
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "new" })
	slices.Sort(keys)
	fmt.Println(keys)
	// Output:
	// [k0 k1 k2 k3 k4 k5 k6 k7 k8 k9]
}

// Entries and SetWithDeadline copy a cache with its deadlines, as a snapshot
// does: stored least recently used first, the copy keeps the recency order.
func ExampleCache_Entries() {
	src := minicache.New[string, string](minicache.WithCapacity(10)) // one shard: exact order
	src.SetWithTTL("a", "1", time.Hour)
	src.Set("b", "2")
	entries := slices.Collect(src.Entries()) // most recently used first

	dst := minicache.New[string, string](minicache.WithCapacity(10))
	for _, e := range slices.Backward(entries) {
		dst.SetWithDeadline(e.Key, e.Value, e.Expiry)
	}
	left, _ := dst.TTL("a")
	fmt.Println(slices.Collect(dst.Keys()), left > 59*time.Minute)
	// Output:
	// [b a] true
}

func ExampleCache_SetCapacity() {
	c := minicache.New[int, int](minicache.WithCapacity(100))
	for i := range 100 {
		c.Set(i, i)
	}
	c.SetCapacity(10) // evicts the 90 least recently used
	_, ok := c.Get(95)
	fmt.Println(c.Len(), c.Capacity(), ok)
	// Output:
	// 10 10 true
}

func ExampleCache_SetMaxWeight() {
	c := minicache.New[string, string](
		minicache.WithWeigher(func(k, v string) uint64 { return uint64(len(k) + len(v)) }),
	)
	for i := range 100 {
		c.Set(fmt.Sprintf("key%02d", i), "0123456789") // 15 bytes each
	}
	c.SetMaxWeight(150) // like CONFIG SET maxmemory
	fmt.Println(c.Len(), c.Stats().Weight)
	fmt.Println(c.Set("big", string(make([]byte, 200)))) // alone over the bound
	// Output:
	// 10 150
	// false
}

// Save and Load give a cache a warm restart: entries, deadlines and recency
// survive, and expired entries are dropped on the way.
func ExampleCache_Save() {
	c := minicache.New[string, string](minicache.WithCapacity(1000))
	c.SetWithTTL("session:1", "ada", time.Hour)
	c.Set("config", "v1")

	var file bytes.Buffer // an *os.File in a real program
	n, err := c.Save(&file)
	fmt.Println(n, err)

	restarted := minicache.New[string, string](minicache.WithCapacity(1000))
	n, err = restarted.Load(&file)
	v, _ := restarted.Get("session:1")
	fmt.Println(n, err, v)

	_, err = restarted.Load(strings.NewReader("not a snapshot"))
	fmt.Println(errors.Is(err, minicache.ErrSnapshot), err)
	// Output:
	// 2 <nil>
	// 2 <nil> ada
	// true minicache: invalid snapshot: not a minicache snapshot
}

// W-TinyLFU keeps what is used often through a scan that would flush an LRU
// cache; Clock, an approximation of LRU, is flushed as LRU is.
func ExampleWithPolicy() {
	for _, p := range []minicache.Policy{minicache.LRU, minicache.WTinyLFU, minicache.Clock} {
		c := minicache.New[int, int](minicache.WithCapacity(100), minicache.WithPolicy(p))
		for range 10 { // a hot set, read again and again
			for k := range 50 {
				if _, ok := c.Get(k); !ok {
					c.Set(k, k)
				}
			}
		}
		for k := 1000; k < 2000; k++ { // one pass over cold keys
			c.Set(k, k)
		}
		hot := 0
		for k := range 50 {
			if _, ok := c.Peek(k); ok {
				hot++
			}
		}
		fmt.Printf("%s keeps at least 45 of 50 hot keys: %v\n", c.Policy(), hot >= 45)
	}
	// Output:
	// lru keeps at least 45 of 50 hot keys: false
	// w-tinylfu keeps at least 45 of 50 hot keys: true
	// clock keeps at least 45 of 50 hot keys: false
}

// Prefetch before a batch of operations on keys that may not be in the
// CPU's caches, such as the keys of an MGET: their trips to memory then
// overlap.
func ExampleCache_Prefetch() {
	c := minicache.New[string, string]()
	defer c.Close()
	c.Set("user:1", "ada")
	c.Set("user:2", "grace")

	batch := []string{"user:1", "user:2", "user:3"}
	c.Prefetch(batch...) // a hint: changes nothing, counts nothing
	for _, k := range batch {
		v, ok := c.Get(k)
		fmt.Println(k, v, ok)
	}
	fmt.Println(c.Stats().Hits, c.Stats().Misses)
	// Output:
	// user:1 ada true
	// user:2 grace true
	// user:3  false
	// 2 1
}
