package kernels

// Go's arm64 assembler lacks SDOT, the widening integer multiplies (SMULL,
// SMLAL, SADALP, SADDLV, SXTL, XTN) and most vector floating-point forms
// (FADD, FMUL, SCVTF, FCVTL, FCVTAS, ...), so the *_arm64.s files emit them
// as
//
//	WORD $0x4e829420 // SDOT V0.4S, V1.16B, V2.16B
//
// This file keeps the encoder that produced every such word: Go functions
// that compute the 32-bit instruction from its operands, field by field, as
// the Arm Architecture Reference Manual (DDI 0487, section C4 "A64
// instruction set encoding", classes "Advanced SIMD three same", "three
// different", "two-register miscellaneous", "across lanes", "shift by
// immediate", "vector x indexed element" and "scalar two-register
// miscellaneous / pairwise") lays them out. It is platform independent and
// runs in every `go test`:
//
//   - TestARM64WordEncodings parses every *_arm64.s file of the package and
//     checks that each WORD equals the encoding of the instruction named in
//     its comment; a WORD without a decodable comment fails the test.
//   - TestARM64EncoderKnownAnswers pins the encoder to encodings written out
//     by hand from the manual, and, where llvm-mc is installed (LLVM's
//     assembler, an independent implementation), checks every instruction
//     used in the .s files against it as well.
//
// After editing a .s file, `go test -run TestARM64WordEncodings
// -update-arm64-words ./kernels/` rewrites the WORD values from the
// comments (the comments are the source; review the diff).

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var updateARM64Words = flag.Bool("update-arm64-words", false, "rewrite the WORD encodings of *_arm64.s from their comments")

// a64Operand is one parsed operand of an Advanced SIMD instruction.
type a64Operand struct {
	kind  byte // 'V' vector with arrangement, 'E' vector element, 'S' scalar FP/SIMD register, '#' immediate
	reg   uint32
	arr   string // "16B", "8B", "8H", "4H", "4S", "2S", "2D" for 'V'
	esize byte   // 'B', 'H', 'S', 'D' for 'E' and 'S'
	index uint32 // element index for 'E'
	imm   int64  // for '#'
}

var (
	reVecOp   = regexp.MustCompile(`^V([0-9]+)\.(16B|8B|8H|4H|4S|2S|2D|1D)$`)
	reElemOp  = regexp.MustCompile(`^V([0-9]+)\.(4B|[BHSD])\[([0-9]+)\]$`)
	reScalOp  = regexp.MustCompile(`^([BHSD])([0-9]+)$`)
	reImmOp   = regexp.MustCompile(`^#(-?(?:0x)?[0-9a-fA-F]+)$`)
	reWordDir = regexp.MustCompile(`^(\s*WORD\s+\$)(0x[0-9a-fA-F]+)(\s*//\s*)(.*?)\s*$`)
)

func parseA64Operand(s string) (a64Operand, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if m := reVecOp.FindStringSubmatch(s); m != nil {
		r, _ := strconv.Atoi(m[1])
		return a64Operand{kind: 'V', reg: uint32(r), arr: m[2]}, checkReg(r)
	}
	if m := reElemOp.FindStringSubmatch(s); m != nil {
		r, _ := strconv.Atoi(m[1])
		i, _ := strconv.Atoi(m[3])
		es := m[2][0]
		if m[2] == "4B" {
			es = '4' // a group of four bytes, as SDOT's indexed form names it
		}
		return a64Operand{kind: 'E', reg: uint32(r), esize: es, index: uint32(i)}, checkReg(r)
	}
	if m := reScalOp.FindStringSubmatch(s); m != nil {
		r, _ := strconv.Atoi(m[2])
		return a64Operand{kind: 'S', reg: uint32(r), esize: m[1][0]}, checkReg(r)
	}
	if m := reImmOp.FindStringSubmatch(s); m != nil {
		v, err := strconv.ParseInt(strings.ToLower(m[1]), 0, 64)
		return a64Operand{kind: '#', imm: v}, err
	}
	return a64Operand{}, fmt.Errorf("cannot parse operand %q", s)
}

func checkReg(r int) error {
	if r > 31 {
		return fmt.Errorf("register V%d out of range", r)
	}
	return nil
}

