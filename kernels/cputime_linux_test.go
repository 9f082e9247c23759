package kernels

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time of the calling OS thread. On a shared machine
// it measures a kernel's cost far more steadily than wall time.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// cpuLoop runs f b.N times on one locked thread and reports the thread's
// CPU time per call as cpu-ns/op beside the wall-clock ns/op; it returns
// that figure (0 where it was not measured).
func cpuLoop(b *testing.B, f func()) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := 0
	t0 := threadCPU()
	for b.Loop() {
		f()
		n++
	}
	if d := threadCPU() - t0; d > 0 && n > 0 {
		ns := float64(d.Nanoseconds()) / float64(n)
		b.ReportMetric(ns, "cpu-ns/op")
		return ns
	}
	return 0
}
