// Command ceiling is the reference point of bench/http.sh: the smallest
// net/http server that answers every request with a fixed JSON body, the
// size of a minicache GET hit. What it sustains on a core is the ceiling of
// Go's HTTP stack on that machine; minicache's figures are reported as
// ratios to it. With -timeouts it uses the same http.Server limits as
// cmd/minicache, to show what those cost. It uses the standard library only.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3100", "address to listen on")
	timeouts := flag.Bool("timeouts", false, "set the timeouts and header limit of cmd/minicache")
	flag.Parse()
	body := []byte(`{"key":"k:123456","value":"value-of-32-bytes-0123456789abc"}`)
	contentType := []string{"application/json"}
	srv := &http.Server{
		Addr: *addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = contentType
			_, _ = w.Write(body)
		}),
	}
	if *timeouts { // as in cmd/minicache/run.go
		srv.ReadHeaderTimeout = 5 * time.Second
		srv.ReadTimeout = 30 * time.Second
		srv.WriteTimeout = 30 * time.Second
		srv.IdleTimeout = 2 * time.Minute
		srv.MaxHeaderBytes = 64 << 10
	}
	log.Fatal(srv.ListenAndServe())
}
