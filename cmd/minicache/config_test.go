package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/minicache/minicache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	defaults := config{
		host: "127.0.0.1", port: 3000, maxEntries: 1000,
		defaultTTL: 300 * time.Second, cleanupInterval: 60 * time.Second,
		logLevel: slog.LevelInfo, maxConnections: 1024, metrics: "on",
	}
	with := func(f func(*config)) config { c := defaults; f(&c); return c }
	tests := []struct {
		name   string
		args   []string
		getenv func(string) string
		want   config
	}{
		{"defaults", nil, env(), defaults},
		{"empty variables are unset", nil, env("CACHE_PORT", "", "CACHE_HOST", ""), defaults},
		{"environment", nil, env(
			"CACHE_HOST", "0.0.0.0", "CACHE_PORT", "8080", "CACHE_MAX_ENTRIES", "5000",
			"CACHE_DEFAULT_TTL", "600", "CACHE_CLEANUP_INTERVAL", "5", "CACHE_LOG_LEVEL", "DEBUG",
			"CACHE_MAX_MEMORY", "64MiB", "CACHE_AUTH_TOKEN", "tok"),
			config{host: "0.0.0.0", port: 8080, maxEntries: 5000, defaultTTL: 600 * time.Second,
				cleanupInterval: 5 * time.Second, logLevel: slog.LevelDebug, maxMemory: 64 << 20, authToken: "tok",
				maxConnections: 1024, metrics: "on"}},
		{"flags win over environment", []string{"-port", "9000", "-max-entries=10", "-log-level", "warn", "-max-memory", "1GB"},
			env("CACHE_PORT", "8080", "CACHE_MAX_ENTRIES", "5000", "CACHE_LOG_LEVEL", "debug"),
			with(func(c *config) { c.port, c.maxEntries, c.logLevel, c.maxMemory = 9000, 10, slog.LevelWarn, 1e9 })},
		{"durations", []string{"-default-ttl", "5m", "-cleanup-interval", "0"}, env(),
			with(func(c *config) { c.defaultTTL, c.cleanupInterval = 5*time.Minute, 0 })},
		{"zero means unbounded", nil, env("CACHE_MAX_ENTRIES", "0", "CACHE_DEFAULT_TTL", "0"),
			with(func(c *config) { c.maxEntries, c.defaultTTL = 0, 0 })},
		{"port 0", []string{"-port=0"}, env(), with(func(c *config) { c.port = 0 })},
		{"cleanup interval at the floor", nil, env("CACHE_CLEANUP_INTERVAL", "100ms"),
			with(func(c *config) { c.cleanupInterval = 100 * time.Millisecond })},
		{"largest ttl", nil, env("CACHE_DEFAULT_TTL", "9223372036"),
			with(func(c *config) { c.defaultTTL = 9223372036 * time.Second })},
		{"connections", []string{"-max-connections", "0"}, env("CACHE_MAX_CONNECTIONS", "10"),
			with(func(c *config) { c.maxConnections = 0 })},
		{"policy, metrics, snapshots", []string{"-eviction-policy", "ALLKEYS-LFU", "-snapshot-interval", "5m"},
			env("CACHE_METRICS", "open", "CACHE_SNAPSHOT_PATH", "/var/lib/minicache/snap"),
			with(func(c *config) {
				c.policy, c.metrics = minicache.WTinyLFU, "open"
				c.snapshotPath, c.snapshotEvery = "/var/lib/minicache/snap", 5*time.Minute
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, tt.getenv)
			require.NoError(t, err)
			assert.Len(t, got.source, len(settings))
			got.source = nil
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		getenv func(string) string
		msg    string
	}{
		{"port not a number", nil, env("CACHE_PORT", "abc"), `invalid CACHE_PORT="abc": not a port number (0-65535)`},
		{"port too large", nil, env("CACHE_PORT", "70000"), `invalid CACHE_PORT="70000"`},
		{"negative port flag", []string{"-port", "-1"}, env(), `invalid flag -port="-1"`},
		{"negative capacity", nil, env("CACHE_MAX_ENTRIES", "-1"), `invalid CACHE_MAX_ENTRIES="-1": not a non-negative integer`},
		{"negative ttl", nil, env("CACHE_DEFAULT_TTL", "-5"), `invalid CACHE_DEFAULT_TTL="-5"`},
		{"bad ttl", nil, env("CACHE_DEFAULT_TTL", "soon"), `invalid CACHE_DEFAULT_TTL="soon"`},
		{"bad interval", nil, env("CACHE_CLEANUP_INTERVAL", "1.5"), `invalid CACHE_CLEANUP_INTERVAL="1.5"`},
		{"interval of 1ns", nil, env("CACHE_CLEANUP_INTERVAL", "1ns"),
			`invalid CACHE_CLEANUP_INTERVAL="1ns": below the floor of 100ms (0 turns the sweep off)`},
		{"interval just below the floor", []string{"-cleanup-interval", "99ms"}, env(), `flag -cleanup-interval="99ms": below the floor of 100ms`},
		{"ttl too large", nil, env("CACHE_DEFAULT_TTL", "99999999999"),
			`invalid CACHE_DEFAULT_TTL="99999999999": too large: at most 9223372036 seconds (2562047h47m16s, about 292 years)`},
		{"ttl past int64", nil, env("CACHE_DEFAULT_TTL", "99999999999999999999"), `too large: at most 9223372036 seconds`},
		{"duration too large", nil, env("CACHE_DEFAULT_TTL", "9999999h"), `invalid CACHE_DEFAULT_TTL="9999999h": too large`},
		{"negative duration", nil, env("CACHE_DEFAULT_TTL", "-5m"), `invalid CACHE_DEFAULT_TTL="-5m": negative`},
		{"negative ttl says so", nil, env("CACHE_DEFAULT_TTL", "-5"), `negative: want 0 or more seconds`},
		{"negative connections", nil, env("CACHE_MAX_CONNECTIONS", "-1"), `invalid CACHE_MAX_CONNECTIONS="-1"`},
		{"unknown log level", nil, env("CACHE_LOG_LEVEL", "trace"), `invalid CACHE_LOG_LEVEL="trace": not one of debug, info, warn, error`},
		{"bad memory unit", nil, env("CACHE_MAX_MEMORY", "64XB"), `invalid CACHE_MAX_MEMORY="64XB": not a size`},
		{"negative memory", nil, env("CACHE_MAX_MEMORY", "-1"), `invalid CACHE_MAX_MEMORY="-1"`},
		{"memory overflow", nil, env("CACHE_MAX_MEMORY", "99999999999TiB"), `invalid CACHE_MAX_MEMORY="99999999999TiB": size too large`},
		{"memory above the weight limit", nil, env("CACHE_MAX_MEMORY", "5EiB"), `invalid CACHE_MAX_MEMORY="5EiB": not a size`},
		{"memory above the weight limit in bytes", nil, env("CACHE_MAX_MEMORY", "4611686018427387905"),
			`invalid CACHE_MAX_MEMORY="4611686018427387905": too large: at most 4611686018427387904 bytes (4 EiB)`},
		{"unknown metrics mode", nil, env("CACHE_METRICS", "yes"), `invalid CACHE_METRICS="yes": not one of on, open, off`},
		{"unknown policy", nil, env("CACHE_EVICTION_POLICY", "volatile-lru"),
			`invalid CACHE_EVICTION_POLICY="volatile-lru": not allkeys-lru, allkeys-lfu or allkeys-clock`},
		{"snapshot interval below the floor", []string{"-snapshot-interval", "10ms"}, env(),
			`invalid flag -snapshot-interval="10ms": below the floor of 1s`},
		{"snapshot interval without a path", nil, env("CACHE_SNAPSHOT_INTERVAL", "10"),
			`invalid CACHE_SNAPSHOT_INTERVAL=10s: snapshots need CACHE_SNAPSHOT_PATH`},
		{"default ttl below a second", nil, env("CACHE_DEFAULT_TTL", "1ns"),
			`invalid CACHE_DEFAULT_TTL="1ns": below the floor of 1s (the shortest ttl a PUT may give; 0 never expires)`},
		{"default ttl just below a second", []string{"-default-ttl", "999ms"}, env(), `invalid flag -default-ttl="999ms": below the floor of 1s`},
		{"bad flag overrides good env", []string{"-max-entries", "x"}, env("CACHE_MAX_ENTRIES", "10"), `invalid flag -max-entries="x"`},
		{"unknown flag", []string{"-nope"}, env(), "flag provided but not defined: -nope"},
		{"stray argument", []string{"serve"}, env(), `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, tt.getenv)
			var ce *configError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"0", 0}, {"1024", 1024}, {"10B", 10}, {"512KiB", 512 << 10}, {"64MiB", 64 << 20},
		{"64MB", 64e6}, {"64mb", 64e6}, {"2GiB", 2 << 30}, {"1 TB", 1e12}, {"3kib", 3 << 10},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"", "MiB", "1.5MiB", "-1", "64 M", "64Mi", "0x10"} {
		_, err := parseSize(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseConfigSources(t *testing.T) {
	c, err := parseConfig([]string{"-host", "::1"}, env("CACHE_PORT", "8080"))
	require.NoError(t, err)
	assert.Equal(t, "flag -host", c.source["CACHE_HOST"])
	assert.Equal(t, "CACHE_PORT", c.source["CACHE_PORT"])
	assert.Equal(t, "default of CACHE_MAX_ENTRIES", c.source["CACHE_MAX_ENTRIES"])
}
