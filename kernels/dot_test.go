package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

// rowLengths returns the row lengths tested for a type: 1, 2, 3, 7 and 16
// blocks, and odd lengths for the float types.
func rowLengths(ty Type) []int {
	if ty.BlockSize() == 1 {
		return []int{1, 2, 3, 7, 31, 256, 1000, 4097}
	}
	var ns []int
	for _, b := range []int{1, 2, 3, 7, 16} {
		ns = append(ns, b*ty.BlockSize())
	}
	return ns
}

// q81MinAllowance is the part of a Q4_1/Q5_1 dot that legitimately differs
// from the dequantized reference: ggml applies each weight block's minimum
// m as m*s, with s = fp16(d*sum(q)) stored in the Q8_1 block, while the
// dequantized activations sum to fp16(d)*sum(q). The difference is exactly
// computable, so it is allowed for exactly, not by loosening the tolerance.
func q81MinAllowance(ty Type, w, a []byte) float64 {
	if ty != Q4_1 && ty != Q5_1 {
		return 0
	}
	var allow float64
	wb := ty.BlockBytes()
	for i := 0; i < len(w)/wb; i++ {
		x, y := w[i*wb:], a[i*q8_1Bytes:(i+1)*q8_1Bytes]
		var sumq int
		for _, q := range y[4:36] {
			sumq += int(int8(q))
		}
		m := float64(f16at(x[2:]))
		s, d := float64(f16at(y[2:])), float64(f16at(y[0:]))
		allow += math.Abs(m * (s - d*float64(sumq)))
	}
	return allow
}

// limitActs scales x down so its largest magnitude is at most m. Q8_1
// stores s = d*sum(q) as a half, which overflows to infinity once
// |amax/127 * sum(q)| > 65504 (amax beyond about 2000); ggml has the same
// limit, and the tests keep Q8_1 activations below it.
func limitActs(x []float32, m float64) {
	var amax float64
	for _, v := range x {
		amax = math.Max(amax, math.Abs(float64(v)))
	}
	if amax > m {
		for i := range x {
			x[i] = float32(float64(x[i]) * m / amax)
		}
	}
}

// actQuantBound bounds |dequant(quant(x)) - x| elementwise for the
// activation type (see TestQuantizeRoundTrip), so that sum |w|*bound bounds
// the dot's deviation from the unquantized product.
func actQuantBound(vt Type, x []float32) []float64 {
	b := make([]float64, len(x))
	bs := vt.BlockSize()
	for blk := 0; blk < len(x)/bs; blk++ {
		xb := x[blk*bs : (blk+1)*bs]
		var amax float64
		for _, v := range xb {
			amax = math.Max(amax, math.Abs(float64(v)))
		}
		for i, v := range xb {
			var e float64
			switch vt {
			case Q8_0, Q8_1:
				e = 0.5625 * amax / 127
			case Q8_K:
				e = 0.5 * amax / 127 * (1 + 1e-5)
			case F16:
				e = math.Abs(float64(v)) * 0x1p-11
			case BF16:
				e = math.Abs(float64(v)) * 0x1p-8
			}
			b[blk*bs+i] = e
		}
	}
	return b
}

// TestDotVsReference checks every weight type on random rows of several
// lengths against (1) the float64 dot of the dequantized weights and the
// dequantized quantized activations: this is exact arithmetic on the same
// numbers, so only float32 rounding separates them; and (2) the float64
// dot of the dequantized weights with the original float activations,
// which may differ by at most the activation quantization error.
func TestDotVsReference(t *testing.T) {
	const tol = 2e-6 // relative to sum |w_i*a_i|
	r := newRand(t, 4)
	for _, ty := range weightTypes {
		dot, err := Dot(ty)
		if err != nil {
			t.Fatal(err)
		}
		vt := VecDotType(ty)
		var worstRel, worstQ float64
		for _, n := range rowLengths(ty) {
			for it := 0; it < 20; it++ {
				w := randomRow(r, ty, n)
				x := randomActs(r, n)
				if vt == Q8_1 {
					limitActs(x, 500)
				}
				a := quant(t, vt, x)
				wf, af := dequant(t, ty, w, n), dequant(t, vt, a, n)
				got := float64(dot(n, w, a))

				var ref, scale, refX, qBound float64
				qb := actQuantBound(vt, x)
				for i := range wf {
					p := float64(wf[i]) * float64(af[i])
					ref += p
					scale += math.Abs(p)
					refX += float64(wf[i]) * float64(x[i])
					qBound += math.Abs(float64(wf[i])) * qb[i]
				}
				allow := q81MinAllowance(ty, w, a)
				rel := math.Max(0, math.Abs(got-ref)-allow) / (scale + 1e-300)
				if !(rel <= tol) {
					t.Fatalf("%v n=%d: dot %v, reference %v (|diff| %g, allowance %g, rel %g > %g)",
						ty, n, got, ref, math.Abs(got-ref), allow, rel, tol)
				}
				worstRel = math.Max(worstRel, rel)

				dev := math.Abs(got - refX)
				limit := qBound + tol*scale + allow
				if !(dev <= limit) {
					t.Fatalf("%v n=%d: dot %v vs unquantized %v: deviation %g > bound %g", ty, n, got, refX, dev, limit)
				}
				if qBound > 0 {
					worstQ = math.Max(worstQ, dev/limit)
				}
			}
		}
		t.Logf("%-5v x %-4v: max rel. error vs dequantized reference %.2e; max deviation from float activations %.0f%% of the quantization bound",
			ty, vt, worstRel, 100*worstQ)
	}
}

