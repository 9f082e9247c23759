package kernels

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// packedTypes are the types with a packed layout.
var packedTypes = []Type{Q4_0, Q8_0, Q4_K}

// randomMatrix returns rows random weight rows of n elements and nb
// quantized activation rows.
func randomMatrix(t testing.TB, seed uint64, ty Type, rows, n, nb int) (w, a []byte) {
	r := newRand(t, seed)
	for i := 0; i < rows; i++ {
		w = append(w, randomRow(r, ty, n)...)
	}
	for b := 0; b < nb; b++ {
		a = append(a, quant(t, VecDotType(ty), randomActs(r, n))...)
	}
	return w, a
}

// matMulImpl is a set of packedTable and matMulTable entries.
type matMulImpl struct {
	name   string
	packed map[Type]packedKernel
	matMul map[Type]matMulFunc
}

// forEachMatMulImpl runs f with dispatch's matmul kernels (named Impl()),
// then with each of altMatMulImpls installed in their place; it restores
// the tables after.
func forEachMatMulImpl(f func(impl string)) {
	f(Impl())
	for _, alt := range altMatMulImpls() {
		savedP, savedM := packedTable, matMulTable
		for t, k := range alt.packed {
			packedTable[t] = k
		}
		for t, k := range alt.matMul {
			matMulTable[t] = k
		}
		func() {
			defer func() { packedTable, matMulTable = savedP, savedM }()
			f(alt.name)
		}()
	}
}

// checkGuarded runs mm into an output with a wider stride and guard bands
// of sentinels and checks every slot: rows [r0, r1) of each activation
// against want (bit for bit when exact, else within the dot tolerance),
// every other slot untouched.
func checkGuarded(t *testing.T, name string, ty Type, n, rows, nb, r0, r1 int, w, a []byte, exact bool,
	mm func(out []float32, outStride int)) float64 {
	t.Helper()
	const guard = 11
	outStride := rows + 3
	buf := make([]float32, guard+nb*outStride+guard)
	for i := range buf {
		buf[i] = math.Float32frombits(sentinel)
	}
	out := buf[guard : guard+nb*outStride]
	mm(out, outStride)
	wRow, aRow := mustRowBytes(t, ty, n), mustRowBytes(t, VecDotType(ty), n)
	var worst float64
	for i, v := range buf {
		o := i - guard
		b, row := o/outStride, o%outStride
		if o < 0 || o >= len(out) || row < r0 || row >= r1 {
			if math.Float32bits(v) != sentinel {
				t.Fatalf("%s %v rows [%d,%d) nb=%d: out offset %d overwritten with %v", name, ty, r0, r1, nb, o, v)
			}
			continue
		}
		wr, ar := w[row*wRow:(row+1)*wRow], a[b*aRow:(b+1)*aRow]
		want := dotGeneric[ty](n, wr, ar)
		if exact {
			if math.Float32bits(v) != math.Float32bits(want) {
				t.Fatalf("%s %v n=%d: out[%d*%d+%d] = %v, reference dot %v", name, ty, n, b, outStride, row, v, want)
			}
			continue
		}
		rel := math.Abs(float64(v)-float64(want)) / (dotScale(t, ty, wr, ar, n) + 1e-300)
		if !(rel <= dotRelTol) {
			t.Fatalf("%s %v n=%d: out[%d*%d+%d] = %v, reference dot %v (rel %g)", name, ty, n, b, outStride, row, v, want, rel)
		}
		worst = math.Max(worst, rel)
	}
	return worst
}

// TestMatMulPackedGuarded checks MatMulPacked against the reference dots
// on matrices whose row count is not a multiple of PackRows, on aligned
// sub-ranges, for batch sizes around the kernels' column tiles.
func TestMatMulPackedGuarded(t *testing.T) {
	forEachMatMulImpl(func(impl string) {
		t.Logf("kernels: %s", impl)
		testMatMulPackedGuarded(t)
	})
}