// Arrangement helpers: Q bit and element size (0=B, 1=H, 2=S, 3=D).
var arrQ = map[string]uint32{"8B": 0, "16B": 1, "4H": 0, "8H": 1, "2S": 0, "4S": 1, "1D": 0, "2D": 1}
var arrSize = map[string]uint32{"8B": 0, "16B": 0, "4H": 1, "8H": 1, "2S": 2, "4S": 2, "1D": 3, "2D": 3}
var elemSize = map[byte]uint32{'B': 0, 'H': 1, 'S': 2, 'D': 3}

func wantOps(ops []a64Operand, kinds string) error {
	if len(ops) != len(kinds) {
		return fmt.Errorf("want %d operands, have %d", len(kinds), len(ops))
	}
	for i := range ops {
		if ops[i].kind != kinds[i] {
			return fmt.Errorf("operand %d: want kind %c, have %c", i+1, kinds[i], ops[i].kind)
		}
	}
	return nil
}

func sameArr(ops []a64Operand) error {
	for _, o := range ops[1:] {
		if o.arr != ops[0].arr {
			return fmt.Errorf("arrangements differ: %s vs %s", ops[0].arr, o.arr)
		}
	}
	return nil
}

// Advanced SIMD three same: 0 Q U 01110 size 1 Rm opcode 1 Rn Rd.
func encThreeSame(u, size, opcode uint32, ops []a64Operand) (uint32, error) {
	if err := wantOps(ops, "VVV"); err != nil {
		return 0, err
	}
	if err := sameArr(ops); err != nil {
		return 0, err
	}
	q := arrQ[ops[0].arr]
	return q<<30 | u<<29 | 0b01110<<24 | size<<22 | 1<<21 | ops[2].reg<<16 | opcode<<11 | 1<<10 | ops[1].reg<<5 | ops[0].reg, nil
}

// intThreeSame: integer three-same, size from the arrangement (no 2D for
// most, not checked beyond what the manual reserves for these opcodes).
func intThreeSame(u, opcode uint32) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if len(ops) == 3 && ops[0].arr == "2D" || len(ops) > 0 && ops[0].arr == "1D" {
			return 0, fmt.Errorf("arrangement %s reserved", ops[0].arr)
		}
		if len(ops) != 3 {
			return 0, fmt.Errorf("want 3 operands")
		}
		return encThreeSame(u, arrSize[ops[0].arr], opcode, ops)
	}
}

// fpThreeSame: size field is a:sz with sz from 4S/2S (0) or 2D (1).
func fpThreeSame(u, a, opcode uint32) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if len(ops) != 3 {
			return 0, fmt.Errorf("want 3 operands")
		}
		sz, err := fpSz(ops[0].arr)
		if err != nil {
			return 0, err
		}
		return encThreeSame(u, a<<1|sz, opcode, ops)
	}
}

func fpSz(arr string) (uint32, error) {
	switch arr {
	case "4S", "2S":
		return 0, nil
	case "2D":
		return 1, nil
	}
	return 0, fmt.Errorf("arrangement %q is not a float one", arr)
}

// Advanced SIMD three different: 0 Q U 01110 size 1 Rm opcode 00 Rn Rd.
// Q selects the "2" (upper-half) form; the wide arrangement is Vd's.
func threeDiff(u, opcode uint32, upper bool) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VVV"); err != nil {
			return 0, err
		}
		narrow := map[string]string{"8H": "8B", "4S": "4H", "2D": "2S"}[ops[0].arr]
		var q uint32
		if upper {
			q = 1
			narrow = map[string]string{"8H": "16B", "4S": "8H", "2D": "4S"}[ops[0].arr]
		}
		if narrow == "" || ops[1].arr != narrow || ops[2].arr != narrow {
			return 0, fmt.Errorf("bad arrangements %s, %s, %s", ops[0].arr, ops[1].arr, ops[2].arr)
		}
		size := arrSize[ops[1].arr]
		return q<<30 | u<<29 | 0b01110<<24 | size<<22 | 1<<21 | ops[2].reg<<16 | opcode<<12 | ops[1].reg<<5 | ops[0].reg, nil
	}
}

// Advanced SIMD two-register miscellaneous: 0 Q U 01110 size 10000 opcode
// 10 Rn Rd.
func encTwoMisc(q, u, size, opcode, rn, rd uint32) uint32 {
	return q<<30 | u<<29 | 0b01110<<24 | size<<22 | 0b10000<<17 | opcode<<12 | 0b10<<10 | rn<<5 | rd
}

