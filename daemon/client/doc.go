// Package client talks to baylingd over its Unix socket: translations
// (whole or streamed), OpenAI-style chat, the language list and the health
// check. The CLI uses it, and so can any Go program on the same machine.
//
// Errors the daemon answers with are *apierr.Error, with the stable code
// the daemon gave (busy, timeout, unknown_language, ...); failures to reach
// the daemon at all are other errors that name the socket.
package client
