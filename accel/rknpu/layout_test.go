//go:build linux && (amd64 || arm64)

package rknpu

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/internal/acceltest"
)

// layoutTypes are the Go mirrors with their C names and the LP64 sizes
// derived from the published header by the C alignment rules.
var layoutTypes = []struct {
	v    any
	c    string
	size uintptr
}{
	{rknnMatmulInfo{}, "rknn_matmul_info", 64},
	{rknnMatmulTensorAttr{}, "rknn_matmul_tensor_attr", 332},
	{rknnMatmulIOAttr{}, "rknn_matmul_io_attr", 996},
	{rknnTensorMem{}, "rknn_tensor_mem", 40},
}

func TestStructSizes(t *testing.T) {
	for _, l := range layoutTypes {
		if got := reflect.TypeOf(l.v).Size(); got != l.size {
			t.Errorf("%s: Go size %d, C size %d", l.c, got, l.size)
		}
	}
}

// TestStructLayoutMatchesC compiles a program against testdata/rknn_abi.h
// (the header the ABI double is built from) that prints the size and every
// field's offset and size, and compares with the Go mirrors.
func TestStructLayoutMatchesC(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		if acceltest.CI() {
			t.Fatal("gcc missing under CI=true")
		}
		t.Skip("gcc missing; only the ABI-derived sizes were checked")
	}
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var src bytes.Buffer
	src.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include \"rknn_abi.h\"\nint main(void) {\n")
	want := map[string]string{}
	for _, l := range layoutTypes {
		typ := reflect.TypeOf(l.v)
		fmt.Fprintf(&src, "printf(\"%s %%zu %%zu\\n\", sizeof(%s), _Alignof(%s));\n", l.c, l.c, l.c)
		want[l.c] = fmt.Sprintf("%d %d", typ.Size(), typ.Align())
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			cf := strings.TrimSuffix(f.Name, "_")
			fmt.Fprintf(&src, "printf(\"%s.%s %%zu %%zu\\n\", offsetof(%s, %s), sizeof(((%s*)0)->%s));\n", l.c, cf, l.c, cf, l.c, cf)
			want[l.c+"."+cf] = fmt.Sprintf("%d %d", f.Offset, f.Type.Size())
		}
	}
	src.WriteString("return 0;\n}\n")
	dir := t.TempDir()
	cfile, exe := filepath.Join(dir, "layout.c"), filepath.Join(dir, "layout")
	if err := os.WriteFile(cfile, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-std=c11", "-I", abs, "-o", exe, cfile).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(exe).Output()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, got, _ := strings.Cut(sc.Text(), " ")
		seen++
		if want[name] != got {
			t.Errorf("%s: C has %s, Go %s", name, got, want[name])
		}
	}
	if seen != len(want) {
		t.Errorf("C printed %d lines, want %d", seen, len(want))
	}
}
