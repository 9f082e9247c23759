package kernels

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// fusedOp matches the fused multiply-add instructions of arm64 (FMADDS,
// FMSUBD, FNMSUBS, ...), and of ppc64, s390x and riscv64 should anyone run
// this with FMA_ARCHES. Integer MADD/MSUB do not start with F.
var fusedOp = regexp.MustCompile(`\s(FN?M(ADD|SUB)[SD]?|WFN?M[AS]DB)\s`)

// TestNoFusedMultiplyAdd compiles the package for arm64 and fails if the
// compiler fused any float multiply with an add. Go may do that across
// statements and inlined calls unless the product is wrapped in float32(),
// and a fused product differs in its last bit from ggml's, which is
// compiled without contraction on x86. amd64 never fuses (below
// GOAMD64=v3), so without this test a missing float32() would only show as
// logits that differ on the boards. The compiler's output is replayed from
// the build cache, so the test costs one cross-compile once.
func TestNoFusedMultiplyAdd(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the package")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	arches := []string{"arm64"}
	if s := os.Getenv("FMA_ARCHES"); s != "" {
		arches = strings.Fields(s) // e.g. "arm64 riscv64 ppc64le s390x"
	}
	for _, arch := range arches {
		cmd := exec.Command(goBin, "build", "-gcflags=-S", ".")
		cmd.Env = append(os.Environ(), "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GOARCH=%s go build: %v\n%s", arch, err, out)
		}
		if !strings.Contains(string(out), " STEXT") {
			t.Fatalf("GOARCH=%s: no assembly listing in the compiler output", arch)
		}
		n := 0
		for _, line := range strings.Split(string(out), "\n") {
			if fusedOp.MatchString(line) {
				t.Errorf("GOARCH=%s: fused multiply-add: %s", arch, strings.TrimSpace(line))
				n++
			}
		}
		t.Logf("GOARCH=%s: %d fused multiply-adds", arch, n)
	}
}
