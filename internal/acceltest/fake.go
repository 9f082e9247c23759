package acceltest

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// BuildFakeRKNN compiles accel/rknpu/testdata/fake_rknnrt.c, the ABI
// double of librknnrt.so, into a shared library in a temporary directory
// of tb and returns its path. Without gcc the test is skipped, or fails
// under CI=true. Each call builds a separate file, so each test that
// loads one gets fresh global state in the double.
func BuildFakeRKNN(tb testing.TB) string {
	tb.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		Unavailable(tb, "gcc (to build the RKNN ABI double)", err)
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot locate the acceltest source")
	}
	src := filepath.Join(filepath.Dir(file), "..", "..", "accel", "rknpu", "testdata", "fake_rknnrt.c")
	out := filepath.Join(tb.TempDir(), "libfake_rknnrt.so")
	cmd := exec.Command(gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o", out, src)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building the RKNN ABI double: %v\n%s", err, b)
	}
	return out
}
