package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/minicache/minicache"
)

// config is the effective configuration of the server.
type config struct {
	host            string
	port            int
	respPort        int // 0: no Redis protocol server
	maxEntries      int
	defaultTTL      time.Duration
	cleanupInterval time.Duration
	logLevel        slog.Level
	maxMemory       uint64
	maxConnections  int
	authToken       string
	policy          minicache.Policy
	snapshotPath    string
	snapshotEvery   time.Duration
	metrics         string // "on", "open" or "off"

	// source names where each setting came from, by variable name:
	// "flag -port", "CACHE_PORT" or "default of CACHE_PORT".
	source map[string]string
}

// setting is one configuration knob: its environment variable, its flag, its
// default (in the same syntax as the variable) and how to parse it.
type setting struct {
	env, flag, def, usage string
	parse                 func(c *config, v string) error
}

// settings lists every knob, in the order -h shows them.
var settings = []setting{
	{"CACHE_HOST", "host", "127.0.0.1",
		"address to listen on; 0.0.0.0 or :: listens on every interface (set CACHE_AUTH_TOKEN then)",
		func(c *config, v string) error { c.host = v; return nil }},
	{"CACHE_PORT", "port", "3000",
		"TCP port to listen on, 0-65535 (0: any free port; the start log shows which)",
		func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 65535 {
				return errors.New("not a port number (0-65535)")
			}
			c.port = n
			return nil
		}},
	{"CACHE_RESP_PORT", "resp-port", "0",
		"TCP port of the Redis protocol (RESP) server on CACHE_HOST, for redis-cli and Redis clients, serving the same cache, 1-65535 (0: off)",
		func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 65535 {
				return errors.New("not a port number (0-65535)")
			}
			c.respPort = n
			return nil
		}},
	{"CACHE_MAX_ENTRIES", "max-entries", "1000",
		"maximum number of entries before LRU eviction (0: unbounded)",
		func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("not a non-negative integer")
			}
			c.maxEntries = n
			return nil
		}},
	{"CACHE_DEFAULT_TTL", "default-ttl", "300",
		"TTL of an entry set without one, in seconds or as a Go duration such as 5m, at least 1s as a PUT's ttl (0: never expire)",
		func(c *config, v string) (err error) {
			c.defaultTTL, err = parseFloored(v, time.Second, "the shortest ttl a PUT may give; 0 never expires")
			return err
		}},
	{"CACHE_CLEANUP_INTERVAL", "cleanup-interval", "60",
		"how often expired entries are swept, in seconds or as a Go duration, at least " + minCleanupInterval.String() + " (0: never; expired entries are still never served)",
		func(c *config, v string) (err error) {
			c.cleanupInterval, err = parseFloored(v, minCleanupInterval, "0 turns the sweep off")
			return err
		}},
	{"CACHE_MAX_MEMORY", "max-memory", "0",
		"bound on the bytes of keys plus values plus 64 per entry, LRU-evicting beyond it: a byte count or a size such as 512KiB, 64MiB, 1GB (0: no bound)",
		func(c *config, v string) (err error) {
			c.maxMemory, err = parseSize(v)
			if err == nil && c.maxMemory > minicache.MaxWeightLimit {
				return fmt.Errorf("too large: at most %d bytes (4 EiB)", uint64(minicache.MaxWeightLimit))
			}
			return err
		}},
	{"CACHE_EVICTION_POLICY", "eviction-policy", "allkeys-lru",
		"what a full cache evicts, named after Redis's maxmemory-policy: allkeys-lru (the least recently used), allkeys-lfu (adaptive W-TinyLFU: recency and frequency, best where the working set exceeds the cache) or allkeys-clock (CLOCK: LRU approximated, reads of hot keys without a lock)",
		func(c *config, v string) error {
			switch strings.ToLower(v) {
			case "allkeys-lru":
				c.policy = minicache.LRU
			case "allkeys-lfu":
				c.policy = minicache.WTinyLFU
			case "allkeys-clock":
				c.policy = minicache.Clock
			default:
				return errors.New("not allkeys-lru, allkeys-lfu or allkeys-clock (every key may be evicted: Redis's volatile-*, allkeys-random and noeviction policies are not offered)")
			}
			return nil
		}},
	{"CACHE_METRICS", "metrics", "on",
		"GET /metrics in the Prometheus text format: on (behind CACHE_AUTH_TOKEN like every route), open (no token, like /health) or off",
		func(c *config, v string) error {
			switch v = strings.ToLower(v); v {
			case "on", "open", "off":
				c.metrics = v
				return nil
			}
			return errors.New("not one of on, open, off")
		}},
	{"CACHE_SNAPSHOT_PATH", "snapshot-path", "",
		"file the cache is saved to and loaded from at start, for warm restarts; its directory must exist and be writable (empty: no snapshots)",
		func(c *config, v string) error { c.snapshotPath = v; return nil }},
	{"CACHE_SNAPSHOT_INTERVAL", "snapshot-interval", "0",
		"how often a snapshot is saved in the background, in seconds or as a Go duration, at least 1s (0: only at shutdown)",
		func(c *config, v string) (err error) {
			c.snapshotEvery, err = parseFloored(v, time.Second, "0 saves only at shutdown")
			return err
		}},
	{"CACHE_MAX_CONNECTIONS", "max-connections", "1024",
		"most client connections served at once; more wait in the listen backlog until one closes (0: no bound)",
		func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("not a non-negative integer")
			}
			c.maxConnections = n
			return nil
		}},
	{"CACHE_LOG_LEVEL", "log-level", "info",
		"log level: debug (logs every request), info, warn or error",
		func(c *config, v string) error {
			switch strings.ToLower(v) {
			case "debug":
				c.logLevel = slog.LevelDebug
			case "info":
				c.logLevel = slog.LevelInfo
			case "warn", "warning":
				c.logLevel = slog.LevelWarn
			case "error":
				c.logLevel = slog.LevelError
			default:
				return errors.New("not one of debug, info, warn, error")
			}
			return nil
		}},
	{"CACHE_AUTH_TOKEN", "auth-token", "",
		"if set, every request but GET /health needs the header \"Authorization: Bearer <token>\", and the Redis protocol server asks for it as the password (prefer the variable: a flag shows in ps)",
		func(c *config, v string) error { c.authToken = v; return nil }},
}