// pairwise long (SADDLP, SADALP): Vd wide, Vn narrow with the same Q.
func twoMiscLongPair(u, opcode uint32) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VV"); err != nil {
			return 0, err
		}
		want := map[string]string{"4H": "8B", "8H": "16B", "2S": "4H", "4S": "8H", "1D": "2S", "2D": "4S"}[ops[0].arr]
		if want == "" || ops[1].arr != want {
			return 0, fmt.Errorf("bad arrangements %s, %s", ops[0].arr, ops[1].arr)
		}
		return encTwoMisc(arrQ[ops[1].arr], u, arrSize[ops[1].arr], opcode, ops[1].reg, ops[0].reg), nil
	}
}

// XTN / XTN2: Vd narrow (upper half for XTN2), Vn wide.
func twoMiscNarrow(u, opcode uint32, upper bool) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VV"); err != nil {
			return 0, err
		}
		m := map[string]string{"8H": "8B", "4S": "4H", "2D": "2S"}
		var q uint32
		if upper {
			q = 1
			m = map[string]string{"8H": "16B", "4S": "8H", "2D": "4S"}
		}
		if m[ops[1].arr] == "" || ops[0].arr != m[ops[1].arr] {
			return 0, fmt.Errorf("bad arrangements %s, %s", ops[0].arr, ops[1].arr)
		}
		return encTwoMisc(q, u, arrSize[ops[0].arr], opcode, ops[1].reg, ops[0].reg), nil
	}
}

// Float two-register misc with size = hi:sz (hi is 0 or 1 per opcode).
func twoMiscFP(u, hi, opcode uint32) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VV"); err != nil {
			return 0, err
		}
		if err := sameArr(ops); err != nil {
			return 0, err
		}
		sz, err := fpSz(ops[0].arr)
		if err != nil {
			return 0, err
		}
		return encTwoMisc(arrQ[ops[0].arr], u, hi<<1|sz, opcode, ops[1].reg, ops[0].reg), nil
	}
}

// FCVTL/FCVTL2 (widen half->single, single->double): opcode 10111, size 0:sz
// where sz=0 converts H->S, sz=1 S->D.
func fcvtl(upper bool) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VV"); err != nil {
			return 0, err
		}
		var q uint32
		src := map[string]string{"4S": "4H", "2D": "2S"}
		if upper {
			q = 1
			src = map[string]string{"4S": "8H", "2D": "4S"}
		}
		if src[ops[0].arr] == "" || ops[1].arr != src[ops[0].arr] {
			return 0, fmt.Errorf("bad arrangements %s, %s", ops[0].arr, ops[1].arr)
		}
		sz := uint32(0)
		if ops[0].arr == "2D" {
			sz = 1
		}
		return encTwoMisc(q, 0, sz, 0b10111, ops[1].reg, ops[0].reg), nil
	}
}

// FCVTN/FCVTN2 (narrow single->half, double->single): opcode 10110.
func fcvtn(upper bool) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VV"); err != nil {
			return 0, err
		}
		var q uint32
		dst := map[string]string{"4S": "4H", "2D": "2S"}
		if upper {
			q = 1
			dst = map[string]string{"4S": "8H", "2D": "4S"}
		}
		if dst[ops[1].arr] == "" || ops[0].arr != dst[ops[1].arr] {
			return 0, fmt.Errorf("bad arrangements %s, %s", ops[0].arr, ops[1].arr)
		}
		sz := uint32(0)
		if ops[1].arr == "2D" {
			sz = 1
		}
		return encTwoMisc(q, 0, sz, 0b10110, ops[1].reg, ops[0].reg), nil
	}
}

// Advanced SIMD across lanes: 0 Q U 01110 size 11000 opcode 10 Rn Rd; the
// destination is a scalar register.
func acrossLanes(u, opcode uint32, long bool) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "SV"); err != nil {
			return 0, err
		}
		size := arrSize[ops[1].arr]
		want := size
		if long {
			want++
		}
		if ops[1].arr == "2S" || ops[1].arr == "2D" || ops[1].arr == "1D" || elemSize[ops[0].esize] != want {
			return 0, fmt.Errorf("bad operands %c, %s", ops[0].esize, ops[1].arr)
		}
		return arrQ[ops[1].arr]<<30 | u<<29 | 0b01110<<24 | size<<22 | 0b11000<<17 | opcode<<12 | 0b10<<10 | ops[1].reg<<5 | ops[0].reg, nil
	}
}