// A Q4_0 x Q8_0 dot computed by hand: d = 1 on both sides, weight nibbles
// j and 15-j (values j-8 and 7-j), activations 1 in the first half of the
// block and 2 in the second.
func TestDotKnownAnswerQ4_0(t *testing.T) {
	w := make([]byte, q4_0Bytes)
	putHalf(w, 1)
	for j := 0; j < 16; j++ {
		w[2+j] = byte(j) | byte(15-j)<<4
	}
	a := make([]byte, q8_0Bytes)
	putHalf(a, 1)
	for j := 0; j < 32; j++ {
		a[2+j] = 1
		if j >= 16 {
			a[2+j] = 2
		}
	}
	// sum_{j<16} (j-8)*1 = 120-128 = -8; sum_{j<16} (7-j)*2 = 2*(112-120) = -16.
	got := dotTable[Q4_0](32, w, a)
	if got != -24 {
		t.Fatalf("Q4_0 known answer: %v, want -24", got)
	}
	putHalf(w, 0.5)
	putHalf(a, -0.25)
	if got := dotTable[Q4_0](32, w, a); got != 3 {
		t.Fatalf("Q4_0 scaled known answer: %v, want 3", got)
	}
}

// A Q4_K x Q8_K dot by hand: activation quants all 1 with d = 1 and bsums
// 16, so the dot is the plain sum of the decoded weights, sc*q*d - m*dmin.
func TestDotKnownAnswerQ4_K(t *testing.T) {
	scales := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	mins := [8]byte{8, 7, 6, 5, 4, 3, 2, 1}
	w := make([]byte, q4_KBytes)
	putHalf(w[0:], 0.5)
	putHalf(w[2:], 0.25)
	copy(w[4:16], packK4Scales(scales, mins))
	for i := 0; i < 128; i++ {
		w[16+i] = 0x31 // low nibble 1, high nibble 3
	}
	a := make([]byte, q8_KBytes)
	binary.LittleEndian.PutUint32(a, math.Float32bits(1))
	for i := 0; i < QK_K; i++ {
		a[4+i] = 1
	}
	for j := 0; j < 16; j++ {
		binary.LittleEndian.PutUint16(a[4+QK_K+2*j:], 16)
	}
	// Sub-block s has 32 weights of q = 1 (even s) or 3 (odd s).
	var want float64
	for s := 0; s < 8; s++ {
		q := 1.0
		if s%2 == 1 {
			q = 3
		}
		want += 32 * (0.5*float64(scales[s])*q - 0.25*float64(mins[s]))
	}
	if got := dotTable[Q4_K](QK_K, w, a); float64(got) != want {
		t.Fatalf("Q4_K known answer: %v, want %v", got, want)
	}
	t.Logf("Q4_K known answer %v", want)
}

func TestDotUnsupported(t *testing.T) {
	for _, ty := range []Type{Q8_1, Q8_K, IQ4_NL, IQ2_XXS, I8, Type(99), Type(1 << 20)} {
		if f, err := Dot(ty); err == nil || f != nil {
			t.Errorf("Dot(%v) = %v, %v; want an error", ty, f, err)
		}
	}
}

// TestDotMatchesGeneric pins the dispatched kernels (assembly, once there is
// some) to the reference on random rows; they must agree to within float
// reassociation, and are bit-identical while only the reference exists.
func TestDotMatchesGeneric(t *testing.T) {
	r := newRand(t, 5)
	for _, ty := range weightTypes {
		f, _ := Dot(ty)
		g := dotGeneric[ty]
		for _, n := range rowLengths(ty) {
			w := randomRow(r, ty, n)
			a := quant(t, VecDotType(ty), randomActs(r, n))
			x, y := f(n, w, a), g(n, w, a)
			if x != y && math.Abs(float64(x-y)) > 1e-5*math.Abs(float64(y)) {
				t.Errorf("%v n=%d: dispatched %v, generic %v", ty, n, x, y)
			}
		}
	}
}

func TestDotDoesNotAllocate(t *testing.T) {
	r := newRand(t, 6)
	for _, ty := range weightTypes {
		n := 512
		w := randomRow(r, ty, n)
		a := quant(t, VecDotType(ty), randomActs(r, n))
		f, _ := Dot(ty)
		if allocs := testing.AllocsPerRun(20, func() { f(n, w, a) }); allocs != 0 {
			t.Errorf("%v dot allocates %v times", ty, allocs)
		}
	}
}

func ExampleDot() {
	const n = 64
	x := make([]float32, n) // activations
	for i := range x {
		x[i] = float32(i%5) - 2
	}
	w := make([]byte, 2*q8_0Bytes) // a Q8_0 weight row: here, the same values
	_ = Quantize(Q8_0, x, w)

	a := make([]byte, 2*q8_0Bytes) // activations in VecDotType(Q8_0)
	_ = Quantize(VecDotType(Q8_0), x, a)

	dot, _ := Dot(Q8_0)
	fmt.Printf("%.2f (unquantized: 126)\n", dot(n, w, a))
	// Output: 126.40 (unquantized: 126)
}
