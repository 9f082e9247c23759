package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/unix"

	"github.com/baylingd/baylingd/kernels"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the tensor data alignment when general.alignment is absent.
const DefaultAlignment = 32

// MaxDims is the most dimensions a tensor may have (ggml's GGML_MAX_DIMS).
const MaxDims = 4

// maxNameLen bounds tensor names (ggml's GGML_MAX_NAME less the terminator).
const maxNameLen = 63

// ErrFormat is wrapped by every error about malformed file contents, so
// callers can tell a bad file from an I/O failure with errors.Is.
var ErrFormat = errors.New("invalid GGUF file")

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// TensorInfo describes one tensor. Dims are in ggml order: Dims[0] is the
// length of a row (the contiguous dimension).
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   kernels.Type
	Offset uint64 // from the start of the data section
	Size   uint64 // bytes
}

// Elements is the number of elements in the tensor.
func (t *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Rows is the number of rows (all dimensions but the first).
func (t *TensorInfo) Rows() uint64 {
	if len(t.Dims) == 0 {
		return 1
	}
	return t.Elements() / t.Dims[0]
}

// RowBytes is the size of one row in bytes.
func (t *TensorInfo) RowBytes() int {
	if len(t.Dims) == 0 {
		return t.Type.BlockBytes()
	}
	n, _ := t.Type.RowBytes(int(t.Dims[0]))
	return n
}

// File is a parsed GGUF file. Tensor data is referenced, not copied.
type File struct {
	Version    uint32
	Alignment  int
	KV         []KV
	Tensors    []TensorInfo
	DataOffset uint64 // file offset of the data section

	kvIndex     map[string]int
	tensorIndex map[string]int
	data        []byte // the whole file (mapped or caller-provided)
	mapped      bool
}

// Open memory-maps path read-only and parses it. Close unmaps it.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size == 0 {
		return nil, fmt.Errorf("%s: %w: empty file", path, ErrFormat)
	}
	if size > math.MaxInt {
		return nil, fmt.Errorf("%s: file too large to map", path)
	}
	data, err := unix.Mmap(int(fd.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		unix.Munmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.mapped = true
	return f, nil
}

// Close releases the mapping. Slices returned by TensorData must not be
// used afterwards.
func (f *File) Close() error {
	if f.mapped && f.data != nil {
		err := unix.Munmap(f.data)
		f.data = nil
		return err
	}
	f.data = nil
	return nil
}

// Size is the size of the whole file in bytes.
func (f *File) Size() int64 { return int64(len(f.data)) }

// Advise passes a madvise(2) hint for the whole mapping, e.g.
// unix.MADV_WILLNEED before a warm-up or unix.MADV_RANDOM.
func (f *File) Advise(advice int) error {
	if !f.mapped || f.data == nil {
		return nil
	}
	return unix.Madvise(f.data, advice)
}

// Get returns the metadata value for key.
func (f *File) Get(key string) (Value, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// String returns a string metadata value.
func (f *File) String(key string) (string, bool) {
	v, ok := f.Get(key)
	if !ok {
		return "", false
	}
	return v.Str()
}

// Uint returns a non-negative integer metadata value.
func (f *File) Uint(key string) (uint64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return v.Uint()
}

// Float returns a numeric metadata value.
func (f *File) Float(key string) (float64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return v.Float()
}

// Bool returns a bool metadata value.
func (f *File) Bool(key string) (bool, bool) {
	v, ok := f.Get(key)
	if !ok {
		return false, false
	}
	return v.Bool()
}

// Strings returns a string-array metadata value.
func (f *File) Strings(key string) ([]string, bool) {
	v, ok := f.Get(key)
	if !ok {
		return nil, false
	}
	a, ok := v.Array()
	if !ok {
		return nil, false
	}
	s, ok := a.Values.([]string)
	return s, ok
}

// Float32s returns a float32-array metadata value.
func (f *File) Float32s(key string) ([]float32, bool) {
	v, ok := f.Get(key)
	if !ok {
		return nil, false
	}
	a, ok := v.Array()
	if !ok {
		return nil, false
	}
	s, ok := a.Values.([]float32)
	return s, ok
}

// Int32s returns an int32-array metadata value (uint32 arrays are accepted
// when every element fits).
func (f *File) Int32s(key string) ([]int32, bool) {
	v, ok := f.Get(key)
	if !ok {
		return nil, false
	}
	a, ok := v.Array()
	if !ok {
		return nil, false
	}
	switch s := a.Values.(type) {
	case []int32:
		return s, true
	case []uint32:
		out := make([]int32, len(s))
		for i, x := range s {
			if x > math.MaxInt32 {
				return nil, false
			}
			out[i] = int32(x)
		}
		return out, true
	}
	return nil, false
}

// Tensor returns the tensor named name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensorIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns the tensor's bytes, a slice of the mapping.
func (f *File) TensorData(t *TensorInfo) []byte {
	start := f.DataOffset + t.Offset
	return f.data[start : start+t.Size : start+t.Size]
}

// Parse parses a GGUF image held in memory. The File refers to data.
func Parse(data []byte) (*File, error) {
	r := &reader{b: data}
	f := &File{data: data, Alignment: DefaultAlignment}

	if len(data) < 4 || string(data[:4]) != Magic {
		return nil, fmt.Errorf("%w: bad magic (not a GGUF file)", ErrFormat)
	}
	r.off = 4
	version, err := r.u32("version")
	if err != nil {
		return nil, err
	}
	switch {
	case version == 1:
		return nil, fmt.Errorf("%w: unsupported version 1 (re-convert the model with a current llama.cpp)", ErrFormat)
	case version == 2 || version == 3:
	case version&0xffff == 0 && version != 0:
		return nil, fmt.Errorf("%w: unsupported version %#x (big-endian file?)", ErrFormat, version)
	default:
		return nil, fmt.Errorf("%w: unsupported version %d", ErrFormat, version)
	}
	f.Version = version

	nTensors, err := r.u64("tensor count")
	if err != nil {
		return nil, err
	}
	nKV, err := r.u64("metadata count")
	if err != nil {
		return nil, err
	}
	// Every KV needs at least 8 (key length) + 4 (type) + 1 bytes, every
	// tensor info at least 8 + 4 + 4 + 8; reject counts the file cannot hold
	// before allocating for them.
	if nKV > uint64(r.remaining())/13 {
		return nil, fmt.Errorf("%w: metadata count %d exceeds what the file can hold", ErrFormat, nKV)
	}
	if nTensors > uint64(r.remaining())/24 {
		return nil, fmt.Errorf("%w: tensor count %d exceeds what the file can hold", ErrFormat, nTensors)
	}

	f.KV = make([]KV, 0, nKV)
	f.kvIndex = make(map[string]int, nKV)
	for i := uint64(0); i < nKV; i++ {
		key, err := r.str("metadata key")
		if err != nil {
			return nil, fmt.Errorf("metadata entry %d: %w", i, err)
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, fmt.Errorf("%w: duplicate metadata key %q", ErrFormat, key)
		}
		t, err := r.u32("value type")
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		v, err := r.value(ValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		f.kvIndex[key] = len(f.KV)
		f.KV = append(f.KV, KV{key, v})
	}

	if v, ok := f.Get("general.alignment"); ok {
		a, ok := v.Uint()
		if !ok || v.Type != TypeUint32 || a == 0 || a&(a-1) != 0 || a > 1<<20 {
			return nil, fmt.Errorf("%w: general.alignment must be a power-of-two uint32, got %s %v", ErrFormat, v.Type, v)
		}
		f.Alignment = int(a)
	}

	f.Tensors = make([]TensorInfo, 0, nTensors)
	f.tensorIndex = make(map[string]int, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		t, err := r.tensorInfo()
		if err != nil {
			return nil, fmt.Errorf("tensor %d: %w", i, err)
		}
		if _, dup := f.tensorIndex[t.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate tensor name %q", ErrFormat, t.Name)
		}
		if t.Offset%uint64(f.Alignment) != 0 {
			return nil, fmt.Errorf("%w: tensor %q: offset %d is not a multiple of the alignment %d", ErrFormat, t.Name, t.Offset, f.Alignment)
		}
		f.tensorIndex[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}

	// The data section starts at the next multiple of the alignment.
	dataOff := alignUp(uint64(r.off), uint64(f.Alignment))
	f.DataOffset = dataOff
	fileSize := uint64(len(data))
	for i := range f.Tensors {
		t := &f.Tensors[i]
		end := dataOff + t.Offset + t.Size
		if t.Offset > fileSize || end < t.Offset || end > fileSize {
			return nil, fmt.Errorf("%w: truncated file: tensor %q needs bytes up to %d, the file has %d", ErrFormat, t.Name, dataOff+t.Offset+t.Size, fileSize)
		}
	}
	return f, nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

// reader decodes little-endian GGUF primitives with bounds checks.
type reader struct {
	b   []byte
	off int
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) need(n uint64, what string) error {
	if n > uint64(r.remaining()) {
		return fmt.Errorf("%w: truncated file: %s at offset %d needs %d bytes, %d left", ErrFormat, what, r.off, n, r.remaining())
	}
	return nil
}

func (r *reader) u32(what string) (uint32, error) {
	if err := r.need(4, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

func (r *reader) u64(what string) (uint64, error) {
	if err := r.need(8, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v, nil
}

func (r *reader) str(what string) (string, error) {
	n, err := r.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(r.remaining()) {
		return "", fmt.Errorf("%w: truncated file: %s length %d at offset %d runs past the end of the file (%d bytes left)", ErrFormat, what, n, r.off-8, r.remaining())
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s, nil
}

// maxNesting bounds nested arrays so a crafted file cannot exhaust the stack.
const maxNesting = 8

func (r *reader) value(t ValueType, depth int) (Value, error) {
	switch t {
	case TypeString:
		s, err := r.str("string")
		return Value{t, s}, err
	case TypeArray:
		a, err := r.array(depth)
		return Value{t, a}, err
	}
	size := t.fixedSize()
	if size <= 0 {
		return Value{}, fmt.Errorf("%w: unknown value type %d", ErrFormat, uint32(t))
	}
	if err := r.need(uint64(size), t.String()); err != nil {
		return Value{}, err
	}
	b := r.b[r.off:]
	r.off += size
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return Value{t, b[0]}, nil
	case TypeInt8:
		return Value{t, int8(b[0])}, nil
	case TypeBool:
		if b[0] > 1 {
			return Value{}, fmt.Errorf("%w: bool value %d at offset %d", ErrFormat, b[0], r.off-1)
		}
		return Value{t, b[0] == 1}, nil
	case TypeUint16:
		return Value{t, le.Uint16(b)}, nil
	case TypeInt16:
		return Value{t, int16(le.Uint16(b))}, nil
	case TypeUint32:
		return Value{t, le.Uint32(b)}, nil
	case TypeInt32:
		return Value{t, int32(le.Uint32(b))}, nil
	case TypeFloat32:
		return Value{t, math.Float32frombits(le.Uint32(b))}, nil
	case TypeUint64:
		return Value{t, le.Uint64(b)}, nil
	case TypeInt64:
		return Value{t, int64(le.Uint64(b))}, nil
	default: // TypeFloat64
		return Value{t, math.Float64frombits(le.Uint64(b))}, nil
	}
}

func (r *reader) array(depth int) (Array, error) {
	if depth >= maxNesting {
		return Array{}, fmt.Errorf("%w: arrays nested deeper than %d", ErrFormat, maxNesting)
	}
	et, err := r.u32("array element type")
	if err != nil {
		return Array{}, err
	}
	elem := ValueType(et)
	n, err := r.u64("array length")
	if err != nil {
		return Array{}, err
	}
	minSize := uint64(elem.fixedSize())
	switch elem {
	case TypeString:
		minSize = 8
	case TypeArray:
		minSize = 12
	}
	if elem.fixedSize() < 0 {
		return Array{}, fmt.Errorf("%w: unknown array element type %d", ErrFormat, et)
	}
	if n > uint64(r.remaining())/minSize {
		return Array{}, fmt.Errorf("%w: truncated file: array of %d %s at offset %d runs past the end of the file", ErrFormat, n, elem, r.off-12)
	}
	count := int(n)
	le := binary.LittleEndian
	if size := elem.fixedSize(); size > 0 {
		b := r.b[r.off : r.off+count*size]
		r.off += count * size
		switch elem {
		case TypeUint8:
			return Array{elem, append([]uint8(nil), b...)}, nil
		case TypeInt8:
			out := make([]int8, count)
			for i := range out {
				out[i] = int8(b[i])
			}
			return Array{elem, out}, nil
		case TypeBool:
			out := make([]bool, count)
			for i := range out {
				if b[i] > 1 {
					return Array{}, fmt.Errorf("%w: bool value %d in array", ErrFormat, b[i])
				}
				out[i] = b[i] == 1
			}
			return Array{elem, out}, nil
		case TypeUint16:
			out := make([]uint16, count)
			for i := range out {
				out[i] = le.Uint16(b[2*i:])
			}
			return Array{elem, out}, nil
		case TypeInt16:
			out := make([]int16, count)
			for i := range out {
				out[i] = int16(le.Uint16(b[2*i:]))
			}
			return Array{elem, out}, nil
		case TypeUint32:
			out := make([]uint32, count)
			for i := range out {
				out[i] = le.Uint32(b[4*i:])
			}
			return Array{elem, out}, nil
		case TypeInt32:
			out := make([]int32, count)
			for i := range out {
				out[i] = int32(le.Uint32(b[4*i:]))
			}
			return Array{elem, out}, nil
		case TypeFloat32:
			out := make([]float32, count)
			for i := range out {
				out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
			}
			return Array{elem, out}, nil
		case TypeUint64:
			out := make([]uint64, count)
			for i := range out {
				out[i] = le.Uint64(b[8*i:])
			}
			return Array{elem, out}, nil
		case TypeInt64:
			out := make([]int64, count)
			for i := range out {
				out[i] = int64(le.Uint64(b[8*i:]))
			}
			return Array{elem, out}, nil
		default: // TypeFloat64
			out := make([]float64, count)
			for i := range out {
				out[i] = math.Float64frombits(le.Uint64(b[8*i:]))
			}
			return Array{elem, out}, nil
		}
	}
	if elem == TypeString {
		out := make([]string, count)
		for i := range out {
			if out[i], err = r.str("array string"); err != nil {
				return Array{}, err
			}
		}
		return Array{elem, out}, nil
	}
	out := make([]Array, count)
	for i := range out {
		if out[i], err = r.array(depth + 1); err != nil {
			return Array{}, err
		}
	}
	return Array{elem, out}, nil
}

func (r *reader) tensorInfo() (TensorInfo, error) {
	var t TensorInfo
	name, err := r.str("tensor name")
	if err != nil {
		return t, err
	}
	t.Name = name
	if len(name) > maxNameLen {
		return t, fmt.Errorf("%w: tensor name %.40q... is longer than %d bytes", ErrFormat, name, maxNameLen)
	}
	nDims, err := r.u32("dimension count")
	if err != nil {
		return t, fmt.Errorf("tensor %q: %w", name, err)
	}
	if nDims > MaxDims {
		return t, fmt.Errorf("%w: tensor %q has %d dimensions, at most %d are supported", ErrFormat, name, nDims, MaxDims)
	}
	t.Dims = make([]uint64, nDims)
	elems := uint64(1)
	for i := range t.Dims {
		d, err := r.u64("dimension")
		if err != nil {
			return t, fmt.Errorf("tensor %q: %w", name, err)
		}
		// ggml keeps dimensions in int64; bound the element count well
		// below overflow.
		if d == 0 || d > math.MaxInt32*4 || elems > (1<<52)/d {
			return t, fmt.Errorf("%w: tensor %q has invalid dimension %d", ErrFormat, name, d)
		}
		elems *= d
		t.Dims[i] = d
	}
	typ, err := r.u32("tensor type")
	if err != nil {
		return t, fmt.Errorf("tensor %q: %w", name, err)
	}
	t.Type = kernels.Type(typ)
	if !t.Type.Known() {
		return t, fmt.Errorf("%w: tensor %q has unknown type %d", ErrFormat, name, typ)
	}
	rowLen := uint64(1)
	if nDims > 0 {
		rowLen = t.Dims[0]
	}
	rowBytes, err := t.Type.RowBytes(int(rowLen))
	if err != nil {
		return t, fmt.Errorf("%w: tensor %q: %v", ErrFormat, name, err)
	}
	t.Size = uint64(rowBytes) * (elems / rowLen)
	if t.Offset, err = r.u64("tensor offset"); err != nil {
		return t, fmt.Errorf("tensor %q: %w", name, err)
	}
	return t, nil
}
