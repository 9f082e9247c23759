//go:build !purego && !noasm

package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"
)

// Tests of the arm64 NEON kernels against the pure-Go references. They run
// on arm64 only (under qemu-user on x86: GOARCH=arm64 go test -exec
// qemu-aarch64-static ./kernels/), and test both variants of each kernel
// directly, whichever dispatch chose: the SDOT one where the CPU has the
// dot-product extension, the plain NEON one always. CI also runs the whole
// package with QEMU_CPU=cortex-a72, where the CPU lacks SDOT, dispatch must
// choose the plain kernels, and any SDOT executed would be SIGILL.

type armDotKernel struct {
	t    Type
	name string
	f    DotFunc
	sdot bool // needs FEAT_DotProd
}

// armDotKernels lists every NEON dot kernel with the reference it must match.
func armDotKernels() []armDotKernel {
	return []armDotKernel{
		{Q4_0, "Q4_0/SDOT", dotQ4_0Q8_0SDOT, true},
		{Q4_0, "Q4_0/NEON", dotQ4_0Q8_0NEON, false},
		{Q8_0, "Q8_0/SDOT", dotQ8_0Q8_0SDOT, true},
		{Q8_0, "Q8_0/NEON", dotQ8_0Q8_0NEON, false},
		{Q4_K, "Q4_K/NEON", dotQ4_KQ8_KNEON, false},
		{Q5_K, "Q5_K/NEON", dotQ5_KQ8_KNEON, false},
		{Q6_K, "Q6_K/NEON", dotQ6_KQ8_KNEON, false},
	}
}

// runnable reports whether this CPU can execute the kernel.
func (k armDotKernel) runnable() bool { return !k.sdot || cpu.ARM64.HasASIMDDP }

func funcPC(f any) uintptr { return reflect.ValueOf(f).Pointer() }

// TestARM64KernelSelection logs what init chose and checks that the tables
// hold exactly the kernels the CPU features and BAYLING_ARM64_NOSDOT call
// for, so a CI run under QEMU_CPU=cortex-a72 or with the variable set
// provably ran the plain NEON path.
func TestARM64KernelSelection(t *testing.T) {
	env := os.Getenv("BAYLING_ARM64_NOSDOT")
	t.Logf("cpu: ASIMD=%v ASIMDDP(SDOT)=%v FPHP=%v I8MM=%v; BAYLING_ARM64_NOSDOT=%q QEMU_CPU=%q; selected: %s",
		cpu.ARM64.HasASIMD, cpu.ARM64.HasASIMDDP, cpu.ARM64.HasFPHP, cpu.ARM64.HasI8MM, env, os.Getenv("QEMU_CPU"), Impl())
	wantSDOT := cpu.ARM64.HasASIMDDP && !envTrue(env)
	if arm64SDOT != wantSDOT {
		t.Fatalf("arm64SDOT = %v, want %v", arm64SDOT, wantSDOT)
	}
	for _, k := range armDotKernels() {
		if k.sdot != wantSDOT && hasSDOTVariant(k.t) {
			continue
		}
		if funcPC(dotTable[k.t]) != funcPC(k.f) {
			t.Errorf("dotTable[%v] is not %s", k.t, k.name)
		}
	}
	// Packed kernels with SDOT only; RepackInfo says so, and the engine
	// repacks (Q4_0) on that alone.
	for _, ty := range packedTypes {
		info := RepackInfo(ty)
		if info.Fast != (wantSDOT && ty == Q4_0) || !info.SameBits {
			t.Errorf("RepackInfo(%v) = %+v with SDOT %v", ty, info, wantSDOT)
		}
		want := funcPC(packedGeneric[ty])
		var wantMM uintptr
		if wantSDOT {
			switch ty {
			case Q4_0:
				want, wantMM = funcPC(matMulPackedQ4_0Tiled), funcPC(matMulQ4_0Transient)
			case Q8_0:
				want, wantMM = funcPC(matMulPackedQ8_0Tiled), funcPC(matMulQ8_0Transient)
			}
		}
		if funcPC(packedTable[ty]) != want {
			t.Errorf("packedTable[%v] is not the expected kernel (SDOT %v)", ty, wantSDOT)
		}
		if mm := matMulTable[ty]; (mm == nil) != (wantMM == 0) || (mm != nil && funcPC(mm) != wantMM) {
			t.Errorf("matMulTable[%v] is not the expected kernel (SDOT %v)", ty, wantSDOT)
		}
	}
	if (packGroupFast != nil) != wantSDOT {
		t.Errorf("packGroupFast installed: %v, SDOT %v", packGroupFast != nil, wantSDOT)
	}
	// The vector kernels need ARMv8.0 only: installed on both paths.
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"axpyF16", vecTable.axpyF16, axpyF16NEON},
		{"axpy", vecTable.axpy, axpyNEON},
		{"f16ToF32Row", vecTable.f16ToF32Row, f16ToF32RowNEON},
		{"dotF16", vecTable.dotF16, dotF16NEON},
		{"softmax", vecTable.softmax, vecGeneric.softmax},
		{"siLUMul", vecTable.siLUMul, vecGeneric.siLUMul},
		{"f32ToF16Row", vecTable.f32ToF16Row, vecGeneric.f32ToF16Row},
	} {
		if funcPC(c.got) != funcPC(c.want) {
			t.Errorf("vecTable.%s is not the expected kernel", c.name)
		}
	}
	if want := os.Getenv("BAYLING_EXPECT_ARM64_PATH"); want != "" {
		// CI sets this to "sdot" or "neon" to make the selection a hard check.
		got := map[bool]string{true: "sdot", false: "neon"}[arm64SDOT]
		if got != want {
			t.Fatalf("selected %s path, CI expects %s", got, want)
		}
	}
}

