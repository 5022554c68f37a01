// Package promcheck holds a test, and nothing else: it parses the GET
// /metrics answer of httpserver with Prometheus's own text parser, which
// the library module does not depend on.
package promcheck
