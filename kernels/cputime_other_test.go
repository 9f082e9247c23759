//go:build !linux

package kernels

import "testing"

func cpuLoop(b *testing.B, f func()) float64 {
	for b.Loop() {
		f()
	}
	return 0
}