func hasSDOTVariant(t Type) bool {
	for _, k := range armDotKernels() {
		if k.t == t && k.sdot {
			return true
		}
	}
	return false
}

// sameF32 is bit equality, except that any NaN equals any NaN: NaN payloads
// are the one documented freedom of the bit-identical kernels (which NaN
// operand an add propagates depends on operand order, which Go's compiler
// chooses for the reference).
func sameF32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// guarded returns a copy of b that ends exactly where an inaccessible page
// begins, so that a kernel reading even one byte past its input faults.
// The mapping is released when the test ends.
func guarded(t testing.TB, b []byte) []byte {
	t.Helper()
	ps := os.Getpagesize()
	n := (len(b) + ps - 1) / ps * ps
	m, err := unix.Mmap(-1, 0, n+ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Mprotect(m[n:], unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(m) })
	g := m[n-len(b) : n : n]
	copy(g, b)
	return g
}

// armBlockCounts are the row lengths tested, in blocks: every count up to
// 17 (all unrolling remainders), and larger odd and even ones.
var armBlockCounts = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 32, 33, 64, 127, 128}

// rawRow is n elements of type t made of uniformly random bytes: scales of
// any value (subnormal, huge, Inf, NaN) and activation bytes of any value,
// -128 included, and Q8_K bsums that need not match their quants. The
// bit-identical kernels must agree with the reference on all of it.
func rawRow(r *rand.Rand, t Type, n int) []byte {
	b := make([]byte, mustRowBytesNoTB(t, n))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mustRowBytesNoTB(t Type, n int) int {
	rb, err := t.RowBytes(n)
	if err != nil {
		panic(err)
	}
	return rb
}

func TestARM64DotsBitExact(t *testing.T) {
	r := newRand(t, 0xa64)
	for _, k := range armDotKernels() {
		if !k.runnable() {
			t.Logf("%s: skipped, CPU lacks the dot-product extension", k.name)
			continue
		}
		ref := dotGeneric[k.t]
		vt := VecDotType(k.t)
		checked := 0
		for _, nb := range armBlockCounts {
			n := nb * k.t.BlockSize()
			if k.t.BlockSize() == QK_K && nb > 33 {
				continue // the K-quant references are slow under qemu
			}
			for it := 0; it < 12; it++ {
				var w, a []byte
				switch it % 4 {
				case 0: // realistic rows
					w = randomRow(r, k.t, n)
					a = quant(t, vt, randomActs(r, n))
				case 1: // raw bytes everywhere
					w, a = rawRow(r, k.t, n), rawRow(r, vt, n)
				case 2: // realistic scales, extreme quants
					w = randomRow(r, k.t, n)
					a = quant(t, vt, randomActs(r, n))
					extremeQuants(r, k.t, w)
					extremeQuants(r, vt, a)
				case 3: // realistic weights, raw activation bytes with a sane scale
					w = randomRow(r, k.t, n)
					a = rawRow(r, vt, n)
					saneScales(r, vt, a)
				}
				w, a = guarded(t, w), guarded(t, a)
				got, want := k.f(n, w, a), ref(n, w, a)
				if !sameF32(got, want) {
					t.Fatalf("%s n=%d case %d: got %v (%#08x), reference %v (%#08x)",
						k.name, n, it%4, got, math.Float32bits(got), want, math.Float32bits(want))
				}
				checked++
			}
		}
		// The empty row is +0, as in the reference.
		if got := k.f(0, nil, nil); math.Float32bits(got) != 0 {
			t.Errorf("%s: empty row gives %v", k.name, got)
		}
		t.Logf("%s: %d rows bit-identical to the reference", k.name, checked)
	}
}

// saneScales sets the scale fields of activation blocks (Q8_0: an F16 d,
// Q8_K: a float32 d) to realistic finite values, leaving the quants and
// bsums as they are.
func saneScales(r *rand.Rand, t Type, b []byte) {
	bs := t.BlockBytes()
	for o := 0; o+bs <= len(b); o += bs {
		switch t {
		case Q8_0:
			binary.LittleEndian.PutUint16(b[o:], randHalf(r, -10, -2, true))
		case Q8_K:
			binary.LittleEndian.PutUint32(b[o:], math.Float32bits(float32(r.NormFloat64()*1e-2)))
		}
	}
}

// extremeQuants overwrites the quant bytes (not the scales) of a row with
// the extreme values of each field (0x00, 0xff, 0x80, 0x7f), which drive
// every int16 partial sum of the plain-NEON kernels to its bound.
func extremeQuants(r *rand.Rand, t Type, b []byte) {
	pick := []byte{0x00, 0xff, 0x80, 0x7f, 0x88, 0x77}
	bs := t.BlockBytes()
	for o := 0; o+bs <= len(b); o += bs {
		v := pick[r.IntN(len(pick))]
		lo, hi := quantRange(t)
		for i := o + lo; i < o+hi; i++ {
			b[i] = v
		}
	}
}

// quantRange is the byte range of a block that holds quants (and, for the
// K-quant weights, their high bits and scales), leaving the float scales.
func quantRange(t Type) (int, int) {
	switch t {
	case Q4_0:
		return 2, q4_0Bytes
	case Q8_0:
		return 2, q8_0Bytes
	case Q8_K:
		return 4, 4 + QK_K // quants; bsums stay consistent-looking random
	case Q4_K, Q5_K:
		return 4, t.BlockBytes()
	case Q6_K:
		return 0, 208
	}
	return 0, 0
}

// TestARM64DotsDispatched checks the functions Dot returns, as the engine
// sees them, on the realistic rows of TestDotVsReference's kind.
func TestARM64DotsDispatched(t *testing.T) {
	r := newRand(t, 0xd15)
	for _, ty := range weightTypes {
		f, _ := Dot(ty)
		for _, nb := range []int{1, 3, 16} {
			n := nb * ty.BlockSize()
			if ty.BlockSize() == 1 {
				n = nb*37 + 5
			}
			w := randomRow(r, ty, n)
			a := quant(t, VecDotType(ty), randomActs(r, n))
			got, want := f(n, w, a), dotGeneric[ty](n, w, a)
			if !sameF32(got, want) && !floatDotClose(ty, n, w, a, got, want) {
				t.Errorf("%v n=%d: dispatched %v, reference %v", ty, n, got, want)
			}
		}
	}
}

// floatDotClose is the documented tolerance of the F16 dot (see
// dot_float_arm64.s): both sides sum the same exact float32 products in
// float64, in different orders, then round to float32, so they may differ
// by 2*(n-1)*2^-53*sum|p| plus one float32 ulp. The quantized dots have no
// tolerance.
func floatDotClose(ty Type, n int, w, a []byte, got, want float32) bool {
	if ty != F16 {
		return false
	}
	if got != got || want != want {
		return got != got && want != want
	}
	var sum float64
	for i := 0; i < n; i++ {
		p := float64(F16ToF32(le16(w[2*i:]))) * float64(F16ToF32(le16(a[2*i:])))
		sum += math.Abs(p)
	}
	m := math.Max(math.Abs(float64(got)), math.Abs(float64(want)))
	ulp := float64(math.Nextafter32(float32(m), float32(math.Inf(1)))) - m
	return math.Abs(float64(got)-float64(want)) <= 2*float64(n)*0x1p-53*sum+ulp
}

// TestARM64DotF16 checks the F16 dot on every length up to 80 and longer
// ones, with realistic values, values of every exponent (subnormal halves,
// 65504) and Inf/NaN, against the reference within the documented bound,
// and reports how often it is bit-identical anyway.
func TestARM64DotF16(t *testing.T) {
	r := newRand(t, 0xf16)
	var lens []int
	for n := 1; n <= 80; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 127, 128, 129, 1000, 4096, 4103)
	same, total := 0, 0
	for _, n := range lens {
		for it := 0; it < 6; it++ {
			w, a := randomRow(r, F16, n), randomRow(r, F16, n)
			switch it {
			case 1: // any finite half: subnormals to 65504, both signs
				for i := 0; i < n; i++ {
					h := uint16(r.Uint32()) & 0xfbff // exponent never all ones
					binary.LittleEndian.PutUint16(w[2*i:], h)
				}
			case 2: // cancellation: a = w with alternating sign
				for i := 0; i < n; i++ {
					h := le16(w[2*i:])
					if i%2 == 1 {
						h ^= 0x8000
					}
					binary.LittleEndian.PutUint16(a[2*i:], h)
				}
			case 3: // an Inf or NaN somewhere
				i := r.IntN(n)
				binary.LittleEndian.PutUint16(w[2*i:], []uint16{0x7c00, 0xfc00, 0x7e01, 0xfd00}[r.IntN(4)])
			}
			w, a = guarded(t, w), guarded(t, a)
			got, want := dotF16F16NEON(n, w, a), dotF16F16(n, w, a)
			total++
			if sameF32(got, want) {
				same++
				continue
			}
			if !floatDotClose(F16, n, w, a, got, want) {
				t.Fatalf("n=%d case %d: got %v, reference %v, beyond the documented bound", n, it, got, want)
			}
		}
	}
	t.Logf("F16 dot: %d of %d rows bit-identical to the reference, the rest within the bound", same, total)
}

