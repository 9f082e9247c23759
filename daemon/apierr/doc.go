// Package apierr gives every failure the daemon reports a stable code, so
// clients on any transport (socket, MQTT) can act on it: the same error
// always gets the same code and a fitting HTTP status.
package apierr
