package kernels

import (
	"encoding/binary"
	"math"
	"testing"
)

// Fuzz targets comparing the dispatched kernels (assembly where the CPU has
// it) with the references on arbitrary input. FuzzDot (fuzz_test.go)
// covers the dot products. Run one with e.g.
// `go test -run '^$' -fuzz FuzzVecAsm -fuzztime 20s ./kernels/`.

// FuzzQuantizeAsm: the activation quantizers give the references' bytes
// for any float bits.
func FuzzQuantizeAsm(f *testing.F) {
	f.Add(byte(0), seedBytes(4*QK_K, 1))
	f.Add(byte(1), seedBytes(4*QK_K, 2))
	f.Add(byte(2), seedBytes(4*33, 3))
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		q := quantRefs[int(sel)%len(quantRefs)]
		x := floatsFromBytes(data)
		bs := q.t.BlockSize()
		x = x[:len(x)/bs*bs]
		rb := rowSize(q.t, len(x))
		want := make([]byte, rb)
		q.ref(x, want)
		got := make([]byte, rb+8)
		if err := Quantize(q.t, x, got[:rb]); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%v (%s): byte %d = %#02x, reference %#02x", q.t, Impl(), i, got[i], want[i])
			}
		}
		for _, b := range got[rb:] {
			if b != 0 {
				t.Fatalf("%v: wrote past the row", q.t)
			}
		}
	})
}

// FuzzVecAsm: every dispatched vector operation gives the reference's bits
// for any input.
func FuzzVecAsm(f *testing.F) {
	f.Add(seedBytes(4*37, 1), float32(0.5))
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 1, 0, 0xc0, 0x7f}, float32(-2))
	f.Fuzz(func(t *testing.T, data []byte, alpha float32) {
		x := floatsFromBytes(data)
		n := len(x)
		y := make([]float32, n)
		for i := range y {
			y[i] = x[n-1-i]
		}
		h := make([]uint16, n)
		for i := range h {
			h[i] = uint16(math.Float32bits(x[i]) >> 7)
		}
		ops := []struct {
			name string
			run  func(v vecImpl, d []float32)
		}{
			{"Softmax", func(v vecImpl, d []float32) { v.softmax(d) }},
			{"SiLU", func(v vecImpl, d []float32) { v.siLU(d) }},
			{"SiLUMul", func(v vecImpl, d []float32) { v.siLUMul(d, y) }},
			{"Axpy", func(v vecImpl, d []float32) { v.axpy(d, alpha, y) }},
			{"AxpyF16", func(v vecImpl, d []float32) { v.axpyF16(d, alpha, h) }},
			{"DotF16", func(v vecImpl, d []float32) {
				if len(d) > 0 {
					h2 := make([]uint16, len(d))
					for i := range h2 {
						h2[i] = uint16(math.Float32bits(d[i]))
					}
					d[0] = v.dotF16(h, h2)
				}
			}},
			{"Scale", func(v vecImpl, d []float32) { v.scale(d, alpha) }},
			{"Add", func(v vecImpl, d []float32) { v.add(d, d, y) }},
			{"F16ToF32Row", func(v vecImpl, d []float32) { v.f16ToF32Row(d, h) }},
			{"F32ToF16Row", func(v vecImpl, d []float32) {
				o := make([]uint16, n)
				v.f32ToF16Row(o, d)
				for i := range d {
					d[i] = float32(o[i])
				}
			}},
		}
		for _, op := range ops {
			want := append([]float32(nil), x...)
			got := append([]float32(nil), x...)
			op.run(vecGeneric, want)
			op.run(vecTable, got)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s n=%d (%s): [%d] = %#08x, reference %#08x", op.name, n, Impl(), i,
						math.Float32bits(got[i]), math.Float32bits(want[i]))
				}
			}
		}
	})
}

// FuzzMatMulAsm: MatMul and MatMulPacked of Q4_0 and Q8_0 matrices (any
// quant bits, scales from the input) give the reference dots' bits, for
// any row range and batch size (up to 20: more than one column chunk of
// the VNNI kernels), with every matmul implementation this CPU runs.
func FuzzMatMulAsm(f *testing.F) {
	f.Add(byte(0), byte(13), byte(5), byte(2), byte(11), seedBytes(2000, 1))
	f.Add(byte(1), byte(8), byte(1), byte(0), byte(8), seedBytes(3000, 2))
	f.Fuzz(func(t *testing.T, sel, rows, nb, r0, r1 byte, data []byte) {
		ty := []Type{Q4_0, Q8_0}[int(sel)%2]
		nr, nc := int(rows%40)+1, int(nb%20)+1
		lo, hi := int(r0)%nr, int(r1)%(nr+1)
		if lo > hi {
			lo, hi = hi, lo
		}
		nblk := 1 + len(data)/(600*nr+1)%20
		n := nblk * ty.BlockSize()
		wRow := rowSize(ty, n)
		w := make([]byte, nr*wRow)
		for i := range w {
			if len(data) > 0 {
				w[i] = data[(i*7)%len(data)]
			}
		}
		// Finite, modest scales keep the sums away from overflow.
		for o := 0; o < len(w); o += ty.BlockBytes() {
			binary.LittleEndian.PutUint16(w[o:], uint16(0x1000+int(w[o])<<3)&0x3fff)
		}
		x := make([]float32, nc*n)
		for i := range x {
			if len(data) > 0 {
				x[i] = float32(int8(data[(i*13+5)%len(data)])) / 8
			}
		}
		a := make([]byte, nc*rowSize(Q8_0, n))
		if err := Quantize(Q8_0, x, a); err != nil {
			t.Fatal(err)
		}
		p, _ := Repack(ty, nr, n, w)
		aRow := rowSize(Q8_0, n)
		forEachMatMulImpl(func(impl string) {
			for _, packed := range []bool{false, true} {
				out := make([]float32, nc*nr)
				for i := range out {
					out[i] = math.Float32frombits(sentinel)
				}
				if packed {
					MatMulPacked(p, lo, hi, a, nc, out, nr)
				} else {
					MatMul(ty, n, w, lo, hi, a, nc, out, nr)
				}
				for c := 0; c < nc; c++ {
					for r := 0; r < nr; r++ {
						v := out[c*nr+r]
						if r < lo || r >= hi {
							if math.Float32bits(v) != sentinel {
								t.Fatalf("%v packed=%v (%s): row %d outside [%d,%d) written", ty, packed, impl, r, lo, hi)
							}
							continue
						}
						want := dotGeneric[ty](n, w[r*wRow:(r+1)*wRow], a[c*aRow:(c+1)*aRow])
						if math.Float32bits(v) != math.Float32bits(want) {
							t.Fatalf("%v packed=%v (%s) rows %d nb %d n %d: out[%d][%d] = %v, reference %v", ty, packed, impl, nr, nc, n, c, r, v, want)
						}
					}
				}
			}
		})
	})
}