func testMatMulPackedGuarded(t *testing.T) {
	seed := uint64(40)
	for _, ty := range packedTypes {
		for _, sh := range []struct{ rows, blocks int }{{1, 1}, {7, 3}, {8, 1}, {13, 2}, {24, 5}, {37, 17}, {16, 70}} {
			n := sh.blocks * ty.BlockSize()
			for _, nb := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17} {
				seed++
				w, a := randomMatrix(t, seed, ty, sh.rows, n, nb)
				p, ok := Repack(ty, sh.rows, n, w)
				if !ok {
					t.Fatalf("%v: no packed layout", ty)
				}
				ranges := [][2]int{{0, sh.rows}, {sh.rows / 2, sh.rows}, {sh.rows / 3, sh.rows / 2}}
				if sh.rows > 8 {
					ranges = append(ranges, [2]int{8, sh.rows}, [2]int{0, 8}, [2]int{3, 5}, [2]int{5, sh.rows - 1})
				}
				if sh.rows > 16 {
					ranges = append(ranges, [2]int{8, 16}, [2]int{16, 16}, [2]int{7, 17})
				}
				for _, rr := range ranges {
					checkGuarded(t, "MatMulPacked", ty, n, sh.rows, nb, rr[0], rr[1], w, a, ty != Q4_K,
						func(out []float32, stride int) { MatMulPacked(p, rr[0], rr[1], a, nb, out, stride) })
				}
			}
		}
	}
}

func TestRepackLayout(t *testing.T) {
	// Element j of row i of a Q4_0 matrix, read back from the packed bytes
	// through the documented layout.
	const rows, n = 11, 64
	w, _ := randomMatrix(t, 50, Q4_0, rows, n, 0)
	p, _ := Repack(Q4_0, rows, n, w)
	if want := 2 * PackRows * n / 32 * q4_0Bytes; p.Bytes() != want {
		t.Fatalf("packed %d bytes, want %d", p.Bytes(), want)
	}
	for i := 0; i < 16; i++ {
		for b := 0; b < n/32; b++ {
			g, li := i/PackRows, i%PackRows
			blk := p.data[g*p.groupBytes+b*PackRows*q4_0Bytes:]
			for j := 0; j < 16; j++ {
				got := blk[16+32*(j/4)+4*li+j%4]
				var want byte
				if i < rows {
					want = w[i*n/32*q4_0Bytes+b*q4_0Bytes+2+j]
				}
				if got != want {
					t.Fatalf("row %d block %d byte %d: packed %#x, want %#x", i, b, j, got, want)
				}
			}
		}
	}
	if p.Type() != Q4_0 || p.Rows() != rows || p.Cols() != n {
		t.Fatal("accessors")
	}
}

func TestRepackMisuse(t *testing.T) {
	if p, ok := Repack(Q4_K, 8, 256, make([]byte, 8*144)); ok || p != nil {
		if !CanRepack(Q4_K) {
			t.Fatal("Repack accepted a type CanRepack refuses")
		}
	}
	w, a := randomMatrix(t, 51, Q4_0, 16, 64, 2)
	p, _ := Repack(Q4_0, 16, 64, w)
	out := make([]float32, 64)
	cases := []struct {
		name string
		f    func()
		msg  string
	}{
		{"wrong length", func() { Repack(Q4_0, 16, 64, w[:len(w)-1]) }, "not a"},
		{"partial block", func() { Repack(Q4_0, 16, 48, w) }, "not a"},
		{"r1 < r0", func() { MatMulPacked(p, 9, 8, a, 1, out, 16) }, "bad ranges"},
		{"r1 > rows", func() { MatMulPacked(p, 0, 24, a, 1, out, 24) }, "bad ranges"},
		{"overlap", func() { MatMulPacked(p, 0, 16, a, 2, out, 8) }, "bad ranges"},
		{"short a", func() { MatMulPacked(p, 0, 16, a, 3, out, 16) }, "too short"},
		{"short out", func() { MatMulPacked(p, 0, 16, a, 2, out[:31], 16) }, "too short"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				p := recover()
				if s := fmt.Sprint(p); !strings.Contains(s, c.msg) {
					t.Errorf("%s: panic %v, want one mentioning %q", c.name, p, c.msg)
				}
			}()
			c.f()
		}()
	}
	MatMulPacked(p, 8, 8, nil, 1, nil, 0) // empty range: no-op
}

