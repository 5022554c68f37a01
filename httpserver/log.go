package httpserver

import (
	"log/slog"
	"net/http"
	"time"
)

// recorder wraps a ResponseWriter to learn the status and size of a response
// for the debug request log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	start  time.Time
}

func (rec *recorder) WriteHeader(status int) {
	rec.status = status
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// log writes one debug line for the request r.
func (rec *recorder) log(l *slog.Logger, r *http.Request) {
	l.LogAttrs(r.Context(), slog.LevelDebug, "request",
		slog.String("method", r.Method),
		slog.String("path", requestPath(r)),
		slog.Int("status", rec.status),
		slog.Int("bytes", rec.bytes),
		slog.Duration("duration", time.Since(rec.start)),
		slog.String("remote", r.RemoteAddr))
}
