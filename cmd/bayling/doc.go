// Command bayling is the command-line tool of baylingd: it translates and
// chats through the daemon's socket or, with --model, runs the engine
// in-process, and it inspects, converts, quantizes and benchmarks models.
//
// Each subcommand lives in its own cmd_<name>.go file and registers itself
// in init, so the commands stay independent of one another.
package main
