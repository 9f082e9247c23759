// Package cpuinfo finds how many CPU cores are worth a compute thread: the
// default of --threads.
//
// Inference threads all run the same share of every matrix multiply and
// wait for the slowest, so on a big.LITTLE board (RK3588: four Cortex-A76
// and four Cortex-A55) a thread on a little core holds the big ones back,
// and decoding is bound by memory bandwidth that four big cores already
// use up. Likewise two hardware threads of one core share its load units.
// So the default is one thread per physical performance core, as
// llama.cpp's default is one per physical core.
package cpuinfo
