// Package bench measures the engine the way users compare it with
// llama.cpp: prompt processing (one prompt in one batch) and decoding
// (one token per step, greedy), in tokens per second, best of a few
// repetitions; and it puts decoding against this machine's memory
// bandwidth, its roofline.
//
// Decoding one token reads every weight matrix once (the token embedding
// only one row of it) and the KV cache of every earlier position, and does
// too little arithmetic per byte to be bound by anything but memory: a
// decode speed of bandwidth / bytes-per-token is the ceiling, and the
// fraction of it reached says how good the kernels and threading are,
// on any machine. Prompt processing reuses each weight for every token of
// the batch, so it is bound by arithmetic instead.
//
// The prompt is the one llama.cpp's benchmark script evaluates (token ids
// 300 + 7919*i mod 20000, without BOS), so both engines see the same
// sequence of positions and the same attention work.
package bench
