package convert

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// The safetensors format: an 8-byte little-endian header length N, N bytes
// of JSON mapping each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end]} (offsets relative to the byte after the header), an
// optional "__metadata__" map of strings, then the data.

// maxHeader is the safetensors library's own limit on the JSON header.
const maxHeader = 100 << 20

// dtypeSizes are the element sizes of the safetensors dtypes.
var dtypeSizes = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// stTensor is one tensor of a safetensors file.
type stTensor struct {
	Name       string
	DType      string
	Shape      []int64
	Begin, End int64 // data offsets, relative to the data section
	file       *stFile
}

// Elements is the product of the shape.
func (t *stTensor) Elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Data returns the tensor's bytes, a slice of the file's mapping.
func (t *stTensor) Data() []byte {
	if t.End == t.Begin {
		return nil // possibly no mapping at all: the file has no data
	}
	off := t.file.dataOff
	return t.file.data[off+t.Begin : off+t.End : off+t.End]
}

// stHeader is a parsed safetensors header.
type stHeader struct {
	Tensors []*stTensor // in order of data offset
	DataOff int64       // file offset of the data section (8 + N)
}

// parseSafetensorsHeader parses the header at the start of b, the first
// bytes of a safetensors file of fileSize bytes (b may be the whole file,
// or just the first 8+N bytes), and checks every tensor against the file:
// known dtype, shape matching its byte range, data inside the file. A file
// cut short (an interrupted download) fails here, not later with a
// SIGBUS on the mapping. Errors are prefixed with name.
func parseSafetensorsHeader(name string, b []byte, fileSize int64) (*stHeader, error) {
	if fileSize < 8 || len(b) < 8 {
		return nil, fmt.Errorf("%s: truncated: %d bytes, shorter than the 8-byte safetensors header length (incomplete download?)", name, fileSize)
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader {
		return nil, fmt.Errorf("%s: not a safetensors file: header length %d is larger than the format's %d-byte limit", name, n, maxHeader)
	}
	if int64(n)+8 > fileSize {
		return nil, fmt.Errorf("%s: truncated: the safetensors header says %d bytes, the file has %d after the length (incomplete download?)", name, n, fileSize-8)
	}
	if uint64(len(b)) < 8+n {
		return nil, fmt.Errorf("%s: header of %d bytes not read (have %d)", name, n, len(b)-8)
	}
	hdr := b[8 : 8+n]
	var raw map[string]json.RawMessage
	if err := decodeJSON(name+" (safetensors header)", hdr, &raw); err != nil {
		return nil, err
	}
	h := &stHeader{DataOff: 8 + int64(n)}
	dataLen := fileSize - h.DataOff
	for key, v := range raw {
		if key == "__metadata__" {
			continue
		}
		var e struct {
			DType   string  `json:"dtype"`
			Shape   []int64 `json:"shape"`
			Offsets []int64 `json:"data_offsets"`
		}
		if err := decodeJSON(name+" (safetensors header, tensor "+key+")", v, &e); err != nil {
			return nil, err
		}
		size, ok := dtypeSizes[e.DType]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %s has unknown dtype %q", name, key, e.DType)
		}
		if len(e.Offsets) != 2 || e.Offsets[0] < 0 || e.Offsets[1] < e.Offsets[0] {
			return nil, fmt.Errorf("%s: tensor %s has data_offsets %v", name, key, e.Offsets)
		}
		if len(e.Shape) > 8 {
			return nil, fmt.Errorf("%s: tensor %s has %d dimensions", name, key, len(e.Shape))
		}
		numel := int64(1)
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && numel > math.MaxInt64/size/d) {
				return nil, fmt.Errorf("%s: tensor %s has shape %v", name, key, e.Shape)
			}
			numel *= d
		}
		if e.Offsets[1]-e.Offsets[0] != numel*size {
			return nil, fmt.Errorf("%s: tensor %s: %s %v takes %d bytes, data_offsets %v span %d",
				name, key, e.DType, e.Shape, numel*size, e.Offsets, e.Offsets[1]-e.Offsets[0])
		}
		if e.Offsets[1] > dataLen {
			return nil, fmt.Errorf("%s: truncated: tensor %s needs bytes up to %d of the data section, the file holds %d (incomplete download?)",
				name, key, e.Offsets[1], dataLen)
		}
		h.Tensors = append(h.Tensors, &stTensor{Name: key, DType: e.DType, Shape: e.Shape, Begin: e.Offsets[0], End: e.Offsets[1]})
	}
	sort.Slice(h.Tensors, func(i, j int) bool {
		a, b := h.Tensors[i], h.Tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.Name < b.Name
	})
	return h, nil
}

