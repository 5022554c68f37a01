package workload

import (
	"slices"
	"testing"
)

func TestZipfRanksSkewAndDeterminism(t *testing.T) {
	const n = 200_000
	a := ZipfRanks(7, n, ZipfS, KeySpace-1)
	b := ZipfRanks(7, n, ZipfS, KeySpace-1)
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different traces")
	}
	counts := map[uint32]int{}
	for _, r := range a {
		if r >= KeySpace {
			t.Fatalf("rank %d outside the key space", r)
		}
		counts[r]++
	}
	// With s=1.01 and v=1, P(rank) ∝ (1+rank)^-1.01: rank 0 is the most
	// popular, about twice as frequent as rank 1, and the top 1% of the key
	// space takes well over half of the requests.
	if counts[0] <= counts[1] || counts[1] <= counts[10] {
		t.Errorf("counts not decreasing with rank: %d, %d, %d", counts[0], counts[1], counts[10])
	}
	if ratio := float64(counts[0]) / float64(counts[1]); ratio < 1.7 || ratio > 2.4 {
		t.Errorf("count(0)/count(1) = %.2f, want about 2", ratio)
	}
	top := 0
	for r, c := range counts {
		if r < KeySpace/100 {
			top += c
		}
	}
	if frac := float64(top) / n; frac < 0.55 || frac > 0.8 {
		t.Errorf("top 1%% of keys took %.2f of requests, want about 0.65", frac)
	}
	if len(counts) < n/10 {
		t.Errorf("only %d distinct ranks in %d draws", len(counts), n)
	}
}

func TestKeysAreDistinctAndSized(t *testing.T) {
	const n = 50_000
	ints := map[int64]bool{}
	strs := map[string]bool{}
	table := StringKeys(n)
	for r := range uint64(n) {
		ints[IntKey(r)] = true
		s := StringKey(r)
		if len(s) != StringKeyLen {
			t.Fatalf("StringKey(%d) = %q, want %d bytes", r, s, StringKeyLen)
		}
		if table[r] != s {
			t.Fatalf("StringKeys()[%d] = %q, StringKey = %q", r, table[r], s)
		}
		strs[s] = true
	}
	if len(ints) != n || len(strs) != n {
		t.Errorf("distinct keys: %d ints, %d strings, want %d", len(ints), len(strs), n)
	}
}

func TestWithScansInsertsOneOffKeys(t *testing.T) {
	ranks := []uint32{1, 2, 3, 4}
	got := WithScans(ranks, 2, 3)
	want := []uint32{1, 2, KeySpace, KeySpace + 1, KeySpace + 2, 3, 4, KeySpace + 3, KeySpace + 4, KeySpace + 5}
	if !slices.Equal(got, want) {
		t.Errorf("WithScans = %v, want %v", got, want)
	}
}

func TestCachedZipfRanksMatchesGenerator(t *testing.T) {
	dir := t.TempDir()
	want := ZipfRanks(3, 1000, ZipfS, KeySpace-1)
	for range 2 { // the first call writes the file, the second reads it
		if got := CachedZipfRanks(dir, 3, 1000); !slices.Equal(got, want) {
			t.Fatal("cached trace differs from the generator's")
		}
	}
}
