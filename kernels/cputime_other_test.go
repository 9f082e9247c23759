//go:build !linux

package kernels

import "testing"

func cpuLoop(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
