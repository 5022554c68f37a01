// Package clienttest checks that real Redis clients work against
// respserver: go-redis v9 and rueidis in RESP2 and RESP3, redis-cli (plain,
// -3, --scan, --pipe) and a short redis-benchmark run. It is a module of its
// own so that the library's go.mod names none of them.
package clienttest
