//go:build !purego && !noasm

package kernels

// The packed Q4_0 and Q8_0 matmul for CPUs with AVX-512 VNNI
// (useAVX512VNNI): the kernels of matmul_vnni_amd64.s, which
// genVNNIAsm (matmul_vnni_gen_test.go) writes, and their tiling driver.
// useVNNIPacked installs them over the AVX2 entries of packedTable and
// matMulTable (MatMulPacked of one column excepted, see vnniPacked);
// Q4_K keeps the AVX2 kernels.
//
// A kernel call computes two packed groups (vnniRows = 16 rows, one zmm
// lane per row) against up to eight activation columns, unpacking each
// weight vector once for all of them; VPDPBUSD takes the activation dword
// as a broadcast memory operand, so per 16 rows and column a block costs
// 8 VPDPBUSD and the 5 float steps of the reference's order. On Zen 4 it
// runs at about 5 cycles per 8 rows x 32 elements and column against
// 9.3 for the AVX2 8x4 kernel (measured in L1), near the limit set by the
// two pipes that do both VPDPBUSD and VMULPS; it prefetches the next pair
// of groups, which decode streams from DRAM (see the .s file).
//
// The driver computes the per-block activation data (aux records) once
// per column and pass, not once per tile:
//
//   - packed (MatMulPacked): for each chunk of up to vnniCols columns
//     (all of a decode step's, for up to 16 sequences), and each pass of
//     up to vnniPass blocks, the aux records, then every pair of groups
//     in order: the weights are read once per chunk, as one sequential
//     stream per group;
//   - transient (MatMul, two or more columns): rows are packed a pair of
//     groups at a time into a stack buffer (up to 16 columns: aux once
//     per pass) or four pairs at a time over 32..60 blocks (more columns,
//     prefill: the buffer is reused by every column chunk).
//
// Groups that are cut by the row range, an odd group at its end and a
// transient range's last rows are computed alone (the kernel's second
// group pointing at the first) into a temporary.
//
//go:generate go test -run TestVNNIAsmUpToDate -update-vnni .

const (
	vnniRows = 2 * PackRows // rows of one kernel call: two packed groups
	vnniCols = 16           // columns of one aux record (two kernel calls)
	vnniRec  = 128          // aux bytes per block: int32 ys[16], float32 dy[16]
	vnniPass = 256          // most blocks per pass (8192 elements): 32 KiB of aux
)

// vnniAux holds the aux records of up to vnniPass blocks: for block b and
// column c < vnniCols, ys at b*vnniRec+4c and dy at b*vnniRec+64+4c.
type vnniAux [vnniPass * vnniRec]byte

func useVNNIPacked() {
	packedTable[Q4_0] = matMulPackedQ4_0VNNI
	packedTable[Q8_0] = matMulPackedQ8_0VNNI
	matMulTable[Q4_0] = matMulQ4_0VNNI
	matMulTable[Q8_0] = matMulQ8_0VNNI
}

func matMulPackedQ4_0VNNI(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	driverQ4_0.vnniPacked(p, r0, r1, a, aRow, nb, out, outStride)
}

func matMulPackedQ8_0VNNI(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	driverQ8_0.vnniPacked(p, r0, r1, a, aRow, nb, out, outStride)
}

func matMulQ4_0VNNI(n int, w []byte, wRow, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) bool {
	return driverQ4_0.vnniTransient(n, w, wRow, r0, r1, a, aRow, nb, out, outStride)
}

func matMulQ8_0VNNI(n int, w []byte, wRow, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) bool {
	return driverQ8_0.vnniTransient(n, w, wRow, r0, r1, a, aRow, nb, out, outStride)
}

// vnniAuxCols fills the aux slots of nc <= vnniCols columns (aRow bytes
// apart from a) for kb <= vnniPass blocks: ys = 8*sum(y) for Q4_0's
// nibble offset, 128*sum(y) for Q8_0's byte offset.
func (k *packedDriver) vnniAuxCols(x *vnniAux, kb int, a []byte, aRow, nc int) {
	shift := 3
	if k.t == Q8_0 {
		shift = 7
	}
	_ = x[(kb-1)*vnniRec+64+4*nc-1]
	for c := 0; c < nc; c++ {
		_ = a[c*aRow+kb*q8_0Bytes-1]
		q8_0AuxVNNIAsm(kb, &a[c*aRow], shift, &x[4*c])
	}
}

