package minicache

// deadline records that the entry in slot idx expires at the time at.
type deadline struct {
	at  int64
	idx uint32
}

// expiryHeap is a binary min-heap of deadlines: the expiry index of a shard.
// It finds what has expired in O(log n) per expired entry, so neither the
// janitor nor a full shard looking for room ever scans live entries.
//
// Deletion is lazy. A deadline is current only while its slot still holds an
// entry whose expire equals at; when an entry is removed or its TTL changes,
// its old deadline stays in the heap and is skipped when it surfaces. The
// shard compacts the heap when stale deadlines outnumber current ones, so its
// size stays within a constant factor of the entries that have a TTL.
type expiryHeap []deadline

func (h expiryHeap) less(i, j int) bool { return h[i].at < h[j].at }

// push adds d in O(log n).
func (h *expiryHeap) push(d deadline) {
	*h = append(*h, d)
	h.up(len(*h) - 1)
}

// pop removes the earliest deadline in O(log n). h must not be empty.
//
// It sinks the hole left at the root to a leaf, always through the earlier
// child, then lets the last deadline rise from there (Floyd's method). The
// last deadline is among the latest, so it seldom rises far, and sinking
// costs one comparison per level instead of the two of a plain sift-down:
// this halves the cost of reclaiming expired entries.
func (h *expiryHeap) pop() {
	old := *h
	n := len(old) - 1
	last := old[n]
	*h = old[:n]
	if n == 0 {
		return
	}
	a := old[:n]
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && a[r].at < a[c].at {
			c = r
		}
		a[i] = a[c]
		i = c
	}
	a[i] = last
	a.up(i)
}

// peek returns the earliest deadline. h must not be empty.
func (h expiryHeap) peek() deadline { return h[0] }

// init restores the heap order in O(n) after h was rewritten.
func (h expiryHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h expiryHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (h expiryHeap) down(i int) {
	n := len(h)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && h.less(r, c) {
			c = r
		}
		if !h.less(c, i) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