// FMAXV/FMAXNMV/FMINV (single precision, 4S only): size = hi:0.
func acrossFP(hi, opcode uint32) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "SV"); err != nil {
			return 0, err
		}
		if ops[0].esize != 'S' || ops[1].arr != "4S" {
			return 0, fmt.Errorf("want S, 4S")
		}
		return 1<<30 | 1<<29 | 0b01110<<24 | hi<<23 | 0b11000<<17 | opcode<<12 | 0b10<<10 | ops[1].reg<<5 | ops[0].reg, nil
	}
}

// Shift by immediate, lengthening (SSHLL/SXTL, USHLL/UXTL):
// 0 Q U 011110 immh immb 10100 1 Rn Rd with immh:immb = esize + shift.
func shiftLong(u uint32, upper, alias bool) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		var shift int64
		if alias {
			if err := wantOps(ops, "VV"); err != nil {
				return 0, err
			}
		} else {
			if err := wantOps(ops, "VV#"); err != nil {
				return 0, err
			}
			shift = ops[2].imm
		}
		src := map[string]string{"8H": "8B", "4S": "4H", "2D": "2S"}
		var q uint32
		if upper {
			q = 1
			src = map[string]string{"8H": "16B", "4S": "8H", "2D": "4S"}
		}
		if src[ops[0].arr] == "" || ops[1].arr != src[ops[0].arr] {
			return 0, fmt.Errorf("bad arrangements %s, %s", ops[0].arr, ops[1].arr)
		}
		esize := int64(8) << arrSize[ops[1].arr]
		if shift < 0 || shift >= esize {
			return 0, fmt.Errorf("shift %d out of range", shift)
		}
		immhb := uint32(esize + shift)
		return q<<30 | u<<29 | 0b011110<<23 | immhb<<16 | 0b10100<<11 | 1<<10 | ops[1].reg<<5 | ops[0].reg, nil
	}
}

// Shift right by immediate, same width (SSHR, USHR, SRSHR):
// immh:immb = 2*esize - shift.
func shiftRight(u, opcode uint32) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VV#"); err != nil {
			return 0, err
		}
		if err := sameArr(ops[:2]); err != nil {
			return 0, err
		}
		esize := int64(8) << arrSize[ops[0].arr]
		shift := ops[2].imm
		if shift < 1 || shift > esize || ops[0].arr == "1D" {
			return 0, fmt.Errorf("shift %d out of range", shift)
		}
		immhb := uint32(2*esize - shift)
		return arrQ[ops[0].arr]<<30 | u<<29 | 0b011110<<23 | immhb<<16 | opcode<<11 | 1<<10 | ops[1].reg<<5 | ops[0].reg, nil
	}
}

// Vector x indexed element: 0 Q U 01111 size L M Rm opcode H 0 Rn Rd. For
// H elements the index is H:L:M and Rm is V0-V15; for S elements H:L and
// M:Rm names V0-V31.
func encByElem(q, u, size, opcode uint32, el a64Operand, rn, rd uint32) (uint32, error) {
	var h, l, m, rm uint32
	switch el.esize {
	case 'H':
		if el.reg > 15 || el.index > 7 {
			return 0, fmt.Errorf("H element V%d[%d]: register must be V0-V15, index 0-7", el.reg, el.index)
		}
		h, l, m, rm = el.index>>2&1, el.index>>1&1, el.index&1, el.reg
	case 'S':
		if el.index > 3 {
			return 0, fmt.Errorf("S element index %d", el.index)
		}
		h, l, m, rm = el.index>>1&1, el.index&1, el.reg>>4, el.reg&15
	case 'D':
		if el.index > 1 {
			return 0, fmt.Errorf("D element index %d", el.index)
		}
		h, l, m, rm = el.index, 0, el.reg>>4, el.reg&15
	default:
		return 0, fmt.Errorf("element size %c", el.esize)
	}
	return q<<30 | u<<29 | 0b01111<<24 | size<<22 | l<<21 | m<<20 | rm<<16 | opcode<<12 | h<<11 | rn<<5 | rd, nil
}

// Widening integer multiplies by element (SMULL, SMLAL and their 2 forms).
func longByElem(u, opcode uint32, upper bool) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VVE"); err != nil {
			return 0, err
		}
		src := map[string]string{"4S": "4H", "2D": "2S"}
		var q uint32
		if upper {
			q = 1
			src = map[string]string{"4S": "8H", "2D": "4S"}
		}
		if src[ops[0].arr] == "" || ops[1].arr != src[ops[0].arr] || elemSize[ops[2].esize] != arrSize[ops[1].arr] {
			return 0, fmt.Errorf("bad operands %s, %s, %c", ops[0].arr, ops[1].arr, ops[2].esize)
		}
		return encByElem(q, u, arrSize[ops[1].arr], opcode, ops[2], ops[1].reg, ops[0].reg)
	}
}

