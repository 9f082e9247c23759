package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsupported is wrapped by errors about checkpoints this converter does
// not handle (another architecture, a feature of the config it cannot
// represent in a llama GGUF, an unsupported tensor type or tokenizer).
var ErrUnsupported = errors.New("unsupported checkpoint")

// Config is the part of a checkpoint's config.json (and
// generation_config.json) that the conversion uses.
type Config struct {
	Architecture     string // architectures[0]
	HiddenSize       int
	NumLayers        int
	NumHeads         int
	NumKVHeads       int
	IntermediateSize int
	VocabSize        int
	ContextLength    int     // max_position_embeddings
	RopeTheta        float64 // 0 when the config does not say
	RopeScaleLinear  float64 // linear rope scaling factor, 0 for none
	RMSNormEps       float64
	TieEmbeddings    bool

	// Special token ids from config.json (nil when absent) and the
	// end-of-sequence ids of generation_config.json (or config.json), in
	// their order; a model may stop on several.
	BOSTokenID  *int
	EOSTokenID  *int
	PadTokenID  *int
	EOSTokenIDs []int
}

// HeadDim is the size of one attention head.
func (c *Config) HeadDim() int { return c.HiddenSize / c.NumHeads }

// rawConfig mirrors config.json; pointers tell absent keys from zeros.
type rawConfig struct {
	Architectures         []string        `json:"architectures"`
	ModelType             string          `json:"model_type"`
	HiddenAct             *string         `json:"hidden_act"`
	HiddenSize            *int            `json:"hidden_size"`
	NumHiddenLayers       *int            `json:"num_hidden_layers"`
	NumAttentionHeads     *int            `json:"num_attention_heads"`
	NumKeyValueHeads      *int            `json:"num_key_value_heads"`
	IntermediateSize      *int            `json:"intermediate_size"`
	HeadDim               *int            `json:"head_dim"`
	VocabSize             *int            `json:"vocab_size"`
	MaxPositionEmbeddings *int            `json:"max_position_embeddings"`
	RopeTheta             *float64        `json:"rope_theta"`
	RopeScaling           json.RawMessage `json:"rope_scaling"`
	RMSNormEps            *float64        `json:"rms_norm_eps"`
	TieWordEmbeddings     *bool           `json:"tie_word_embeddings"`
	AttentionBias         *bool           `json:"attention_bias"`
	MLPBias               *bool           `json:"mlp_bias"`
	SlidingWindow         json.RawMessage `json:"sliding_window"`
	BOSTokenID            json.RawMessage `json:"bos_token_id"`
	EOSTokenID            json.RawMessage `json:"eos_token_id"`
	PadTokenID            json.RawMessage `json:"pad_token_id"`
}

// readJSON reads and decodes a JSON file, with errors that name the file
// and, for syntax errors, the line and column.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: file not found", path)
		}
		return err
	}
	return decodeJSON(path, b, v)
}

func decodeJSON(path string, b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(b, se.Offset)
		return fmt.Errorf("%s: bad JSON at line %d, column %d: %v", path, line, col, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("%s: bad JSON: %s is a JSON %s, want %v", path, field, te.Value, te.Type)
	}
	return fmt.Errorf("%s: bad JSON: %v", path, err)
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	if off < 0 {
		off = 0
	}
	pre := b[:off]
	line = 1 + bytes.Count(pre, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(pre, '\n') + 1)
	if col == 0 {
		col = 1
	}
	return line, col
}

// tokenIDs decodes a token id field that may be null, an integer or a
// list of integers (generation_config's eos_token_id often is a list).
func tokenIDs(path, key string, raw json.RawMessage) ([]int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one int
	if err := json.Unmarshal(raw, &one); err == nil {
		if one < 0 {
			return nil, fmt.Errorf("%s: %s is %d", path, key, one)
		}
		return []int{one}, nil
	}
	var many []int
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("%s: %s is %s, want a token id or a list of them", path, key, raw)
	}
	for _, id := range many {
		if id < 0 {
			return nil, fmt.Errorf("%s: %s holds %d", path, key, id)
		}
	}
	return many, nil
}

