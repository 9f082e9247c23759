package bench

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/baylingd/baylingd/kernels"
)

// DefaultProbeBytes is the size of the buffer Bandwidth reads: far larger
// than any last-level cache of the machines this runs on (a Pi 5 has 2 MiB,
// an RK3588 3 MiB, server parts up to a few hundred), so it measures DRAM.
const DefaultProbeBytes = 512 << 20

// probePasses is how many times the buffer is read; the fastest pass counts
// (other processes on the machine only ever make a pass slower).
const probePasses = 8

// Bandwidth returns the read bandwidth of this machine in bytes/s, as
// kernels.Bandwidth measures it (threads streaming disjoint shares of one
// buffer of size bytes, 0: DefaultProbeBytes, with the widest loads the CPU
// has), best of several passes.
func Bandwidth(threads, size int) float64 {
	if size <= 0 {
		size = DefaultProbeBytes
	}
	bw := kernels.Bandwidth(threads, size, probePasses) * 1e9
	debug.FreeOSMemory() // give the probe's buffer back before the model runs
	return bw
}

// CPUName describes the processor: /proc/cpuinfo's model name on x86, the
// device-tree model (e.g. "Raspberry Pi 5 Model B Rev 1.0") on boards.
func CPUName() string {
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	if b, err := os.ReadFile("/proc/device-tree/model"); err == nil {
		return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
	}
	return ""
}

// LoadAvg is the 1-minute load average from /proc/loadavg, 0 where there is
// none.
func LoadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}
