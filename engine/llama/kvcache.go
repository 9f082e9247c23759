package llama

import "errors"

// pageSize is the number of token positions in one KV page. Sequences hold
// lists of pages from one shared pool, so the memory for the context is
// shared by however many sequences are active, and a prompt prefix
// (the template's system text) can be computed once and its full pages
// shared by every sequence that starts with it.
const pageSize = PageSize

// PageSize is the number of positions in one KV page: sequences own whole
// pages, so capacity planning is in units of it.
const PageSize = 32

// ErrKVFull is returned when the KV cache has no free page for a token.
var ErrKVFull = errors.New("KV cache is full")

// kvCache stores K and V for every layer as F16 (as llama.cpp does by
// default), in pages of pageSize positions.
type kvCache struct {
	kvDim  int
	nPages int
	k, v   [][]uint16 // per layer: nPages*pageSize*kvDim halves
	refs   []int32    // sequences using each page
	free   []int32    // stack of free pages
}

func newKVCache(nLayer, kvDim, nPages int) kvCache {
	c := kvCache{kvDim: kvDim, nPages: nPages, k: make([][]uint16, nLayer), v: make([][]uint16, nLayer), refs: make([]int32, nPages)}
	for l := range c.k {
		c.k[l] = make([]uint16, nPages*pageSize*kvDim)
		c.v[l] = make([]uint16, nPages*pageSize*kvDim)
	}
	c.free = make([]int32, nPages)
	for i := range c.free {
		c.free[i] = int32(nPages - 1 - i)
	}
	return c
}

func (c *kvCache) alloc() int32 {
	p := c.free[len(c.free)-1]
	c.free = c.free[:len(c.free)-1]
	c.refs[p] = 1
	return p
}

func (c *kvCache) release(p int32) {
	c.refs[p]--
	if c.refs[p] == 0 {
		c.free = append(c.free, p)
	}
}

// row returns the offset of a position's row within a layer's K or V.
func (c *kvCache) row(page int32, slot int) int {
	return (int(page)*pageSize + slot) * c.kvDim
}

// copyPage copies the first n slots of page src into dst in every layer.
func (c *kvCache) copyPage(dst, src int32, n int) {
	for l := range c.k {
		d, s := c.row(dst, 0), c.row(src, 0)
		copy(c.k[l][d:d+n*c.kvDim], c.k[l][s:s+n*c.kvDim])
		copy(c.v[l][d:d+n*c.kvDim], c.v[l][s:s+n*c.kvDim])
	}
}

// sequence is one token stream's view of the cache.
type sequence struct {
	used  bool
	n     int     // positions stored
	pages []int32 // page of positions [i*pageSize, (i+1)*pageSize)
}
