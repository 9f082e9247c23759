//go:build linux && (amd64 || arm64)

package vulkan

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/baylingd/baylingd/internal/acceltest"
)

var updateShaders = flag.Bool("update-shaders", false, "rewrite the committed SPIR-V under shaders/ (go generate)")

// TestShadersUpToDate recompiles every shader with glslc and fails when
// the embedded SPIR-V differs, so that an edit to the GLSL cannot ship
// with a stale binary. With -update-shaders it rewrites them instead.
func TestShadersUpToDate(t *testing.T) {
	glslc, err := exec.LookPath("glslc")
	if err != nil {
		if acceltest.CI() {
			t.Fatal("glslc not found under CI=true (apt: glslc)")
		}
		t.Skip("glslc not found (apt: glslc); cannot check the committed SPIR-V")
	}
	out, _ := exec.Command(glslc, "--version").CombinedOutput()
	t.Logf("%s", bytes.SplitN(out, []byte("\n"), 2)[0])
	dir := t.TempDir()
	var names []string
	for _, s := range shaderTable {
		names = append(names, s.name)
	}
	slices.Sort(names)
	for _, s := range shaderTable {
		args := append([]string{}, glslcArgs...)
		for _, d := range s.defines {
			args = append(args, "-D"+d)
		}
		dst := filepath.Join(dir, s.name)
		args = append(args, "-o", dst, filepath.Join("shaders", s.source))
		if out, err := exec.Command(glslc, args...).CombinedOutput(); err != nil {
			t.Fatalf("glslc %v: %v\n%s", args, err, out)
		}
		fresh, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if *updateShaders {
			if err := os.WriteFile(filepath.Join("shaders", s.name), fresh, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		embedded, err := spirvFS.ReadFile("shaders/" + s.name)
		if err != nil {
			t.Fatalf("%s is not embedded: %v", s.name, err)
		}
		if !bytes.Equal(fresh, embedded) {
			t.Errorf("shaders/%s is stale: recompiled %d bytes differ from the embedded %d; run go generate ./accel/vulkan", s.name, len(fresh), len(embedded))
		}
	}
	// Every committed binary must belong to the table.
	files, _ := filepath.Glob(filepath.Join("shaders", "*.spv"))
	for _, f := range files {
		if _, ok := slices.BinarySearch(names, filepath.Base(f)); !ok {
			t.Errorf("%s is not in shaderTable", f)
		}
	}
}