// TestARM64QuantizeBitExact checks the NEON Q8_0 and Q8_K quantizers
// byte for byte against the references, with guard bytes on both sides of
// the output and a guard page after the input, on realistic activations
// and on every kind of special value.
func TestARM64QuantizeBitExact(t *testing.T) {
	r := newRand(t, 0x98)
	specials := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 1e-40, 1e-38, 3e-39,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(0x7f800001), math.Float32frombits(0xffc12345),
		math.MaxFloat32, -math.MaxFloat32, 65504, 65520, 1e10, 0.5, -0.5, 127.5 / 127}
	for _, c := range []struct {
		t    Type
		asm  func([]float32, []byte)
		ref  func([]float32, []byte)
		bsz  int
		name string
	}{
		{Q8_0, quantQ8_0NEON, quantQ8_0, qk8_0, "Q8_0"},
		{Q8_K, quantQ8_KNEON, quantQ8_K, QK_K, "Q8_K"},
		{F16, quantF16NEON, quantF16, 1, "F16"},
	} {
		rows := 0
		for _, nb := range []int{1, 2, 3, 5, 8, 17, 33} {
			n := nb * c.bsz
			if c.bsz == 1 { // F16: every tail of the 8-wide loop
				n = nb*8 + nb%8
			}
			for it := 0; it < 10; it++ {
				x := randomActs(r, n)
				switch it {
				case 1: // all zero block(s)
					for i := range x[:max(c.bsz, 8)] {
						x[i] = 0
					}
				case 2, 3: // sprinkle specials
					for k := 0; k < 1+nb; k++ {
						x[r.IntN(n)] = specials[r.IntN(len(specials))]
					}
				case 4: // ties: values exactly on .5 after scaling
					for i := range x {
						x[i] = float32(r.IntN(255)-127) + 0.5
					}
				case 5: // tiny and subnormal blocks
					for i := range x {
						x[i] = float32(r.NormFloat64()) * 1e-39
					}
				case 6: // repeated maxima of both signs: the first must win
					m := float32(r.NormFloat64())
					for i := range x {
						x[i] = []float32{m, -m, m / 2, 0}[r.IntN(4)]
					}
				case 7: // raw bits
					for i := range x {
						x[i] = math.Float32frombits(r.Uint32())
					}
				}
				rb := mustRowBytes(t, c.t, n)
				const guard = 16
				got := make([]byte, rb+2*guard)
				want := make([]byte, rb)
				for i := range got {
					got[i] = 0xa5
				}
				xg := guardedFloats(t, x)
				c.asm(xg, got[guard:guard+rb:guard+rb])
				c.ref(x, want)
				for i := 0; i < guard; i++ {
					if got[i] != 0xa5 || got[guard+rb+i] != 0xa5 {
						t.Fatalf("%s n=%d case %d: wrote outside the row", c.name, n, it)
					}
				}
				if g := got[guard : guard+rb]; !bytesEqual(g, want) {
					i := firstDiff(g, want)
					t.Fatalf("%s n=%d case %d: byte %d (block %d) = %#02x, reference %#02x",
						c.name, n, it, i, i/c.t.BlockBytes(), g[i], want[i])
				}
				rows++
			}
		}
		t.Logf("%s: %d rows byte-identical to the reference", c.name, rows)
	}
}

