// Package synth writes random-weight Llama-architecture GGUF models with the
// real dimensions of TinyLlama-1.1B and the BayLing 2 models, for
// benchmarks: the speed of decoding and prompt processing depends on the
// shapes and tensor types of a model, not on what its weights say, so a
// synthetic file stands in for a multi-gigabyte download and llama.cpp can
// be timed on the very same bytes.
//
// Weights are normal with standard deviation 0.02 (the initialisation of
// the Llama family), norms are 1, so activations keep the magnitudes of a
// real model and no kernel meets overflow or denormals a real model would
// not. Each row is drawn from its own PCG stream seeded by (seed, tensor,
// row), so a file depends only on its shape, type and seed, never on the
// thread count. Matrices are quantized with engine/quantize's ggml
// reference quantizers and llama.cpp's tensor-type mix for the recipe
// (q4_k_m: Q4_K with Q6_K for output, and for attn_v and ffn_down on the
// layers llama.cpp picks), and streamed to disk tensor by tensor, so
// writing the 8B shape needs a few megabytes, not gigabytes.
//
// The tokenizer metadata is copied from a vocabulary GGUF (the fixtures'
// vocab-llama2-spm.gguf or vocab-llama3-bpe.gguf) so that the file is a
// complete model that llama.cpp and this engine load like any other. Where
// no vocabulary file is at hand, a SentencePiece vocabulary of the right
// size is generated (control tokens, the 256 byte tokens, then letter
// strings); general.name then says that the vocabulary is generated as well
// as that the weights are random.
package synth
