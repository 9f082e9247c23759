package cpuinfo

import (
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// SysfsCPU is where Linux describes the CPUs.
const SysfsCPU = "/sys/devices/system/cpu"

// PerformanceCores returns the number of physical performance cores this
// process may run on: on Linux, the online CPUs whose cpu_capacity (or,
// without it, cpufreq/cpuinfo_max_freq) is at least 80% of the largest,
// counting SMT siblings once; never more than runtime.NumCPU() (which
// honours the affinity mask) and at least 1. Without sysfs it is
// runtime.NumCPU().
func PerformanceCores() int {
	return performanceCores(os.DirFS(SysfsCPU), runtime.NumCPU())
}

func performanceCores(sys fs.FS, numCPU int) int {
	n := countPerformanceCores(sys)
	if n <= 0 || n > numCPU {
		n = numCPU
	}
	return max(n, 1)
}

// countPerformanceCores returns 0 when sysfs says nothing useful.
func countPerformanceCores(sys fs.FS) int {
	cpus := onlineCPUs(sys)
	if len(cpus) == 0 {
		return 0
	}
	metric := readPerCPU(sys, cpus, "cpu_capacity")
	if metric == nil {
		metric = readPerCPU(sys, cpus, "cpufreq/cpuinfo_max_freq")
	}
	var best uint64
	for _, m := range metric {
		best = max(best, m)
	}
	cores := map[string]bool{}
	for i, c := range cpus {
		if metric != nil && metric[i]*5 < best*4 {
			continue
		}
		// One entry per physical core: its SMT siblings share the key.
		key := "cpu" + strconv.Itoa(c)
		for _, f := range []string{"topology/core_cpus_list", "topology/thread_siblings_list"} {
			if b, err := fs.ReadFile(sys, "cpu"+strconv.Itoa(c)+"/"+f); err == nil {
				key = strings.TrimSpace(string(b))
				break
			}
		}
		cores[key] = true
	}
	return len(cores)
}

// readPerCPU reads one number per CPU, or returns nil unless every CPU has
// it (a partial view would misjudge the missing ones).
func readPerCPU(sys fs.FS, cpus []int, file string) []uint64 {
	out := make([]uint64, len(cpus))
	for i, c := range cpus {
		b, err := fs.ReadFile(sys, "cpu"+strconv.Itoa(c)+"/"+file)
		if err != nil {
			return nil
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || v == 0 {
			return nil
		}
		out[i] = v
	}
	return out
}

// onlineCPUs parses the "online" list ("0-3,6"), or lists the cpuN
// directories when there is none.
func onlineCPUs(sys fs.FS) []int {
	if b, err := fs.ReadFile(sys, "online"); err == nil {
		if l, ok := ParseList(strings.TrimSpace(string(b))); ok {
			return l
		}
	}
	ents, err := fs.ReadDir(sys, ".")
	if err != nil {
		return nil
	}
	var l []int
	for _, e := range ents {
		if n, ok := strings.CutPrefix(e.Name(), "cpu"); ok {
			if c, err := strconv.Atoi(n); err == nil && c >= 0 {
				l = append(l, c)
			}
		}
	}
	return l
}

// ParseList parses a Linux CPU list such as "0-3,5,7-8".
func ParseList(s string) ([]int, bool) {
	if s == "" {
		return nil, false
	}
	var l []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, false
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 1<<16 {
				return nil, false
			}
		}
		for c := a; c <= b; c++ {
			l = append(l, c)
		}
	}
	return l, true
}
