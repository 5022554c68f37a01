// Package reflru is the exact-LRU reference of the benchmark suite: one mutex,
// one map and one doubly-linked list, nothing clever. Hit ratios of every
// other cache are compared with it, and its throughput shows what the
// simplest correct design costs.
package reflru

import "sync"

// node is one entry of the recency list.
type node[K comparable, V any] struct {
	key        K
	value      V
	prev, next *node[K, V]
}

// LRU is a fixed-capacity cache that always evicts the least recently used
// entry. It is safe for concurrent use; every operation takes the one mutex
// and runs in O(1).
type LRU[K comparable, V any] struct {
	mu sync.Mutex // guards items and root
	// items maps each key to its node in the list.
	items map[K]*node[K, V]
	// root is the sentinel of the circular list: root.next is the most
	// recently used entry, root.prev the least.
	root     node[K, V]
	capacity int
}

// New returns an empty LRU that holds at most capacity entries. A capacity
// below 1 is treated as 1.
func New[K comparable, V any](capacity int) *LRU[K, V] {
	if capacity < 1 {
		capacity = 1
	}
	c := &LRU[K, V]{items: make(map[K]*node[K, V], capacity), capacity: capacity}
	c.root.next, c.root.prev = &c.root, &c.root
	return c
}

// Get returns the value stored for key and marks it most recently used.
func (c *LRU[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.moveToFront(n)
	return n.value, true
}

// Set stores value for key, marks it most recently used and, when a new key
// does not fit, evicts the least recently used entry.
func (c *LRU[K, V]) Set(key K, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.items[key]; ok {
		n.value = value
		c.moveToFront(n)
		return
	}
	var n *node[K, V]
	if len(c.items) >= c.capacity {
		// Reuse the evicted node: the reference should be plain, not wasteful.
		n = c.root.prev
		c.unlink(n)
		delete(c.items, n.key)
		n.key, n.value = key, value
	} else {
		n = &node[K, V]{key: key, value: value}
	}
	c.items[key] = n
	c.pushFront(n)
}

// Len returns the number of entries.
func (c *LRU[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// Keys returns the keys from most to least recently used.
func (c *LRU[K, V]) Keys() []K {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]K, 0, len(c.items))
	for n := c.root.next; n != &c.root; n = n.next {
		keys = append(keys, n.key)
	}
	return keys
}

// moveToFront makes n the most recently used entry. c.mu must be held.
func (c *LRU[K, V]) moveToFront(n *node[K, V]) {
	if c.root.next == n {
		return
	}
	c.unlink(n)
	c.pushFront(n)
}

// unlink removes n from the list. c.mu must be held.
func (c *LRU[K, V]) unlink(n *node[K, V]) {
	n.prev.next = n.next
	n.next.prev = n.prev
	n.prev, n.next = nil, nil
}

// pushFront inserts n at the most recently used end. c.mu must be held.
func (c *LRU[K, V]) pushFront(n *node[K, V]) {
	n.prev = &c.root
	n.next = c.root.next
	c.root.next.prev = n
	c.root.next = n
}
