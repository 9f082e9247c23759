#version 450
// Matrix multiply of a weight matrix stored in a GGUF block layout by a
// batch of F32 activations:
//
//   o[b * outStride + outOffset + r] = sum_k W[r][k] * x[b * cols + k]
//
// for r < rows (the rows of this buffer) and b < batch. Exactly one of
// TYPE_Q4_0, TYPE_Q8_0, TYPE_Q4_K, TYPE_Q6_K, TYPE_F16 is defined by the
// glslc command line (see ../shaders.go); everything but the dequantize
// step is shared.
//
// The weights are read as a uint array straight from the bytes of the GGUF
// tensor, so that an upload is a plain copy of the memory-mapped file and
// the shader needs no 8- or 16-bit storage feature (many mobile drivers
// lack them). Blocks of Q4_0 (18 bytes), Q8_0 (34), Q6_K (210) and F16
// rows of odd length start on 2-byte boundaries, so 32-bit loads go
// through ld32, which joins two words when the offset is not 4-aligned; the
// host pads each weight buffer by 4 bytes so the second word always exists.
//
// Tiling: a workgroup of 64 invocations computes a 32 (rows) x 32 (batch)
// tile of the output. Per step of 32 along K, every invocation dequantizes
// 16 weights (one row, half a 32-element block) and loads 16 activations
// into shared memory, then accumulates a 4 x 4 register tile. 32 along K is
// one block of Q4_0/Q8_0 and one sub-block of the K-quants, so each step
// decodes exactly one scale.

#extension GL_EXT_control_flow_attributes : enable

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(std430, set = 0, binding = 0) readonly buffer Weights { uint w[]; };
layout(std430, set = 0, binding = 1) readonly buffer Acts { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Outs { float o[]; };

// Must match pushConstants in matrix.go.
layout(push_constant) uniform Params {
    uint rows;      // weight rows in this buffer
    uint cols;      // K, elements per weight row and per activation row
    uint batch;     // activation rows
    uint rowBytes;  // bytes per weight row
    uint outStride; // floats per output row (all rows of the matrix)
    uint outOffset; // output index of this buffer's first weight row
} p;

const uint TM = 32u; // weight rows per tile
const uint TN = 32u; // activation rows per tile
const uint TK = 32u; // K per step

shared float ws[TK * TM]; // ws[k * TM + m]
shared float xs[TK * TN]; // xs[k * TN + n]

uint ld8(uint off) { return (w[off >> 2u] >> ((off & 3u) << 3u)) & 0xFFu; }
uint ld16(uint off) { return (w[off >> 2u] >> ((off & 2u) << 3u)) & 0xFFFFu; } // off even
uint ld32(uint off) { // off even
    uint i = off >> 2u;
    if ((off & 2u) == 0u) {
        return w[i];
    }
    return (w[i] >> 16u) | (w[i + 1u] << 16u);
}
float ldf16(uint off) { return unpackHalf2x16(ld16(off)).x; }

void put(uint k, uint m, float v) { ws[k * TM + m] = v; }

// dequant writes 16 of the 32 weights W[row][k0 .. k0+32) into ws, for the
// half h (0 or 1) of the step; the two halves together cover all 32.
// base is the byte offset of the row.
#if defined(TYPE_Q4_0)
// block_q4_0: f16 d; u8 qs[16]. Element j < 16 is the low nibble of qs[j],
// element j + 16 the high nibble; value (q - 8) * d. Half h takes qs[8h ..
// 8h+8), i.e. elements 8h .. 8h+8 and 16+8h .. 16+8h+8.
void dequant(uint m, uint h, uint base, uint k0) {
    uint boff = base + (k0 >> 5u) * 18u;
    float d = ldf16(boff);
    [[unroll]] for (uint i = 0u; i < 2u; i++) {
        uint q = ld32(boff + 2u + 8u * h + 4u * i);
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            uint v = (q >> (8u * j)) & 0xFFu;
            uint e = 8u * h + 4u * i + j;
            put(e, m, float(int(v & 15u) - 8) * d);
            put(e + 16u, m, float(int(v >> 4u) - 8) * d);
        }
    }
}
#elif defined(TYPE_Q8_0)
// block_q8_0: f16 d; i8 qs[32]; value qs[j] * d.
void dequant(uint m, uint h, uint base, uint k0) {
    uint boff = base + (k0 >> 5u) * 34u;
    float d = ldf16(boff);
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        int q = int(ld32(boff + 2u + 16u * h + 4u * i));
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            put(16u * h + 4u * i + j, m, float(bitfieldExtract(q, int(8u * j), 8)) * d);
        }
    }
}
#elif defined(TYPE_Q4_K)
// block_q4_K (256 elements): f16 d; f16 dmin; u8 scales[12]; u8 qs[128].
// Sub-block s (32 elements) has a 6-bit scale and min packed in scales
// (get_scale_min_k4 in ggml); its quants are the low (s even) or high (s
// odd) nibbles of qs[32*(s/2) .. +32]. Value d*sc*q - dmin*mn.
void dequant(uint m, uint h, uint base, uint k0) {
    uint boff = base + (k0 >> 8u) * 144u;
    uint s = (k0 & 255u) >> 5u;
    float d = ldf16(boff);
    float dmin = ldf16(boff + 2u);
    uint sb = boff + 4u;
    uint sc, mn;
    if (s < 4u) {
        sc = ld8(sb + s) & 63u;
        mn = ld8(sb + s + 4u) & 63u;
    } else {
        sc = (ld8(sb + s + 4u) & 0xFu) | ((ld8(sb + s - 4u) >> 6u) << 4u);
        mn = (ld8(sb + s + 4u) >> 4u) | ((ld8(sb + s) >> 6u) << 4u);
    }
    float d1 = d * float(sc);
    float m1 = dmin * float(mn);
    uint shift = (s & 1u) * 4u;
    uint qoff = boff + 16u + 32u * (s >> 1u) + 16u * h; // 4-aligned: 144 and 16 are
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        uint q = w[(qoff >> 2u) + i];
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            put(16u * h + 4u * i + j, m, d1 * float((q >> (8u * j + shift)) & 15u) - m1);
        }
    }
}
#elif defined(TYPE_Q6_K)
// block_q6_K (256 elements): u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d.
// Sub-block s is half n = s/4, quarter c = s%4 of dequantize_row_q6_K:
// element l < 32 has its low 4 bits in ql[64n + 32(c&1) + l] (low nibble
// for c < 2, high for c >= 2), its high 2 bits at bit 2c of qh[32n + l],
// and scale scales[8n + 2c + l/16]; value d * scale * (q - 32).
void dequant(uint m, uint h, uint base, uint k0) {
    uint boff = base + (k0 >> 8u) * 210u;
    uint s = (k0 & 255u) >> 5u;
    uint n = s >> 2u;
    uint c = s & 3u;
    uint qlOff = boff + 64u * n + 32u * (c & 1u) + 16u * h;
    uint qhOff = boff + 128u + 32u * n + 16u * h;
    uint qlShift = (c >> 1u) * 4u;
    uint qhShift = 2u * c;
    int sc = bitfieldExtract(int(ld8(boff + 192u + 8u * n + 2u * c + h)), 0, 8);
    float ds = ldf16(boff + 208u) * float(sc);
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        uint ql = ld32(qlOff + 4u * i);
        uint qh = ld32(qhOff + 4u * i);
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            uint lo = (ql >> (8u * j + qlShift)) & 15u;
            uint hi = (qh >> (8u * j + qhShift)) & 3u;
            put(16u * h + 4u * i + j, m, ds * float(int(lo | (hi << 4u)) - 32));
        }
    }
}
#elif defined(TYPE_F16)
// Plain half-precision rows; K need not be a multiple of 32.
void dequant(uint m, uint h, uint base, uint k0) {
    [[unroll]] for (uint j = 0u; j < 16u; j++) {
        uint k = k0 + 16u * h + j;
        put(16u * h + j, m, k < p.cols ? ldf16(base + 2u * k) : 0.0);
    }
}
#else
#error "define one of TYPE_Q4_0, TYPE_Q8_0, TYPE_Q4_K, TYPE_Q6_K, TYPE_F16"
#endif