func bytesEqual(a, b []byte) bool { return firstDiff(a, b) < 0 }

func firstDiff(a, b []byte) int {
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return len(a)
	}
	return -1
}

// guardedFloats is guarded for a float32 row.
func guardedFloats(t testing.TB, x []float32) []float32 {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	g := guarded(t, b)
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&g[0])), len(x))
}

// FuzzARM64Quantize: any float32 bits, byte-identical output.
func FuzzARM64Quantize(f *testing.F) {
	f.Add(false, make([]byte, 4*QK_K))
	f.Add(true, make([]byte, 4*QK_K))
	f.Fuzz(func(t *testing.T, k bool, data []byte) {
		x := floatsFromBytes(data)
		ty, asm, ref := Q8_0, quantQ8_0NEON, quantQ8_0
		if k {
			ty, asm, ref = Q8_K, quantQ8_KNEON, quantQ8_K
		}
		n := len(x) / ty.BlockSize() * ty.BlockSize()
		x = x[:n]
		got, want := make([]byte, rowSize(ty, n)), make([]byte, rowSize(ty, n))
		asm(x, got)
		ref(x, want)
		if i := firstDiff(got, want); i >= 0 {
			t.Fatalf("%v: byte %d differs: %#02x vs reference %#02x", ty, i, got[i], want[i])
		}
	})
}

