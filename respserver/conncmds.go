package respserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"

	"github.com/minicache/minicache/internal/command"
)

// The connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT,
// CLIENT and COMMAND.
func init() {
	for _, s := range []*spec{
		{name: "ping", arity: -1, flags: []string{"fast"}, run: cmdPing},
		{name: "echo", arity: 2, flags: []string{"fast"}, run: cmdEcho},
		{name: "quit", arity: -1, flags: []string{"fast", "no_auth"}, noAuth: true, run: cmdQuit},
		{name: "reset", arity: 1, flags: []string{"fast", "no_auth"}, noAuth: true, run: cmdReset},
		{name: "hello", arity: -1, flags: []string{"fast", "no_auth"}, noAuth: true, run: cmdHello},
		{name: "auth", arity: -2, flags: []string{"fast", "no_auth"}, noAuth: true, run: cmdAuth},
		{name: "select", arity: 2, flags: []string{"fast"}, run: cmdSelect},
		{name: "client", arity: -2},
		{name: "client|setname", arity: 3, flags: []string{"fast"}, run: cmdClientSetName},
		{name: "client|getname", arity: 2, flags: []string{"fast"}, run: cmdClientGetName},
		{name: "client|id", arity: 2, flags: []string{"fast"}, run: cmdClientID},
		{name: "client|setinfo", arity: 4, flags: []string{"fast"}, run: cmdClientSetInfo},
		{name: "client|info", arity: 2, flags: []string{"fast"}, run: cmdClientInfo},
		{name: "client|list", arity: -2, run: cmdClientList},
		{name: "client|help", arity: 2, flags: []string{"fast"}, run: cmdClientHelp},
		{name: "command", arity: -1, run: cmdCommand},
		{name: "command|count", arity: 2, run: cmdCommandCount},
		{name: "command|docs", arity: -2, run: cmdCommandDocs},
		{name: "command|info", arity: -2, run: cmdCommandInfo},
		{name: "command|list", arity: -2, run: cmdCommandList},
		{name: "command|help", arity: 2, run: cmdCommandHelp},
	} {
		register(s)
	}
}

func cmdPing(c *conn, args [][]byte) {
	switch len(args) {
	case 1:
		c.w.simple("PONG")
	case 2:
		c.w.bulk(args[1])
	default:
		c.w.error("ERR wrong number of arguments for 'ping' command")
	}
}

func cmdEcho(c *conn, args [][]byte) { c.w.bulk(args[1]) }

func cmdQuit(c *conn, _ [][]byte) {
	c.w.ok()
	c.quit = true
}

// cmdReset returns the connection to its state at connect: RESP2, no name,
// database 0, and not authenticated when a password is set.
func cmdReset(c *conn, _ [][]byte) {
	c.mu.Lock()
	c.name, c.resp = "", 2
	c.mu.Unlock()
	c.w.resp3 = false
	c.setAuthed(c.s.cfg.password == "")
	c.w.simple("RESET")
}

