// Command baylingd is the translation daemon: it reads its configuration,
// sets up logging and signals, and runs daemon.Run until SIGTERM.
//
//	baylingd [--config FILE] [--model FILE.gguf] [--socket PATH]
//	baylingd --check-config [--config FILE]
//	baylingd --version
//
// Exit status: 0 after a clean stop, 1 when the daemon cannot start or
// fails, 2 for a bad command line or configuration (systemd shows the
// message; RestartPreventExitStatus=2 keeps it from restarting in a loop).
package main
