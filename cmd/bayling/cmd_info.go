package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/accel/vulkan"
	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/translate"
)

func init() {
	register(&command{
		name:    "info",
		summary: "show a GGUF model's family, shape, tensor types and template, and this machine's GPUs/NPU",
		usage:   "[--json] MODEL.gguf\n       bayling info --accel [--threads N] [--max-batch 256] [--json] [MODEL.gguf]",
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
	Accel        *accelInfo     `json:"accel,omitempty"`
}

// accelInfo is what `info --accel` reports: the offload devices this
// machine has and, given a model, what model.accel = "auto" would choose.
type accelInfo struct {
	VulkanDevices []vulkanDevice `json:"vulkan_devices"`
	VulkanProblem string         `json:"vulkan_problem,omitempty"`
	RKNPU         string         `json:"rknpu"` // "available", or why not
	Auto          *autoInfo      `json:"auto,omitempty"`
}

// vulkanDevice is a vulkan.DeviceInfo as info prints it.
type vulkanDevice struct {
	Index      int    `json:"index"`
	Name       string `json:"name"`
	Type       string `json:"type"` // discrete, integrated, virtual, cpu, other
	APIVersion string `json:"api_version"`
	Usable     bool   `json:"usable"`
	Reason     string `json:"reason,omitempty"`
}

// autoInfo is ChooseAccel's decision in auto mode on the model.
type autoInfo struct {
	MaxBatch int            `json:"max_batch"`
	Backend  string         `json:"backend"`   // "cpu": none
	MinBatch int            `json:"min_batch"` // 0: none
	Measured []autoMeasured `json:"measured,omitempty"`
	Problems []string       `json:"problems,omitempty"` // backends that failed to open or measure
}

type autoMeasured struct {
	Backend  string         `json:"backend"`
	MinBatch int            `json:"min_batch"`
	Reports  []accel.Report `json:"reports"`
	Summary  []string       `json:"summary"`
}

// fileTypes names llama.cpp's general.file_type values people meet.
var fileTypes = map[uint64]string{0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}

func runInfo(e *env, args []string) error {
	fs := newFlags(e, "info")
	asJSON := fs.Bool("json", false, "print JSON")
	withAccel := fs.Bool("accel", false, "list the GPUs (Vulkan) and NPU (RKNN) found and, with a model, what model.accel = \"auto\" would choose for it (measured: this loads the model)")
	threads := fs.Int("threads", 0, "with --accel and a model: CPU threads to measure against (default: the performance cores, as the daemon)")
	maxBatch := fs.Int("max-batch", 256, "with --accel and a model: the largest batch measured (the daemon's engine.max_batch)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *withAccel && len(pos) == 0 {
		ai := probeAccel(e, "", *threads, *maxBatch)
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(ai)
		}
		printAccel(e.stdout, ai)
		return nil
	}
	if len(pos) != 1 {
		return usagef("want one model file")
	}
	if *threads < 0 || *maxBatch < 1 {
		return usagef("--threads must be >= 0 and --max-batch positive")
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
	if *withAccel {
		model := pos[0]
		if in.Shape == nil {
			model = "" // nothing to measure on
		}
		in.Accel = probeAccel(e, model, *threads, *maxBatch)
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
	if in.Accel != nil {
		printAccel(w, in.Accel)
	}
	return nil
}

// probeAccel lists the offload devices and, given a model, measures what
// auto would choose on it exactly as the daemon does at start-up.
func probeAccel(e *env, model string, threads, maxBatch int) *accelInfo {
	ai := &accelInfo{VulkanDevices: []vulkanDevice{}}
	devs, err := vulkan.Devices(vulkan.Config{})
	switch {
	case err != nil:
		ai.VulkanProblem = err.Error()
	case len(devs) == 0:
		ai.VulkanProblem = "the Vulkan loader reports no device"
	}
	for _, d := range devs {
		ai.VulkanDevices = append(ai.VulkanDevices, vulkanDevice{Index: d.Index, Name: d.Name, Type: d.Type, APIVersion: d.APIVersion, Usable: d.Usable, Reason: d.Reason})
	}
	var u *accel.UnavailableError
	if b, err := accel.Open("rknpu", accel.Options{}); errors.As(err, &u) {
		ai.RKNPU = "unavailable: " + u.Reason
	} else if err != nil {
		ai.RKNPU = err.Error()
	} else {
		ai.RKNPU = "available"
		b.Close()
	}
	if model == "" {
		return ai
	}
	fmt.Fprintf(e.stderr, "measuring what accel = \"auto\" would choose for %s...\n", model)
	m, err := engine.Load(model, false, nil)
	if err != nil {
		ai.Auto = &autoInfo{MaxBatch: maxBatch, Backend: "cpu", Problems: []string{err.Error()}}
		return ai
	}
	defer m.Close()
	ch, err := engine.ChooseAccel(m, engine.AccelOptions{Mode: "auto", Threads: threads, MaxBatch: maxBatch})
	if err != nil {
		ai.Auto = &autoInfo{MaxBatch: maxBatch, Backend: "cpu", Problems: []string{err.Error()}}
		return ai
	}
	defer ch.Close()
	au := &autoInfo{MaxBatch: maxBatch, Backend: ch.Name(), MinBatch: ch.MinBatch}
	for _, err := range ch.Failed {
		au.Problems = append(au.Problems, err.Error())
	}
	for _, me := range ch.Measured {
		if me.Err != nil {
			au.Problems = append(au.Problems, me.Backend+": "+me.Err.Error())
			continue
		}
		am := autoMeasured{Backend: me.Backend, MinBatch: me.MinBatch, Reports: me.Reports}
		for _, r := range me.Reports {
			am.Summary = append(am.Summary, r.String())
		}
		au.Measured = append(au.Measured, am)
	}
	ai.Auto = au
	return ai
}

func printAccel(w io.Writer, ai *accelInfo) {
	if ai.VulkanProblem != "" {
		fmt.Fprintf(w, "vulkan:        %s\n", ai.VulkanProblem)
	} else {
		fmt.Fprintf(w, "vulkan:        %d device(s)\n", len(ai.VulkanDevices))
	}
	for _, d := range ai.VulkanDevices {
		use := "usable"
		if !d.Usable {
			use = "not usable: " + d.Reason
		}
		fmt.Fprintf(w, "  %d: %s (%s, Vulkan %s; %s)\n", d.Index, d.Name, d.Type, d.APIVersion, use)
	}
	fmt.Fprintf(w, "rknpu:         %s\n", ai.RKNPU)
	au := ai.Auto
	if au == nil {
		return
	}
	for _, m := range au.Measured {
		for _, s := range m.Summary {
			fmt.Fprintf(w, "measured:      %s\n", s)
		}
	}
	for _, p := range au.Problems {
		fmt.Fprintf(w, "problem:       %s\n", p)
	}
	if au.Backend == "cpu" {
		fmt.Fprintf(w, "auto chooses:  the CPU for every matmul (batches up to %d measured)\n", au.MaxBatch)
	} else {
		fmt.Fprintf(w, "auto chooses:  %s for forward passes of %d tokens or more\n", au.Backend, au.MinBatch)
	}
}
