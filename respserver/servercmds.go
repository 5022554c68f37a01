package respserver

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/minicache/minicache"
	"github.com/minicache/minicache/internal/command"
)

// The server commands: CONFIG, INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME, and
// SAVE, BGSAVE and LASTSAVE over a [Saver].
func init() {
	for _, s := range []*spec{
		{name: "config", arity: -2},
		{name: "config|get", arity: -3, run: cmdConfigGet},
		{name: "config|set", arity: -4, run: cmdConfigSet},
		{name: "config|help", arity: 2, run: cmdConfigHelp},
		{name: "info", arity: -1, run: cmdInfo},
		{name: "dbsize", arity: 1, flags: []string{"readonly", "fast"}, run: cmdDBSize},
		{name: "flushdb", arity: -1, flags: []string{"write"}, run: cmdFlush},
		{name: "flushall", arity: -1, flags: []string{"write"}, run: cmdFlush},
		{name: "time", arity: 1, flags: []string{"fast"}, run: cmdTime},
		{name: "save", arity: 1, run: cmdSave},
		{name: "bgsave", arity: -1, run: cmdBGSave},
		{name: "lastsave", arity: 1, flags: []string{"fast"}, run: cmdLastSave},
	} {
		register(s)
	}
}

// configParams returns the parameters CONFIG GET answers, in Redis's
// spelling, with their current values.
func (s *Server) configParams() [][2]string {
	// Both bounds, entries and weight, evict by the cache's policy, over
	// all keys; W-TinyLFU is the nearest Redis has to allkeys-lfu, and Clock
	// has no Redis name (cmd/minicache calls it allkeys-clock).
	policy := "allkeys-lru"
	switch s.cache.Policy() {
	case minicache.WTinyLFU:
		policy = "allkeys-lfu"
	case minicache.Clock:
		policy = "allkeys-clock"
	}
	return [][2]string{
		{"appendonly", "no"},
		{"databases", "1"},
		{"maxclients", strconv.Itoa(s.cfg.maxClients)},
		{"maxmemory", strconv.FormatUint(s.cache.MaxWeight(), 10)},
		{"maxmemory-policy", policy},
		{"proto-max-bulk-len", strconv.FormatInt(s.cfg.maxBulkLen, 10)},
		{"save", ""},
		{"timeout", strconv.FormatInt(int64(s.cfg.idleTimeout/time.Second), 10)},
	}
}

// cmdConfigGet answers the parameters matching any of the patterns.
func cmdConfigGet(c *conn, args [][]byte) {
	var out [][2]string
	for _, p := range c.s.configParams() {
		for _, pat := range args[2:] {
			if command.Match(strings.ToLower(string(pat)), p[0]) {
				out = append(out, p)
				break
			}
		}
	}
	c.w.mapLen(len(out))
	for _, p := range out {
		c.w.bulkString(p[0])
		c.w.bulkString(p[1])
	}
}

// cmdConfigSet sets maxmemory, the only parameter that can change: the
// cache's weight bound ([minicache.Cache.SetMaxWeight]).
func cmdConfigSet(c *conn, args [][]byte) {
	if len(args)%2 != 0 {
		c.w.error("ERR wrong number of arguments for 'config|set' command")
		return
	}
	var maxmemory uint64
	set := false
	for i := 2; i < len(args); i += 2 {
		if !equalFold(args[i], "maxmemory") {
			c.w.error("ERR Unknown option or number of arguments for CONFIG SET - '" + string(args[i]) + "'")
			return
		}
		n, ok := parseMemory(string(args[i+1]))
		if !ok {
			c.w.error("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")
			return
		}
		maxmemory, set = n, true
	}
	if set && !c.s.setMaxWeight(maxmemory) {
		c.w.error("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - the cache does not weigh its entries (build it with minicache.WithWeigher)")
		return
	}
	c.w.ok()
}

// setMaxWeight sets the cache's weight bound and reports whether it could:
// [minicache.Cache.SetMaxWeight] panics for a cache without a weigher, and
// the cache has no other way to tell.
func (s *Server) setMaxWeight(w uint64) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	s.cache.SetMaxWeight(w)
	return true
}

