package gguf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/internal/fixtures"
	"github.com/baylingd/baylingd/kernels"
)

// sample builds a small file holding every metadata type, nested arrays and
// tensors of several types.
func sample(t testing.TB, alignment int) ([]byte, []KV, []TensorInfo) {
	t.Helper()
	kvs := []KV{
		{"general.architecture", String("llama")},
		{"u8", Uint8(200)}, {"i8", Int8(-5)}, {"u16", Uint16(65000)}, {"i16", Int16(-30000)},
		{"u32", Uint32(4e9)}, {"i32", Int32(-2e9)}, {"f32", Float32(1.5)}, {"b", Bool(true)},
		{"s", String("héllo\x00world")}, {"u64", Uint64(1 << 60)}, {"i64", Int64(-1 << 60)}, {"f64", Float64(-2.25)},
		{"empty", String("")},
		{"strs", ArrayOf([]string{"a", "", "<|eot_id|>"})},
		{"f32s", ArrayOf([]float32{1, -2, 3.5})},
		{"i32s", ArrayOf([]int32{1, 2, 3})},
		{"bools", ArrayOf([]bool{true, false})},
		{"nested", ArrayOf([]Array{{TypeUint8, []uint8{1, 2}}, {TypeString, []string{"x"}}, {TypeArray, []Array{{TypeInt64, []int64{-7}}}}})},
		{"emptyarr", ArrayOf([]uint64{})},
	}
	type tensor struct {
		name string
		typ  kernels.Type
		dims []uint64
	}
	ts := []tensor{{"a.weight", kernels.F32, []uint64{3}}, {"b.weight", kernels.Q4_0, []uint64{64, 3}}, {"c.weight", kernels.Q4_K, []uint64{256, 2, 1}}, {"d", kernels.F16, []uint64{5, 1, 1, 2}}}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, alignment)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if err := w.AddKV(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range ts {
		if err := w.AddTensor(x.name, x.typ, x.dims...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	var infos []TensorInfo
	for i, x := range ts {
		info := w.tensors[i]
		infos = append(infos, info)
		data := bytes.Repeat([]byte{byte(i + 1)}, int(info.Size))
		// Write in two parts to exercise streaming.
		if err := w.WriteTensorPart(x.name, data[:len(data)/2]); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteTensorPart(x.name, data[len(data)/2:]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if alignment != 0 && alignment != DefaultAlignment {
		kvs = append([]KV{{"general.alignment", Uint32(uint32(alignment))}}, kvs...)
	}
	return buf.Bytes(), kvs, infos
}

func TestRoundTrip(t *testing.T) {
	for _, align := range []int{0, 64, 4096} {
		data, kvs, infos := sample(t, align)
		f, err := Parse(data)
		if err != nil {
			t.Fatalf("alignment %d: %v", align, err)
		}
		if !reflect.DeepEqual(f.KV, kvs) {
			t.Errorf("alignment %d: metadata differs:\n got %v\nwant %v", align, f.KV, kvs)
		}
		if !reflect.DeepEqual(f.Tensors, infos) {
			t.Errorf("alignment %d: tensors differ:\n got %+v\nwant %+v", align, f.Tensors, infos)
		}
		if want := max(align, DefaultAlignment); f.Alignment != want || f.DataOffset%uint64(want) != 0 {
			t.Errorf("alignment %d: got alignment %d, data offset %d", align, f.Alignment, f.DataOffset)
		}
		for i := range f.Tensors {
			d := f.TensorData(&f.Tensors[i])
			if len(d) != int(f.Tensors[i].Size) || d[0] != byte(i+1) || d[len(d)-1] != byte(i+1) {
				t.Errorf("tensor %s data wrong", f.Tensors[i].Name)
			}
		}
		if s, ok := f.Strings("strs"); !ok || s[2] != "<|eot_id|>" {
			t.Errorf("Strings: %v %v", s, ok)
		}
		if v, ok := f.Uint("u32"); !ok || v != 4e9 {
			t.Errorf("Uint: %v %v", v, ok)
		}
		if v, ok := f.Float("f32"); !ok || v != 1.5 {
			t.Errorf("Float: %v %v", v, ok)
		}
		if _, ok := f.Uint("i32"); ok {
			t.Errorf("negative int read as uint")
		}
		// Writing what was read gives the same bytes.
		var again bytes.Buffer
		w, _ := NewWriter(&again, f.Alignment)
		for _, kv := range f.KV {
			if kv.Key == "general.alignment" {
				continue
			}
			if err := w.AddKV(kv.Key, kv.Value); err != nil {
				t.Fatal(err)
			}
		}
		for _, ti := range f.Tensors {
			w.AddTensor(ti.Name, ti.Type, ti.Dims...)
		}
		w.WriteHeader()
		for i := range f.Tensors {
			if err := w.WriteTensor(f.Tensors[i].Name, f.TensorData(&f.Tensors[i])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), data) {
			t.Errorf("alignment %d: rewrite differs", align)
		}
	}
}

func TestWriterMisuse(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, 0)
	if err := w.AddKV("x", Value{TypeUint32, int8(1)}); err == nil {
		t.Error("mismatched value accepted")
	}
	if err := w.AddTensor("bad", kernels.Q4_0, 33); err == nil {
		t.Error("row not a multiple of the block size accepted")
	}
	w.AddTensor("a", kernels.F32, 4)
	w.AddTensor("b", kernels.F32, 4)
	w.WriteHeader()
	if err := w.WriteTensor("b", make([]byte, 16)); err == nil {
		t.Error("out-of-order tensor accepted")
	}
	if err := w.WriteTensor("a", make([]byte, 20)); err == nil {
		t.Error("oversized tensor accepted")
	}
	w.WriteTensor("a", make([]byte, 16))
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "1 of 2") {
		t.Errorf("Close with a missing tensor: %v", err)
	}
}

func TestValidation(t *testing.T) {
	good, _, _ := sample(t, 0)
	f, err := Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	headerEnd := int(f.DataOffset)
	last := f.Tensors[len(f.Tensors)-1]
	dataEnd := int(f.DataOffset + last.Offset + last.Size)
	// Offsets of fields inside the first tensor info, found by searching.
	tinfo := bytes.Index(good, []byte("a.weight"))
	mod := func(fn func(b []byte) []byte) []byte { return fn(append([]byte(nil), good...)) }
	le := func(b []byte, off int, v uint64, n int) {
		for i := 0; i < n; i++ {
			b[off+i] = byte(v >> (8 * i))
		}
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"magic", mod(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		{"version1", mod(func(b []byte) []byte { le(b, 4, 1, 4); return b }), "unsupported version 1"},
		{"version9", mod(func(b []byte) []byte { le(b, 4, 9, 4); return b }), "unsupported version 9"},
		{"bigendian", mod(func(b []byte) []byte { le(b, 4, 3<<24, 4); return b }), "big-endian"},
		{"kvcount", mod(func(b []byte) []byte { le(b, 16, 1<<40, 8); return b }), "metadata count"},
		{"tensorcount", mod(func(b []byte) []byte { le(b, 8, 1<<40, 8); return b }), "tensor count"},
		{"keylen", mod(func(b []byte) []byte { le(b, 24, 1<<50, 8); return b }), "truncated"},
		{"valuetype", mod(func(b []byte) []byte { le(b, 24+8+len("general.architecture"), 99, 4); return b }), "unknown value type"},
		{"dims", mod(func(b []byte) []byte { le(b, tinfo+8, 7, 4); return b }), "dimensions"},
		{"zerodim", mod(func(b []byte) []byte { le(b, tinfo+12, 0, 8); return b }), "invalid dimension"},
		{"tensortype", mod(func(b []byte) []byte { le(b, tinfo+20, 4, 4); return b }), "unknown type 4"},
		{"blocksize", mod(func(b []byte) []byte { le(b, tinfo+20, uint64(kernels.Q4_0), 4); return b }), "block size"},
		{"misaligned", mod(func(b []byte) []byte { le(b, tinfo+24, 3, 8); return b }), "alignment"},
		{"offset", mod(func(b []byte) []byte { le(b, tinfo+24, 1<<40, 8); return b }), "truncated"},
		{"truncated-header", good[:headerEnd/2], "truncated"},
		{"truncated-data", good[:dataEnd-1], "truncated"},
	}
	for _, c := range cases {
		_, err := Parse(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
			continue
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v does not wrap ErrFormat", c.name, err)
		}
	}
	// Every truncation of the file is an error, never a panic.
	for n := 0; n < dataEnd; n += 1 + n/50 {
		if _, err := Parse(good[:n]); err == nil {
			t.Fatalf("truncation to %d bytes accepted", n)
		}
	}
}

func TestFixtures(t *testing.T) {
	for _, p := range fixtures.Glob(t, "*.gguf") {
		f, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		arch, _ := f.String("general.architecture")
		toks, _ := f.Strings("tokenizer.ggml.tokens")
		t.Logf("%s: v%d, %d kv, %d tensors, arch %q, %d tokens", filepath.Base(p), f.Version, len(f.KV), len(f.Tensors), arch, len(toks))
		if len(toks) == 0 {
			t.Errorf("%s: no vocabulary", p)
		}
		for i := range f.Tensors {
			ti := &f.Tensors[i]
			if got := uint64(len(f.TensorData(ti))); got != ti.Size {
				t.Errorf("%s: %s: %d bytes", p, ti.Name, got)
			}
		}
		f.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "empty.gguf")
	os.WriteFile(p, nil, 0o644)
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("empty file: %v", err)
	}
}
