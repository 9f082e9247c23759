// Package acceltest holds what the tests and benchmarks of the accel
// backends share: random GGUF weights, the float64 reference matmul and the
// error metric, the CI rule for missing drivers (Unavailable) and the
// build of the RKNN ABI double (BuildFakeRKNN). It lives under the
// repository's internal/ rather than accel/internal/ so that the engine,
// daemon and command tests, which run the models with offload on, apply
// the same rules. It must not import accel: the backends' own in-package
// tests import it.
package acceltest
