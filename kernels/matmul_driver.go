//go:build (amd64 || arm64) && !purego && !noasm

package kernels

// The tiling driver of the packed matmul kernels, shared by amd64 (AVX2,
// matmul_amd64.s) and arm64 (SDOT, matmul_arm64.s): MatMulPacked over a
// persistent packed copy (packed), and MatMul by packing rows on the fly
// ("transient" packing: no packed copy in memory). The architecture files
// declare the assembly, whose Go signatures and contracts are the same on
// both, and install the entry points below into packedTable and
// matMulTable when the CPU has the features they need (cpu_amd64.go,
// cpu_arm64.go).
//
// The assembly computes one group of PackRows rows against one or four
// activation columns over a run of blocks (gemm*x1Asm, gemm*x4Asm), with
// per-block activation data precomputed once per column (q8_0AuxAsm,
// q8_KAux). The drivers here choose the loop order:
//
//   - nb <= 4 (decode, a few sequences): every group streams its whole row
//     length in one pass (one sequential read of the weights, which is
//     what the hardware prefetchers follow best), the activation data is
//     computed once for all groups;
//   - 4 < nb <= wideCols (decode of up to 16 sequences): the same, in
//     passes of up to 8192 elements, each group running the four-column
//     kernel over every chunk of four columns while its weights are in
//     L1 (before, such batches took the prefill tiling below, which
//     recomputes the activation data for every tile of four groups);
//   - nb > wideCols (prefill): a tile of tileGroups groups x tileBlocks
//     blocks stays in L1/L2 while all columns pass over it four at a time.
//
// On amd64 with AVX-512 VNNI, Q4_0 and Q8_0 take the drivers of
// matmul_vnni_amd64.go instead.
//
// Packed Q4_K kernels exist on amd64 only (driverQ4_K, matmul_amd64.go);
// on arm64 q8_KAux and gemmQ4_Kx8x{4,1}, which the Q4_K cases below call,
// panic.

// packGroupAsm packs a whole group for Repack with the transposes
// MatMul's transient packing uses (packGroupFast).
func packGroupAsm(t Type, dst, src []byte, rowBytes, nblk int) bool {
	switch t {
	case Q4_0:
		_ = dst[:nblk*PackRows*q4_0Bytes]
		_ = src[:(PackRows-1)*rowBytes+nblk*q4_0Bytes]
		packQ4_0Asm(&dst[0], &src[0], rowBytes, nblk)
	case Q8_0:
		_ = dst[:nblk*PackRows*q8_0Bytes]
		_ = src[:(PackRows-1)*rowBytes+nblk*q8_0Bytes]
		packQ8_0Asm(&dst[0], &src[0], rowBytes, nblk)
	default:
		return false
	}
	return true
}

const (
	// auxBlocks bounds the blocks of one pass (16384 elements for the
	// 32-element blocks; auxKBlocks for the 256-element K-quant blocks):
	// per-block activation data lives on the stack.
	auxBlocks  = 512
	auxKBlocks = 64
	auxKRecord = 20 // q8_KAux's bytes per block (amd64)
	// Prefill tiles are tileGroups groups (32 rows) by 2048 elements: 36
	// KiB of Q4_0, 68 KiB of Q8_0, 37 KiB of Q4_K.
	tileGroups = 4
	// transientBuf holds one packed tile of the largest type (Q8_0).
	transientBuf = tileGroups * PackRows * 64 * q8_0Bytes
)

// auxBuf is the per-block activation data of up to four columns: for
// Q8_0 activations ys = 8*sum(qs) (for Q4_0's offset) and dy = the scale
// as float32; for Q8_K, q8_KAux's records (amd64 only; unused on arm64).
type auxBuf struct {
	ys [4 * auxBlocks]int32
	dy [4 * auxBlocks]float32
	k  [4 * auxKBlocks * auxKRecord]byte
}

const (
	// wideCols is the most columns of the decode loop order; its passes
	// are widePass blocks (wideKPass K-quant blocks), 8192 elements.
	wideCols  = 16
	widePass  = 256
	wideKPass = 32
)

