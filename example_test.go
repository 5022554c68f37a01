package minicache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/minicache/minicache"
)

func Example() {
	c := minicache.New[string, []byte](
		minicache.WithCapacity(10_000),             // LRU eviction beyond 10k entries
		minicache.WithDefaultTTL(5*time.Minute),    // what Set gives an entry
		minicache.WithCleanupInterval(time.Minute), // a janitor removes expired entries
	)
	defer c.Close()

	c.Set("user:1", []byte("Ada"))
	if v, ok := c.Get("user:1"); ok {
		fmt.Printf("%s\n", v)
	}
	_, ok := c.Get("user:2")
	fmt.Println(ok, c.Len(), c.Stats().HitRatio())
	// Output:
	// Ada
	// false 1 0.5
}

func ExampleCache_SetWithTTL() {
	c := minicache.New[string, string]()
	c.SetWithTTL("session", "abc", 20*time.Millisecond)
	c.SetWithTTL("config", "v1", minicache.NoExpiration)

	left, _ := c.TTL("session")
	fmt.Println(left > 0, left <= 20*time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	_, ok := c.Get("session")
	fmt.Println("session present:", ok)
	left, ok = c.TTL("config")
	fmt.Println(left == minicache.NoExpiration, ok)
	// Output:
	// true true
	// session present: false
	// true true
}

func ExampleCache_GetOrLoad() {
	c := minicache.New[int, string](minicache.WithCapacity(100))
	load := func(ctx context.Context, id int) (string, error) {
		fmt.Println("loading", id) // a database query, say
		return fmt.Sprintf("user %d", id), nil
	}
	for range 3 {
		v, err := c.GetOrLoad(context.Background(), 42, load)
		fmt.Println(v, err)
	}
	// Output:
	// loading 42
	// user 42 <nil>
	// user 42 <nil>
	// user 42 <nil>
}

func ExampleWithRemovalCallback() {
	c := minicache.New[string, int](
		minicache.WithCapacity(2),
		minicache.WithRemovalCallback(func(k string, v int, cause minicache.RemovalCause) {
			fmt.Printf("%s=%d %s\n", k, v, cause)
		}),
	)
	c.Set("a", 1)
	c.Set("b", 2)
	c.Set("a", 10) // replaces a's value; b is now least recently used
	c.Set("c", 3)  // evicts b
	c.Delete("c")
	c.Clear()
	// Output:
	// a=1 replaced
	// b=2 evicted
	// c=3 deleted
	// a=10 cleared
}

func ExampleWithMaxWeight() {
	// Bound the cache by the bytes of its keys and values. One shard keeps
	// the eviction order exact.
	c := minicache.New[string, string](
		minicache.WithShards(1),
		minicache.WithMaxWeight(16),
		minicache.WithWeigher(func(k, v string) uint64 { return uint64(len(k) + len(v)) }),
	)
	c.Set("a", "1234567")                // 8 bytes
	c.Set("b", "1234567")                // 16 bytes: full
	c.Set("c", "123")                    // 20 bytes: a, the least recently used, goes
	c.Set("d", "too long for the bound") // heavier than the bound: rejected
	for k := range c.Keys() {
		fmt.Println(k)
	}
	st := c.Stats()
	fmt.Println("weight", st.Weight, "evictions", st.Evictions, "rejections", st.Rejections)
	// Output:
	// c
	// b
	// weight 12 evictions 1 rejections 1
}

func ExampleCache_All() {
	c := minicache.New[string, int](minicache.WithShards(1))
	c.Set("x", 1)
	c.Set("y", 2)
	c.Set("z", 3)
	c.Get("x")
	// With one shard, All yields from the most to the least recently used.
	for k, v := range c.All() {
		fmt.Println(k, v)
	}
	// Output:
	// x 1
	// z 3
	// y 2
}

func ExampleCache_Stats() {
	c := minicache.New[int, int](minicache.WithCapacity(1))
	c.Set(1, 1)
	c.Get(1) // hit
	c.Get(2) // miss
	c.Set(2, 2)
	s := c.Stats()
	fmt.Printf("hits=%d misses=%d evictions=%d ratio=%.2f\n", s.Hits, s.Misses, s.Evictions, s.HitRatio())
	// Output:
	// hits=1 misses=1 evictions=1 ratio=0.50
}