func TestMatMulPackedDoesNotAllocate(t *testing.T) {
	for _, ty := range packedTypes {
		w, a := randomMatrix(t, 52, ty, 24, 512, 5)
		p, _ := Repack(ty, 24, 512, w)
		out := make([]float32, 5*24)
		if n := testing.AllocsPerRun(10, func() { MatMulPacked(p, 0, 24, a, 5, out, 24) }); n != 0 {
			t.Errorf("%v: %v allocations", ty, n)
		}
	}
}

// BenchmarkMatMulImpl times a 64-row x 4096 slice of a matrix (in L2, so
// compute-bound) against nb activation rows: MatMul with the reference
// dots ("ref"), MatMul as dispatched ("matmul") and MatMulPacked
// ("packed"). Bytes are weight bytes per call; "ns/dot" is per row and
// activation.
func BenchmarkMatMulImpl(b *testing.B) {
	const n, rows = 4096, 64
	for _, ty := range []Type{Q4_0, Q8_0, Q4_K, Q5_K, Q6_K} {
		for _, nb := range []int{1, 4, 16, 64} {
			w, a := randomMatrix(b, 60, ty, rows, n, nb)
			out := make([]float32, nb*rows)
			p, packable := Repack(ty, rows, n, w)
			run := func(name string, f func()) {
				b.Run(fmt.Sprintf("%v/nb=%d/path=%s", ty, nb, name), func(b *testing.B) {
					b.SetBytes(int64(len(w)))
					cpuLoop(b, f)
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows*nb), "ns/dot")
				})
			}
			if nb <= 4 {
				run("ref", func() {
					saved, savedMM := dotTable[ty], matMulTable[ty]
					dotTable[ty], matMulTable[ty] = dotGeneric[ty], nil
					MatMul(ty, n, w, 0, rows, a, nb, out, rows)
					dotTable[ty], matMulTable[ty] = saved, savedMM
				})
			}
			run("matmul", func() { MatMul(ty, n, w, 0, rows, a, nb, out, rows) })
			if packable {
				run("packed", func() { MatMulPacked(p, 0, rows, a, nb, out, rows) })
			}
		}
	}
}

// BenchmarkMatMulStream is decode's case: one activation row against a
// matrix far larger than the caches (16384 x 4096), one thread, so the
// figure is this core's streaming rate for the type.
func BenchmarkMatMulStream(b *testing.B) {
	const n, rows = 4096, 16384
	for _, ty := range []Type{Q4_0, Q8_0, Q4_K, Q6_K} {
		w, a := randomMatrix(b, 61, ty, 64, n, 1)
		for total := len(w) * (rows / 64); len(w) < total; {
			w = append(w, w...)
		}
		out := make([]float32, rows)
		p, packable := Repack(ty, rows, n, w)
		b.Run(fmt.Sprintf("%v/path=matmul", ty), func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			cpuLoop(b, func() { MatMul(ty, n, w, 0, rows, a, 1, out, rows) })
		})
		if packable {
			b.Run(fmt.Sprintf("%v/path=packed", ty), func(b *testing.B) {
				b.SetBytes(int64(len(w)))
				cpuLoop(b, func() { MatMulPacked(p, 0, rows, a, 1, out, rows) })
			})
		}
	}
}

// TestMatMulAsmVsReference checks MatMul as dispatched (row dots, two-row
// dots, transient packing, by batch size) against the reference dots with
// guard bands: bit for bit for Q4_0 and Q8_0, within the dot tolerance for
// the others.
func TestMatMulAsmVsReference(t *testing.T) {
	forEachMatMulImpl(func(impl string) { testMatMulAsmVsReference(t, impl) })
}

