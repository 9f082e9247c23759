//go:build !purego && !noasm

package kernels

func init() { readSum = readSumNEON }

// readSumNEON adds b (len a multiple of 64) as uint64 lanes with 64-byte
// NEON loads; the value only keeps the loads alive. Every arm64 CPU has
// ASIMD, so there is no feature check.
func readSumNEON(b []byte) uint64 {
	n := len(b) &^ 127
	var s uint64
	if n > 0 {
		s = readSumNEONAsm(&b[0], n)
	}
	return s + readSumGeneric(b[n:])
}

//go:noescape
func readSumNEONAsm(p *byte, n int) uint64
