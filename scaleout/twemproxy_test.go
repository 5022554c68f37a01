package scaleout_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicache/minicache/scaleout"
)

// The end-to-end test of deploy/twemproxy's layout: three cmd/minicache
// servers behind nutcracker (twemproxy 0.5.0), all on loopback.

const (
	nKeys        = 100_000
	retryTimeout = 3 * time.Second // server_retry_timeout: an ejected server's time out of the ring
)

// minicacheBinary builds cmd/minicache (or takes SCALEOUT_MINICACHE_BIN)
// and reports whether it supports snapshots; it skips the test, loudly,
// when nutcracker or the binary's Redis-protocol front end is missing.
func minicacheBinary(t *testing.T) (bin string, snapshots bool) {
	t.Helper()
	if _, err := exec.LookPath("nutcracker"); err != nil {
		t.Skip("SKIPPED: nutcracker (twemproxy) is not installed: apt-get install nutcracker; CI installs it")
	}
	bin = os.Getenv("SCALEOUT_MINICACHE_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "minicache")
		build := exec.Command("go", "build", "-o", bin, "./cmd/minicache")
		build.Dir = ".." // in the library's module, with its go.mod
		out, err := build.CombinedOutput()
		require.NoError(t, err, "go build ./cmd/minicache: %s", out)
	}
	help, _ := exec.Command(bin, "-h").CombinedOutput()
	if !strings.Contains(string(help), "-resp-port") {
		t.Skip("SKIPPED: cmd/minicache has no -resp-port flag yet: the Redis-protocol front end is not wired into it")
	}
	return bin, strings.Contains(string(help), "-snapshot-path")
}

// shard is one cmd/minicache server behind the proxy.
type shard struct {
	name     string
	addr     string
	snapshot string // its snapshot file, "" without snapshots
	proc     *proc
	rdb      *redis.Client // direct, not through the proxy
}

// cluster is three shards and the proxy.
type cluster struct {
	bin       string
	shards    []*shard
	proxy     string // the proxy's client address
	stats     string // its stats address
	proxyProc *proc
}

func (cl *cluster) startShard(t *testing.T, s *shard) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	args := []string{"-host", "127.0.0.1", "-port", "0", "-resp-port", port, "-max-entries", "0", "-default-ttl", "0", "-log-level", "warn"}
	if s.snapshot != "" {
		args = append(args, "-snapshot-path", s.snapshot)
	}
	s.proc = start(t, nil, cl.bin, args...)
	waitPing(t, s.addr)
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	bin, snapshots := minicacheBinary(t)
	dir := t.TempDir()
	cl := &cluster{bin: bin}
	var servers strings.Builder
	for i := range 3 {
		s := &shard{name: fmt.Sprintf("shard%d", i+1), addr: "127.0.0.1:" + strconv.Itoa(freePort(t))}
		if snapshots {
			s.snapshot = filepath.Join(dir, s.name+".snapshot")
		}
		cl.startShard(t, s)
		s.rdb = redis.NewClient(&redis.Options{Addr: s.addr, Protocol: 2})
		t.Cleanup(func() { s.rdb.Close() })
		cl.shards = append(cl.shards, s)
		fmt.Fprintf(&servers, "    - %s:1 %s\n", s.addr, s.name)
	}
	cl.proxy = "127.0.0.1:" + strconv.Itoa(freePort(t))
	cl.stats = "127.0.0.1:" + strconv.Itoa(freePort(t))
	conf := filepath.Join(dir, "nutcracker.yml")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `minicache:
  listen: %s
  redis: true
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: true
  server_failure_limit: 1
  server_retry_timeout: %d
  timeout: 1000
  preconnect: true
  server_connections: 1
  servers:
%s`, cl.proxy, retryTimeout.Milliseconds(), servers.String()), 0o644))
	_, statsPort, _ := net.SplitHostPort(cl.stats)
	cl.proxyProc = start(t, nil, "nutcracker", "-c", conf, "-s", statsPort, "-a", "127.0.0.1", "-i", "100", "-v", "6")
	waitPing(t, cl.proxy)
	return cl
}

