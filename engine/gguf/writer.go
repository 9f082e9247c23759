package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/baylingd/baylingd/kernels"
)

// Writer streams a GGUF v3 file: declare metadata and tensors, write the
// header, then write each tensor's data in declaration order. Only the
// header and one tensor at a time need to be in memory.
type Writer struct {
	w          *bufio.Writer
	kv         []KV
	keys       map[string]bool
	tensors    []TensorInfo
	names      map[string]bool
	alignment  int
	dataSize   uint64
	state      int // 0 declaring, 1 header written, 2 closed
	next       int // next tensor whose data is expected
	pos        uint64
	headerSize uint64
	written    uint64
	err        error
}

// NewWriter starts a file on w. Alignment 0 means DefaultAlignment; any
// other value is stored as general.alignment.
func NewWriter(w io.Writer, alignment int) (*Writer, error) {
	if alignment == 0 {
		alignment = DefaultAlignment
	}
	if alignment < 0 || alignment&(alignment-1) != 0 || alignment > 1<<20 {
		return nil, fmt.Errorf("gguf: alignment %d is not a power of two", alignment)
	}
	gw := &Writer{w: bufio.NewWriterSize(w, 1<<20), keys: map[string]bool{}, names: map[string]bool{}, alignment: alignment}
	if alignment != DefaultAlignment {
		gw.AddKV("general.alignment", Uint32(uint32(alignment)))
	}
	return gw, nil
}

// AddKV declares a metadata entry.
func (w *Writer) AddKV(key string, v Value) error {
	if w.state != 0 {
		return fmt.Errorf("gguf: AddKV(%q) after the header was written", key)
	}
	if w.keys[key] {
		return fmt.Errorf("gguf: duplicate metadata key %q", key)
	}
	if err := checkValue(v, 0); err != nil {
		return fmt.Errorf("gguf: metadata %q: %w", key, err)
	}
	w.keys[key] = true
	w.kv = append(w.kv, KV{key, v})
	return nil
}

// AddTensor declares a tensor; dims are in ggml order (row length first).
func (w *Writer) AddTensor(name string, typ kernels.Type, dims ...uint64) error {
	if w.state != 0 {
		return fmt.Errorf("gguf: AddTensor(%q) after the header was written", name)
	}
	if w.names[name] {
		return fmt.Errorf("gguf: duplicate tensor %q", name)
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("gguf: tensor name %q is longer than %d bytes", name, maxNameLen)
	}
	if len(dims) == 0 || len(dims) > MaxDims {
		return fmt.Errorf("gguf: tensor %q: %d dimensions", name, len(dims))
	}
	rows := uint64(1)
	for _, d := range dims[1:] {
		rows *= d
	}
	rowBytes, err := typ.RowBytes(int(dims[0]))
	if err != nil {
		return fmt.Errorf("gguf: tensor %q: %w", name, err)
	}
	t := TensorInfo{Name: name, Dims: append([]uint64(nil), dims...), Type: typ, Offset: w.dataSize, Size: uint64(rowBytes) * rows}
	w.dataSize = alignUp(w.dataSize+t.Size, uint64(w.alignment))
	w.names[name] = true
	w.tensors = append(w.tensors, t)
	return nil
}

// WriteHeader writes the header and metadata; tensor data follows.
func (w *Writer) WriteHeader() error {
	if w.state != 0 {
		return fmt.Errorf("gguf: header already written")
	}
	w.state = 1
	defer func() { w.headerSize = w.pos }()
	w.put([]byte(Magic))
	w.u32(3)
	w.u64(uint64(len(w.tensors)))
	w.u64(uint64(len(w.kv)))
	for _, kv := range w.kv {
		w.str(kv.Key)
		w.u32(uint32(kv.Value.Type))
		w.value(kv.Value)
	}
	for _, t := range w.tensors {
		w.str(t.Name)
		w.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			w.u64(d)
		}
		w.u32(uint32(t.Type))
		w.u64(t.Offset)
	}
	w.pad()
	if w.err == nil {
		// The header reaches the file now, so a caller can lay out tensor
		// data by other means (a sparse file for tests, a copy by offset).
		w.err = w.w.Flush()
	}
	return w.err
}

// DataOffset is the file offset where tensor data starts; valid after
// WriteHeader.
func (w *Writer) DataOffset() uint64 { return w.headerSize }

// Tensors returns the declared tensors with their offsets and sizes.
func (w *Writer) Tensors() []TensorInfo { return append([]TensorInfo(nil), w.tensors...) }

// WriteTensor writes the data of the next declared tensor; name must match
// the declaration order and len(data) its size. Large tensors may be
// written in pieces with WriteTensorPart.
func (w *Writer) WriteTensor(name string, data []byte) error {
	if err := w.WriteTensorPart(name, data); err != nil {
		return err
	}
	if w.next < len(w.tensors) && w.tensors[w.next].Name == name {
		return fmt.Errorf("gguf: tensor %q: wrote %d of %d bytes", name, w.written, w.tensors[w.next].Size)
	}
	return nil
}