// Float multiply by element (FMUL, FMLA): size = 1:sz.
func fpByElem(u, opcode uint32) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if err := wantOps(ops, "VVE"); err != nil {
			return 0, err
		}
		if err := sameArr(ops[:2]); err != nil {
			return 0, err
		}
		sz, err := fpSz(ops[0].arr)
		if err != nil {
			return 0, err
		}
		if (sz == 0) != (ops[2].esize == 'S') || (sz == 1) != (ops[2].esize == 'D') {
			return 0, fmt.Errorf("element %c does not match %s", ops[2].esize, ops[0].arr)
		}
		return encByElem(arrQ[ops[0].arr], u, 0b10|sz, opcode, ops[2], ops[1].reg, ops[0].reg)
	}
}

// SDOT/UDOT (vector): 0 Q U 01110 10 0 Rm 1001 01 Rn Rd (FEAT_DotProd).
// The indexed form, SDOT Vd.4S, Vn.16B, Vm.4B[i], is "vector x indexed
// element" with size 10 and opcode 1110: index H:L, M:Rm any of V0-V31.
func dotVec(u uint32) func([]a64Operand) (uint32, error) {
	return func(ops []a64Operand) (uint32, error) {
		if len(ops) == 3 && ops[2].kind == 'E' {
			if err := wantOps(ops, "VVE"); err != nil {
				return 0, err
			}
			src := map[string]string{"4S": "16B", "2S": "8B"}[ops[0].arr]
			if src == "" || ops[1].arr != src || ops[2].esize != '4' || ops[2].index > 3 {
				return 0, fmt.Errorf("bad operands %s, %s, %c[%d]", ops[0].arr, ops[1].arr, ops[2].esize, ops[2].index)
			}
			el := ops[2]
			el.esize = 'S'
			return encByElem(arrQ[ops[0].arr], u, 0b10, 0b1110, el, ops[1].reg, ops[0].reg)
		}
		if err := wantOps(ops, "VVV"); err != nil {
			return 0, err
		}
		src := map[string]string{"4S": "16B", "2S": "8B"}[ops[0].arr]
		if src == "" || ops[1].arr != src || ops[2].arr != src {
			return 0, fmt.Errorf("bad arrangements %s, %s, %s", ops[0].arr, ops[1].arr, ops[2].arr)
		}
		return arrQ[ops[0].arr]<<30 | u<<29 | 0b01110<<24 | 0b10<<22 | ops[2].reg<<16 | 0b100101<<10 | ops[1].reg<<5 | ops[0].reg, nil
	}
}

// Scalar SCVTF (integer in a SIMD&FP register): 01 0 11110 0 sz 10000 11101
// 10 Rn Rd.
func scvtfScalar(ops []a64Operand) (uint32, error) {
	if err := wantOps(ops, "SS"); err != nil {
		return 0, err
	}
	if ops[0].esize != ops[1].esize || (ops[0].esize != 'S' && ops[0].esize != 'D') {
		return 0, fmt.Errorf("want S,S or D,D")
	}
	sz := elemSize[ops[0].esize] - 2
	return 0b01<<30 | 0b11110<<24 | sz<<22 | 0b10000<<17 | 0b11101<<12 | 0b10<<10 | ops[1].reg<<5 | ops[0].reg, nil
}

// Scalar pairwise FADDP: 01 1 11110 0 sz 11000 01101 10 Rn Rd (Sd, Vn.2S or
// Dd, Vn.2D).
func faddpScalar(ops []a64Operand) (uint32, error) {
	if err := wantOps(ops, "SV"); err != nil {
		return 0, err
	}
	var sz uint32
	switch {
	case ops[0].esize == 'S' && ops[1].arr == "2S":
	case ops[0].esize == 'D' && ops[1].arr == "2D":
		sz = 1
	default:
		return 0, fmt.Errorf("want S, 2S or D, 2D")
	}
	return 0b01<<30 | 1<<29 | 0b11110<<24 | sz<<22 | 0b11000<<17 | 0b01101<<12 | 0b10<<10 | ops[1].reg<<5 | ops[0].reg, nil
}

