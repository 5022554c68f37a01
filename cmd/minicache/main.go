// Command minicache runs the minicache REST server: the API of the original
// Mini Redis (PUT /set, GET /get/{key}, DELETE /del/{key}, GET /stats,
// GET /health) over an in-memory LRU cache with TTLs. With CACHE_RESP_PORT
// it also serves the same cache over the Redis protocol (package
// respserver), for redis-cli and any Redis client.
//
// Usage:
//
//	minicache [flags]
//
// Every setting has an environment variable and a flag; a flag wins over the
// variable, which wins over the default. Run "minicache -h" for the list.
// An invalid setting, or an address it cannot listen on, stops it at once
// with exit status 2 and a message naming the variable or flag used.
//
// SIGINT or SIGTERM stops the server gracefully: it stops accepting
// connections, lets in-flight requests finish and Redis-protocol clients get
// the replies to what they sent (up to 10 seconds), closes the
// cache and exits with status 0. A second signal kills it at once.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore the default action: a second signal kills the process
	}()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "minicache:", err)
		var ce *configError
		if errors.As(err, &ce) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