// proxyClient is a go-redis client configured for twemproxy, with
// [scaleout.TwemproxyOptions], and no retries (the test counts errors).
func proxyClient(t *testing.T, addr string, poolSize int) *redis.Client {
	t.Helper()
	opt := scaleout.TwemproxyOptions(addr)
	opt.PoolSize, opt.MaxRetries = poolSize, -1
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// proxyStats reads the proxy's stats port: the pool's counters, and each
// server's under its name.
func (cl *cluster) proxyStats(t *testing.T) map[string]any {
	t.Helper()
	conn, err := net.DialTimeout("tcp", cl.stats, time.Second)
	require.NoError(t, err)
	defer conn.Close()
	var all map[string]any
	require.NoError(t, json.NewDecoder(bufio.NewReader(conn)).Decode(&all))
	pool, ok := all["minicache"].(map[string]any)
	require.True(t, ok, "stats have the pool: %v", all)
	return pool
}

func key(i int) string   { return "key:" + strconv.Itoa(i) }
func value(i int) string { return "value-" + strconv.Itoa(i) }

// owners returns, for each key, the indexes of the shards that hold it,
// asked directly (MGET of 1000 keys at a time).
func (cl *cluster) owners(t *testing.T, keys []string) map[string][]int {
	t.Helper()
	ctx := context.Background()
	held := make(map[string][]int, len(keys))
	for i, s := range cl.shards {
		for chunk := range slices.Chunk(keys, 1000) {
			vals, err := s.rdb.MGet(ctx, chunk...).Result()
			require.NoError(t, err)
			for j, v := range vals {
				if v != nil {
					held[chunk[j]] = append(held[chunk[j]], i)
				}
			}
		}
	}
	return held
}

func TestTwemproxy(t *testing.T) {
	began := time.Now()
	cl := startCluster(t)
	ctx := context.Background()
	px := proxyClient(t, cl.proxy, 4)

	keys := make([]string, nKeys)
	for i := range keys {
		keys[i] = key(i)
	}
	byShard := make([][]int, len(cl.shards)) // key indexes each shard holds

	t.Run("100k keys, each on exactly one server", func(t *testing.T) {
		for chunk := range slices.Chunk(keys, 1000) {
			_, err := px.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range chunk {
					i, _ := strconv.Atoi(strings.TrimPrefix(k, "key:"))
					p.Set(ctx, k, value(i), 0)
				}
				return nil
			})
			require.NoError(t, err)
		}
		held := cl.owners(t, keys)
		total := 0
		for i, k := range keys {
			require.Len(t, held[k], 1, "%s is on exactly one server", k)
			byShard[held[k][0]] = append(byShard[held[k][0]], i)
		}
		for i, s := range cl.shards {
			n, err := s.rdb.DBSize(ctx).Result()
			require.NoError(t, err)
			assert.Equal(t, int64(len(byShard[i])), n, "%s's DBSIZE", s.name)
			total += int(n)
			assert.Greater(t, len(byShard[i]), nKeys/5, "ketama gives %s a fair share", s.name)
			t.Logf("%s holds %d keys", s.name, len(byShard[i]))
		}
		assert.Equal(t, nKeys, total)

		// Read back through the proxy, 500 keys per MGET (the proxy splits each).
		for chunk := range slices.Chunk(keys, 500) {
			vals, err := px.MGet(ctx, chunk...).Result()
			require.NoError(t, err)
			for j, v := range vals {
				i, _ := strconv.Atoi(strings.TrimPrefix(chunk[j], "key:"))
				require.Equal(t, value(i), v)
			}
		}
	})

	t.Run("MSET, MGET, DEL, EXISTS, TOUCH, UNLINK fan out", func(t *testing.T) {
		// fnv1a_64 puts similar short keys close together on the ring, so pick
		// 10 keys of each server out of 300 candidates.
		var cands []string
		for i := range 300 {
			cands = append(cands, "fan:"+strconv.Itoa(i))
		}
		require.NoError(t, px.MSet(ctx, interleave(cands, "probe")...).Err())
		perShard := make([][]string, len(cl.shards))
		for k, on := range cl.owners(t, cands) {
			if len(perShard[on[0]]) < 10 {
				perShard[on[0]] = append(perShard[on[0]], k)
			}
		}
		require.Equal(t, int64(len(cands)), px.Del(ctx, cands...).Val())
		var ks []string
		for i := range 10 { // first key on shard1, second on shard2, ...
			for _, on := range perShard {
				require.Len(t, on, 10, "10 of the candidates on each server")
				ks = append(ks, on[i])
			}
		}
		var kv []any
		for i, k := range ks {
			kv = append(kv, k, "v"+strconv.Itoa(i))
		}
		require.NoError(t, px.MSet(ctx, kv...).Err())
		held := cl.owners(t, ks)
		servers := map[int]bool{}
		for _, k := range ks {
			require.Len(t, held[k], 1, k)
			servers[held[k][0]] = true
		}
		assert.Len(t, servers, 3, "one MSET reached every server")
		vals, err := px.MGet(ctx, append(ks, "fan:none")...).Result()
		require.NoError(t, err)
		for i, v := range vals[:30] {
			assert.Equal(t, "v"+strconv.Itoa(i), v)
		}
		assert.Nil(t, vals[30])
		// EXISTS is not split: twemproxy sends it whole to the server of its
		// first key, which counts only the keys it holds itself.
		first := 0
		for _, k := range ks {
			if held[k][0] == held[ks[0]][0] {
				first++
			}
		}
		require.Less(t, first, 30)
		assert.Equal(t, int64(first), px.Exists(ctx, append(ks, "fan:none")...).Val(), "EXISTS counts the first key's server only")
		for _, k := range ks {
			assert.Equal(t, int64(1), px.Exists(ctx, k).Val(), "EXISTS of one key works")
		}
		assert.Equal(t, int64(30), px.Touch(ctx, ks...).Val())
		assert.Equal(t, int64(15), px.Del(ctx, ks[:15]...).Val())
		assert.Equal(t, int64(15), px.Unlink(ctx, append(ks[15:], "fan:none")...).Val())
		assert.Empty(t, cl.owners(t, ks), "the keys are gone from every server")
	})

	t.Run("commands the proxy forwards work; the ones it refuses", func(t *testing.T) {
		testProxyCommands(t, cl)
	})

	victim := cl.shards[1]
	victimKeys, otherKeys := sample(byShard[1], 500), sample(append(byShard[0], byShard[2]...), 500)

	t.Run("a failed server is ejected: its keys miss, the others' still read", func(t *testing.T) {
		stopped := time.Now() // the proxy retries it server_retry_timeout after the eject
		if victim.snapshot != "" {
			victim.proc.stop(syscall.SIGTERM) // a graceful stop writes the snapshot
		} else {
			victim.proc.stop(syscall.SIGKILL)
		}
		// The first requests routed to it fail; once it is ejected, its keys
		// hash to the other servers, which do not have them.
		k := key(victimKeys[0])
		var errs int
		require.Eventually(t, func() bool {
			err := px.Get(ctx, k).Err()
			if err != nil && !errors.Is(err, redis.Nil) {
				errs++
			}
			return errors.Is(err, redis.Nil)
		}, 5*time.Second, 10*time.Millisecond, "the proxy ejects the dead server")
		t.Logf("%d errors before the eject", errs)

		cmds, err := px.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range victimKeys {
				p.Get(ctx, key(i))
			}
			for _, i := range otherKeys {
				p.Get(ctx, key(i))
			}
			return nil
		})
		require.ErrorIs(t, err, redis.Nil) // the first failed command's error
		for j, c := range cmds {
			if j < len(victimKeys) {
				assert.ErrorIs(t, c.Err(), redis.Nil, "a key of the ejected server is a miss, not an error")
			} else {
				i := otherKeys[j-len(victimKeys)]
				assert.NoError(t, c.Err())
				assert.Equal(t, value(i), c.(*redis.StringCmd).Val())
			}
		}
		assert.Eventually(t, func() bool { // the stats are aggregated every 100 ms (-i 100)
			return cl.proxyStats(t)["server_ejects"] == float64(1)
		}, time.Second, 20*time.Millisecond, "the proxy counts one eject")
		// A write of one of its keys now lands on another server.
		require.NoError(t, px.Set(ctx, k, "during", 0).Err())
		assert.Equal(t, "during", px.Get(ctx, k).Val())
		require.Less(t, time.Since(stopped), retryTimeout, "all checked before the proxy retried the server")
	})

	t.Run("a restarted server rejoins", func(t *testing.T) {
		cl.startShard(t, victim)
		// The proxy retries an ejected server after server_retry_timeout. Until
		// then a write of one of its keys lands on another server (a copy the
		// ring no longer reads once it is back).
		probe := key(victimKeys[0])
		require.Eventually(t, func() bool {
			return px.Set(ctx, probe, "again", 0).Err() == nil && victim.rdb.Get(ctx, probe).Val() == "again"
		}, 3*retryTimeout, 50*time.Millisecond, "the restarted server is back in the ring")
		assert.Len(t, cl.owners(t, []string{probe})[probe], 2,
			"the write made while it was ejected is left behind on another server, unread")
		for _, i := range victimKeys[1:] {
			v, err := px.Get(ctx, key(i)).Result()
			if victim.snapshot != "" {
				require.NoError(t, err, "its snapshot brought %s back", key(i))
				assert.Equal(t, value(i), v)
			} else {
				assert.ErrorIs(t, err, redis.Nil, "without snapshots it restarts empty")
			}
			require.NoError(t, px.Set(ctx, key(i), "again", 0).Err())
			assert.Equal(t, "again", victim.rdb.Get(ctx, key(i)).Val(), "a write of its key lands on it again")
		}
		for _, i := range otherKeys {
			assert.Equal(t, value(i), px.Get(ctx, key(i)).Val())
		}
	})
	t.Logf("snapshots: %v; took %v", victim.snapshot != "", time.Since(began).Round(time.Millisecond))
}

// interleave returns k1, v, k2, v, ...: MSET's arguments.
func interleave(keys []string, v string) []any {
	out := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, k, v)
	}
	return out
}

// sample returns up to n of xs, spread over it.
func sample(xs []int, n int) []int {
	if len(xs) <= n {
		return xs
	}
	out := make([]int, 0, n)
	for i := range n {
		out = append(out, xs[i*len(xs)/n])
	}
	return out
}
