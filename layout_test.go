package minicache

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestShardLayout keeps the lock and the counters in the first cache line
// of a shard, what a Get reads of the order, the index and the slab in the
// next two, and the size of a shard a multiple of the line, so that shards
// in an array never share a line: a Get touches three lines of its shard,
// which matters once there are more shards than fit in the L1 cache.
func TestShardLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is set for 64-bit words")
	}
	var s shard[string, []byte]
	assert.Equal(t, uintptr(64), unsafe.Offsetof(s.order), "mu and counters fill the first line")
	assert.Equal(t, uintptr(128), unsafe.Offsetof(s.index)+unsafe.Sizeof(s.index), "order and index fill the second")
	assert.Equal(t, uintptr(128), unsafe.Offsetof(s.slab.entries)+unsafe.Offsetof(s.slab))
	assert.LessOrEqual(t, unsafe.Offsetof(s.slab)+unsafe.Offsetof(s.slab.expires)+unsafe.Sizeof(s.slab.expires), uintptr(192),
		"entries and expires in the third")
	assert.Zero(t, unsafe.Sizeof(s)%64, "size %d", unsafe.Sizeof(s))
	assert.Equal(t, unsafe.Sizeof(s), unsafe.Sizeof(shard[int64, int64]{}))
}