// LoadConfig reads dir/config.json and dir/generation_config.json (which is
// optional) and checks that they describe a Llama model this converter
// can write.
func LoadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, "config.json")
	var r rawConfig
	if err := readJSON(path, &r); err != nil {
		return nil, err
	}
	c := &Config{}
	if len(r.Architectures) == 0 {
		return nil, fmt.Errorf("%s: %w: no \"architectures\" entry (want [\"LlamaForCausalLM\"])", path, ErrUnsupported)
	}
	c.Architecture = r.Architectures[0]
	if c.Architecture != "LlamaForCausalLM" || len(r.Architectures) != 1 {
		why := ""
		if len(bytes.TrimSpace(r.SlidingWindow)) > 0 && string(bytes.TrimSpace(r.SlidingWindow)) != "null" {
			why = ", with sliding-window attention,"
		}
		return nil, fmt.Errorf("%s: %w: architecture %s%s is not LlamaForCausalLM; baylingd converts Llama-architecture checkpoints such as BayLing 2",
			path, ErrUnsupported, strings.Join(r.Architectures, "+"), why)
	}
	if r.ModelType != "" && r.ModelType != "llama" {
		return nil, fmt.Errorf("%s: %w: model_type %q, want \"llama\"", path, ErrUnsupported, r.ModelType)
	}
	if r.HiddenAct != nil && *r.HiddenAct != "silu" {
		return nil, fmt.Errorf("%s: %w: hidden_act %q (llama GGUF models use silu)", path, ErrUnsupported, *r.HiddenAct)
	}
	if s := bytes.TrimSpace(r.SlidingWindow); len(s) > 0 && string(s) != "null" {
		return nil, fmt.Errorf("%s: %w: sliding_window %s (llama GGUF models attend to the whole context)", path, ErrUnsupported, s)
	}
	if r.AttentionBias != nil && *r.AttentionBias {
		return nil, fmt.Errorf("%s: %w: attention_bias is true (llama GGUF models have no attention biases)", path, ErrUnsupported)
	}
	if r.MLPBias != nil && *r.MLPBias {
		return nil, fmt.Errorf("%s: %w: mlp_bias is true", path, ErrUnsupported)
	}
	var missing []string
	need := func(key string, p *int, dst *int) {
		if p == nil {
			missing = append(missing, key)
			return
		}
		*dst = *p
	}
	need("hidden_size", r.HiddenSize, &c.HiddenSize)
	need("num_hidden_layers", r.NumHiddenLayers, &c.NumLayers)
	need("num_attention_heads", r.NumAttentionHeads, &c.NumHeads)
	need("intermediate_size", r.IntermediateSize, &c.IntermediateSize)
	need("vocab_size", r.VocabSize, &c.VocabSize)
	need("max_position_embeddings", r.MaxPositionEmbeddings, &c.ContextLength)
	if r.RMSNormEps == nil {
		missing = append(missing, "rms_norm_eps")
	} else {
		c.RMSNormEps = *r.RMSNormEps
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing %s", path, strings.Join(missing, ", "))
	}
	c.NumKVHeads = c.NumHeads
	if r.NumKeyValueHeads != nil {
		c.NumKVHeads = *r.NumKeyValueHeads
	}
	if r.RopeTheta != nil {
		c.RopeTheta = *r.RopeTheta
	}
	if r.TieWordEmbeddings != nil {
		c.TieEmbeddings = *r.TieWordEmbeddings
	}
	if c.HiddenSize <= 0 || c.NumLayers <= 0 || c.NumHeads <= 0 || c.NumKVHeads <= 0 || c.IntermediateSize <= 0 ||
		c.VocabSize <= 0 || c.ContextLength <= 0 || c.HiddenSize%c.NumHeads != 0 || c.NumHeads%c.NumKVHeads != 0 ||
		c.HeadDim()%2 != 0 || c.HiddenSize > 1<<20 || c.IntermediateSize > 1<<22 || c.NumLayers > 1<<12 || c.VocabSize > 1<<24 {
		return nil, fmt.Errorf("%s: inconsistent shape: hidden_size %d, num_hidden_layers %d, num_attention_heads %d, num_key_value_heads %d, intermediate_size %d, vocab_size %d, max_position_embeddings %d",
			path, c.HiddenSize, c.NumLayers, c.NumHeads, c.NumKVHeads, c.IntermediateSize, c.VocabSize, c.ContextLength)
	}
	if r.HeadDim != nil && *r.HeadDim != c.HeadDim() {
		return nil, fmt.Errorf("%s: %w: head_dim %d differs from hidden_size/num_attention_heads = %d", path, ErrUnsupported, *r.HeadDim, c.HeadDim())
	}
	if !(c.RMSNormEps > 0) || c.RopeTheta < 0 {
		return nil, fmt.Errorf("%s: rms_norm_eps %g, rope_theta %g", path, c.RMSNormEps, c.RopeTheta)
	}
	if err := c.ropeScaling(path, r.RopeScaling); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		raw json.RawMessage
		dst **int
	}{{"bos_token_id", r.BOSTokenID, &c.BOSTokenID}, {"eos_token_id", r.EOSTokenID, &c.EOSTokenID}, {"pad_token_id", r.PadTokenID, &c.PadTokenID}} {
		ids, err := tokenIDs(path, f.key, f.raw)
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			*f.dst = &ids[0]
		}
		if f.key == "eos_token_id" {
			c.EOSTokenIDs = ids
		}
	}

	// generation_config.json says when generation stops; its eos list wins
	// over config.json's.
	gpath := filepath.Join(dir, "generation_config.json")
	if _, err := os.Stat(gpath); err == nil {
		var g struct {
			EOSTokenID json.RawMessage `json:"eos_token_id"`
		}
		if err := readJSON(gpath, &g); err != nil {
			return nil, err
		}
		ids, err := tokenIDs(gpath, "eos_token_id", g.EOSTokenID)
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			c.EOSTokenIDs = ids
		}
	}
	return c, nil
}

// ropeScaling accepts no scaling or linear scaling (position
// interpolation), the forms a llama GGUF carries as plain metadata.
// Llama 3.1's "llama3" scaling needs a rope_freqs tensor, YaRN and dynamic
// NTK need metadata this engine does not read; none of them is used by
// BayLing 2, and converting them silently would give a model that runs
// wrongly, so they are refused.
func (c *Config) ropeScaling(path string, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rs struct {
		Type     string   `json:"type"`
		RopeType string   `json:"rope_type"`
		Factor   *float64 `json:"factor"`
	}
	if err := decodeJSON(path, raw, &rs); err != nil {
		return err
	}
	typ := rs.RopeType
	if typ == "" {
		typ = rs.Type
	}
	switch typ {
	case "linear":
		if rs.Factor == nil || !(*rs.Factor > 0) {
			return fmt.Errorf("%s: rope_scaling is linear without a positive factor", path)
		}
		if *rs.Factor != 1 {
			c.RopeScaleLinear = *rs.Factor
		}
		return nil
	case "default":
		return nil
	}
	return fmt.Errorf("%s: %w: rope_scaling type %q (only linear scaling is supported)", path, ErrUnsupported, typ)
}
