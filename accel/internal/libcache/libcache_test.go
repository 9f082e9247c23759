package libcache

import (
	"errors"
	"testing"
)

func TestLoadOnce(t *testing.T) {
	calls := map[string]int{}
	c := New(func(p string) (*int, error) {
		calls[p]++
		if p == "missing.so" {
			return nil, errors.New("not found")
		}
		n := len(calls)
		return &n, nil
	})
	a, err := c.Load("a.so")
	b, _ := c.Load("a.so")
	if err != nil || a != b || calls["a.so"] != 1 {
		t.Errorf("a.so: %v %v %v, opened %d times", a, b, err, calls["a.so"])
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Load("missing.so"); err == nil {
			t.Error("missing library loaded")
		}
	}
	if calls["missing.so"] != 1 {
		t.Errorf("a failed library was tried %d times", calls["missing.so"])
	}
}
