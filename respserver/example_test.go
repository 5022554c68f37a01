package respserver_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/respserver"
)

// Serve a cache over the Redis protocol on a loopback port, talk to it as
// redis-cli would (inline commands), and shut it down gracefully.
func Example() {
	cache := minicache.New[string, string](minicache.WithCapacity(10_000))
	defer cache.Close()
	srv := respserver.New(cache, respserver.WithIdleTimeout(5*time.Minute))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "SET greeting hello EX 60\r\nGET greeting\r\nINCR visits\r\nTTL greeting\r\n")
	r := bufio.NewReader(conn)
	for range 5 { // +OK, $5, hello, :1, :60
		line, _ := r.ReadString('\n')
		fmt.Printf("%q\n", line)
	}
	v, _ := cache.Get("visits") // the cache is shared with the program
	fmt.Println("visits:", v)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(srv.Shutdown(ctx))
	// Output:
	// "+OK\r\n"
	// "$5\r\n"
	// "hello\r\n"
	// ":1\r\n"
	// ":60\r\n"
	// visits: 1
	// <nil>
}