// configError is an invalid configuration: the program exits with status 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// errHelp reports that -h or -help was given.
var errHelp = flag.ErrHelp

// parseConfig builds the configuration from the defaults, the environment
// (getenv; an empty variable counts as unset) and the command line, in
// increasing order of precedence. An error names the variable or flag at
// fault.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("minicache", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fromFlag := make(map[string]string)
	for _, s := range settings {
		fs.Func(s.flag, s.usage, func(v string) error {
			fromFlag[s.flag] = v
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, errHelp
		}
		return config{}, &configError{err.Error() + " (run minicache -h for the flags)"}
	}
	if fs.NArg() > 0 {
		return config{}, &configError{fmt.Sprintf("unexpected argument %q (run minicache -h for the flags)", fs.Arg(0))}
	}

	c := config{source: make(map[string]string, len(settings))}
	for _, s := range settings {
		v, source := s.def, "default of "+s.env
		if e := getenv(s.env); e != "" {
			v, source = e, s.env
		}
		if f, ok := fromFlag[s.flag]; ok {
			v, source = f, "flag -"+s.flag
		}
		if err := s.parse(&c, v); err != nil {
			return config{}, &configError{fmt.Sprintf("invalid %s=%q: %v", source, v, err)}
		}
		c.source[s.env] = source
	}
	if c.snapshotEvery != 0 && c.snapshotPath == "" {
		return config{}, &configError{fmt.Sprintf("invalid %s=%v: snapshots need CACHE_SNAPSHOT_PATH (flag -snapshot-path), the file to save them to",
			c.source["CACHE_SNAPSHOT_INTERVAL"], c.snapshotEvery)}
	}
	return c, nil
}

// printUsage writes the -h text to w.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: minicache [flags]

minicache serves an in-memory LRU cache with TTLs over a REST API:
PUT /set, GET /get/{key}, DELETE /del/{key}, GET /stats, GET /health;
with CACHE_RESP_PORT, also over the Redis protocol (redis-cli, Redis clients).

Every setting comes from a flag, else its environment variable, else the default.

`)
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "  -%s, %s (default %s)\n      %s\n", s.flag, s.env, def, s.usage)
	}
	fmt.Fprint(w, `
SIGINT or SIGTERM shuts the server down gracefully; a second signal kills it.
Invalid settings and listen failures exit with status 2.
`)
}

// minCleanupInterval is the shortest sweep period accepted. A sweep visits
// every shard (up to 1024) under its lock, so a period of 1ms keeps an idle
// server busy (4.6% of a core measured) while it reclaims nothing a reader
// could see: expired entries are never served. 100ms is the period of
// Redis's own active expiry (hz 10).
const minCleanupInterval = 100 * time.Millisecond

// maxSeconds is the largest duration in whole seconds: about 292 years.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// durationSyntax matches what time.ParseDuration accepts, so that a
// well-formed duration it refuses is known to be too large.
var durationSyntax = regexp.MustCompile(`^[+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// parseSeconds parses a non-negative duration written as whole seconds
// ("300") or as a Go duration ("5m", "1h30m").
func parseSeconds(v string) (time.Duration, error) {
	tooLarge := fmt.Errorf("too large: at most %d seconds (%v, about 292 years)", maxSeconds, time.Duration(maxSeconds)*time.Second)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case err != nil && v[0] == '-', err == nil && n < 0:
			return 0, errors.New("negative: want 0 or more seconds")
		case err != nil, n > maxSeconds:
			return 0, tooLarge
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil && durationSyntax.MatchString(v):
		return 0, tooLarge
	case err != nil:
		return 0, errors.New("not a non-negative number of seconds or duration such as 90s, 5m")
	case d < 0:
		return 0, errors.New("negative: want 0 or more seconds")
	}
	return d, nil
}

// parseFloored parses a duration as parseSeconds does and refuses one
// below floor other than 0, saying why in note.
func parseFloored(v string, floor time.Duration, note string) (time.Duration, error) {
	d, err := parseSeconds(v)
	if err == nil && d != 0 && d < floor {
		return 0, fmt.Errorf("below the floor of %v (%s)", floor, note)
	}
	return d, err
}

// sizeUnits maps the accepted size suffixes, in lower case, to bytes.
var sizeUnits = map[string]uint64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseSize parses a byte count: digits, optionally followed by a unit
// (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024;
// case-insensitive), with or without a space in between.
func parseSize(v string) (uint64, error) {
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	const want = "not a size: want a byte count such as 67108864 or 64MiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
	if i == 0 {
		return 0, errors.New(want)
	}
	n, err := strconv.ParseUint(v[:i], 10, 64)
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(v[i:]))]
	if err != nil || !ok {
		return 0, errors.New(want)
	}
	if n > math.MaxUint64/unit {
		return 0, errors.New("size too large")
	}
	return n * unit, nil
}
