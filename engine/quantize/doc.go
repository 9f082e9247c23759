// Package quantize turns float weights into ggml's block formats and
// requantizes whole GGUF models, as llama.cpp's llama-quantize does.
//
// # Quantizers
//
// Encode writes Q4_0, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K and Q6_K blocks with
// ggml's reference quantizers (quantize_row_*_ref of ggml-quants.c, which is
// what llama-quantize runs when no importance matrix is given). They are
// followed operation for operation: the same float32 order of evaluation,
// every product that feeds a sum rounded on its own (an explicit float32
// conversion, which Go defines as a rounding point, stops the compiler from
// fusing it into an FMA on arm64), ggml's nearest_int bit trick and its
// float-to-fp16 rounding. The output is therefore byte-identical to
// llama.cpp's on every GOARCH; the tests check this against the fixture
// models llama-quantize produced.
//
// # Tensor type mix
//
// A FileType names an output recipe ("q4_k_m", "q8_0", ...). Plan applies
// llama.cpp's llama_tensor_get_type rules for the Llama architecture: which
// tensors are quantized (2-D weights; never norms), the more precise types
// for output.weight and, in the _M mixes, for attn_v and ffn_down on the
// layers use_more_bits picks, and the fallbacks for rows whose length is not
// a multiple of the block size.
//
// # Streaming
//
// Encoder writes one tensor at a time to a gguf.Writer in chunks of rows
// quantized in parallel, so converting or requantizing a model needs memory
// for a few chunks per thread, not for a tensor, let alone the model.
// QuantizeFile builds on it to requantize an F32/F16/BF16 GGUF file.
package quantize