// auxWide is auxBuf for up to wideCols columns of one pass (42 KiB).
type auxWide struct {
	ys [wideCols * widePass]int32
	dy [wideCols * widePass]float32
	k  [wideCols * wideKPass * auxKRecord]byte
}

// auxSet views an aux buffer: column c's ys and dy at ys[c*n:], dy[c*n:],
// its Q8_K records at k[c*kn:].
type auxSet struct {
	ys    []int32
	dy    []float32
	k     []byte
	n, kn int
}

func (x *auxBuf) set() auxSet {
	return auxSet{x.ys[:], x.dy[:], x.k[:], auxBlocks, auxKBlocks * auxKRecord}
}

func (x *auxWide) set() auxSet {
	return auxSet{x.ys[:], x.dy[:], x.k[:], widePass, wideKPass * auxKRecord}
}

// from is the view whose column 0 is column c.
func (x auxSet) from(c int) auxSet {
	return auxSet{x.ys[c*x.n:], x.dy[c*x.n:], x.k[c*x.kn:], x.n, x.kn}
}

// packedDriver describes a type's packed kernels. The calls are direct
// (switches on t, not function values) so that the stack buffers passed to
// the assembly do not escape.
type packedDriver struct {
	t          Type
	blockBytes int // packed bytes per block of a group
	aBytes     int // activation bytes per block
	pass       int // most blocks per pass (auxBlocks or auxKBlocks)
	tileBlocks int // blocks of a prefill tile
	// minCols is the smallest batch for which MatMul packs rows on the
	// fly and runs the packed kernels. Below it (decode) the row dots
	// stream the weights faster: a transient pack reads eight rows at once,
	// which the hardware prefetchers follow far worse than one sequential
	// row (measured on Zen 4: 9 GB/s against 11.4 GB/s per core, where a
	// persistent packed copy, one sequential stream, reaches 28 GB/s).
	// arm64 keeps the same threshold (not measured on a board; see
	// cpu_arm64.go for the instruction counts).
	minCols int
}

var (
	driverQ4_0 = packedDriver{t: Q4_0, blockBytes: PackRows * q4_0Bytes, aBytes: q8_0Bytes,
		pass: auxBlocks, tileBlocks: 64, minCols: 2}
	driverQ8_0 = packedDriver{t: Q8_0, blockBytes: PackRows * q8_0Bytes, aBytes: q8_0Bytes,
		pass: auxBlocks, tileBlocks: 64, minCols: 2}
)

func matMulPackedQ4_0Tiled(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	driverQ4_0.packed(p, r0, r1, a, aRow, nb, out, outStride)
}

func matMulPackedQ8_0Tiled(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	driverQ8_0.packed(p, r0, r1, a, aRow, nb, out, outStride)
}

func matMulQ4_0Transient(n int, w []byte, wRow, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) bool {
	return driverQ4_0.transient(n, w, wRow, r0, r1, a, aRow, nb, out, outStride)
}

func matMulQ8_0Transient(n int, w []byte, wRow, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) bool {
	return driverQ8_0.transient(n, w, wRow, r0, r1, a, aRow, nb, out, outStride)
}

// auxCols fills x for nc columns (aRow bytes apart from a) over kb
// blocks.
func (k *packedDriver) auxCols(x auxSet, kb int, a []byte, aRow, nc int) {
	for c := 0; c < nc; c++ {
		_ = a[c*aRow+kb*k.aBytes-1]
		if k.t == Q4_K {
			_ = x.k[c*x.kn+kb*auxKRecord-1]
			q8_KAux(kb, &a[c*aRow], &x.k[c*x.kn])
			continue
		}
		_, _ = x.ys[c*x.n+kb-1], x.dy[c*x.n+kb-1]
		q8_0AuxAsm(kb, &a[c*aRow], &x.ys[c*x.n], &x.dy[c*x.n])
	}
}