// FuzzARM64Dot feeds arbitrary bytes to every NEON dot kernel and demands
// bit-identical results. Run: GOARCH=arm64 go test -exec qemu-aarch64-static
// -run '^$' -fuzz FuzzARM64Dot -fuzztime 20s ./kernels/
func FuzzARM64Dot(f *testing.F) {
	ks := armDotKernels()
	r := newRand(f, 77)
	for i, k := range ks {
		n := 2 * k.t.BlockSize()
		f.Add(byte(i), randomRow(r, k.t, n), quant(f, VecDotType(k.t), randomActs(r, n)))
	}
	f.Fuzz(func(t *testing.T, sel byte, wdata, adata []byte) {
		k := ks[int(sel)%len(ks)]
		if !k.runnable() {
			return
		}
		vt := VecDotType(k.t)
		nb := min(len(wdata)/k.t.BlockBytes(), len(adata)/vt.BlockBytes())
		n := nb * k.t.BlockSize()
		w, a := wdata[:nb*k.t.BlockBytes()], adata[:nb*vt.BlockBytes()]
		got, want := k.f(n, w, a), dotGeneric[k.t](n, w, a)
		if !sameF32(got, want) {
			t.Fatalf("%s n=%d: got %v, reference %v", k.name, n, got, want)
		}
	})
}

// BenchmarkARM64Dot runs each variant on a 4096-element row. Under qemu the
// numbers only compare variants roughly; on a board they are real.
func BenchmarkARM64Dot(b *testing.B) {
	const n = 4096
	for _, k := range armDotKernels() {
		if !k.runnable() {
			continue
		}
		b.Run(k.name, func(b *testing.B) {
			r := newRand(b, 1)
			w := randomRow(r, k.t, n)
			a := quant(b, VecDotType(k.t), randomActs(r, n))
			b.SetBytes(int64(len(w)))
			var s float32
			for b.Loop() {
				s += k.f(n, w, a)
			}
			_ = s
		})
	}
}

