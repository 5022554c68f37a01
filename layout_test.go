package minicache

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestShardLayout keeps the lock and the counters in the first cache line
// of a shard and the size of a shard a multiple of the line, so that shards
// in an array never share a line.
func TestShardLayout(t *testing.T) {
	var s shard[string, []byte]
	assert.Equal(t, uintptr(64), unsafe.Offsetof(s.slab), "mu and counters fill the first line")
	assert.Zero(t, unsafe.Sizeof(s)%64, "size %d", unsafe.Sizeof(s))
	assert.Equal(t, unsafe.Sizeof(s), unsafe.Sizeof(shard[int64, int64]{}))
}