// WriteTensorPart appends data to the tensor being written; the tensor is
// complete once its declared size has been written.
func (w *Writer) WriteTensorPart(name string, data []byte) error {
	if w.state != 1 {
		return fmt.Errorf("gguf: tensor data written before the header or after Close")
	}
	if w.next >= len(w.tensors) {
		return fmt.Errorf("gguf: tensor %q was not declared (or written twice)", name)
	}
	t := &w.tensors[w.next]
	if t.Name != name {
		return fmt.Errorf("gguf: tensor %q written out of order, expected %q", name, t.Name)
	}
	if w.written+uint64(len(data)) > t.Size {
		return fmt.Errorf("gguf: tensor %q: %d bytes written, %d declared", name, w.written+uint64(len(data)), t.Size)
	}
	w.put(data)
	w.written += uint64(len(data))
	if w.written == t.Size {
		w.pad()
		w.next++
		w.written = 0
	}
	return w.err
}

// Close checks that every tensor was written and flushes. It does not close
// the underlying writer.
func (w *Writer) Close() error {
	if w.state == 0 {
		if err := w.WriteHeader(); err != nil {
			return err
		}
	}
	if w.state == 2 {
		return nil
	}
	w.state = 2
	if w.next != len(w.tensors) {
		return fmt.Errorf("gguf: %d of %d tensors were written", w.next, len(w.tensors))
	}
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

// pad writes zeros up to the next multiple of the alignment.
func (w *Writer) pad() {
	n := w.pos % uint64(w.alignment)
	if n != 0 {
		w.put(make([]byte, uint64(w.alignment)-n))
	}
}

func (w *Writer) put(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.w.Write(b)
	w.pos += uint64(len(b))
}

func (w *Writer) u32(v uint32) { var b [4]byte; binary.LittleEndian.PutUint32(b[:], v); w.put(b[:]) }
func (w *Writer) u64(v uint64) { var b [8]byte; binary.LittleEndian.PutUint64(b[:], v); w.put(b[:]) }
func (w *Writer) str(s string) { w.u64(uint64(len(s))); w.put([]byte(s)) }

func (w *Writer) value(v Value) {
	switch x := v.v.(type) {
	case uint8:
		w.put([]byte{x})
	case int8:
		w.put([]byte{byte(x)})
	case bool:
		if x {
			w.put([]byte{1})
		} else {
			w.put([]byte{0})
		}
	case uint16:
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], x)
		w.put(b[:])
	case int16:
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], uint16(x))
		w.put(b[:])
	case uint32:
		w.u32(x)
	case int32:
		w.u32(uint32(x))
	case float32:
		w.u32(math.Float32bits(x))
	case uint64:
		w.u64(x)
	case int64:
		w.u64(uint64(x))
	case float64:
		w.u64(math.Float64bits(x))
	case string:
		w.str(x)
	case Array:
		w.array(x)
	}
}

func (w *Writer) array(a Array) {
	w.u32(uint32(a.Elem))
	w.u64(uint64(a.Len()))
	switch s := a.Values.(type) {
	case []uint8:
		w.put(s)
	case []int8:
		for _, x := range s {
			w.put([]byte{byte(x)})
		}
	case []bool:
		for _, x := range s {
			w.value(Bool(x))
		}
	case []uint16:
		for _, x := range s {
			w.value(Uint16(x))
		}
	case []int16:
		for _, x := range s {
			w.value(Int16(x))
		}
	case []uint32:
		for _, x := range s {
			w.u32(x)
		}
	case []int32:
		for _, x := range s {
			w.u32(uint32(x))
		}
	case []float32:
		for _, x := range s {
			w.u32(math.Float32bits(x))
		}
	case []uint64:
		for _, x := range s {
			w.u64(x)
		}
	case []int64:
		for _, x := range s {
			w.u64(uint64(x))
		}
	case []float64:
		for _, x := range s {
			w.u64(math.Float64bits(x))
		}
	case []string:
		for _, x := range s {
			w.str(x)
		}
	case []Array:
		for _, x := range s {
			w.array(x)
		}
	}
}

// checkValue rejects values the reader would not accept back: a Value
// whose Go type does not match its tag, or an array whose Elem does not
// match its slice.
func checkValue(v Value, depth int) error {
	if depth >= maxNesting {
		return fmt.Errorf("arrays nested deeper than %d", maxNesting)
	}
	if v.Type == TypeArray {
		a, ok := v.v.(Array)
		if !ok {
			return fmt.Errorf("array value holds %T", v.v)
		}
		want := ArrayOf(a.Values).v.(Array).Elem
		if want != a.Elem {
			return fmt.Errorf("array of %s holds %T", a.Elem, a.Values)
		}
		if nested, ok := a.Values.([]Array); ok {
			for _, n := range nested {
				if err := checkValue(Value{TypeArray, n}, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var ok bool
	switch v.Type {
	case TypeUint8:
		_, ok = v.v.(uint8)
	case TypeInt8:
		_, ok = v.v.(int8)
	case TypeUint16:
		_, ok = v.v.(uint16)
	case TypeInt16:
		_, ok = v.v.(int16)
	case TypeUint32:
		_, ok = v.v.(uint32)
	case TypeInt32:
		_, ok = v.v.(int32)
	case TypeFloat32:
		_, ok = v.v.(float32)
	case TypeBool:
		_, ok = v.v.(bool)
	case TypeString:
		_, ok = v.v.(string)
	case TypeUint64:
		_, ok = v.v.(uint64)
	case TypeInt64:
		_, ok = v.v.(int64)
	case TypeFloat64:
		_, ok = v.v.(float64)
	}
	if !ok {
		return fmt.Errorf("value of type %s holds %T", v.Type, v.v)
	}
	return nil
}