// vnniCall runs the pair of groups at w (the second wStride bytes on; the
// first again when wStride is 0) over kb blocks against nc <= vnniCols
// columns at a with their aux records in x; the 16 row sums of column c
// go to out[c*outStride : c*outStride+16] (continued from there when
// load).
func (k *packedDriver) vnniCall(x *vnniAux, kb int, w []byte, wStride int, a []byte, aRow, nc int, out []float32, outStride int, load bool) {
	_ = w[wStride+kb*k.blockBytes-1]
	for c0 := 0; c0 < nc; c0 += 8 {
		n := min(8, nc-c0)
		_ = a[(c0+n-1)*aRow+kb*q8_0Bytes-1]
		_ = out[(c0+n-1)*outStride+vnniRows-1]
		switch k.t {
		case Q4_0:
			gemmQ4_0x16VNNIAsm(kb, &w[0], wStride, &a[c0*aRow], aRow, n, &x[4*c0], &out[c0*outStride], 4*outStride, load)
		case Q8_0:
			gemmQ8_0x16VNNIAsm(kb, &w[0], wStride, &a[c0*aRow], aRow, n, &x[4*c0], &out[c0*outStride], 4*outStride, load)
		}
	}
}

// vnniSingle is a group computed alone: rows [lo, hi) of group g.
type vnniSingle struct{ g, lo, hi int }

// vnniPacked computes rows [r0, r1) of p against nb activation columns.
// One column (single-sequence decode) keeps the AVX2 driver: its
// one-column kernel reads one sequential stream, and the engine decoded
// no faster with the VNNI kernel (TinyLlama Q4_0, 2 threads: 37-38
// against 39-42 tok/s), though alone on a core the VNNI kernel streams
// faster (34 against 30 GB/s).
func (k *packedDriver) vnniPacked(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	if nb == 1 {
		k.packed(p, r0, r1, a, aRow, nb, out, outStride)
		return
	}
	k.vnniPackedAll(p, r0, r1, a, aRow, nb, out, outStride)
}

// vnniPackedAll is vnniPacked with the VNNI kernels for any nb.
func (k *packedDriver) vnniPackedAll(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	var singles [3]vnniSingle
	ns := 0
	g0, g1 := (r0+PackRows-1)/PackRows, r1/PackRows // whole groups
	if g0 > g1 {                                    // inside one group
		singles[0] = vnniSingle{r0 / PackRows, r0, r1}
		ns, g0, g1 = 1, 0, 0
	} else {
		if r0 < g0*PackRows {
			singles[ns] = vnniSingle{g0 - 1, r0, g0 * PackRows}
			ns++
		}
		if r1 > g1*PackRows {
			singles[ns] = vnniSingle{g1, g1 * PackRows, r1}
			ns++
		}
		if (g1-g0)%2 != 0 {
			g1--
			singles[ns] = vnniSingle{g1, g1 * PackRows, (g1 + 1) * PackRows}
			ns++
		}
	}
	var x vnniAux
	var tmp [3][vnniCols * vnniRows]float32
	nblk := p.cols / p.t.BlockSize()
	gb := p.groupBytes
	for c0 := 0; c0 < nb; c0 += vnniCols {
		cc := min(vnniCols, nb-c0)
		for k0 := 0; k0 < nblk; k0 += vnniPass {
			kb := min(vnniPass, nblk-k0)
			ak := a[c0*aRow+k0*k.aBytes:]
			k.vnniAuxCols(&x, kb, ak, aRow, cc)
			for g := g0; g < g1; g += 2 {
				k.vnniCall(&x, kb, p.data[g*gb+k0*k.blockBytes:], gb, ak, aRow, cc, out[c0*outStride+g*PackRows:], outStride, k0 > 0)
			}
			for i, s := range singles[:ns] {
				k.vnniCall(&x, kb, p.data[s.g*gb+k0*k.blockBytes:], 0, ak, aRow, cc, tmp[i][:], vnniRows, k0 > 0)
			}
		}
		for i, s := range singles[:ns] {
			i0, i1 := s.lo-s.g*PackRows, s.hi-s.g*PackRows
			for c := 0; c < cc; c++ {
				copy(out[(c0+c)*outStride+s.lo:(c0+c)*outStride+s.hi], tmp[i][c*vnniRows+i0:c*vnniRows+i1])
			}
		}
	}
}