// checkPassword reports whether user and password are the default user's
// credentials. Without a password every password of user default is
// accepted, as Redis's nopass user does.
func (s *Server) checkPassword(user, password []byte) bool {
	if string(user) != "default" {
		return false
	}
	if s.cfg.password == "" {
		return true
	}
	want := sha256.Sum256([]byte(s.cfg.password))
	got := sha256.Sum256(password)
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

func cmdAuth(c *conn, args [][]byte) {
	var user, pass []byte
	switch len(args) {
	case 2:
		if c.s.cfg.password == "" {
			c.w.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
		user, pass = []byte("default"), args[1]
	case 3:
		user, pass = args[1], args[2]
	default:
		c.w.error(errSyntax)
		return
	}
	if !c.s.checkPassword(user, pass) {
		c.w.error(errWrongPass)
		return
	}
	c.setAuthed(true)
	c.w.ok()
}

// validName reports whether a client name has only the printable non-space
// ASCII characters Redis allows.
func validName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdHello(c *conn, args [][]byte) {
	c.mu.Lock()
	ver := c.resp
	c.mu.Unlock()
	if len(args) >= 2 {
		n, ok := command.ParseInt(args[1])
		if !ok {
			c.w.error("ERR Protocol version is not an integer or out of range")
			return
		}
		if n < 2 || n > 3 {
			c.w.error("NOPROTO unsupported protocol version")
			return
		}
		ver = int(n)
	}
	var user, pass, name []byte
	setName := false
	for j := 2; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case equalFold(args[j], "auth") && more >= 2:
			user, pass = args[j+1], args[j+2]
			j += 2
		case equalFold(args[j], "setname") && more >= 1:
			name, setName = args[j+1], true
			if !validName(name) {
				c.w.error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			j++
		default:
			c.w.error("ERR Syntax error in HELLO option '" + string(args[j]) + "'")
			return
		}
	}
	if user != nil {
		if !c.s.checkPassword(user, pass) {
			c.w.error(errWrongPass)
			return
		}
		c.setAuthed(true)
	}
	if !c.authed {
		c.w.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	c.mu.Lock()
	if setName {
		c.name = string(name)
	}
	c.resp = ver
	c.mu.Unlock()
	c.w.resp3 = ver == 3

	w := c.w
	w.mapLen(7)
	w.bulkString("server")
	w.bulkString("redis")
	w.bulkString("version")
	w.bulkString(RedisVersion)
	w.bulkString("proto")
	w.int(int64(ver))
	w.bulkString("id")
	w.int(c.id)
	w.bulkString("mode")
	w.bulkString("standalone")
	w.bulkString("role")
	w.bulkString("master")
	w.bulkString("modules")
	w.arrayLen(0)
}

// cmdSelect accepts database 0, the only one.
func cmdSelect(c *conn, args [][]byte) {
	n, ok := command.ParseInt(args[1])
	if !ok {
		c.w.error(errNotInteger)
		return
	}
	if n != int64(int32(n)) {
		c.w.error("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if n != 0 {
		c.w.error(errDBIndex)
		return
	}
	c.w.ok()
}

func cmdClientSetName(c *conn, args [][]byte) {
	if !validName(args[2]) {
		c.w.error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	c.mu.Lock()
	c.name = string(args[2])
	c.mu.Unlock()
	c.w.ok()
}

func cmdClientGetName(c *conn, _ [][]byte) {
	c.mu.Lock()
	name := c.name
	c.mu.Unlock()
	if name == "" {
		c.w.null()
		return
	}
	c.w.bulkString(name)
}

func cmdClientID(c *conn, _ [][]byte) { c.w.int(c.id) }

// cmdClientSetInfo is CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2),
// which client libraries send on connect.
func cmdClientSetInfo(c *conn, args [][]byte) {
	var field *string
	var what string
	switch {
	case equalFold(args[2], "lib-name"):
		field, what = &c.libName, "lib-name"
	case equalFold(args[2], "lib-ver"):
		field, what = &c.libVer, "lib-ver"
	default:
		c.w.error("ERR Unrecognized option '" + string(args[2]) + "'")
		return
	}
	if !validName(args[3]) {
		c.w.error("ERR " + what + " cannot contain spaces, newlines or special characters.")
		return
	}
	c.mu.Lock()
	*field = string(args[3])
	c.mu.Unlock()
	c.w.ok()
}

func cmdClientInfo(c *conn, _ [][]byte) { c.w.verbatim(c.info()) }

// cmdClientList lists every client, or with TYPE normal the same, with ID
// the clients of the given ids.
func cmdClientList(c *conn, args [][]byte) {
	clients := c.s.clients()
	slices.SortFunc(clients, func(a, b *conn) int { return int(a.id - b.id) })
	switch {
	case len(args) == 2:
	case len(args) == 4 && equalFold(args[2], "type"):
		switch strings.ToLower(string(args[3])) {
		case "normal":
		case "master", "replica", "slave", "pubsub":
			clients = nil
		default:
			c.w.error("ERR Unknown client type '" + string(args[3]) + "'")
			return
		}
	case len(args) > 3 && equalFold(args[2], "id"):
		want := map[int64]bool{}
		for _, a := range args[3:] {
			id, ok := command.ParseInt(a)
			if !ok {
				c.w.error("ERR Invalid client ID")
				return
			}
			want[id] = true
		}
		clients = slices.DeleteFunc(clients, func(x *conn) bool { return !want[x.id] })
	default:
		c.w.error(errSyntax)
		return
	}
	var b strings.Builder
	for _, x := range clients {
		b.WriteString(x.info())
	}
	c.w.verbatim(b.String())
}

func cmdClientHelp(c *conn, _ [][]byte) {
	c.w.strings([]string{
		"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GETNAME", "    Return the name of the current connection.",
		"ID", "    Return the ID of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"LIST [TYPE <normal|master|replica|pubsub>] [ID <id> [<id> ...]]", "    Return information about client connections.",
		"SETINFO <option> <value>", "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
		"HELP", "    Print this help.",
	})
}

// commandNames returns the names of the top-level commands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// writeCommandInfo writes s as one element of COMMAND's reply.
func writeCommandInfo(w *writer, s *spec) {
	w.arrayLen(10)
	w.bulkString(s.name)
	w.int(int64(s.arity))
	w.setLen(len(s.flags))
	for _, f := range s.flags {
		w.simple(f)
	}
	w.int(int64(s.first))
	w.int(int64(s.last))
	w.int(int64(s.step))
	w.setLen(0)   // ACL categories
	w.setLen(0)   // tips
	w.arrayLen(0) // key specs
	subs := make([]string, 0, len(s.subs))
	for n := range s.subs {
		subs = append(subs, n)
	}
	slices.Sort(subs)
	w.arrayLen(len(subs))
	for _, n := range subs {
		writeCommandInfo(w, s.subs[n])
	}
}

func cmdCommand(c *conn, _ [][]byte) {
	names := commandNames()
	c.w.arrayLen(len(names))
	for _, n := range names {
		writeCommandInfo(c.w, table[n])
	}
}

func cmdCommandCount(c *conn, _ [][]byte) { c.w.int(int64(len(table))) }

// cmdCommandDocs answers an empty map: the server keeps no documentation.
func cmdCommandDocs(c *conn, _ [][]byte) { c.w.mapLen(0) }

func cmdCommandInfo(c *conn, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.w.arrayLen(len(args) - 2)
	for _, a := range args[2:] {
		if s := lookup(table, a); s != nil {
			writeCommandInfo(c.w, s)
		} else {
			c.w.nullArray()
		}
	}
}

func cmdCommandList(c *conn, args [][]byte) {
	if len(args) != 2 {
		c.w.error(errSyntax)
		return
	}
	c.w.strings(commandNames())
}

func cmdCommandHelp(c *conn, _ [][]byte) {
	c.w.strings([]string{
		"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"(no subcommand)", "    Return details about all Redis commands.",
		"COUNT", "    Return the total number of commands in this Redis server.",
		"LIST", "    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
		"DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
		"HELP", "    Print this help.",
	})
}