// a64Encoders maps each mnemonic the kernels emit as WORD to its encoder.
var a64Encoders = map[string]func([]a64Operand) (uint32, error){
	"SDOT": dotVec(0),
	"UDOT": dotVec(1),

	"SMULL":  threeDiff(0, 0b1100, false),
	"SMULL2": threeDiff(0, 0b1100, true),
	"SMLAL":  threeDiff(0, 0b1000, false),
	"SMLAL2": threeDiff(0, 0b1000, true),
	"SADDW":  threeDiff(0, 0b0001, false), // only the shape check differs; not used
	"SADALP": twoMiscLongPair(0, 0b00110),
	"SADDLP": twoMiscLongPair(0, 0b00010),
	"XTN":    twoMiscNarrow(0, 0b10010, false),
	"XTN2":   twoMiscNarrow(0, 0b10010, true),
	"SADDLV": acrossLanes(0, 0b00011, true),
	"SMIN":   intThreeSame(0, 0b01101),
	"SMAX":   intThreeSame(0, 0b01100),
	"MUL":    intThreeSame(0, 0b10011),
	"SXTL":   shiftLong(0, false, true),
	"SXTL2":  shiftLong(0, true, true),
	"SSHLL":  shiftLong(0, false, false),
	"SSHR":   shiftRight(0, 0b00000),

	"FADD":    fpThreeSame(0, 0, 0b11010),
	"FSUB":    fpThreeSame(0, 1, 0b11010),
	"FMUL":    fpThreeSame(1, 0, 0b11011),
	"FDIV":    fpThreeSame(1, 0, 0b11111),
	"FMAX":    fpThreeSame(0, 0, 0b11110),
	"FMIN":    fpThreeSame(0, 1, 0b11110),
	"FMAXNM":  fpThreeSame(0, 0, 0b11000),
	"FCMEQ":   fpThreeSame(0, 0, 0b11100),
	"FCMGE":   fpThreeSame(1, 0, 0b11100),
	"FCMGT":   fpThreeSame(1, 1, 0b11100),
	"FADDP":   nil, // scalar or vector, chosen below
	"FABS":    twoMiscFP(0, 1, 0b01111),
	"FNEG":    twoMiscFP(1, 1, 0b01111),
	"SCVTF":   nil, // vector or scalar, chosen below
	"FCVTAS":  twoMiscFP(0, 0, 0b11100),
	"FCVTNS":  twoMiscFP(0, 0, 0b11010),
	"FCVTZS":  twoMiscFP(0, 1, 0b11011),
	"FCVTL":   fcvtl(false),
	"FCVTL2":  fcvtl(true),
	"FCVTN":   fcvtn(false),
	"FCVTN2":  fcvtn(true),
	"FMAXV":   acrossFP(0, 0b01111),
	"FMAXNMV": acrossFP(0, 0b01100),
}

func init() {
	scvtfVec := twoMiscFP(0, 0, 0b11101)
	a64Encoders["SCVTF"] = func(ops []a64Operand) (uint32, error) {
		if len(ops) == 2 && ops[0].kind == 'S' {
			return scvtfScalar(ops)
		}
		return scvtfVec(ops)
	}
	faddpVec := fpThreeSame(1, 0, 0b11010)
	a64Encoders["FADDP"] = func(ops []a64Operand) (uint32, error) {
		if len(ops) == 2 {
			return faddpScalar(ops)
		}
		return faddpVec(ops)
	}
	// By-element forms share mnemonics with the vector forms: pick by the
	// kind of the last operand.
	for name, elem := range map[string]func([]a64Operand) (uint32, error){
		"SMULL":  longByElem(0, 0b1010, false),
		"SMULL2": longByElem(0, 0b1010, true),
		"SMLAL":  longByElem(0, 0b0010, false),
		"SMLAL2": longByElem(0, 0b0010, true),
		"FMUL":   fpByElem(0, 0b1001),
	} {
		vec := a64Encoders[name]
		a64Encoders[name] = func(ops []a64Operand) (uint32, error) {
			if len(ops) == 3 && ops[2].kind == 'E' {
				return elem(ops)
			}
			return vec(ops)
		}
	}
}