// TestARM64AttentionKernels checks axpyF16NEON (with guard values around
// dst) and dotF16NEON against the references axpyF16Generic and
// dotF16Generic, bit for bit (NaN payloads included: vec_arm64.s keeps
// the compiled reference's operand order), on every length up to 70 and
// head sizes; the cancelling rows make any change of DotF16's summation
// order show.
func TestARM64AttentionKernels(t *testing.T) {
	r := newRand(t, 0xa77)
	lens := []int{}
	for n := 0; n <= 70; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 128, 255, 256, 1000)
	for _, n := range lens {
		for it := 0; it < 4; it++ {
			h := make([]uint16, n)
			for i := range h {
				h[i] = F32ToF16(float32(r.NormFloat64()))
				if it == 3 && r.IntN(8) == 0 { // any half, Inf and NaN included
					h[i] = uint16(r.Uint32())
				}
			}
			alpha := float32(r.NormFloat64())
			switch it {
			case 2:
				alpha = math.Float32frombits(r.Uint32())
			case 3: // a NaN alpha meeting NaN halves: the operand order shows
				alpha = math.Float32frombits(0x7fc00a0a)
				for i := range h {
					if r.IntN(4) == 0 {
						h[i] = 0xfe0b
					}
				}
			}
			const guard = 4
			dst := make([]float32, n+2*guard)
			for i := range dst {
				dst[i] = float32(r.NormFloat64())
			}
			want := append([]float32(nil), dst...)
			axpyF16NEON(dst[guard:guard+n:guard+n], alpha, h)
			axpyF16Generic(want[guard:guard+n], alpha, h)
			for i := range dst {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
					t.Fatalf("AxpyF16 n=%d case %d: element %d (guard %v) = %v (%#08x), reference %v (%#08x)",
						n, it, i-guard, i < guard || i >= guard+n, dst[i], math.Float32bits(dst[i]), want[i], math.Float32bits(want[i]))
				}
			}
			q := make([]uint16, n)
			for i := range q {
				q[i] = F32ToF16(float32(r.NormFloat64()))
			}
			switch it {
			case 1: // any half in q too: products of every exponent
				for i := range q {
					q[i] = uint16(r.Uint32()) & 0xfbff
				}
			case 2: // cancellations: big products and their negations a
				// few places later, with tiny ones between that the float64
				// sum keeps or loses depending on the order
				h, q = cancellingRows(r, n)
			case 3: // NaNs in both rows, distinct payloads
				for i := range q {
					if r.IntN(4) == 0 {
						h[i] = 0x7e0a
					}
					if r.IntN(4) == 0 {
						q[i] = 0xfe0b
					}
				}
			}
			got, ref := dotF16NEON(h, q), dotF16Generic(h, q)
			if math.Float32bits(got) != math.Float32bits(ref) {
				t.Fatalf("DotF16 n=%d case %d: %v (%#08x), reference %v (%#08x)",
					n, it, got, math.Float32bits(got), ref, math.Float32bits(ref))
			}
		}
	}
}

// cancellingRows returns two half rows whose products are tiny (about
// 1e-10) except for pairs of big ones (about 4e8, 2^-70 of each other's
// magnitude apart from the tiny ones) that cancel exactly: the rounded sum
// is the sum of the tiny products the float64 partial sums did not lose,
// which depends on the order of the additions.
func cancellingRows(r *rand.Rand, n int) (h, q []uint16) {
	h, q = make([]uint16, n), make([]uint16, n)
	for i := range q {
		h[i] = F32ToF16(float32(r.NormFloat64()) * 1e-5)
		q[i] = F32ToF16(float32(r.NormFloat64()) * 1e-5)
	}
	big := make([]bool, n)
	for i := range n {
		if j := i + 1 + r.IntN(9); !big[i] && j < n && !big[j] && r.IntN(2) == 0 {
			h[i] = F32ToF16(float32(r.NormFloat64()) * 2e4)
			q[i] = F32ToF16(float32(r.NormFloat64()) * 2e4)
			h[j], q[j] = h[i], q[i]^0x8000
			big[i], big[j] = true, true
		}
	}
	return h, q
}

