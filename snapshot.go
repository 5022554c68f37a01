package minicache

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"time"
)

// A snapshot is a stream of checksummed frames:
//
//	header:  "MCSNAP" version(1 byte) flags(1 byte) key-codec-name value-codec-name crc
//	entries: 'E' count payload-length payload crc   (repeated)
//	end:     'Z' total-entries crc
//
// Numbers are unsigned varints and names and payloads are length-prefixed;
// each crc is the CRC-32C (Castagnoli) of its frame's bytes before it, in
// little-endian order. A payload holds count entries, each:
//
//	expiry (signed varint, Unix nanoseconds; 0: never) [frequency (1 byte)] key-length key value-length value
//
// The frequency, present when flag bit 0 is set (a cache with the WTinyLFU
// policy saved it), is the sketch's estimate for the key, 0 to 15; a
// WTinyLFU cache that loads it counts the key that often again, so a restart
// keeps what the policy learned about popularity, not only recency.
//
// Entries are written least recently used first, shard by shard, so that a
// load, which stores them in order, rebuilds each shard's recency order and,
// into a smaller cache, keeps the most recently used.
const (
	snapshotMagic   = "MCSNAP"
	snapshotVersion = 1
	// frameTarget is the payload size at which Save starts a new frame.
	frameTarget = 1 << 20
	// maxFrame bounds the payload length a loader accepts. A payload is
	// read as its bytes arrive, never allocated from its length.
	maxFrame = 1 << 31
	// maxName bounds a codec name.
	maxName = 1 << 10
	// flagFrequency: every entry carries a frequency byte.
	flagFrequency = 1
)

// ErrSnapshot is wrapped by every error that [Cache.Load] returns for input
// that is not a valid snapshot: damaged, truncated, of another version, or
// written with other codecs.
var ErrSnapshot = errors.New("minicache: invalid snapshot")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes the live entries of c to w with their deadlines and their
// order in the policy (see [Cache.All]), and returns how many it wrote. Keys and values are encoded
// with [StringCodec] for strings, [BytesCodec] for byte slices and
// [GobCodec] for other types; [Cache.SaveWith] takes other codecs.
//
// Save is streaming: it copies one shard at a time under that shard's lock
// and writes it after unlocking, so its memory is O(one shard) and other
// goroutines keep using the cache meanwhile. The snapshot is consistent per
// shard, not across shards: a write to a shard already saved is not in it.
func (c *Cache[K, V]) Save(w io.Writer) (int, error) {
	return c.SaveWith(w, defaultCodec[K](), defaultCodec[V]())
}

// SaveWith is [Cache.Save] with the given codecs.
func (c *Cache[K, V]) SaveWith(w io.Writer, keys Codec[K], values Codec[V]) (int, error) {
	sw := snapshotWriter[K, V]{w: w, keys: keys, values: values, freq: c.c.policy == WTinyLFU}
	if err := sw.header(); err != nil {
		return 0, err
	}
	var batch []Entry[K, V]
	var freqs []uint8
	for i := range c.c.shards {
		var fp *[]uint8
		if sw.freq {
			freqs = freqs[:0]
			fp = &freqs
		}
		batch = c.c.shardEntries(&c.c.shards[i], batch[:0], fp)
		for j := len(batch) - 1; j >= 0; j-- { // least recently used first
			var f uint8
			if sw.freq {
				f = freqs[j]
			}
			if err := sw.add(&batch[j], f); err != nil {
				return sw.total, err
			}
		}
		clear(batch)
	}
	return sw.total, sw.end()
}

// Load reads a snapshot written by [Cache.Save] from r and stores its
// entries in c with their deadlines, in the order they were saved, and
// returns how many it stored, counting those that later ones evicted.
// Entries whose deadline has passed are skipped. Into a cache smaller than
// the snapshot, entries arrive as new ones would: under LRU it keeps the
// most recently used of each saved shard; under Clock the last inserted or
// given a second chance, since its marks are not saved; under W-TinyLFU its
// admission
// chooses, by the frequencies a W-TinyLFU cache's snapshot carries (a
// snapshot of an LRU cache carries none, so no order is kept). Entries
// already in c stay unless the snapshot has their key.
//
// Load checks every frame's checksum before it stores any entry of it, and
// reads lengths as the bytes arrive, so damaged input never allocates more
// than it holds and never panics: the error wraps [ErrSnapshot] and says
// what is wrong. The entries of the frames before the damage are stored.
func (c *Cache[K, V]) Load(r io.Reader) (int, error) {
	return c.LoadWith(r, defaultCodec[K](), defaultCodec[V]())
}