// encodeA64 encodes one instruction written as in the Arm manual, e.g.
// "SMLAL2 V4.4S, V5.8H, V0.H[3]". Register names are V/S/D/H/B; the
// arrangement follows the register after a dot. Anything after a further
// "//" is a remark and ignored.
func encodeA64(text string) (uint32, error) {
	text, _, _ = strings.Cut(text, "//") // a remark may follow the instruction
	text = strings.TrimSpace(text)
	mn, rest, _ := strings.Cut(text, " ")
	enc := a64Encoders[strings.ToUpper(mn)]
	if enc == nil {
		return 0, fmt.Errorf("%q: no encoder for %s", text, mn)
	}
	var ops []a64Operand
	for _, f := range strings.Split(rest, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		op, err := parseA64Operand(f)
		if err != nil {
			return 0, fmt.Errorf("%q: %v", text, err)
		}
		ops = append(ops, op)
	}
	w, err := enc(ops)
	if err != nil {
		return 0, fmt.Errorf("%q: %v", text, err)
	}
	return w, nil
}

type a64Word struct {
	file string
	line int
	word uint32
	text string
}

// arm64Words returns every WORD directive of the package's *_arm64.s files.
// Every WORD must carry its instruction in a comment.
func arm64Words(t *testing.T) []a64Word {
	t.Helper()
	files, err := filepath.Glob("*_arm64.s")
	if err != nil {
		t.Fatal(err)
	}
	var words []a64Word
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for ln := 1; sc.Scan(); ln++ {
			line := sc.Text()
			if !strings.Contains(line, "WORD") || strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			m := reWordDir.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: WORD without an instruction comment: %s", f, ln, line)
				continue
			}
			v, err := strconv.ParseUint(m[2], 0, 32)
			if err != nil {
				t.Errorf("%s:%d: %v", f, ln, err)
				continue
			}
			words = append(words, a64Word{f, ln, uint32(v), m[4]})
		}
	}
	return words
}

func TestARM64WordEncodings(t *testing.T) {
	if *updateARM64Words {
		rewriteARM64Words(t)
	}
	words := arm64Words(t)
	if len(words) == 0 {
		t.Skip("no *_arm64.s files with WORD directives")
	}
	seen := map[string]int{}
	for _, w := range words {
		got, err := encodeA64(w.text)
		if err != nil {
			t.Errorf("%s:%d: %v", w.file, w.line, err)
			continue
		}
		if got != w.word {
			t.Errorf("%s:%d: WORD $%#08x but %s encodes as %#08x", w.file, w.line, w.word, w.text, got)
		}
		mn, _, _ := strings.Cut(strings.TrimSpace(w.text), " ")
		seen[strings.ToUpper(mn)]++
	}
	t.Logf("%d WORD directives checked; mnemonics: %v", len(words), seen)
}

func rewriteARM64Words(t *testing.T) {
	files, _ := filepath.Glob("*_arm64.s")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		changed := 0
		for i, line := range lines {
			m := reWordDir.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			w, err := encodeA64(m[4])
			if err != nil {
				t.Fatalf("%s:%d: %v", f, i+1, err)
			}
			nl := m[1] + fmt.Sprintf("0x%08x", w) + m[3] + m[4]
			if nl != line {
				lines[i] = nl
				changed++
			}
		}
		if changed > 0 {
			if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: rewrote %d WORDs", f, changed)
		}
	}
}

// Known encodings, one or more per instruction class, as LLVM's assembler
// (llvm-mc 14+, -mattr=+dotprod) produces them; they pin the encoder on
// machines without llvm-mc.
var a64KnownAnswers = []struct {
	text string
	word uint32
}{
	{"SDOT V0.4S, V1.16B, V2.16B", 0x4e829420},
	{"SDOT V31.2S, V30.8B, V29.8B", 0x0e9d97df},
	{"SDOT V0.4S, V1.16B, V2.4B[3]", 0x4fa2e820},
	{"SDOT V5.4S, V6.16B, V31.4B[0]", 0x4f9fe0c5},
	{"SMULL V2.8H, V0.8B, V1.8B", 0x0e21c002},
	{"SMLAL2 V2.8H, V0.16B, V1.16B", 0x4e218002},
	{"SMLAL V3.4S, V4.4H, V5.H[0]", 0x0f452083},
	{"SMLAL2 V3.4S, V4.8H, V15.H[7]", 0x4f7f2883},
	{"SADALP V1.4S, V2.8H", 0x4e606841},
	{"SADDLV S0, V1.8H", 0x4e703820},
	{"SXTL V1.8H, V2.8B", 0x0f08a441},
	{"XTN V1.8B, V2.8H", 0x0e212841},
	{"SCVTF V0.4S, V1.4S", 0x4e21d820},
	{"SCVTF S0, S1", 0x5e21d820},
	{"FADD V0.4S, V1.4S, V2.4S", 0x4e22d420},
	{"FADD V0.2D, V1.2D, V2.2D", 0x4e62d420},
	{"FMUL V0.4S, V1.4S, V2.4S", 0x6e22dc20},
	{"FMUL V0.4S, V1.4S, V2.S[1]", 0x4fa29020},
	{"FCVTL V0.4S, V1.4H", 0x0e217820},
	{"FCVTL2 V0.2D, V1.4S", 0x4e617820},
	{"FCVTAS V0.4S, V1.4S", 0x4e21c820},
	{"FABS V0.4S, V1.4S", 0x4ea0f820},
	{"FADDP D0, V1.2D", 0x7e70d820},
	{"FMAXV S0, V1.4S", 0x6e30f820},
}

