package respserver

import (
	"log/slog"
	"time"

	"github.com/minicache/minicache/admission"
)

// Defaults of the options, used when an option is absent or not positive.
const (
	// DefaultMaxClients is the most connections served at once, as Redis's
	// maxclients default.
	DefaultMaxClients = 10000
	// DefaultMaxBulkLen is the longest bulk string (key, value or other
	// argument) accepted, in bytes, as Redis's proto-max-bulk-len default
	// (512 MB).
	DefaultMaxBulkLen = 512 << 20
	// DefaultOutputBuffer is the size of a connection's reply buffer. A
	// client that pipelines without reading its replies fills it and the
	// socket's buffer; the server then stops reading that client's input
	// until the client reads, so its memory stays bounded.
	DefaultOutputBuffer = 16 << 10
	// DefaultInputBuffer is the size of a connection's read buffer. With the
	// reply buffer, a connection costs about 32 KiB besides its socket.
	DefaultInputBuffer = 16 << 10
)

// config holds what the options set; New applies the defaults.
type config struct {
	password    string
	maxClients  int
	idleTimeout time.Duration
	maxBulkLen  int64
	logger      *slog.Logger
	saver       Saver
	budget      *admission.Budget
}

// A Saver writes snapshots of the cache, for SAVE, BGSAVE and LASTSAVE; in
// cmd/minicache it is the snapshot file of CACHE_SNAPSHOT_PATH. Its methods
// must be safe for concurrent use.
type Saver interface {
	// Save writes a snapshot and returns when it is written (SAVE).
	Save() error
	// Start begins a save in the background and returns at once, with an
	// error if a save is already running (BGSAVE).
	Start() error
	// Saving reports whether a save is running.
	Saving() bool
	// LastSave returns the time of the last successful save, the zero Time
	// before any (LASTSAVE).
	LastSave() time.Time
}

// Option configures a [Server]. Options are plain functions with no type
// parameters; apply them in any order.
type Option func(*config)

// WithPassword requires clients to authenticate with AUTH password, AUTH
// default password or HELLO 3 AUTH default password before any other
// command, as Redis's requirepass does: until then commands are answered
// "NOAUTH Authentication required." and a wrong password
// "WRONGPASS invalid username-password pair or user is disabled.". The
// comparison takes time independent of the password's content. The default,
// or an empty password, lets every client in.
func WithPassword(password string) Option {
	return func(c *config) { c.password = password }
}

// WithMaxClients bounds the connections served at once; a connection beyond
// it is answered "ERR max number of clients reached" and closed. The
// default is [DefaultMaxClients]; n ≤ 0 selects the default.
func WithMaxClients(n int) Option {
	return func(c *config) { c.maxClients = n }
}

// WithIdleTimeout closes a connection that sends nothing for d, as Redis's
// timeout setting. The default, or d ≤ 0, never closes an idle connection.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) { c.idleTimeout = d }
}

// WithMaxBulkLen sets the longest bulk string accepted, in bytes, as Redis's
// proto-max-bulk-len: a longer length prefix is a protocol error and closes
// the connection, and APPEND or SETRANGE may not grow a value beyond it. The
// default is [DefaultMaxBulkLen]; n ≤ 0 selects the default.
func WithMaxBulkLen(n int64) Option {
	return func(c *config) { c.maxBulkLen = n }
}

// WithMaxBytesInFlight bounds the memory that commands' arguments hold at
// once across all connections, as Redis's maxmemory cannot (it counts only
// the data). A command whose arguments take more than 64 KiB is charged,
// while it is read and run, the buffer that holds them plus their length
// again, for the copy a command makes of them into the cache (a SET of a
// 1 MiB value: 2 MiB); smaller commands are not charged. A command that does
// not fit waits, in arrival order, up to 1 s; then, or at once if it alone
// needs more than n, the rest of its input is read and discarded and it is
// answered Redis's "OOM command not allowed when used memory >
// 'maxmemory'." The connection stays usable. A charged command must arrive
// in full, and the replies before and of it be written, within 30 s of the
// grant, or its connection is closed, so that neither a slow sender nor a
// client that does not read can pin the budget. A command with several
// large arguments asks for each as it arrives, holding the ones before, so
// under contention it may wait the full second. The default, or
// n ≤ 0, sets no bound. It replaces a [WithBudget] given before it.
func WithMaxBytesInFlight(n int64) Option {
	return func(c *config) { c.budget = admission.Bound(n) }
}

// WithBudget charges the arguments of commands to b, as [WithMaxBytesInFlight]
// does to a budget of its own; give the same b to other servers
// (httpserver, respserver) so that one bound covers them all, as
// cmd/minicache does. A nil b sets no bound. It replaces a
// [WithMaxBytesInFlight] given before it.
func WithBudget(b *admission.Budget) Option {
	return func(c *config) { c.budget = b }
}

// WithSaver lets SAVE, BGSAVE and LASTSAVE write and report snapshots
// through sv, and INFO persistence report them. Without it SAVE and BGSAVE
// are refused and LASTSAVE answers the server's start time.
func WithSaver(sv Saver) Option {
	return func(c *config) { c.saver = sv }
}

// WithLogger sets the logger: connections accepted and closed at
// [slog.LevelDebug], protocol errors at [slog.LevelDebug], accept errors and
// recovered panics at [slog.LevelError]. The default, or a nil logger, logs
// nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}
