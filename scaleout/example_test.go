package scaleout_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/minicache/minicache/scaleout"
)

// ExampleNearCache runs a NearCache in front of a redis-server the example
// starts itself (when redis-server is installed).
func ExampleNearCache() {
	addr, stop := exampleRedis()
	defer stop()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()

	// Each process keeps at most 10k keys for 2 s: a write made by another
	// process is seen here within 2 s (plus one Redis round trip).
	nc := scaleout.NewNearCache(rdb, 2*time.Second, 10_000)
	defer nc.Close()

	_ = nc.Set(ctx, "user:1", "Ada", time.Hour) // to Redis; the local copy is dropped
	for range 3 {
		v, found, err := nc.Get(ctx, "user:1") // one GET reaches Redis, two hits
		fmt.Println(v, found, err)
	}
	s := nc.Stats()
	fmt.Println("redis GETs:", s.Loads, "local hits:", s.Hits)
	// Output:
	// Ada true <nil>
	// Ada true <nil>
	// Ada true <nil>
	// redis GETs: 1 local hits: 2
}

// exampleRedis starts a throwaway redis-server on a free loopback port. An
// example cannot skip: without redis-server its output check fails, loudly.
func exampleRedis() (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		fmt.Println("example needs redis-server:", err)
		return "127.0.0.1:1", func() {}
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	for range 500 {
		if c.Ping(context.Background()).Err() == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.Close()
	return addr, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}

// ExampleNewRueidisCacheStore makes minicache the store of rueidis's
// client-side caching: Redis invalidates what the client holds.
func ExampleNewRueidisCacheStore() {
	addr, stop := exampleRedis()
	defer stop()
	ctx := context.Background()
	client, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:     []string{addr},
		NewCacheStoreFn: scaleout.NewRueidisCacheStore, // one minicache per connection
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	_ = client.Do(ctx, client.B().Set().Key("greeting").Value("hello").Build()).Error()
	for range 2 {
		res := client.DoCache(ctx, client.B().Get().Key("greeting").Cache(), time.Minute)
		v, _ := res.ToString()
		fmt.Println(v, "served locally:", res.IsCacheHit())
	}
	// Output:
	// hello served locally: false
	// hello served locally: true
}
