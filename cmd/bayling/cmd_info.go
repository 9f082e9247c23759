package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/translate"
)

func init() {
	register(&command{
		name:    "info",
		summary: "show a GGUF model's family, shape, tensor types and template",
		usage:   "[--json] MODEL.gguf",
		run:     runInfo,
	})
}

// modelInfo is what info reports.
type modelInfo struct {
	Path         string         `json:"path"`
	Name         string         `json:"name,omitempty"`
	Bytes        int64          `json:"bytes"`
	GGUFVersion  uint32         `json:"gguf_version"`
	Architecture string         `json:"architecture"`
	Tokenizer    string         `json:"tokenizer"`
	Template     string         `json:"template,omitempty"`
	Shape        *llama.Config  `json:"shape,omitempty"`
	Tensors      int            `json:"tensors"`
	Params       uint64         `json:"parameters"`
	TensorTypes  map[string]int `json:"tensor_types"`
	FileType     string         `json:"file_type,omitempty"`
	Problem      string         `json:"problem,omitempty"`
}

// fileTypes names llama.cpp's general.file_type values people meet.
var fileTypes = map[uint64]string{0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}

func runInfo(e *env, args []string) error {
	fs := newFlags(e, "info")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one model file")
	}
	// Only the header is read: info on a multi-gigabyte model touches a few
	// megabytes of it.
	f, err := gguf.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	in := modelInfo{Path: pos[0], Bytes: f.Size(), GGUFVersion: f.Version, Tensors: len(f.Tensors), TensorTypes: map[string]int{}}
	in.Name, _ = f.String("general.name")
	in.Architecture, _ = f.String("general.architecture")
	in.Tokenizer, _ = f.String("tokenizer.ggml.model")
	if pre, ok := f.String("tokenizer.ggml.pre"); ok {
		in.Tokenizer += " (" + pre + ")"
	}
	if ft, ok := f.Uint("general.file_type"); ok {
		in.FileType = fileTypes[ft]
		if in.FileType == "" {
			in.FileType = fmt.Sprint(ft)
		}
	}
	for i := range f.Tensors {
		in.TensorTypes[f.Tensors[i].Type.String()]++
		in.Params += f.Tensors[i].Elements()
	}
	if model, _ := f.String("tokenizer.ggml.model"); model != "" {
		if fam, err := translate.FamilyForTokenizer(model); err == nil {
			in.Template = fam.String()
		}
	}
	if len(f.Tensors) > 0 {
		if c, err := llama.ReadConfig(f); err == nil {
			in.Shape = &c
		} else {
			in.Problem = err.Error()
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	w := e.stdout
	fmt.Fprintf(w, "file:          %s (%.1f MiB, GGUF v%d)\n", in.Path, float64(in.Bytes)/(1<<20), in.GGUFVersion)
	if in.Name != "" {
		fmt.Fprintf(w, "name:          %s\n", in.Name)
	}
	fmt.Fprintf(w, "architecture:  %s\n", in.Architecture)
	fmt.Fprintf(w, "tokenizer:     %s\n", in.Tokenizer)
	if in.Template != "" {
		fmt.Fprintf(w, "template:      %s\n", in.Template)
	}
	if c := in.Shape; c != nil {
		fmt.Fprintf(w, "shape:         embd %d, layers %d, heads %d, kv heads %d, ffn %d, vocab %d\n", c.NEmbd, c.NLayer, c.NHead, c.NHeadKV, c.NFF, c.NVocab)
		fmt.Fprintf(w, "context:       %d (rope base %g, rms eps %g)\n", c.NCtxTrain, c.RopeBase, c.RMSEps)
	}
	if in.FileType != "" {
		fmt.Fprintf(w, "file type:     %s\n", in.FileType)
	}
	var types []string
	for t, n := range in.TensorTypes {
		types = append(types, fmt.Sprintf("%s×%d", t, n))
	}
	sort.Strings(types)
	fmt.Fprintf(w, "tensors:       %d (%s), %.2fM parameters\n", in.Tensors, strings.Join(types, ", "), float64(in.Params)/1e6)
	if in.Problem != "" {
		fmt.Fprintf(w, "problem:       %s\n", in.Problem)
	}
	return nil
}