func testMatMulAsmVsReference(t *testing.T, impl string) {
	seed := uint64(70)
	worst := map[Type]float64{}
	for _, ty := range asmDotTypes {
		exact := ty == Q4_0 || ty == Q8_0
		for _, sh := range []struct{ rows, blocks int }{{1, 1}, {3, 2}, {8, 3}, {13, 9}, {33, 5}, {17, 70}} {
			n := sh.blocks * ty.BlockSize()
			if ty.BlockSize() == 1 {
				n = sh.blocks*32 + 7
			}
			for _, nb := range []int{1, 2, 3, 4, 5, 6, 9, 16, 17} {
				seed++
				w, a := randomMatrix(t, seed, ty, sh.rows, n, nb)
				for _, rr := range [][2]int{{0, sh.rows}, {1, sh.rows}, {sh.rows / 2, sh.rows}} {
					rel := checkGuarded(t, "MatMul", ty, n, sh.rows, nb, rr[0], rr[1], w, a, exact,
						func(out []float32, stride int) { MatMul(ty, n, w, rr[0], rr[1], a, nb, out, stride) })
					worst[ty] = math.Max(worst[ty], rel)
				}
			}
		}
	}
	for _, ty := range asmDotTypes {
		t.Logf("%v (%s): max |MatMul - reference| / sum|w*a| = %.2e", ty, impl, worst[ty])
	}
}

// TestMatMulMatchesDot: whatever kernel MatMul picks for a batch (row
// dots, packed Q4_0/Q8_0 kernels, the multi-column Q6_K dot), each result
// has the bits of Dot on that row and activation, for every batch size.
func TestMatMulMatchesDot(t *testing.T) {
	seed := uint64(80)
	for _, ty := range asmDotTypes {
		dot, _ := Dot(ty)
		for _, sh := range []struct{ rows, blocks int }{{5, 1}, {9, 3}, {4, 9}} {
			n := sh.blocks * ty.BlockSize()
			if ty.BlockSize() == 1 {
				n = sh.blocks*32 + 7
			}
			wRow, aRow := mustRowBytes(t, ty, n), mustRowBytes(t, VecDotType(ty), n)
			for _, nb := range []int{1, 2, 3, 4, 5, 7, 8, 9} {
				seed++
				w, a := randomMatrix(t, seed, ty, sh.rows, n, nb)
				out := make([]float32, nb*sh.rows)
				MatMul(ty, n, w, 0, sh.rows, a, nb, out, sh.rows)
				for c := 0; c < nb; c++ {
					for r := 0; r < sh.rows; r++ {
						want := dot(n, w[r*wRow:(r+1)*wRow], a[c*aRow:(c+1)*aRow])
						if got := out[c*sh.rows+r]; math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%v (%s) n=%d nb=%d: MatMul out[%d][%d] = %v, Dot %v", ty, Impl(), n, nb, c, r, got, want)
						}
					}
				}
			}
		}
	}
}

