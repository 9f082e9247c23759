// Package daemon is the service around one engine: it loads the model,
// serves the HTTP API on a Unix socket and, when configured, the MQTT
// bridge, and plays its part in systemd's service protocol.
//
// # Requests
//
// Every request, from the socket or from MQTT, takes one path (service):
// the daemon must be ready, the text within limits.max_input_bytes, the
// output within limits.max_output_tokens, the whole request within
// limits.deadline; the engine's bounded queue answers "busy" at once when
// full; a client that goes away cancels its request in the engine; and the
// outcome is counted by transport and code. Every accepted request gets a
// reply or an error with a stable code (package apierr), never silence: a
// panic in a handler is answered "internal".
//
// # The socket API
//
// HTTP/1.1 with JSON on a Unix socket, the convention of Docker and
// tailscaled's LocalAPI:
//
//	POST /v1/translate          {text, source?, target, glossary?, chinese?, stream?,
//	                             max_tokens?, temperature?, top_p?, seed?}
//	                            -> {translation, source, target, tokens, prompt_tokens,
//	                                cached_tokens, ms, first_token_ms}
//	                            stream: NDJSON {"delta": "..."} lines, then that object
//	                            (or {"error": {...}})
//	POST /v1/chat/completions   OpenAI's chat completions (messages, max_tokens,
//	                            temperature, top_p, stop, stream as server-sent events)
//	GET  /v1/models             OpenAI's model list (the one model)
//	GET  /v1/languages          {languages: [{code, iso639_3, name, native, chinese, script}]}
//	GET  /v1/health             200 {status: "ok", model, uptime_s, queue, active, ...};
//	                            503 while loading, draining or unhealthy
//	GET  /metrics               Prometheus text format
//
// Errors are {"error": {"code", "message"}} with the status of apierr.Status.
//
// # Accelerators
//
// model.accel chooses, before the runner starts, where the layer matmuls of
// prompt chunks run (engine.ChooseAccel): "auto" measures every GPU/NPU
// found on the model's own matrices and keeps the CPU unless one is faster
// (a missing driver is an info line, not an error); "vulkan" or "rknpu"
// must open, or Run fails with a model.accel error (baylingd exits 1),
// and then takes every pass longer than engine.max_sequences tokens;
// "cpu" loads no driver. The decision and the figures are logged and
// exported: baylingd_accel_info{mode,backend,min_batch},
// baylingd_accel_measured_tokens_per_second{backend,weight,batch,side},
// baylingd_accel_measured_min_batch, and, while a backend is in use,
// baylingd_accel_matmuls_total, baylingd_accel_rows_total and
// baylingd_accel_failed. A device error does not fail requests: the engine
// finishes that pass on the CPU and stops offloading, and the daemon logs
// it once.
//
// # systemd
//
// Run follows Type=notify: STATUS= with loading progress and
// EXTEND_TIMEOUT_USEC while the model is mapped and warmed, READY=1 when
// requests can be served at full speed, WATCHDOG=1 only while a real health
// check passes (no forward pass stuck, and the daemon answers a request on
// its own socket), STOPPING=1 on SIGTERM followed by a drain. The socket
// comes from systemd (socket activation, the fd named "baylingd") or is
// created at socket.path.
package daemon
