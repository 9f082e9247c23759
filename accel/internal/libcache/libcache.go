package libcache

import "sync"

// Cache maps a library path to what opening it produced.
type Cache[T any] struct {
	mu   sync.Mutex
	libs map[string]T
	errs map[string]error
	open func(path string) (T, error)
}

// New returns a cache that opens libraries with open.
func New[T any](open func(path string) (T, error)) *Cache[T] {
	return &Cache[T]{libs: map[string]T{}, errs: map[string]error{}, open: open}
}

// Load returns the library at path, opening it on first use.
func (c *Cache[T]) Load(path string) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.libs[path]; ok {
		return l, nil
	}
	if err, ok := c.errs[path]; ok {
		var zero T
		return zero, err
	}
	l, err := c.open(path)
	if err != nil {
		c.errs[path] = err
		return l, err
	}
	c.libs[path] = l
	return l, nil
}