// group runs one packed group (kb blocks at w) against nc <= 4 columns,
// the row sums of column c going to out[c*outStride : c*outStride+8]
// (continued from there when load).
func (k *packedDriver) group(x auxSet, kb int, w *byte, a []byte, aRow, nc int, out []float32, outStride int, load bool) {
	_ = out[(nc-1)*outStride+PackRows-1]
	if k.t == Q4_K {
		_ = x.k[(nc-1)*x.kn+kb*auxKRecord-1]
	} else {
		_, _ = x.ys[(nc-1)*x.n+kb-1], x.dy[(nc-1)*x.n+kb-1]
	}
	if nc == 4 {
		switch k.t {
		case Q4_0:
			gemmQ4_0x8x4Asm(kb, w, &a[0], aRow, &x.ys[0], &x.dy[0], 4*x.n, &out[0], 4*outStride, load)
		case Q8_0:
			gemmQ8_0x8x4Asm(kb, w, &a[0], aRow, &x.ys[0], &x.dy[0], 4*x.n, &out[0], 4*outStride, load)
		case Q4_K:
			gemmQ4_Kx8x4(kb, w, &a[0], aRow, &x.k[0], x.kn, &out[0], 4*outStride, load)
		}
		return
	}
	for c := 0; c < nc; c++ {
		switch k.t {
		case Q4_0:
			gemmQ4_0x8x1Asm(kb, w, &a[c*aRow], &x.ys[c*x.n], &x.dy[c*x.n], &out[c*outStride], load)
		case Q8_0:
			gemmQ8_0x8x1Asm(kb, w, &a[c*aRow], &x.ys[c*x.n], &x.dy[c*x.n], &out[c*outStride], load)
		case Q4_K:
			gemmQ4_Kx8x1(kb, w, &a[c*aRow], &x.k[c*x.kn], &out[c*outStride], load)
		}
	}
}

// wideGroup runs one group against 4 < nb <= wideCols columns, four at a
// time (see group).
func (k *packedDriver) wideGroup(x auxSet, kb int, w *byte, a []byte, aRow, nb int, out []float32, outStride int, load bool) {
	for c0 := 0; c0 < nb; c0 += 4 {
		k.group(x.from(c0), kb, w, a[c0*aRow:], aRow, min(4, nb-c0), out[c0*outStride:], outStride, load)
	}
}

// widePass is the blocks of one pass of the decode loop order.
func (k *packedDriver) widePass() int {
	if k.t == Q4_K {
		return wideKPass
	}
	return widePass
}

// packed computes rows [r0, r1) of p against nb activation columns: the
// whole groups inside the range, then the groups it cuts (at the ends)
// through a temporary.
func (k *packedDriver) packed(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	g0, g1 := (r0+PackRows-1)/PackRows, r1/PackRows // whole groups
	if g0 > g1 {                                    // inside one group
		k.edge(p, r0/PackRows, r0, r1, a, aRow, nb, out, outStride)
		return
	}
	if r0 < g0*PackRows {
		k.edge(p, g0-1, r0, g0*PackRows, a, aRow, nb, out, outStride)
	}
	if r1 > g1*PackRows {
		k.edge(p, g1, g1*PackRows, r1, a, aRow, nb, out, outStride)
	}
	nblk := p.cols / p.t.BlockSize()
	wg := func(g, k0 int) *byte { return &p.data[g*p.groupBytes+k0*k.blockBytes] }
	if nb <= 4 {
		var xb auxBuf
		x := xb.set()
		for k0 := 0; k0 < nblk; k0 += k.pass {
			kb := min(k.pass, nblk-k0)
			k.auxCols(x, kb, a[k0*k.aBytes:], aRow, nb)
			for g := g0; g < g1; g++ {
				k.group(x, kb, wg(g, k0), a[k0*k.aBytes:], aRow, nb, out[g*PackRows:], outStride, k0 > 0)
			}
		}
		return
	}
	if nb <= wideCols {
		var xw auxWide
		x := xw.set()
		pass := k.widePass()
		for k0 := 0; k0 < nblk; k0 += pass {
			kb := min(pass, nblk-k0)
			k.auxCols(x, kb, a[k0*k.aBytes:], aRow, nb)
			for g := g0; g < g1; g++ {
				k.wideGroup(x, kb, wg(g, k0), a[k0*k.aBytes:], aRow, nb, out[g*PackRows:], outStride, k0 > 0)
			}
		}
		return
	}
	var xb auxBuf
	x := xb.set()
	for gb := g0; gb < g1; gb += tileGroups {
		ge := min(gb+tileGroups, g1)
		for k0 := 0; k0 < nblk; k0 += k.tileBlocks {
			kb := min(k.tileBlocks, nblk-k0)
			for c0 := 0; c0 < nb; c0 += 4 {
				nc := min(4, nb-c0)
				ac := a[c0*aRow+k0*k.aBytes:]
				k.auxCols(x, kb, ac, aRow, nc)
				for g := gb; g < ge; g++ {
					k.group(x, kb, wg(g, k0), ac, aRow, nc, out[c0*outStride+g*PackRows:], outStride, k0 > 0)
				}
			}
		}
	}
}

