// Package fixturedir finds the shared fixtures folder (the test models,
// vocabularies and goldens kept beside the repository), for tests and for
// tools such as bayling synth that reuse a fixture vocabulary.
package fixturedir
