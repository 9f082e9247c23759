package kernels

import (
	"encoding/binary"
	"fmt"
)

// PackRows is the number of weight rows a packed matrix interleaves: the
// lanes of one 256-bit register (amd64), or of two 128-bit ones (arm64,
// where an SDOT by element dots four rows with one activation dword),
// after the integer dot are eight rows, so one activation load feeds eight
// rows and the float scaling of eight outputs is one or two instructions,
// with no horizontal sums.
const PackRows = 8

// Packed is a weight matrix re-laid out at load time for MatMulPacked.
// It is a copy: it costs as much (anonymous, unswappable) memory as the
// weights it was made from, which stay untouched in the file mapping.
//
// Layout, for Q4_0 and Q8_0: the rows are taken in groups of PackRows
// (the last group padded with zero rows); a group is its blocks in order,
// and block b of a group is the eight F16 scales of block b of its rows,
// then their quants interleaved four bytes at a time:
//
//	Q4_0: d[8] (16 bytes), then for k = 0..3: row 0 qs[4k:4k+4], row 1 ...,
//	      row 7 qs[4k:4k+4] (4 x 32 bytes): 144 bytes per block, as 8 x 18.
//	Q8_0: d[8], then for k = 0..7: the same for qs[4k:4k+4] (8 x 32 bytes):
//	      272 bytes per block, as 8 x 34.
//
// Low nibbles of Q4_0 quant byte j are element j and high nibbles element
// j+16, so a 32-byte load of chunk k holds elements 4k..4k+3 (low) and
// 16+4k..16+4k+3 (high) of all eight rows: one broadcast activation dword
// each.
type Packed struct {
	t          Type
	rows, cols int
	groupBytes int // bytes of one group of PackRows rows
	data       []byte
}

// Type is the weight type the matrix was packed from.
func (p *Packed) Type() Type { return p.t }

// Rows is the number of weight rows (outputs).
func (p *Packed) Rows() int { return p.rows }

// Cols is the row length in elements (inputs).
func (p *Packed) Cols() int { return p.cols }

// Bytes is the memory the packed copy takes.
func (p *Packed) Bytes() int { return len(p.data) }

// packFormat describes a type's packed block: the bytes of PackRows rows'
// block b, and how to write it from the rows' blocks.
type packFormat struct {
	blockBytes int                                    // packed bytes per block of PackRows rows
	pack       func(dst []byte, rows [][]byte, b int) // rows[i] nil: zero row
}

var packFormats = [maxType]*packFormat{
	Q4_0: {blockBytes: PackRows * q4_0Bytes, pack: packQ4_0Block},
	Q8_0: {blockBytes: PackRows * q8_0Bytes, pack: packQ8_0Block},
	Q4_K: {blockBytes: q4_KPackedBytes, pack: packQ4_KBlock},
}

// q4_KPackedBytes is a packed Q4_K block of PackRows rows: d[8], dmin[8]
// (F16), the 6-bit scales and mins unpacked to bytes as [sub-block][row],
// then 32 vectors of 8 rows x 4 quant bytes: 1184 bytes, 32 more than the
// 8 x 144 it comes from.
const q4_KPackedBytes = 16 + 16 + 64 + 64 + PackRows*128

// packGroupFast, where an architecture sets it, packs a whole group of
// PackRows rows (src, rowBytes apart) into dst, reporting false for types
// it leaves to packFormats.
var packGroupFast func(t Type, dst, src []byte, rowBytes, nblk int) bool

// CanRepack reports whether t has a packed layout (on every architecture;
// see RepackInfo for whether it pays on this one).
func CanRepack(t Type) bool { return uint32(t) < maxType && packFormats[t] != nil }