// TestARM64VecKernels checks axpyNEON and f16ToF32RowNEON against their
// references bit for bit (NaN payloads included) on every length up to 70
// and longer ones, with inputs that end at an inaccessible page and guard
// values around the outputs.
func TestARM64VecKernels(t *testing.T) {
	r := newRand(t, 0xf32)
	lens := []int{}
	for n := 0; n <= 70; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 127, 128, 129, 1000, 4096)
	const guard = 4
	same := func(name string, n, it int, got, want []float32) {
		t.Helper()
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s n=%d case %d: element %d (guard %v) = %v (%#08x), reference %v (%#08x)", name, n, it,
					i-guard, i < guard || i >= guard+n, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
	// Quiet NaNs with distinct payloads: where two meet, the operand order
	// decides which survives.
	nanA, nanB, nanC := math.Float32frombits(0x7fc0_0a0a), math.Float32frombits(0xffc0_0b0b), math.Float32frombits(0x7fc0_0c0c)
	for _, n := range lens {
		for it := 0; it < 5; it++ {
			v := vecInputs(r, n, it%4)
			h := make([]byte, 2*n)
			for i := range n {
				x := uint16(r.Uint32()) // any half: subnormals, Inf, NaNs of every payload
				if it == 0 {
					x = F32ToF16(v[i])
				}
				binary.LittleEndian.PutUint16(h[2*i:], x)
			}
			hg := guarded(t, h)
			var hs []uint16
			if n > 0 {
				hs = unsafe.Slice((*uint16)(unsafe.Pointer(&hg[0])), n)
			}
			got := make([]float32, n+2*guard)
			want := make([]float32, n+2*guard)
			for i := range got {
				got[i] = float32(r.NormFloat64())
				want[i] = got[i]
			}
			f16ToF32RowNEON(got[guard:guard+n:guard+n], hs)
			f16ToF32RowGeneric(want[guard:guard+n], hs)
			same("F16ToF32Row", n, it, got, want)

			alpha := float32(r.NormFloat64())
			if it >= 2 {
				alpha = math.Float32frombits(r.Uint32())
			}
			dst := vecInputs(r, n+2*guard, (it+1)%4)
			if it == 4 { // NaN alpha, and NaNs in v and dst
				alpha = nanA
				for i := range v {
					if r.IntN(2) == 0 {
						v[i] = nanB
					}
					if r.IntN(2) == 0 {
						dst[guard+i] = nanC
					}
				}
			}
			vg := guardedFloats(t, v)
			ref := append([]float32(nil), dst...)
			axpyNEON(dst[guard:guard+n:guard+n], alpha, vg)
			axpyGeneric(ref[guard:guard+n], alpha, vg)
			same("Axpy", n, it, dst, ref)
		}
	}
}

// TestARM64PackedKernels checks the SDOT packed-matmul kernels of
// matmul_arm64.s directly (the dispatched path through matmul_driver.go is
// TestMatMulPackedGuarded's and TestMatMulAsmVsReference's) against the
// reference: packQ{4,8}_0Asm byte for byte against Repack's Go packing,
// q8_0AuxAsm against its definition, and gemmQ{4,8}_0x8x{4,1}Asm bit for
// bit against matMulPacked*Generic, whole and split into two K-chunks
// (load = true), with guard values around every output.
func TestARM64PackedKernels(t *testing.T) {
	if !cpu.ARM64.HasASIMDDP {
		t.Skip("the packed kernels need the dot-product extension")
	}
	r := newRand(t, 0x9ac)
	for _, ty := range []Type{Q4_0, Q8_0} {
		for _, nblk := range []int{1, 2, 3, 7, 16, 33} {
			cols := nblk * 32
			rb := mustRowBytes(t, ty, cols)
			// Eight rows, each with a random amount of padding after it, as
			// rows of a wider matrix whose first nblk blocks are packed.
			pad := r.IntN(3) * ty.BlockBytes()
			src := make([]byte, 0, 8*(rb+pad))
			rows := make([]byte, 0, 8*rb)
			for i := 0; i < 8; i++ {
				row := randomRow(r, ty, cols)
				if i%3 == 2 {
					extremeQuants(r, ty, row)
				}
				rows = append(rows, row...)
				src = append(src, row...)
				src = append(src, make([]byte, pad)...)
			}
			p, _ := Repack(ty, 8, cols, rows)
			got := make([]byte, len(p.data)+16)
			switch ty {
			case Q4_0:
				packQ4_0Asm(&got[0], &src[0], rb+pad, nblk)
			case Q8_0:
				packQ8_0Asm(&got[0], &src[0], rb+pad, nblk)
			}
			if i := firstDiff(got[:len(p.data)], p.data); i >= 0 {
				t.Fatalf("%v pack nblk=%d: byte %d = %#02x, Repack %#02x", ty, nblk, i, got[i], p.data[i])
			}
			for _, g := range got[len(p.data):] {
				if g != 0 {
					t.Fatalf("%v pack nblk=%d wrote past the packed blocks", ty, nblk)
				}
			}

			// Four activation columns, aRow+extra bytes apart.
			const nb = 4
			aRow := mustRowBytes(t, Q8_0, cols)
			aStride := aRow + 2*r.IntN(4)
			a := make([]byte, nb*aStride)
			for c := 0; c < nb; c++ {
				var q []byte
				if c == 3 && ty == Q8_0 {
					q = rawRow(r, Q8_0, cols) // any byte, -128 included
					for b := 0; b < nblk; b++ {
						binary.LittleEndian.PutUint16(q[b*q8_0Bytes:], randHalf(r, -10, -4, true))
					}
				} else {
					q = quant(t, Q8_0, randomActs(r, cols))
				}
				copy(a[c*aStride:], q)
			}
			want := make([]float32, nb*8)
			packedTable := packedGeneric
			packedTable[ty](p, 0, 8, a, aStride, nb, want, 8)

			// Aux: 8*sum(qs) and d per block, columns auxStride apart.
			const auxCols = 64
			ys := make([]int32, nb*auxCols)
			dy := make([]float32, nb*auxCols)
			for c := 0; c < nb; c++ {
				q8_0AuxAsm(nblk, &a[c*aStride], &ys[c*auxCols], &dy[c*auxCols])
				for b := 0; b < nblk; b++ {
					y := a[c*aStride+b*q8_0Bytes:]
					var s int32
					for _, v := range y[2:34] {
						s += int32(int8(v))
					}
					if ys[c*auxCols+b] != 8*s || math.Float32bits(dy[c*auxCols+b]) != math.Float32bits(f16at(y)) {
						t.Fatalf("q8_0AuxAsm block %d: %d, %v; want %d, %v", b, ys[c*auxCols+b], dy[c*auxCols+b], 8*s, f16at(y))
					}
				}
			}

			const guard = 3
			accStride := 8 + guard + r.IntN(3) // floats between columns
			for _, split := range []int{nblk, nblk / 2} {
				if split == 0 {
					continue
				}
				acc := make([]float32, 2*guard+nb*accStride)
				for i := range acc {
					acc[i] = -7.5
				}
				out := acc[guard:]
				run := func(b0, nbk int, load bool) {
					w := &p.data[b0*p.groupBytes/nblk]
					switch ty {
					case Q4_0:
						gemmQ4_0x8x4Asm(nbk, w, &a[b0*q8_0Bytes], aStride, &ys[b0], &dy[b0], 4*auxCols, &out[0], 4*accStride, load)
					case Q8_0:
						gemmQ8_0x8x4Asm(nbk, w, &a[b0*q8_0Bytes], aStride, &ys[b0], &dy[b0], 4*auxCols, &out[0], 4*accStride, load)
					}
				}
				run(0, split, false)
				if split < nblk {
					run(split, nblk-split, true)
				}
				for c := 0; c < nb; c++ {
					for i := 0; i < 8; i++ {
						if g, w := out[c*accStride+i], want[c*8+i]; !sameF32(g, w) {
							t.Fatalf("%v x4 nblk=%d split=%d: column %d row %d = %v, reference %v", ty, nblk, split, c, i, g, w)
						}
					}
					for i := 8; i < accStride && c < nb-1; i++ {
						if out[c*accStride+i] != -7.5 {
							t.Fatalf("%v x4: wrote between columns", ty)
						}
					}
				}
				for i := 0; i < guard; i++ {
					if acc[i] != -7.5 || acc[guard+(nb-1)*accStride+8+i] != -7.5 {
						t.Fatalf("%v x4: wrote outside the outputs", ty)
					}
				}
				// One column at a time.
				for c := 0; c < nb; c++ {
					one := make([]float32, 8+2*guard)
					o := one[guard:]
					run1 := func(b0, nbk int, load bool) {
						w := &p.data[b0*p.groupBytes/nblk]
						switch ty {
						case Q4_0:
							gemmQ4_0x8x1Asm(nbk, w, &a[c*aStride+b0*q8_0Bytes], &ys[c*auxCols+b0], &dy[c*auxCols+b0], &o[0], load)
						case Q8_0:
							gemmQ8_0x8x1Asm(nbk, w, &a[c*aStride+b0*q8_0Bytes], &ys[c*auxCols+b0], &dy[c*auxCols+b0], &o[0], load)
						}
					}
					run1(0, split, false)
					if split < nblk {
						run1(split, nblk-split, true)
					}
					for i := 0; i < 8; i++ {
						if !sameF32(o[i], want[c*8+i]) {
							t.Fatalf("%v x1 nblk=%d: column %d row %d = %v, reference %v", ty, nblk, c, i, o[i], want[c*8+i])
						}
					}
					for i := 0; i < guard; i++ {
						if one[i] != 0 || one[guard+8+i] != 0 {
							t.Fatalf("%v x1: wrote outside the outputs", ty)
						}
					}
				}
			}
		}
	}
}
