package reflru

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[int, string](2)
	c.Set(1, "a")
	c.Set(2, "b")
	if _, ok := c.Get(1); !ok { // 1 becomes most recent
		t.Fatal("key 1 missing")
	}
	c.Set(3, "c") // evicts 2
	if _, ok := c.Get(2); ok {
		t.Error("key 2 should have been evicted")
	}
	if got, want := c.Keys(), []int{3, 1}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
	c.Set(1, "a2") // overwrite updates value and recency
	if v, _ := c.Get(1); v != "a2" {
		t.Errorf("Get(1) = %q, want a2", v)
	}
	if got := c.Len(); got != 2 {
		t.Errorf("Len() = %d, want 2", got)
	}
}

// TestMatchesModel drives the LRU and a slice-based model with the same
// random operations over a small key range.
func TestMatchesModel(t *testing.T) {
	const capacity = 8
	c := New[int, int](capacity)
	var model []int // most recent first
	vals := map[int]int{}
	touch := func(k int) {
		if i := slices.Index(model, k); i >= 0 {
			model = slices.Delete(model, i, i+1)
		}
		model = slices.Insert(model, 0, k)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for step := range 20_000 {
		k := r.IntN(20)
		if r.IntN(2) == 0 {
			c.Set(k, step)
			touch(k)
			vals[k] = step
			if len(model) > capacity {
				delete(vals, model[capacity])
				model = model[:capacity]
			}
		} else {
			v, ok := c.Get(k)
			want, wantOK := vals[k]
			if ok != wantOK || v != want {
				t.Fatalf("step %d: Get(%d) = %d,%v, want %d,%v", step, k, v, ok, want, wantOK)
			}
			if ok {
				touch(k)
			}
		}
		if !slices.Equal(c.Keys(), model) {
			t.Fatalf("step %d: order %v, want %v", step, c.Keys(), model)
		}
	}
}
