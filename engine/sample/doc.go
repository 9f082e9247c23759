// Package sample turns logits into the next token: greedy, or temperature
// sampling restricted by top-k and top-p, after a repetition penalty, from a
// seeded generator so that a run can be repeated exactly.
//
// The order of the steps follows llama.cpp's default sampler chain
// (penalties, top-k, top-p, temperature, draw) so that the same settings
// mean the same thing in both.
package sample