// PackInfo says what repacking a type buys on this machine.
type PackInfo struct {
	// Fast: this CPU has packed kernels for the type, and MatMulPacked
	// beats MatMul on one activation row (decode). Without them
	// MatMulPacked runs a pure-Go kernel that is slower than MatMul, and
	// a packed copy only costs memory.
	Fast bool
	// SameBits: MatMulPacked returns exactly MatMul's results. True for
	// Q4_0 and Q8_0 everywhere (both keep the reference's order). False
	// for Q4_K with the AVX2 kernels: MatMul keeps the float order of
	// ggml's AVX2 dot, which is what llama.cpp computes on x86 (fixture
	// NMSE against its goldens about 2e-14), while the packed kernel adds
	// whole-block integer sums per row (NMSE about 5e-5 on the same
	// fixtures, as the scalar reference; both within the 1e-4 target).
	SameBits bool
}

// packedFast and packedDiffers are set by the architecture files.
var packedFast, packedDiffers [maxType]bool

// RepackInfo reports what repacking t buys here; both fields are false
// for types without a packed layout.
func RepackInfo(t Type) PackInfo {
	if !CanRepack(t) {
		return PackInfo{}
	}
	return PackInfo{Fast: packedFast[t], SameBits: !packedDiffers[t]}
}

// Repack copies a weight matrix of rows x cols elements of type t (rows of
// t.RowBytes(cols) bytes laid end to end in src, as a GGUF tensor) into
// the packed layout, and reports false, doing nothing, when t has none (see
// CanRepack). Like MatMul it panics when src does not hold exactly that
// matrix, which the engine rules out when it checks tensor shapes at load.
// It allocates the copy; call it at load time.
func Repack(t Type, rows, cols int, src []byte) (*Packed, bool) {
	if !CanRepack(t) {
		return nil, false
	}
	f := packFormats[t]
	rb := rowSize(t, cols)
	if rb <= 0 || rows < 0 || len(src) != rows*rb {
		panic(fmt.Sprintf("kernels: Repack: %d bytes are not a %d x %d %v matrix", len(src), rows, cols, t))
	}
	nblk := cols / t.BlockSize()
	groups := (rows + PackRows - 1) / PackRows
	p := &Packed{t: t, rows: rows, cols: cols, groupBytes: nblk * f.blockBytes}
	p.data = make([]byte, groups*p.groupBytes)
	var rs [PackRows][]byte
	for g := 0; g < groups; g++ {
		dst := p.data[g*p.groupBytes : (g+1)*p.groupBytes]
		if (g+1)*PackRows <= rows && packGroupFast != nil &&
			packGroupFast(t, dst, src[g*PackRows*rb:(g+1)*PackRows*rb], rb, nblk) {
			continue
		}
		for i := range rs {
			rs[i] = nil
			if r := g*PackRows + i; r < rows {
				rs[i] = src[r*rb : (r+1)*rb]
			}
		}
		for b := 0; b < nblk; b++ {
			f.pack(dst[b*f.blockBytes:(b+1)*f.blockBytes], rs[:], b)
		}
	}
	return p, true
}

func packQ4_0Block(dst []byte, rows [][]byte, b int) {
	clear(dst)
	for i, row := range rows {
		if row == nil {
			continue
		}
		x := row[b*q4_0Bytes : (b+1)*q4_0Bytes]
		copy(dst[2*i:2*i+2], x[0:2])
		for k := 0; k < 4; k++ {
			copy(dst[16+32*k+4*i:16+32*k+4*i+4], x[2+4*k:2+4*k+4])
		}
	}
}

func packQ8_0Block(dst []byte, rows [][]byte, b int) {
	clear(dst)
	for i, row := range rows {
		if row == nil {
			continue
		}
		x := row[b*q8_0Bytes : (b+1)*q8_0Bytes]
		copy(dst[2*i:2*i+2], x[0:2])
		for k := 0; k < 8; k++ {
			copy(dst[16+32*k+4*i:16+32*k+4*i+4], x[2+4*k:2+4*k+4])
		}
	}
}

