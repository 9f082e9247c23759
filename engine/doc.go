// Package engine runs BayLing 2 models: it loads a GGUF file (weights
// mapped, tokenizer built from its metadata) and serves generation requests
// with continuous batching, reading and writing nothing but the model file.
//
// The subpackages do the parts: gguf reads the file, tokenizer turns text
// into tokens and back, llama is the forward pass and KV cache, sample picks
// tokens. A Runner owns one llama.Context and interleaves every active
// request in each forward pass, so the weights are streamed from memory once
// per step however many requests are being served.
package engine