void main() {
    uint t = gl_LocalInvocationID.x;
    uint r0 = gl_WorkGroupID.x * TM;
    uint b0 = gl_WorkGroupID.y * TN;

    // Loading roles: invocation t dequantizes half dh of weight row dm and
    // loads half dh of activation row dm.
    uint dm = t >> 1u;
    uint dh = t & 1u;
    uint wrow = r0 + dm;
    bool wok = wrow < p.rows;
    uint wbase = wrow * p.rowBytes;
    uint xrow = b0 + dm;
    bool xok = xrow < p.batch;
    uint xbase = xrow * p.cols;

    // Compute role: a 4 x 4 tile of rows tr*4.. and batch columns tc*4..
    uint tr = t >> 3u;
    uint tc = t & 7u;
    float acc[4][4];
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            acc[i][j] = 0.0;
        }
    }

    for (uint k0 = 0u; k0 < p.cols; k0 += TK) {
        if (wok) {
            dequant(dm, dh, wbase, k0);
        } else {
            [[unroll]] for (uint j = 0u; j < 16u; j++) {
                put(16u * dh + j, dm, 0.0);
            }
        }
        [[unroll]] for (uint j = 0u; j < 16u; j++) {
            uint kk = 16u * dh + j;
            uint k = k0 + kk;
            xs[kk * TN + dm] = (xok && k < p.cols) ? x[xbase + k] : 0.0;
        }
        memoryBarrierShared();
        barrier();

        for (uint k = 0u; k < TK; k++) {
            float a[4];
            float bv[4];
            [[unroll]] for (uint i = 0u; i < 4u; i++) {
                a[i] = ws[k * TM + tr * 4u + i];
                bv[i] = xs[k * TN + tc * 4u + i];
            }
            [[unroll]] for (uint i = 0u; i < 4u; i++) {
                [[unroll]] for (uint j = 0u; j < 4u; j++) {
                    acc[i][j] = fma(a[i], bv[j], acc[i][j]);
                }
            }
        }
        memoryBarrierShared();
        barrier();
    }

    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        uint r = r0 + tr * 4u + i;
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            uint bb = b0 + tc * 4u + j;
            if (r < p.rows && bb < p.batch) {
                o[bb * p.outStride + p.outOffset + r] = acc[i][j];
            }
        }
    }
}