// TestMatMulLargeShapes covers what the small shapes above do not reach:
// rows longer than a pass of the packed drivers (auxBlocks and vnniPass
// blocks of Q4_0 and Q8_0, auxKBlocks of Q4_K), batches of several
// column chunks, and transient tiles of several pairs of groups with
// either kind of last rows (5 or 13 past the last whole pair). The
// reference dots are computed once per matrix.
func TestMatMulLargeShapes(t *testing.T) {
	rowCounts, batches := []int{85, 93}, []int{1, 3, 8, 20}
	if testing.Short() {
		rowCounts, batches = []int{93}, []int{3, 20}
	}
	seed := uint64(90)
	for _, ty := range packedTypes {
		blocks := 520
		if ty == Q4_K {
			blocks = 70
		}
		n := blocks * ty.BlockSize()
		wRow, aRow := mustRowBytes(t, ty, n), mustRowBytes(t, VecDotType(ty), n)
		for _, rows := range rowCounts {
			for _, nb := range batches {
				seed++
				w, a := randomMatrix(t, seed, ty, rows, n, nb)
				p, _ := Repack(ty, rows, n, w)
				want, tol := make([]float32, nb*rows), make([]float64, nb*rows)
				for c := 0; c < nb; c++ {
					for r := 0; r < rows; r++ {
						wr, ar := w[r*wRow:(r+1)*wRow], a[c*aRow:(c+1)*aRow]
						want[c*rows+r] = dotGeneric[ty](n, wr, ar)
						if ty == Q4_K { // packed Q4_K sums in another float order
							tol[c*rows+r] = dotRelTol * dotScale(t, ty, wr, ar, n)
						}
					}
				}
				forEachMatMulImpl(func(impl string) {
					for _, rr := range [][2]int{{0, rows}, {8, 72}, {3, rows - 2}} {
						for _, packed := range []bool{false, true} {
							out := make([]float32, nb*rows)
							for i := range out {
								out[i] = math.Float32frombits(sentinel)
							}
							if packed {
								MatMulPacked(p, rr[0], rr[1], a, nb, out, rows)
							} else {
								MatMul(ty, n, w, rr[0], rr[1], a, nb, out, rows)
							}
							for i, v := range out {
								c, r := i/rows, i%rows
								switch {
								case r < rr[0] || r >= rr[1]:
									if math.Float32bits(v) != sentinel {
										t.Fatalf("%v %s packed=%v rows [%d,%d) nb=%d: out[%d][%d] written", ty, impl, packed, rr[0], rr[1], nb, c, r)
									}
								case ty == Q4_K && !(math.Abs(float64(v)-float64(want[i])) <= tol[i]),
									ty != Q4_K && math.Float32bits(v) != math.Float32bits(want[i]):
									t.Fatalf("%v %s packed=%v rows %d nb=%d n=%d: out[%d][%d] = %v, reference %v", ty, impl, packed, rows, nb, n, c, r, v, want[i])
								}
							}
						}
					}
				})
			}
		}
	}
}

func TestRepackInfo(t *testing.T) {
	for _, ty := range weightTypes {
		info := RepackInfo(ty)
		if !CanRepack(ty) && (info.Fast || info.SameBits) {
			t.Errorf("%v: %+v for a type without a packed layout", ty, info)
		}
		t.Logf("%v (%s): CanRepack %v, %+v", ty, Impl(), CanRepack(ty), info)
	}
	if Impl() == "generic" && RepackInfo(Q4_0).Fast {
		t.Error("the generic kernels are not fast")
	}
}

// BenchmarkMatMulPackedBatch is MatMulPacked on one thread for the batch
// sizes of multi-sequence decode (nb = 2..16) around single-stream decode
// (1) and prefill (64), on three shapes: a 64 x 4096 slice ("l2":
// compute-bound), a 4096 x 4096 matrix ("l3": 9 MiB of Q4_0) and a
// 16384 x 4096 one ("dram": 36 MiB of Q4_0, more than this L3, streamed
// from memory as in a decode step) in calls of 1024 rows, one thread's
// share of a matrix in the engine. "GMAC/s" counts weight x activation
// multiply-adds per second of the thread's CPU time (of wall time where
// thread CPU time is not measured).
func BenchmarkMatMulPackedBatch(b *testing.B) {
	const n = 4096
	for _, ty := range packedTypes {
		for _, sh := range []struct {
			name        string
			rows, chunk int
		}{{"l2", 64, 64}, {"l3", 4096, 4096}, {"dram", 16384, 1024}} {
			w, _ := randomMatrix(b, 62, ty, 64, n, 0)
			for total := sh.rows / 64 * len(w); len(w) < total; {
				w = append(w, w...)
			}
			w = w[:sh.rows*mustRowBytes(b, ty, n)]
			p, _ := Repack(ty, sh.rows, n, w)
			for _, nb := range []int{1, 2, 4, 8, 16, 64} {
				_, a := randomMatrix(b, 63, ty, 0, n, nb)
				out := make([]float32, nb*sh.rows)
				b.Run(fmt.Sprintf("%v/%s/nb=%d", ty, sh.name, nb), func(b *testing.B) {
					ns := cpuLoop(b, func() {
						for r := 0; r < sh.rows; r += sh.chunk {
							MatMulPacked(p, r, r+sh.chunk, a, nb, out, sh.rows)
						}
					})
					if ns <= 0 {
						ns = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
					}
					b.ReportMetric(float64(sh.rows*n*nb)/ns, "GMAC/s")
				})
			}
		}
	}
}
