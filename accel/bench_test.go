package accel_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/internal/acceltest"
	"github.com/baylingd/baylingd/kernels"
)

// BenchmarkMatMul times one 2048 x 2048 weight matrix (Q4_0 and Q8_0)
// times a batch of activations at prefill batch sizes, on the CPU
// (kernels.MatMul on all cores, activation quantization included), on
// Vulkan (whatever device is installed: lavapipe here, which is a CPU
// driver and is expected to lose) and on the NPU backend over its ABI
// double (which computes on the CPU: its figures measure the binding's
// overhead plus a naive C loop, nothing about an NPU). tok/s is activation
// rows per second through this one matrix.
//
//	go test -run '^$' -bench MatMul -benchtime 3x ./accel
func BenchmarkMatMul(b *testing.B) {
	batches := []int{1, 32, 128, 512}
	for _, typ := range []kernels.Type{kernels.Q4_0, kernels.Q8_0} {
		w := testWeight(b, typ, 2048, 2048)
		b.Run(typ.String(), func(b *testing.B) {
			b.Run("cpu", func(b *testing.B) {
				cpu, err := accel.CPUMatMul(w, runtime.GOMAXPROCS(0))
				if err != nil {
					b.Fatal(err)
				}
				for _, batch := range batches {
					b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchBatch(b, cpu, w, batch) })
				}
			})
			for _, kind := range accel.Kinds {
				b.Run(kind, func(b *testing.B) {
					opts := accel.Options{}
					if kind == "rknpu" {
						opts.RKNNLibrary = acceltest.BuildFakeRKNN(b)
					}
					be, err := accel.Open(kind, opts)
					if err != nil {
						if errors.Is(err, accel.ErrUnavailable) {
							b.Skip(err)
						}
						b.Fatal(err)
					}
					defer be.Close()
					m, err := be.Upload(w.Name, w.Type, w.Rows, w.Cols, w.Data)
					if err != nil {
						b.Fatal(err)
					}
					defer m.Free()
					for _, batch := range batches {
						b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
							if kind == "rknpu" && batch > 32 {
								b.Skip("the ABI double computes on the CPU; larger batches only measure its C loop")
							}
							benchBatch(b, m.MatMul, w, batch)
						})
					}
				})
			}
		})
	}
}

func benchBatch(b *testing.B, f accel.CPUFunc, w accel.Weight, batch int) {
	x := acceltest.RandomActivations(batch*w.Cols, randFor(batch))
	out := make([]float32, batch*w.Rows)
	if err := f(x, batch, out); err != nil { // warm-up: pipelines, buffers
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f(x, batch, out); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

func randFor(seed int) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 99)) }
