package kernels

import (
	"encoding/binary"
	"sync"
	"time"
)

// Bandwidth measures how fast this machine streams memory into its cores:
// threads goroutines each read a disjoint share of one buffer of size bytes
// with the widest loads the CPU has (readSum), passes times, and the best
// pass is returned in GB/s (1e9 bytes per second). It is the roofline for
// decoding, which reads every weight once per token: decode tok/s can at best
// be Bandwidth / model bytes.
//
// size should be far beyond the last-level cache (256 MiB or more) or it
// measures the cache; it is rounded down to a multiple of 4 KiB per thread.
// The buffer is allocated and written once (so its pages exist) and freed
// afterwards; a call takes about passes+2 times size/bandwidth. threads < 1
// means 1, passes < 1 means 1.
func Bandwidth(threads, size, passes int) float64 {
	threads = max(threads, 1)
	passes = max(passes, 1)
	share := size / threads &^ 4095
	if share == 0 {
		return 0
	}
	buf := make([]byte, share*threads)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = byte(i >> 12)
	}
	var sink uint64
	var mu sync.Mutex
	best := 0.0
	for p := 0; p < passes; p++ {
		var wg sync.WaitGroup
		var start sync.WaitGroup
		start.Add(1)
		wg.Add(threads)
		for t := 0; t < threads; t++ {
			go func(b []byte) {
				defer wg.Done()
				start.Wait()
				s := readSum(b)
				mu.Lock()
				sink += s
				mu.Unlock()
			}(buf[t*share : (t+1)*share])
		}
		t0 := time.Now()
		start.Done()
		wg.Wait()
		if d := time.Since(t0).Seconds(); d > 0 {
			best = max(best, float64(len(buf))/d/1e9)
		}
	}
	if sink == 1 { // keep the sums alive
		best += 0
	}
	return best
}

// readSum is the read kernel Bandwidth times; architecture files replace it.
var readSum = readSumGeneric

// readSumGeneric adds b as little-endian uint64 words (len(b) a multiple
// of 64); it is what readSum runs without assembly.
func readSumGeneric(b []byte) uint64 {
	var s0, s1, s2, s3 uint64
	for len(b) >= 64 {
		s0 += binary.LittleEndian.Uint64(b[0:]) + binary.LittleEndian.Uint64(b[32:])
		s1 += binary.LittleEndian.Uint64(b[8:]) + binary.LittleEndian.Uint64(b[40:])
		s2 += binary.LittleEndian.Uint64(b[16:]) + binary.LittleEndian.Uint64(b[48:])
		s3 += binary.LittleEndian.Uint64(b[24:]) + binary.LittleEndian.Uint64(b[56:])
		b = b[64:]
	}
	return s0 + s1 + s2 + s3
}