// packQ4_KBlock: vector v = 8j+k of the quants holds bytes 32j+4k..+3 of
// each row's qs, whose low nibbles are elements 64j+4k..+3 (sub-block 2j)
// and high nibbles the same of sub-block 2j+1.
func packQ4_KBlock(dst []byte, rows [][]byte, b int) {
	clear(dst[:q4_KPackedBytes])
	for i, row := range rows {
		if row == nil {
			continue
		}
		x := row[b*q4_KBytes : (b+1)*q4_KBytes]
		copy(dst[2*i:2*i+2], x[0:2])
		copy(dst[16+2*i:16+2*i+2], x[2:4])
		for s := 0; s < 8; s++ {
			sc, m := scaleMinK4(s, x[4:16])
			dst[32+8*s+i], dst[96+8*s+i] = sc, m
		}
		for v := 0; v < 32; v++ {
			copy(dst[160+32*v+4*i:160+32*v+4*i+4], x[16+4*v:16+4*v+4])
		}
	}
}

// unpackQ4_KBlock rebuilds row i's 144-byte block from a packed block.
func unpackQ4_KBlock(dst, src []byte, i int) {
	dst = dst[:q4_KBytes]
	copy(dst[0:2], src[2*i:])
	copy(dst[2:4], src[16+2*i:])
	var sc, mn [8]byte
	for s := 0; s < 8; s++ {
		sc[s], mn[s] = src[32+8*s+i], src[96+8*s+i]
	}
	// The inverse of scaleMinK4.
	for j := 0; j < 4; j++ {
		dst[4+j] = sc[j] | (sc[j+4]>>4)<<6
		dst[8+j] = mn[j] | (mn[j+4]>>4)<<6
		dst[12+j] = sc[j+4]&0x0f | (mn[j+4]&0x0f)<<4
	}
	for v := 0; v < 32; v++ {
		copy(dst[16+4*v:16+4*v+4], src[160+32*v+4*i:])
	}
}

// packedKernel computes out[c*outStride + r] = dot(row r, activation c)
// for rows [r0, r1) of p and activations c < nb, which are aRow bytes
// apart in a. Arguments are validated.
type packedKernel func(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int)

// packedGeneric are the pure-Go kernels of the packed layouts; the
// architecture files replace entries of packedTable.
var packedGeneric = [maxType]packedKernel{
	Q4_0: matMulPackedQ4_0Generic,
	Q8_0: matMulPackedQ8_0Generic,
	Q4_K: matMulPackedQ4_KGeneric,
}

var packedTable = packedGeneric

// MatMulPacked is MatMul for a packed matrix: for every row r in [r0, r1)
// and activation row b in [0, nb),
//
//	out[b*outStride + r] = dot(weight row r, activation row b)
//
// with a holding nb rows of VecDotType(p.Type()). The results are those of
// MatMul on the unpacked matrix (for Q4_0 and Q8_0 bit for bit, on every
// architecture). Any [r0, r1) works, but ranges that start and end on
// multiples of PackRows (or at p.Rows()) avoid computing the groups at
// the edges twice: split work between threads there. It does not
// allocate, and panics on misuse as MatMul does.
func MatMulPacked(p *Packed, r0, r1 int, a []byte, nb int, out []float32, outStride int) {
	aRow := rowSize(VecDotType(p.t), p.cols)
	if r0 < 0 || r1 < r0 || r1 > p.rows || nb < 0 || (nb > 1 && outStride < r1) {
		panic(fmt.Sprintf("kernels: MatMulPacked: bad ranges r0=%d r1=%d rows=%d nb=%d outStride=%d", r0, r1, p.rows, nb, outStride))
	}
	if r0 == r1 || nb == 0 {
		return
	}
	if len(a) < nb*aRow || len(out) < (nb-1)*outStride+r1 {
		panic(fmt.Sprintf("kernels: MatMulPacked: slices too short: a %d < %d or out %d < %d",
			len(a), nb*aRow, len(out), (nb-1)*outStride+r1))
	}
	packedTable[p.t](p, r0, r1, a, aRow, nb, out, outStride)
}

