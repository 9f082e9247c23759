// Package gguf reads and writes GGUF files, the model format of llama.cpp.
//
// A File is parsed from the header of a memory-mapped model: metadata
// key/values and tensor descriptions are decoded into Go values, while
// tensor data stays in the read-only mapping and is handed out as slices of
// it, so opening a multi-gigabyte model costs only the pages later read.
// Every length and offset in the header is checked against the file before
// it is used; a malformed file yields an error, never a panic.
//
// The Writer produces files the reader (and llama.cpp) accepts; it streams
// tensor data so converters need not hold a whole model in memory.
package gguf
