package quantize

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/kernels"
)

// QuantizeFile requantizes the GGUF model in (F32, F16 or BF16 matrices)
// into out with recipe ftype ("q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k",
// or "f16", "bf16", "f32"), as llama-quantize does without an importance
// matrix: the metadata is copied with general.file_type (and
// general.quantization_version) updated, and each tensor gets the type
// Plan gives it. Tensors are read from the mapped input and written one
// at a time in chunks, with the pages already read handed back to the
// kernel, so memory stays a few MiB per thread whatever the model's size.
// The result is written to a temporary file beside out and renamed over
// out only once it is complete. progress, if not nil, is called with the
// input bytes processed so far and their total.
func QuantizeFile(in, out, ftype string, threads int, progress func(done, total int64)) error {
	ft, err := ParseFileType(ftype)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	f, err := gguf.Open(in)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	defer f.Close()

	arch, _ := f.String("general.architecture")
	var shape Shape
	if v, ok := f.Uint(arch + ".block_count"); ok && v <= math.MaxInt32 {
		shape.NLayer = int(v)
	}
	if v, ok := f.Uint(arch + ".attention.head_count"); ok && v <= math.MaxInt32 {
		shape.NHead = int(v)
	}
	shape.NHeadKV = shape.NHead
	if v, ok := f.Uint(arch + ".attention.head_count_kv"); ok && v <= math.MaxInt32 {
		shape.NHeadKV = int(v)
	}
	if shape.NLayer == 0 {
		return fmt.Errorf("quantize: %s: no %s.block_count in the metadata", in, arch)
	}
	names := make([]string, len(f.Tensors))
	for i, t := range f.Tensors {
		names[i] = t.Name
	}
	plan := NewPlan(ft, shape, names)

	types := make([]kernels.Type, len(f.Tensors))
	var total int64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		types[i] = plan.TensorType(t.Name, t.Dims)
		if t.Type != types[i] {
			switch t.Type {
			case kernels.F32, kernels.F16, kernels.BF16:
			default:
				return fmt.Errorf("quantize: %s: tensor %s is %v; quantize reads F32, F16 or BF16 models "+
					"(requantizing quantized weights would add a second rounding error)", in, t.Name, t.Type)
			}
			if _, err := types[i].RowBytes(int(t.Dims[0])); err != nil {
				return fmt.Errorf("quantize: %s: tensor %s: %w", in, t.Name, err)
			}
		}
		total += int64(t.Size)
	}

	return writeAtomically(out, func(fh *os.File) error {
		w, err := gguf.NewWriter(fh, f.Alignment)
		if err != nil {
			return err
		}
		for _, kv := range f.KV {
			switch kv.Key {
			case "general.alignment": // NewWriter wrote it from f.Alignment
				continue
			case "general.file_type", "general.quantization_version":
				continue // set below, as llama-quantize does
			}
			if err := w.AddKV(kv.Key, kv.Value); err != nil {
				return err
			}
		}
		if ft.Quantized() {
			if err := w.AddKV("general.quantization_version", gguf.Uint32(QuantizationVersion)); err != nil {
				return err
			}
		}
		if err := w.AddKV("general.file_type", gguf.Uint32(uint32(ft))); err != nil {
			return err
		}
		for i, t := range f.Tensors {
			if err := w.AddTensor(t.Name, types[i], t.Dims...); err != nil {
				return err
			}
		}
		if err := w.WriteHeader(); err != nil {
			return err
		}
		enc := NewEncoder(threads)
		var done int64
		for i := range f.Tensors {
			t := &f.Tensors[i]
			data := f.TensorData(t)
			cols := int(t.Dims[0])
			rows := int(t.Rows())
			inRow := t.RowBytes()
			j := Job{Name: t.Name, Type: types[i], Cols: cols, Rows: rows}
			if t.Type == types[i] {
				j.Raw = func(r0, n int, dst []byte) { copy(dst, data[r0*inRow:(r0+n)*inRow]) }
			} else {
				src := t.Type
				j.Float = func(r0, n int, dst []float32) {
					// src is F32, F16 or BF16 (checked above).
					if err := kernels.Dequantize(src, data[r0*inRow:(r0+n)*inRow], dst[:n*cols]); err != nil {
						panic(err)
					}
				}
			}
			released := 0
			j.Done = func(r int) {
				releasePages(data[released*inRow : r*inRow])
				released = r
				if progress != nil {
					progress(done+int64(r*inRow), total)
				}
			}
			if err := enc.Write(w, j); err != nil {
				return fmt.Errorf("writing %s: %w", t.Name, err)
			}
			done += int64(t.Size)
		}
		return w.Close()
	})
}

// releasePages tells the kernel that the mapped pages under b will not be
// needed again soon (madvise MADV_DONTNEED), so that reading a model once
// from front to back does not leave all of it resident in this process:
// the pages stay in the page cache, and a later access faults them back
// in. b must lie in a read-only file mapping (on anonymous memory,
// DONTNEED would zero the data). The range is widened to whole pages; a
// neighbouring tensor sharing an edge page only pays one page fault more.
func releasePages(b []byte) {
	if len(b) == 0 {
		return
	}
	page := os.Getpagesize()
	p := unsafe.Pointer(unsafe.SliceData(b))
	off := int(uintptr(p) & uintptr(page-1))
	n := (off + len(b) + page - 1) &^ (page - 1)
	// The widened range stays inside the mapping: mappings start on a page
	// boundary and the kernel rounds their length up to whole pages.
	region := unsafe.Slice((*byte)(unsafe.Add(p, -off)), n)
	_ = unix.Madvise(region, unix.MADV_DONTNEED) // advisory: an error only costs memory
}

// AtomicFile is an output file that appears under its name only once it
// is complete: it is written as a hidden temporary file in the same
// directory (so the rename cannot cross file systems) and renamed by
// Commit. A reader never sees a half-written model, and a failed or
// interrupted run leaves any earlier file of that name as it was.
type AtomicFile struct {
	*os.File
	path string
	done bool
}

// CreateAtomic creates the temporary file for path. The caller writes to
// it and ends with Commit, or with Abort on failure (Abort after Commit is
// a no-op, so it can be deferred).
func CreateAtomic(path string) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	for try := 0; ; try++ {
		var rnd [6]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return nil, err
		}
		tmp := filepath.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+".tmp")
		// 0666 and the umask, as for any file a command creates.
		fh, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			return &AtomicFile{File: fh, path: path}, nil
		}
		if !errors.Is(err, fs.ErrExist) || try == 10 {
			return nil, err
		}
	}
}

// TempFiles lists the temporary files of AtomicFiles for path that still
// exist: those of a run in progress, or of one that was killed before it
// could clean up. A command interrupted by a signal removes its own with
// it, as the conversion goroutine cannot be stopped midway.
func TempFiles(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	return filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".*.tmp"))
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// Commit flushes the file to disk and renames it to its final path.
func (f *AtomicFile) Commit() error {
	if f.done {
		return errors.New("quantize: output committed or aborted twice")
	}
	f.done = true
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Abort closes and removes the temporary file, unless Commit ran.
func (f *AtomicFile) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// writeAtomically runs write on an AtomicFile for path and commits it if
// write succeeds.
func writeAtomically(path string, write func(*os.File) error) error {
	fh, err := CreateAtomic(path)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	defer fh.Abort()
	if err := write(fh.File); err != nil {
		return fmt.Errorf("quantize: %s: %w", path, err)
	}
	if err := fh.Commit(); err != nil {
		return fmt.Errorf("quantize: %s: %w", path, err)
	}
	return nil
}
