package traces

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadCountsRequests checks the readers against the request and key
// counts that ../shared/traces/README.md gives.
func TestReadCountsRequests(t *testing.T) {
	dir, ok := Dir()
	if !ok {
		t.Skip("no traces folder (../shared/traces or $MINICACHE_TRACES): nothing to read")
	}
	for _, tc := range []struct {
		file           string
		requests, keys int
	}{
		{"OLTP.lis.zst", 914_145, 186_880},
		{"loop.gz", 505_500, 1011},
	} {
		keys, err := Read(dir, tc.file)
		require.NoError(t, err, tc.file)
		assert.Len(t, keys, tc.requests, tc.file)
		distinct := map[uint64]bool{}
		for _, k := range keys {
			distinct[k] = true
		}
		assert.Len(t, distinct, tc.keys, tc.file)
	}
}