// parseMemory parses a memory value as Redis's memtoull: a count with an
// optional unit b, k, kb, m, mb, g, gb (k = 1000, kb = 1024), any case.
func parseMemory(s string) (uint64, bool) {
	s = strings.ToLower(s)
	units := []struct {
		suffix string
		mul    uint64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	mul := uint64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mul = strings.TrimSuffix(s, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || s == "" || s[0] == '+' || n > (1<<64-1)/mul {
		return 0, false
	}
	return n * mul, true
}

func cmdConfigHelp(c *conn, _ [][]byte) {
	c.w.strings([]string{
		"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
		"HELP", "    Print this help.",
	})
}

func cmdDBSize(c *conn, _ [][]byte) { c.w.int(int64(c.s.cache.Len())) }

// cmdFlush is FLUSHDB and FLUSHALL [ASYNC|SYNC]; both clear the cache at
// once, as the one database is all there is.
func cmdFlush(c *conn, args [][]byte) {
	if len(args) > 2 || len(args) == 2 && !equalFold(args[1], "async") && !equalFold(args[1], "sync") {
		c.w.error(errSyntax)
		return
	}
	c.s.cache.Clear()
	c.w.ok()
}

func cmdTime(c *conn, _ [][]byte) {
	now := time.Now()
	c.w.arrayLen(2)
	c.w.bulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.bulkString(strconv.Itoa(now.Nanosecond() / 1000))
}

// errNoSaver refuses SAVE and BGSAVE on a server without a [Saver].
const errNoSaver = "ERR snapshots are off (minicache saves only with CACHE_SNAPSHOT_PATH)"

func cmdSave(c *conn, _ [][]byte) {
	sv := c.s.cfg.saver
	switch {
	case sv == nil:
		c.w.error(errNoSaver)
	case sv.Saving():
		c.w.error("ERR Background save already in progress")
	default:
		if err := sv.Save(); err != nil {
			c.s.cfg.logger.Error("respserver: SAVE", slog.Any("err", err))
			c.w.error("ERR")
			return
		}
		c.w.ok()
	}
}

// cmdBGSave is BGSAVE [SCHEDULE].
func cmdBGSave(c *conn, args [][]byte) {
	schedule := len(args) == 2 && equalFold(args[1], "schedule")
	if len(args) > 2 || len(args) == 2 && !schedule {
		c.w.error(errSyntax)
		return
	}
	sv := c.s.cfg.saver
	if sv == nil {
		c.w.error(errNoSaver)
		return
	}
	if err := sv.Start(); err != nil {
		if schedule && sv.Saving() {
			// A save is running: it will hold the data as of now or later.
			c.w.simple("Background saving scheduled")
			return
		}
		c.w.error("ERR Background save already in progress")
		return
	}
	c.w.simple("Background saving started")
}

// cmdLastSave answers the Unix time of the last successful save; before
// any, the server's start, as Redis does.
func cmdLastSave(c *conn, _ [][]byte) {
	at := c.s.started
	if sv := c.s.cfg.saver; sv != nil {
		if t := sv.LastSave(); !t.IsZero() {
			at = t
		}
	}
	c.w.int(at.Unix())
}

// infoSections lists INFO's sections in order, each with a function that
// appends its "field:value" lines.
var infoSections = []struct {
	name string
	add  func(s *Server, b *strings.Builder)
}{
	{"server", (*Server).infoServer},
	{"clients", (*Server).infoClients},
	{"memory", (*Server).infoMemory},
	{"persistence", (*Server).infoPersistence},
	{"stats", (*Server).infoStats},
	{"replication", (*Server).infoReplication},
	{"keyspace", (*Server).infoKeyspace},
}

// cmdInfo is INFO [section ...]; no section, default, all and everything
// all answer every section.
func cmdInfo(c *conn, args [][]byte) {
	c.publish() // this connection's counts, this INFO included
	want := map[string]bool{}
	all := len(args) == 1
	for _, a := range args[1:] {
		sec := strings.ToLower(string(a))
		if sec == "default" || sec == "all" || sec == "everything" {
			all = true
		}
		want[sec] = true
	}
	var b strings.Builder
	for _, sec := range infoSections {
		if !all && !want[sec.name] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + strings.ToUpper(sec.name[:1]) + sec.name[1:] + "\r\n")
		sec.add(c.s, &b)
	}
	c.w.verbatim(b.String())
}

func field(b *strings.Builder, name string, v any) {
	fmt.Fprintf(b, "%s:%v\r\n", name, v)
}

func (s *Server) infoServer(b *strings.Builder) {
	up := time.Since(s.started)
	field(b, "redis_version", RedisVersion)
	field(b, "redis_mode", "standalone")
	field(b, "server_name", "minicache")
	field(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	field(b, "arch_bits", strconv.Itoa(32<<(^uint(0)>>63)))
	field(b, "go_version", runtime.Version())
	field(b, "process_id", os.Getpid())
	field(b, "run_id", s.runID)
	field(b, "uptime_in_seconds", int64(up/time.Second))
	field(b, "uptime_in_days", int64(up/(24*time.Hour)))
}

func (s *Server) infoClients(b *strings.Builder) {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	field(b, "connected_clients", n)
	field(b, "maxclients", s.cfg.maxClients)
	field(b, "blocked_clients", 0)
}

// memSamples are the runtime metrics INFO memory reports.
var memSamples = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/total:bytes"}

func (s *Server) infoMemory(b *strings.Builder) {
	samples := make([]metrics.Sample, len(memSamples))
	for i, n := range memSamples {
		samples[i].Name = n
	}
	metrics.Read(samples)
	heap, total := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	st := s.cmds.Stats()
	field(b, "used_memory", heap)
	field(b, "used_memory_human", human(heap))
	field(b, "used_memory_rss", total)
	field(b, "used_memory_rss_human", human(total))
	field(b, "used_memory_dataset", st.Weight)
	field(b, "maxmemory", st.MaxWeight)
	field(b, "maxmemory_human", human(st.MaxWeight))
	field(b, "maxmemory_policy", s.configParams()[4][1])
	field(b, "maxentries", st.Capacity)
}

// human formats a byte count as Redis's bytesToHuman does.
func human(n uint64) string {
	f := float64(n)
	switch {
	case n < 1<<10:
		return strconv.FormatUint(n, 10) + "B"
	case n < 1<<20:
		return strconv.FormatFloat(f/(1<<10), 'f', 2, 64) + "K"
	case n < 1<<30:
		return strconv.FormatFloat(f/(1<<20), 'f', 2, 64) + "M"
	}
	return strconv.FormatFloat(f/(1<<30), 'f', 2, 64) + "G"
}

func (s *Server) infoPersistence(b *strings.Builder) {
	saving, last := 0, s.started
	if sv := s.cfg.saver; sv != nil {
		if sv.Saving() {
			saving = 1
		}
		if t := sv.LastSave(); !t.IsZero() {
			last = t
		}
	}
	field(b, "loading", 0)
	field(b, "async_loading", 0)
	field(b, "rdb_bgsave_in_progress", saving)
	field(b, "rdb_last_save_time", last.Unix())
	field(b, "aof_enabled", 0)
}

func (s *Server) infoStats(b *strings.Builder) {
	st := s.cmds.Stats()
	field(b, "total_connections_received", s.accepted.Load())
	field(b, "total_commands_processed", s.commands.Load())
	field(b, "rejected_connections", s.rejected.Load())
	field(b, "expired_keys", st.Expirations)
	field(b, "evicted_keys", st.Evictions-st.Expirations)
	field(b, "keyspace_hits", st.Hits)
	field(b, "keyspace_misses", st.Misses)
	field(b, "rejected_entries", st.Rejections)
}

func (s *Server) infoReplication(b *strings.Builder) {
	field(b, "role", "master")
	field(b, "connected_slaves", 0)
}

// infoKeyspace reports db0 as Redis does, and nothing for an empty cache.
// Counting the keys with a deadline walks the whole cache.
func (s *Server) infoKeyspace(b *strings.Builder) {
	keys, expires := 0, 0
	for e := range s.cache.Entries() {
		keys++
		if !e.Expiry.IsZero() {
			expires++
		}
	}
	if keys > 0 {
		fmt.Fprintf(b, "db0:keys=%d,expires=%d,avg_ttl=0\r\n", keys, expires)
	}
}
