package convert

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// TestChatTemplatesRender renders the BayLing templates with Python's
// jinja2 (the engine Hugging Face uses; llama.cpp's is a subset) and
// compares the prompts with DESIGN.md's templates and package translate's
// multi-turn format. Skipped where python3 with jinja2 is not installed.
func TestChatTemplatesRender(t *testing.T) {
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import jinja2").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		msg := "python3 with jinja2 not available (apt-get install python3-jinja2)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	const l2sys = "I am an intelligent language assistant developed by the NLP Group of ICT/CAS.\nBelow is a dialog consisting of instructions and responses. Write a response that completes the request."
	const l3sys = "I am BayLing developed by the NLP Group of ICT/CAS."
	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	one := []msg{{"user", "Hello"}}
	multi := []msg{{"system", "SYS"}, {"user", "a"}, {"assistant", "b"}, {"user", "c"}}
	noSys := []msg{{"system", ""}, {"user", "a"}}
	cases := []struct {
		tmpl string
		msgs []msg
		want string
	}{
		{bayLingLlama2Template, one, l2sys + "\n\n### Instruction:\nHello\n### Response:\n"},
		{bayLingLlama2Template, multi, "SYS\n\n### Instruction:\na\n### Response:\nb</s>\n### Instruction:\nc\n### Response:\n"},
		{bayLingLlama2Template, noSys, "### Instruction:\na\n### Response:\n"},
		{bayLingLlama3Template, one, "<|start_header_id|>system<|end_header_id|>\n\n" + l3sys + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{bayLingLlama3Template, multi, "<|start_header_id|>system<|end_header_id|>\n\nSYS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\na<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nb<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nc<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{bayLingLlama3Template, noSys, "<|start_header_id|>user<|end_header_id|>\n\na<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
	}
	const script = `import jinja2, json, sys
d = json.load(sys.stdin)
sys.stdout.write(json.dumps(jinja2.Environment().from_string(d["t"]).render(messages=d["m"], add_generation_prompt=True)))`
	for i, c := range cases {
		in, _ := json.Marshal(map[string]any{"t": c.tmpl, "m": c.msgs})
		cmd := exec.Command(python, "-c", script)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("case %d: jinja2: %v", i, err)
		}
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("case %d:\n got  %q\n want %q", i, got, c.want)
		}
	}
}