// edge computes group g of p and writes its rows [lo, hi) only.
func (k *packedDriver) edge(p *Packed, g, lo, hi int, a []byte, aRow, nb int, out []float32, outStride int) {
	var xb auxBuf
	x := xb.set()
	var tmp [4 * PackRows]float32
	nblk := p.cols / p.t.BlockSize()
	i0, i1 := lo-g*PackRows, hi-g*PackRows
	for c0 := 0; c0 < nb; c0 += 4 {
		nc := min(4, nb-c0)
		for k0 := 0; k0 < nblk; k0 += k.pass {
			kb := min(k.pass, nblk-k0)
			ac := a[c0*aRow+k0*k.aBytes:]
			k.auxCols(x, kb, ac, aRow, nc)
			k.group(x, kb, &p.data[g*p.groupBytes+k0*k.blockBytes], ac, aRow, nc, tmp[:], PackRows, k0 > 0)
		}
		for c := 0; c < nc; c++ {
			copy(out[(c0+c)*outStride+lo:(c0+c)*outStride+hi], tmp[c*PackRows+i0:c*PackRows+i1])
		}
	}
}

// transient is MatMul through the packed kernels, packing rows into a
// stack buffer just before they are used: for Q4_0 and Q8_0 the
// reference's bits, without a packed copy in memory. It declines batches
// below k.minCols.
func (k *packedDriver) transient(n int, w []byte, wRow, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) bool {
	if nb < k.minCols {
		return false
	}
	var xb auxBuf
	x := xb.set()
	var buf [transientBuf]byte
	nblk := n / k.t.BlockSize()
	full := (r1 - r0) / PackRows
	switch {
	case nb <= 4:
		stream := min(tileGroups*k.tileBlocks, k.pass)
		for k0 := 0; k0 < nblk; k0 += stream {
			kb := min(stream, nblk-k0)
			k.auxCols(x, kb, a[k0*k.aBytes:], aRow, nb)
			for g := 0; g < full; g++ {
				k.pack(buf[:], w, wRow, r0+g*PackRows, PackRows, k0, kb)
				k.group(x, kb, &buf[0], a[k0*k.aBytes:], aRow, nb, out[r0+g*PackRows:], outStride, k0 > 0)
			}
		}
	case nb <= wideCols:
		var xw auxWide
		x := xw.set()
		stream := min(tileGroups*k.tileBlocks, k.widePass())
		for k0 := 0; k0 < nblk; k0 += stream {
			kb := min(stream, nblk-k0)
			k.auxCols(x, kb, a[k0*k.aBytes:], aRow, nb)
			for g := 0; g < full; g++ {
				k.pack(buf[:], w, wRow, r0+g*PackRows, PackRows, k0, kb)
				k.wideGroup(x, kb, &buf[0], a[k0*k.aBytes:], aRow, nb, out[r0+g*PackRows:], outStride, k0 > 0)
			}
		}
	default:
		for gb := 0; gb < full; gb += tileGroups {
			ng := min(tileGroups, full-gb)
			for k0 := 0; k0 < nblk; k0 += k.tileBlocks {
				kb := min(k.tileBlocks, nblk-k0)
				k.pack(buf[:], w, wRow, r0+gb*PackRows, ng*PackRows, k0, kb)
				for c0 := 0; c0 < nb; c0 += 4 {
					nc := min(4, nb-c0)
					ac := a[c0*aRow+k0*k.aBytes:]
					k.auxCols(x, kb, ac, aRow, nc)
					for g := 0; g < ng; g++ {
						k.group(x, kb, &buf[g*kb*k.blockBytes], ac, aRow, nc, out[c0*outStride+r0+(gb+g)*PackRows:], outStride, k0 > 0)
					}
				}
			}
		}
	}
	if rem := r1 - r0 - full*PackRows; rem > 0 {
		var tmp [4 * PackRows]float32
		row0 := r0 + full*PackRows
		for c0 := 0; c0 < nb; c0 += 4 {
			nc := min(4, nb-c0)
			for k0 := 0; k0 < nblk; k0 += k.tileBlocks {
				kb := min(k.tileBlocks, nblk-k0)
				ac := a[c0*aRow+k0*k.aBytes:]
				k.pack(buf[:], w, wRow, row0, rem, k0, kb)
				k.auxCols(x, kb, ac, aRow, nc)
				k.group(x, kb, &buf[0], ac, aRow, nc, tmp[:], PackRows, k0 > 0)
			}
			for c := 0; c < nc; c++ {
				copy(out[(c0+c)*outStride+row0:(c0+c)*outStride+row0+rem], tmp[c*PackRows:c*PackRows+rem])
			}
		}
	}
	return true
}

