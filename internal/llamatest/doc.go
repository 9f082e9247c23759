// Package llamatest holds test helpers that run the engine (engine/llama)
// on a model file, shared by the tests of the packages that write models
// (engine/convert, engine/quantize). It lives apart from internal/fixtures
// because engine/llama's own tests import that package.
package llamatest
