//go:build linux && (amd64 || arm64)

package vulkan

import (
	"embed"
	"encoding/binary"
	"fmt"

	"github.com/baylingd/baylingd/kernels"
)

// The SPIR-V beside the GLSL is compiled by glslc and committed, so that
// building the daemon needs no shader compiler. TestShadersUpToDate
// recompiles every entry of shaderTable and fails when an embedded binary is
// stale; `go generate` rewrites them.
//
//go:generate go test -run TestShadersUpToDate -update-shaders .

//go:embed shaders/*.spv
var spirvFS embed.FS

// shader is one compiled variant of a GLSL source.
type shader struct {
	name    string   // file name of the SPIR-V under shaders/
	source  string   // GLSL file under shaders/
	defines []string // -D macros that select the variant
}

// glslcArgs is the compiler command line (without the output and input
// paths) used for every shader; the staleness test uses the same one.
var glslcArgs = []string{"--target-env=vulkan1.1", "-O"}

// shaderTable maps each supported weight type to its matmul shader.
var shaderTable = map[kernels.Type]shader{
	kernels.Q4_0: {"matmul_q4_0.spv", "matmul.comp", []string{"TYPE_Q4_0"}},
	kernels.Q8_0: {"matmul_q8_0.spv", "matmul.comp", []string{"TYPE_Q8_0"}},
	kernels.Q4_K: {"matmul_q4_k.spv", "matmul.comp", []string{"TYPE_Q4_K"}},
	kernels.Q6_K: {"matmul_q6_k.spv", "matmul.comp", []string{"TYPE_Q6_K"}},
	kernels.F16:  {"matmul_f16.spv", "matmul.comp", []string{"TYPE_F16"}},
}

func shaderFor(t kernels.Type) (shader, bool) {
	s, ok := shaderTable[t]
	return s, ok
}

// words returns the embedded SPIR-V as 32-bit words, which is how
// vkCreateShaderModule wants it (4-byte aligned, which embedded bytes are
// not guaranteed to be).
func (s shader) words() ([]uint32, error) {
	b, err := spirvFS.ReadFile("shaders/" + s.name)
	if err != nil {
		return nil, fmt.Errorf("vulkan: shader %s not embedded: %w", s.name, err)
	}
	if len(b) < 20 || len(b)%4 != 0 || binary.LittleEndian.Uint32(b) != 0x07230203 {
		return nil, fmt.Errorf("vulkan: shader %s is not SPIR-V", s.name)
	}
	w := make([]uint32, len(b)/4)
	for i := range w {
		w[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return w, nil
}