// The generic kernels decode the packed blocks back and compute each row
// exactly as the reference dot does, so results are identical to MatMul's
// references.

func matMulPackedQ4_0Generic(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	nblk := p.cols / qk4_0
	const bb = PackRows * q4_0Bytes
	for r := r0; r < r1; r++ {
		g, i := r/PackRows, r%PackRows
		grp := p.data[g*p.groupBytes : (g+1)*p.groupBytes]
		{
			for c := 0; c < nb; c++ {
				y := a[c*aRow : c*aRow+nblk*q8_0Bytes]
				var sumf float32
				for b := 0; b < nblk; b++ {
					x := grp[b*bb : (b+1)*bb]
					yb := y[b*q8_0Bytes : (b+1)*q8_0Bytes]
					var s int32
					for k := 0; k < 4; k++ {
						q := x[16+32*k+4*i : 16+32*k+4*i+4]
						for j := 0; j < 4; j++ {
							s += (int32(q[j]&0x0f) - 8) * int32(int8(yb[2+4*k+j]))
							s += (int32(q[j]>>4) - 8) * int32(int8(yb[2+16+4*k+j]))
						}
					}
					dx := F16ToF32(binary.LittleEndian.Uint16(x[2*i:]))
					sumf += float32(float32(float32(s)*dx) * f16at(yb))
				}
				out[c*outStride+r] = sumf
			}
		}
	}
}

func matMulPackedQ8_0Generic(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	nblk := p.cols / qk8_0
	const bb = PackRows * q8_0Bytes
	for r := r0; r < r1; r++ {
		g, i := r/PackRows, r%PackRows
		grp := p.data[g*p.groupBytes : (g+1)*p.groupBytes]
		{
			for c := 0; c < nb; c++ {
				y := a[c*aRow : c*aRow+nblk*q8_0Bytes]
				var sumf float32
				for b := 0; b < nblk; b++ {
					x := grp[b*bb : (b+1)*bb]
					yb := y[b*q8_0Bytes : (b+1)*q8_0Bytes]
					var s int32
					for k := 0; k < 8; k++ {
						q := x[16+32*k+4*i : 16+32*k+4*i+4]
						for j := 0; j < 4; j++ {
							s += int32(int8(q[j])) * int32(int8(yb[2+4*k+j]))
						}
					}
					dx := F16ToF32(binary.LittleEndian.Uint16(x[2*i:]))
					sumf += float32(float32(s) * float32(dx*f16at(yb)))
				}
				out[c*outStride+r] = sumf
			}
		}
	}
}

// matMulPackedQ4_KGeneric rebuilds each row's blocks and runs the
// reference dot on them.
func matMulPackedQ4_KGeneric(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	nblk := p.cols / QK_K
	var row [64 * q4_KBytes]byte
	for r := r0; r < r1; r++ {
		g, i := r/PackRows, r%PackRows
		grp := p.data[g*p.groupBytes : (g+1)*p.groupBytes]
		for c := 0; c < nb; c++ {
			out[c*outStride+r] = 0
		}
		// Chunks of 64 blocks: the reference's float state (eight lane sums
		// and the mins sum) does not carry across calls, so one call per
		// row is needed for identical results; rows longer than 16384
		// elements are summed per chunk.
		for k0 := 0; k0 < nblk; k0 += 64 {
			kb := min(64, nblk-k0)
			for b := 0; b < kb; b++ {
				unpackQ4_KBlock(row[b*q4_KBytes:], grp[(k0+b)*q4_KPackedBytes:], i)
			}
			for c := 0; c < nb; c++ {
				out[c*outStride+r] += dotQ4_KQ8_K(kb*QK_K, row[:kb*q4_KBytes], a[c*aRow+k0*q8_KBytes:])
			}
		}
	}
}