// vnniTransient is MatMul through the VNNI kernels, packing rows into a
// stack buffer just before they are used. It declines batches below
// k.minCols (decode keeps the row dots; see packedDriver.minCols).
func (k *packedDriver) vnniTransient(n int, w []byte, wRow, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) bool {
	if nb < k.minCols {
		return false
	}
	var x vnniAux
	var buf [transientBuf]byte
	nblk := n / k.t.BlockSize()
	pairBytes := 2 * k.blockBytes // a block of a pair of groups
	pairs := (r1 - r0) / vnniRows
	// Up to vnniCols columns: one pair per pack, and the aux records once
	// per pass. More: four pairs per pack, reused by every column chunk.
	tp, kt := 1, min(vnniPass, transientBuf/pairBytes)
	if nb > vnniCols {
		tp = 4
		kt = transientBuf / (tp * pairBytes)
	}
	for k0 := 0; k0 < nblk; k0 += kt {
		kb := min(kt, nblk-k0)
		gs := kb * k.blockBytes // bytes between packed groups
		if nb <= vnniCols {
			k.vnniAuxCols(&x, kb, a[k0*k.aBytes:], aRow, nb)
		}
		for p0 := 0; p0 < pairs; p0 += tp {
			np := min(tp, pairs-p0)
			k.pack(buf[:], w, wRow, r0+p0*vnniRows, np*vnniRows, k0, kb)
			for c0 := 0; c0 < nb; c0 += vnniCols {
				cc := min(vnniCols, nb-c0)
				ak := a[c0*aRow+k0*k.aBytes:]
				if nb > vnniCols {
					k.vnniAuxCols(&x, kb, ak, aRow, cc)
				}
				for q := 0; q < np; q++ {
					k.vnniCall(&x, kb, buf[2*q*gs:], gs, ak, aRow, cc, out[c0*outStride+r0+(p0+q)*vnniRows:], outStride, k0 > 0)
				}
			}
		}
	}
	if rem := r1 - r0 - pairs*vnniRows; rem > 0 {
		var tmp [vnniCols * vnniRows]float32
		row0 := r0 + pairs*vnniRows
		kt := min(vnniPass, transientBuf/pairBytes)
		for c0 := 0; c0 < nb; c0 += vnniCols {
			cc := min(vnniCols, nb-c0)
			for k0 := 0; k0 < nblk; k0 += kt {
				kb := min(kt, nblk-k0)
				ak := a[c0*aRow+k0*k.aBytes:]
				k.pack(buf[:], w, wRow, row0, rem, k0, kb)
				k.vnniAuxCols(&x, kb, ak, aRow, cc)
				ws := 0 // one group packed: compute it twice
				if rem > PackRows {
					ws = kb * k.blockBytes
				}
				k.vnniCall(&x, kb, buf[:], ws, ak, aRow, cc, tmp[:], vnniRows, k0 > 0)
			}
			for c := 0; c < cc; c++ {
				copy(out[(c0+c)*outStride+row0:(c0+c)*outStride+row0+rem], tmp[c*vnniRows:c*vnniRows+rem])
			}
		}
	}
	return true
}

//go:noescape
func q8_0AuxVNNIAsm(nblk int, a *byte, shift int, rec *byte)

//go:noescape
func gemmQ4_0x16VNNIAsm(nblk int, w *byte, wStride int, a *byte, aStride int, nc int, aux *byte, acc *float32, accStride int, load bool)

//go:noescape
func gemmQ8_0x16VNNIAsm(nblk int, w *byte, wStride int, a *byte, aStride int, nc int, aux *byte, acc *float32, accStride int, load bool)