func TestARM64EncoderKnownAnswers(t *testing.T) {
	for _, c := range a64KnownAnswers {
		got, err := encodeA64(c.text)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got != c.word {
			t.Errorf("%s: encoder gives %#08x, want %#08x", c.text, got, c.word)
		}
	}
	// Malformed operands must be refused, not encoded to something else.
	for _, bad := range []string{
		"SDOT V0.4S, V1.8B, V2.16B",    // arrangement mismatch
		"SMLAL V3.4S, V4.4H, V16.H[0]", // H element needs V0-V15
		"SMULL V2.8H, V0.16B, V1.16B",  // upper half needs SMULL2
		"FADD V0.8H, V1.8H, V2.8H",     // half-precision arithmetic is FEAT_FP16, not encoded
		"SXTL V1.8H, V2.16B",
		"FOO V0.4S",
	} {
		if w, err := encodeA64(bad); err == nil {
			t.Errorf("%s: accepted as %#08x", bad, w)
		}
	}
}

// TestARM64EncoderVsLLVM assembles every instruction used in the .s files
// and every known answer with llvm-mc and compares. Skipped when llvm-mc is
// not installed.
func TestARM64EncoderVsLLVM(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		t.Skip("llvm-mc not installed")
	}
	texts := map[string]bool{}
	for _, c := range a64KnownAnswers {
		texts[c.text] = true
	}
	for _, w := range arm64Words(t) {
		tx, _, _ := strings.Cut(w.text, "//")
		texts[strings.TrimSpace(tx)] = true
	}
	var order []string
	var src strings.Builder
	for tx := range texts {
		order = append(order, tx)
		src.WriteString(strings.ToLower(tx) + "\n")
	}
	cmd := exec.Command(mc, "-triple=aarch64", "-mattr=+dotprod,+fullfp16", "-show-encoding")
	cmd.Stdin = strings.NewReader(src.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	// Lines look like: "	sdot	v0.4s, v1.16b, v2.16b  // encoding: [0x20,0x94,0x82,0x4e]"
	reEnc := regexp.MustCompile(`encoding: \[0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2})\]`)
	var encs []uint32
	for _, line := range strings.Split(string(out), "\n") {
		if m := reEnc.FindStringSubmatch(line); m != nil {
			var b [4]uint64
			for i := range b {
				b[i], _ = strconv.ParseUint(m[i+1], 16, 8)
			}
			encs = append(encs, uint32(b[0]|b[1]<<8|b[2]<<16|b[3]<<24))
		}
	}
	if len(encs) != len(order) {
		t.Fatalf("llvm-mc gave %d encodings for %d instructions:\n%s", len(encs), len(order), out)
	}
	for i, tx := range order {
		got, err := encodeA64(tx)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got != encs[i] {
			t.Errorf("%s: encoder %#08x, llvm-mc %#08x", tx, got, encs[i])
		}
	}
	t.Logf("%d distinct instructions agree with llvm-mc", len(order))
}

// TestARM64NoFusedFloat: the arm64 kernels round every product before it
// is added, as the references do (their float32() conversions exist to stop
// Go fusing them), so no fused multiply-add may appear in the .s files,
// written natively or as a WORD. A kernel that wants FMA must say so here
// and document the difference it makes.
func TestARM64NoFusedFloat(t *testing.T) {
	fused := regexp.MustCompile(`\b(V?FML[AS]|FN?M(ADD|SUB)[SD]?|BFMLAL[BT]?)\b`)
	files, _ := filepath.Glob("*_arm64.s")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			code := line
			if m := reWordDir.FindStringSubmatch(line); m != nil {
				code = m[4] // the instruction a WORD stands for
			} else if j := strings.Index(line, "//"); j >= 0 {
				code = line[:j]
			}
			if fused.MatchString(strings.ToUpper(code)) {
				t.Errorf("%s:%d: fused multiply-add: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