// pack writes rows [row0, row0+nr) of w, blocks [k0, k0+kb), as packed
// groups of kb blocks (the last padded with zero rows) into dst: whole
// groups with the assembly transposes, a partial one in Go.
func (k *packedDriver) pack(dst []byte, w []byte, wRow, row0, nr, k0, kb int) {
	bb := k.t.BlockBytes()
	ng := (nr + PackRows - 1) / PackRows
	_ = dst[:ng*kb*k.blockBytes]
	for g := 0; g < ng; g++ {
		d := dst[g*kb*k.blockBytes:]
		if g*PackRows+PackRows <= nr {
			r := row0 + g*PackRows
			_ = w[(r+PackRows-1)*wRow+(k0+kb)*bb-1] // the last row's last block
			src := &w[r*wRow+k0*bb]
			switch k.t {
			case Q4_0:
				packQ4_0Asm(&d[0], src, wRow, kb)
				continue
			case Q8_0:
				packQ8_0Asm(&d[0], src, wRow, kb)
				continue
			}
		}
		var rs [PackRows][]byte
		for i := range rs {
			if r := g*PackRows + i; r < nr {
				rs[i] = w[(row0+r)*wRow+k0*bb : (row0+r+1)*wRow]
			}
		}
		for b := 0; b < kb; b++ {
			// Direct calls: through a function value, dst would escape.
			switch k.t {
			case Q4_0:
				packQ4_0Block(d[b*k.blockBytes:(b+1)*k.blockBytes], rs[:], b)
			case Q8_0:
				packQ8_0Block(d[b*k.blockBytes:(b+1)*k.blockBytes], rs[:], b)
			case Q4_K:
				packQ4_KBlock(d[b*k.blockBytes:(b+1)*k.blockBytes], rs[:], b)
			}
		}
	}
}

// The packed kernels both architectures implement (matmul_amd64.s,
// matmul_arm64.s) with the same arguments.

//go:noescape
func q8_0AuxAsm(nblk int, a *byte, ys *int32, dy *float32)

//go:noescape
func gemmQ4_0x8x4Asm(nblk int, w, a *byte, aStride int, ys *int32, dy *float32, auxStride int, acc *float32, accStride int, load bool)

//go:noescape
func gemmQ4_0x8x1Asm(nblk int, w, a *byte, ys *int32, dy *float32, acc *float32, load bool)

//go:noescape
func gemmQ8_0x8x4Asm(nblk int, w, a *byte, aStride int, ys *int32, dy *float32, auxStride int, acc *float32, accStride int, load bool)

//go:noescape
func gemmQ8_0x8x1Asm(nblk int, w, a *byte, ys *int32, dy *float32, acc *float32, load bool)

//go:noescape
func packQ4_0Asm(dst, src *byte, rowBytes, nblk int)

//go:noescape
func packQ8_0Asm(dst, src *byte, rowBytes, nblk int)
