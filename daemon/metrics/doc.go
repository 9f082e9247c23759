// Package metrics writes the Prometheus text exposition format (version
// 0.0.4) for a fixed set of counters, gauges and histograms.
//
// It is hand-written rather than github.com/prometheus/client_golang: the
// daemon exports two dozen series, and client_golang with its dependencies
// (protobuf, prometheus/common, procfs) adds megabytes to a binary that is
// copied to SD cards and mapped next to a model on 4 GB boards. What the
// format needs is small and fully specified: HELP and TYPE lines, escaped
// label values, cumulative histogram buckets ending in +Inf with _sum and
// _count. The tests check the output against those rules with a parser of
// their own.
package metrics
