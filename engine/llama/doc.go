// Package llama is the forward pass of Llama-architecture models (BayLing 2
// 7B/13B and the Llama-3-based 8B) over GGUF weights mapped from the file.
//
// A Context holds the state of inference: one paged F16 KV cache shared by
// every sequence (pages of a common prefix are shared between forks), one
// pool of worker threads, and every scratch buffer, allocated once so that a
// forward pass allocates nothing. Decode runs a Batch of tokens with the
// sequence each belongs to: the prefill of one prompt and one decoding step
// of many sequences are the same call, so the weights are read once per
// step however many sequences are active. Activations are quantized per
// block as llama.cpp does and multiplied in integers by the kernels
// package, with weights repacked where a packed kernel is faster; prompt
// batches can be offloaded to an accelerator (Options.Accel).
package llama
