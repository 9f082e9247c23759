//go:build !purego && !noasm

package kernels

func init() {
	if useAVX2 {
		readSum = readSumAVX2
	}
}

// readSumAVX2 adds b (len a multiple of 64) as uint64 lanes with 32-byte
// loads, eight accumulators deep; the value only keeps the loads alive.
func readSumAVX2(b []byte) uint64 {
	n := len(b) &^ 255
	var s uint64
	if n > 0 {
		s = readSumAVX2Asm(&b[0], n)
	}
	return s + readSumGeneric(b[n:])
}

//go:noescape
func readSumAVX2Asm(p *byte, n int) uint64
