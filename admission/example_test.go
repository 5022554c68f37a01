package admission_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/admission"
	"github.com/minicache/minicache/httpserver"
	"github.com/minicache/minicache/respserver"
)

// Both front ends over one cache share one budget of bytes in flight, so
// that a flood on either cannot take more than 8 MiB of request memory
// between them.
func Example_sharedBetweenFrontEnds() {
	c := minicache.New[string, string](minicache.WithCapacity(1000))
	defer c.Close()
	budget := admission.New(8 << 20)

	web := httptest.NewServer(httpserver.New(c, httpserver.WithBudget(budget)))
	defer web.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp := respserver.New(c, respserver.WithBudget(budget))
	go resp.Serve(ln)
	defer resp.Close()

	// A value of 1 MiB over the Redis protocol, read back over REST.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	value := strings.Repeat("x", 1<<20)
	fmt.Fprintf(conn, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n", len(value), value)
	reply, _ := bufio.NewReader(conn).ReadString('\n')
	fmt.Printf("%q\n", reply)

	r, err := http.Get(web.URL + "/get/big")
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Body.Close()
	fmt.Println(r.StatusCode, r.ContentLength > 1<<20, budget.Used())
	// Output:
	// "+OK\r\n"
	// 200 true 0
}