// stFile is an open, memory-mapped safetensors file.
type stFile struct {
	Path    string
	data    []byte
	dataOff int64
	Tensors []*stTensor
}

// openSafetensors maps path read-only and parses its header.
func openSafetensors(path string) (*stFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: file not found", path)
		}
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	var lenBuf [8]byte
	if _, err := io.ReadFull(fh, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("%s: truncated: %d bytes, shorter than the 8-byte safetensors header length (incomplete download?)", path, size)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeader || int64(n)+8 > size {
		// Let the parser word the error.
		_, err := parseSafetensorsHeader(path, lenBuf[:], size)
		return nil, err
	}
	head := make([]byte, 8+n)
	if _, err := fh.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", path, err)
	}
	h, err := parseSafetensorsHeader(path, head, size)
	if err != nil {
		return nil, err
	}
	f := &stFile{Path: path, dataOff: h.DataOff, Tensors: h.Tensors}
	if size > int64(h.DataOff) {
		if size > math.MaxInt {
			return nil, fmt.Errorf("%s: file too large to map", path)
		}
		// MAP_SHARED over a read-only descriptor: pages come from the
		// page cache and can be dropped again (see releasePages).
		f.data, err = unix.Mmap(int(fh.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			return nil, fmt.Errorf("%s: mmap: %w", path, err)
		}
	}
	for _, t := range f.Tensors {
		t.file = f
	}
	return f, nil
}

func (f *stFile) Close() error {
	if f.data == nil {
		return nil
	}
	err := unix.Munmap(f.data)
	f.data = nil
	return err
}

// checkpoint is the set of safetensors files of a model, indexed by tensor
// name.
type checkpoint struct {
	files   []*stFile
	tensors map[string]*stTensor
	desc    string // "model.safetensors" or the index file, for messages
}

func (c *checkpoint) Close() {
	for _, f := range c.files {
		f.Close()
	}
}

// validShardName accepts the plain file names an index may refer to, so a
// crafted index cannot make the converter read outside the checkpoint.
func validShardName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`) && strings.HasSuffix(s, ".safetensors")
}

// openCheckpoint opens dir/model.safetensors, or the shards listed by
// dir/model.safetensors.index.json.
func openCheckpoint(dir string) (*checkpoint, error) {
	single := filepath.Join(dir, "model.safetensors")
	index := filepath.Join(dir, "model.safetensors.index.json")
	c := &checkpoint{tensors: map[string]*stTensor{}}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()
	if _, err := os.Stat(index); err == nil {
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := readJSON(index, &idx); err != nil {
			return nil, err
		}
		if len(idx.WeightMap) == 0 {
			return nil, fmt.Errorf("%s: empty weight_map", index)
		}
		c.desc = index
		var shards []string
		seen := map[string]bool{}
		for name, file := range idx.WeightMap {
			if !validShardName(file) {
				return nil, fmt.Errorf("%s: tensor %s maps to %q, not a .safetensors file in the same folder", index, name, file)
			}
			if !seen[file] {
				seen[file] = true
				shards = append(shards, file)
			}
		}
		sort.Strings(shards)
		byFile := map[string]*stFile{}
		for _, s := range shards {
			f, err := openSafetensors(filepath.Join(dir, s))
			if err != nil {
				return nil, fmt.Errorf("%w (shard listed in %s)", err, filepath.Base(index))
			}
			c.files = append(c.files, f)
			byFile[s] = f
		}
		for name, file := range idx.WeightMap {
			f := byFile[file]
			var t *stTensor
			for _, x := range f.Tensors {
				if x.Name == name {
					t = x
					break
				}
			}
			if t == nil {
				return nil, fmt.Errorf("%s: tensor %s is not in %s, where %s says it is", f.Path, name, file, filepath.Base(index))
			}
			c.tensors[name] = t
		}
		ok = true
		return c, nil
	}
	if _, err := os.Stat(single); err != nil {
		msg := fmt.Sprintf("%s: no model.safetensors or model.safetensors.index.json", dir)
		if m, _ := filepath.Glob(filepath.Join(dir, "*.bin")); len(m) > 0 {
			msg += fmt.Sprintf(" (found %s: PyTorch pickle checkpoints are not read; convert them to safetensors first)", filepath.Base(m[0]))
		} else if m, _ := filepath.Glob(filepath.Join(dir, "*.safetensors")); len(m) > 0 {
			msg += fmt.Sprintf(" (found %s but no index to tell which shards make the model)", filepath.Base(m[0]))
		}
		return nil, errors.New(msg)
	}
	f, err := openSafetensors(single)
	if err != nil {
		return nil, err
	}
	c.files = append(c.files, f)
	c.desc = single
	for _, t := range f.Tensors {
		c.tensors[t.Name] = t
	}
	ok = true
	return c, nil
}
