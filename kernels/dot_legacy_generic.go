package kernels

// Reference dots of the 32-element block formats against Q8_0/Q8_1
// activations, as ggml_vec_dot_*_q8_*_generic (ggml-cpu/quants.c): an exact
// int32 sum per block, then a float32 accumulation across blocks with the
// scales multiplied in ggml's order for each type. Products are wrapped in
// float32() so they are never fused into the accumulation.

// dotQ4_0Q8_0: sumf += ((float)sumi * dx) * dy.
func dotQ4_0Q8_0(n int, w, a []byte) float32 {
	nb := n / qk4_0
	w = w[:nb*q4_0Bytes]
	a = a[:nb*q8_0Bytes]
	var sumf float32
	for len(w) >= q4_0Bytes {
		x, y := w[:q4_0Bytes], a[:q8_0Bytes]
		xq, yq := x[2:18], y[2:34]
		var s int32
		for j, q := range xq {
			s += (int32(q&0x0f) - 8) * int32(int8(yq[j]))
			s += (int32(q>>4) - 8) * int32(int8(yq[j+16]))
		}
		sumf += float32(float32(float32(s)*f16at(x)) * f16at(y))
		w, a = w[q4_0Bytes:], a[q8_0Bytes:]
	}
	return sumf
}

// dotQ4_1Q8_1: sumf += (dx*dy)*sumi + mx*sy, where sy = dy*sum(qy) carries
// the minimum's contribution.
func dotQ4_1Q8_1(n int, w, a []byte) float32 {
	nb := n / qk4_0
	w = w[:nb*q4_1Bytes]
	a = a[:nb*q8_1Bytes]
	var sumf float32
	for len(w) >= q4_1Bytes {
		x, y := w[:q4_1Bytes], a[:q8_1Bytes]
		xq, yq := x[4:20], y[4:36]
		var s int32
		for j, q := range xq {
			s += int32(q&0x0f) * int32(int8(yq[j]))
			s += int32(q>>4) * int32(int8(yq[j+16]))
		}
		dd := float32(f16at(x[0:]) * f16at(y[0:]))
		sumf += float32(dd*float32(s)) + float32(f16at(x[2:])*f16at(y[2:]))
		w, a = w[q4_1Bytes:], a[q8_1Bytes:]
	}
	return sumf
}

// q5Bits returns the two fifth bits of byte j of a Q5 block (elements j and
// j+16), already shifted to 0x10.
func q5Bits(qh uint32, j int) (int32, int32) {
	return int32(qh>>uint(j)<<4) & 0x10, int32(qh>>uint(j+12)) & 0x10
}

// dotQ5_0Q8_0: sumf += (dx*dy) * sumi.
func dotQ5_0Q8_0(n int, w, a []byte) float32 {
	nb := n / qk4_0
	w = w[:nb*q5_0Bytes]
	a = a[:nb*q8_0Bytes]
	var sumf float32
	for len(w) >= q5_0Bytes {
		x, y := w[:q5_0Bytes], a[:q8_0Bytes]
		qh := uint32(x[2]) | uint32(x[3])<<8 | uint32(x[4])<<16 | uint32(x[5])<<24
		xq, yq := x[6:22], y[2:34]
		var s int32
		for j, q := range xq {
			h0, h1 := q5Bits(qh, j)
			s += ((int32(q&0x0f) | h0) - 16) * int32(int8(yq[j]))
			s += ((int32(q>>4) | h1) - 16) * int32(int8(yq[j+16]))
		}
		sumf += float32(float32(f16at(x)*f16at(y)) * float32(s))
		w, a = w[q5_0Bytes:], a[q8_0Bytes:]
	}
	return sumf
}

// dotQ5_1Q8_1: sumf += (dx*dy)*sumi + mx*sy.
func dotQ5_1Q8_1(n int, w, a []byte) float32 {
	nb := n / qk4_0
	w = w[:nb*q5_1Bytes]
	a = a[:nb*q8_1Bytes]
	var sumf float32
	for len(w) >= q5_1Bytes {
		x, y := w[:q5_1Bytes], a[:q8_1Bytes]
		qh := uint32(x[4]) | uint32(x[5])<<8 | uint32(x[6])<<16 | uint32(x[7])<<24
		xq, yq := x[8:24], y[4:36]
		var s int32
		for j, q := range xq {
			h0, h1 := q5Bits(qh, j)
			s += (int32(q&0x0f) | h0) * int32(int8(yq[j]))
			s += (int32(q>>4) | h1) * int32(int8(yq[j+16]))
		}
		dd := float32(f16at(x[0:]) * f16at(y[0:]))
		sumf += float32(dd*float32(s)) + float32(f16at(x[2:])*f16at(y[2:]))
		w, a = w[q5_1Bytes:], a[q8_1Bytes:]
	}
	return sumf
}

// dotQ8_0Q8_0: sumf += sumi * (dx*dy).
func dotQ8_0Q8_0(n int, w, a []byte) float32 {
	nb := n / qk8_0
	w = w[:nb*q8_0Bytes]
	a = a[:nb*q8_0Bytes]
	var sumf float32
	for len(w) >= q8_0Bytes {
		x, y := w[:q8_0Bytes], a[:q8_0Bytes]
		xq, yq := x[2:34], y[2:34]
		var s int32
		for j, q := range xq {
			s += int32(int8(q)) * int32(int8(yq[j]))
		}
		sumf += float32(float32(s) * float32(f16at(x)*f16at(y)))
		w, a = w[q8_0Bytes:], a[q8_0Bytes:]
	}
	return sumf
}