// LoadWith is [Cache.Load] with the given codecs, which must be those the
// snapshot was saved with.
func (c *Cache[K, V]) LoadWith(r io.Reader, keys Codec[K], values Codec[V]) (int, error) {
	sr := snapshotReader{r: bufio.NewReaderSize(r, 64<<10)}
	flags, err := sr.header(keys.Name(), values.Name())
	if err != nil {
		return 0, err
	}
	stored, seen := 0, uint64(0)
	for {
		tag, err := sr.r.ReadByte()
		if err != nil {
			return stored, sr.fail("truncated: no end frame")
		}
		sr.start(tag)
		switch tag {
		case 'E':
			payload, count, err := sr.entries()
			if err != nil {
				return stored, err
			}
			n, err := c.loadFrame(payload, count, flags&flagFrequency != 0, keys, values)
			stored += n
			seen += count
			if err != nil {
				return stored, err
			}
		case 'Z':
			total, err := sr.uvarint("entry count")
			if err != nil {
				return stored, err
			}
			if err := sr.check(); err != nil {
				return stored, err
			}
			if total != seen {
				return stored, sr.fail(fmt.Sprintf("end frame counts %d entries, the frames hold %d", total, seen))
			}
			if _, err := sr.r.ReadByte(); err != io.EOF {
				return stored, sr.fail("bytes after the end frame")
			}
			return stored, nil
		default:
			return stored, sr.fail(fmt.Sprintf("unknown frame type %#x", tag))
		}
	}
}

// loadFrame stores the count entries of a verified payload.
func (c *Cache[K, V]) loadFrame(p []byte, count uint64, withFreq bool, keys Codec[K], values Codec[V]) (int, error) {
	stored := 0
	now := time.Now()
	for range count {
		expiry, n := binary.Varint(p)
		if n <= 0 {
			return stored, corrupt("bad expiry")
		}
		p = p[n:]
		var freq uint8
		if withFreq {
			if len(p) == 0 || p[0] > 15 {
				return stored, corrupt("bad frequency")
			}
			freq, p = p[0], p[1:]
		}
		kb, rest, ok := lengthPrefixed(p)
		if !ok {
			return stored, corrupt("bad key length")
		}
		vb, rest, ok := lengthPrefixed(rest)
		if !ok {
			return stored, corrupt("bad value length")
		}
		p = rest
		var at time.Time
		if expiry != 0 {
			at = time.Unix(0, expiry)
			if !at.After(now) {
				continue // expired while saved
			}
		}
		k, err := keys.Decode(kb)
		if err != nil {
			return stored, fmt.Errorf("%w: decoding a key: %v", ErrSnapshot, err)
		}
		v, err := values.Decode(vb)
		if err != nil {
			return stored, fmt.Errorf("%w: decoding a value: %v", ErrSnapshot, err)
		}
		if c.SetWithDeadline(k, v, at) {
			stored++
			if freq > 0 && c.c.policy == WTinyLFU {
				c.c.warm(k, freq)
			}
		}
	}
	if len(p) != 0 {
		return stored, corrupt("bytes after the last entry of a frame")
	}
	return stored, nil
}

// lengthPrefixed splits a uvarint-length-prefixed field off p.
func lengthPrefixed(p []byte) (field, rest []byte, ok bool) {
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return nil, nil, false
	}
	return p[n : n+int(l)], p[n+int(l):], true
}

func corrupt(what string) error {
	return fmt.Errorf("%w: %s", ErrSnapshot, what)
}

// shardEntries appends the live entries of s to batch, most recently used
// first, copied under its lock; with freqs non-nil, it also appends each
// entry's frequency estimate there (s has the WTinyLFU policy).
func (c *core[K, V]) shardEntries(s *shard[K, V], batch []Entry[K, V], freqs *[]uint8) []Entry[K, V] {
	var r removals[K, V]
	rp := c.recorder(&r)
	c.lockSettled(s, rp)
	s.order.walk(func(j uint32) bool {
		e := &s.slab.entries[j]
		batch = append(batch, Entry[K, V]{e.key, e.value, c.wallTime(s.slab.expire(j))})
		if freqs != nil {
			*freqs = append(*freqs, uint8(s.order.lfu.frequency(j)))
		}
		return true
	})
	s.unlock()
	c.report(rp)
	return batch
}

