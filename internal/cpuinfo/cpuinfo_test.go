package cpuinfo

import (
	"fmt"
	"reflect"
	"testing"
	"testing/fstest"
)

// tree builds a fake /sys/devices/system/cpu: online is the online list;
// per CPU, files relative to cpuN.
func tree(online string, cpus map[int]map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	if online != "" {
		fsys["online"] = &fstest.MapFile{Data: []byte(online + "\n")}
	}
	for c, files := range cpus {
		fsys[fmt.Sprintf("cpu%d/uevent", c)] = &fstest.MapFile{}
		for name, v := range files {
			fsys[fmt.Sprintf("cpu%d/%s", c, name)] = &fstest.MapFile{Data: []byte(v + "\n")}
		}
	}
	return fsys
}

func TestPerformanceCores(t *testing.T) {
	rk3588 := map[int]map[string]string{}
	for c := 0; c < 8; c++ {
		capacity, freq := "414", "1800000"
		if c >= 4 {
			// The two A76 clusters may be binned to slightly different
			// clocks; both are big cores.
			capacity, freq = "1024", "2400000"
			if c >= 6 {
				capacity, freq = "1009", "2352000"
			}
		}
		rk3588[c] = map[string]string{"cpu_capacity": capacity, "cpufreq/cpuinfo_max_freq": freq,
			"topology/core_cpus_list": fmt.Sprint(c)}
	}
	freqOnly := map[int]map[string]string{}
	for c, f := range rk3588 {
		freqOnly[c] = map[string]string{"cpufreq/cpuinfo_max_freq": f["cpufreq/cpuinfo_max_freq"]}
	}
	pi5 := map[int]map[string]string{}
	for c := 0; c < 4; c++ {
		pi5[c] = map[string]string{"cpu_capacity": "1024", "cpufreq/cpuinfo_max_freq": "2400000"}
	}
	// x86 with SMT: cpus 0-3 are two cores (0,2 and 1,3), no capacity.
	smt := map[int]map[string]string{
		0: {"topology/thread_siblings_list": "0,2"}, 1: {"topology/thread_siblings_list": "1,3"},
		2: {"topology/thread_siblings_list": "0,2"}, 3: {"topology/thread_siblings_list": "1,3"},
	}
	// A partial view (one CPU without cpu_capacity) is not trusted.
	partial := map[int]map[string]string{0: {"cpu_capacity": "1024"}, 1: {"cpu_capacity": "300"}, 2: {}}

	for _, tc := range []struct {
		name   string
		fsys   fstest.MapFS
		numCPU int
		want   int
	}{
		{"rk3588", tree("0-7", rk3588), 8, 4},
		{"rk3588 cpufreq only", tree("0-7", freqOnly), 8, 4},
		{"rk3588 no online file", tree("", rk3588), 8, 4},
		{"rk3588 big cores offline", tree("0-5", rk3588), 8, 2},
		{"rk3588 affinity 2", tree("0-7", rk3588), 2, 2},
		{"pi5", tree("0-3", pi5), 4, 4},
		{"smt", tree("0-3", smt), 4, 2},
		{"partial", tree("0-2", partial), 3, 3},
		{"no sysfs", fstest.MapFS{}, 6, 6},
		{"no sysfs one cpu", fstest.MapFS{}, 1, 1},
	} {
		if got := performanceCores(tc.fsys, tc.numCPU); got != tc.want {
			t.Errorf("%s: %d cores, want %d", tc.name, got, tc.want)
		}
	}
}

func TestParseList(t *testing.T) {
	for s, want := range map[string][]int{"0": {0}, "0-3": {0, 1, 2, 3}, "0-1,4,6-7": {0, 1, 4, 6, 7}} {
		got, ok := ParseList(s)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseList(%q) = %v %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "a", "3-1", "1,,2", "-1"} {
		if _, ok := ParseList(s); ok {
			t.Errorf("ParseList(%q) accepted", s)
		}
	}
}

func TestThisMachine(t *testing.T) {
	n := PerformanceCores()
	if n < 1 {
		t.Fatalf("PerformanceCores() = %d", n)
	}
	t.Logf("this machine: %d performance cores", n)
}
