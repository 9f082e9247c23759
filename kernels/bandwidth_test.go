package kernels

import (
	"os"
	"strconv"
	"testing"
)

func TestReadSum(t *testing.T) {
	b := make([]byte, 64*37)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	for _, n := range []int{0, 64, 256, 320, 64 * 37} {
		if got, want := readSum(b[:n]), readSumGeneric(b[:n]); got != want {
			t.Errorf("readSum(%d bytes) = %#x, want %#x", n, got, want)
		}
	}
}

// TestBandwidth measures the machine's read bandwidth (set BAYLING_BW_MIB
// to change the 256 MiB buffer); it only checks that the figure is sane.
func TestBandwidth(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a large buffer")
	}
	mib := 256
	if s := os.Getenv("BAYLING_BW_MIB"); s != "" {
		mib, _ = strconv.Atoi(s)
	}
	for _, th := range []int{1, 2} {
		gbs := Bandwidth(th, mib<<20, 3)
		if !(gbs > 0.1) {
			t.Fatalf("Bandwidth(%d threads) = %v GB/s", th, gbs)
		}
		t.Logf("%s: %d thread(s), %d MiB: %.1f GB/s", Impl(), th, mib, gbs)
	}
	if Bandwidth(1, 100, 1) != 0 {
		t.Error("a buffer below 4 KiB per thread should measure nothing")
	}
}