// warm counts k freq more times in its shard's frequency sketch, as a
// loaded snapshot asks.
func (c *core[K, V]) warm(k K, freq uint8) {
	h := c.hash(k)
	s := c.shardFor(h)
	s.lock()
	s.order.lfu.sk.addN(sketchHash(uint32(h>>32)), uint64(freq))
	s.unlock()
}

// snapshotWriter writes the frames of a snapshot.
type snapshotWriter[K comparable, V any] struct {
	w       io.Writer
	keys    Codec[K]
	values  Codec[V]
	frame   []byte // the frame being built, from its tag on
	payload []byte
	scratch []byte
	count   int  // entries in payload
	total   int  // entries written
	freq    bool // entries carry a frequency byte
}

func (sw *snapshotWriter[K, V]) header() error {
	b := append([]byte(snapshotMagic), snapshotVersion, 0)
	if sw.freq {
		b[len(b)-1] = flagFrequency
	}
	b = appendString(b, sw.keys.Name())
	b = appendString(b, sw.values.Name())
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	_, err := sw.w.Write(b)
	return err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// add appends e to the current frame, writing the frame once it is full.
func (sw *snapshotWriter[K, V]) add(e *Entry[K, V], freq uint8) error {
	var expiry int64
	if !e.Expiry.IsZero() {
		expiry = e.Expiry.UnixNano()
	}
	sw.payload = binary.AppendVarint(sw.payload, expiry)
	if sw.freq {
		sw.payload = append(sw.payload, freq)
	}
	var err error
	if sw.scratch, err = sw.keys.Append(sw.scratch[:0], e.Key); err != nil {
		return fmt.Errorf("minicache: encoding a key: %w", err)
	}
	sw.payload = binary.AppendUvarint(sw.payload, uint64(len(sw.scratch)))
	sw.payload = append(sw.payload, sw.scratch...)
	if sw.scratch, err = sw.values.Append(sw.scratch[:0], e.Value); err != nil {
		return fmt.Errorf("minicache: encoding a value: %w", err)
	}
	sw.payload = binary.AppendUvarint(sw.payload, uint64(len(sw.scratch)))
	sw.payload = append(sw.payload, sw.scratch...)
	sw.count++
	if len(sw.payload) >= frameTarget {
		return sw.flush()
	}
	return nil
}

// flush writes the entries frame built so far, if it has any entry.
func (sw *snapshotWriter[K, V]) flush() error {
	if sw.count == 0 {
		return nil
	}
	if uint64(len(sw.payload)) > maxFrame {
		return fmt.Errorf("minicache: an entry of %d bytes is too large for a snapshot", len(sw.payload))
	}
	b := append(sw.frame[:0], 'E')
	b = binary.AppendUvarint(b, uint64(sw.count))
	b = binary.AppendUvarint(b, uint64(len(sw.payload)))
	crc := crc32.Update(crc32.Checksum(b, castagnoli), castagnoli, sw.payload)
	b = append(b, sw.payload...)
	b = binary.LittleEndian.AppendUint32(b, crc)
	sw.frame = b
	if _, err := sw.w.Write(b); err != nil {
		return err
	}
	sw.total += sw.count
	sw.count = 0
	sw.payload = sw.payload[:0]
	if cap(sw.frame) > 4*frameTarget {
		sw.frame = nil // one huge entry: do not keep its buffer
	}
	return nil
}

func (sw *snapshotWriter[K, V]) end() error {
	if err := sw.flush(); err != nil {
		return err
	}
	b := binary.AppendUvarint([]byte{'Z'}, uint64(sw.total))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	_, err := sw.w.Write(b)
	return err
}

// snapshotReader reads the frames of a snapshot, keeping the running
// checksum of the current frame.
type snapshotReader struct {
	r   *bufio.Reader
	crc uint32
	buf []byte
}

// fail returns an ErrSnapshot error saying what is wrong.
func (sr *snapshotReader) fail(what string) error { return corrupt(what) }

// start begins a new frame whose first byte, already read, is tag.
func (sr *snapshotReader) start(tag byte) {
	sr.crc = crc32.Update(0, castagnoli, []byte{tag})
}

// read reads exactly n bytes into sr.buf, growing it only as they arrive.
func (sr *snapshotReader) read(n uint64, what string) ([]byte, error) {
	sr.buf = sr.buf[:0]
	for n > 0 {
		// Grow by what has arrived so far (64 KiB at first): the buffer is
		// at most twice the bytes the input really holds.
		chunk := int(min(n, uint64(max(64<<10, len(sr.buf)))))
		start := len(sr.buf)
		sr.buf = slices.Grow(sr.buf, chunk)[:start+chunk]
		if _, err := io.ReadFull(sr.r, sr.buf[start:]); err != nil {
			return nil, sr.fail("truncated in " + what)
		}
		n -= uint64(chunk)
	}
	sr.crc = crc32.Update(sr.crc, castagnoli, sr.buf)
	return sr.buf, nil
}

func (sr *snapshotReader) uvarint(what string) (uint64, error) {
	var b [binary.MaxVarintLen64]byte
	for i := range b {
		c, err := sr.r.ReadByte()
		if err != nil {
			return 0, sr.fail("truncated in " + what)
		}
		b[i] = c
		if c < 0x80 {
			v, n := binary.Uvarint(b[:i+1])
			if n <= 0 {
				break
			}
			sr.crc = crc32.Update(sr.crc, castagnoli, b[:i+1])
			return v, nil
		}
	}
	return 0, sr.fail("bad number in " + what)
}

// check reads the frame's checksum and compares it with the bytes read.
func (sr *snapshotReader) check() error {
	var b [4]byte
	if _, err := io.ReadFull(sr.r, b[:]); err != nil {
		return sr.fail("truncated in a checksum")
	}
	if binary.LittleEndian.Uint32(b[:]) != sr.crc {
		return sr.fail("checksum mismatch: the file is damaged")
	}
	return nil
}

func (sr *snapshotReader) header(keyCodec, valueCodec string) (flags byte, err error) {
	magic := make([]byte, len(snapshotMagic)+2)
	if _, err := io.ReadFull(sr.r, magic); err != nil || string(magic[:len(snapshotMagic)]) != snapshotMagic {
		return 0, sr.fail("not a minicache snapshot")
	}
	if v := magic[len(snapshotMagic)]; v != snapshotVersion {
		return 0, sr.fail(fmt.Sprintf("version %d, this build reads version %d", v, snapshotVersion))
	}
	if flags = magic[len(snapshotMagic)+1]; flags&^flagFrequency != 0 {
		return 0, sr.fail(fmt.Sprintf("unknown flags %#x", flags))
	}
	sr.crc = crc32.Checksum(magic, castagnoli)
	var names [2]string
	for i, what := range []string{"key codec", "value codec"} {
		n, err := sr.uvarint(what)
		if err != nil {
			return 0, err
		}
		if n > maxName {
			return 0, sr.fail(what + " name too long")
		}
		b, err := sr.read(n, what)
		if err != nil {
			return 0, err
		}
		names[i] = string(b)
	}
	if err := sr.check(); err != nil {
		return 0, err
	}
	if names[0] != keyCodec || names[1] != valueCodec {
		return 0, sr.fail(fmt.Sprintf("saved with codecs %q/%q, loading with %q/%q", names[0], names[1], keyCodec, valueCodec))
	}
	return flags, nil
}

// entries reads the rest of an entries frame and returns its verified
// payload, valid until the next read, and its entry count.
func (sr *snapshotReader) entries() ([]byte, uint64, error) {
	count, err := sr.uvarint("entry count")
	if err != nil {
		return nil, 0, err
	}
	n, err := sr.uvarint("frame length")
	if err != nil {
		return nil, 0, err
	}
	switch {
	case n > maxFrame:
		return nil, 0, sr.fail(fmt.Sprintf("frame of %d bytes, more than the limit of %d", n, uint64(maxFrame)))
	case count == 0 || count > n/3: // an entry takes at least 3 bytes
		return nil, 0, sr.fail(fmt.Sprintf("frame of %d bytes cannot hold %d entries", n, count))
	}
	payload, err := sr.read(n, "an entries frame")
	if err != nil {
		return nil, 0, err
	}
	if err := sr.check(); err != nil {
		return nil, 0, err
	}
	return payload, count, nil
}
