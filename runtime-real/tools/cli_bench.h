// `cairn bench`: drives a put, get or metadata workload against a cluster and prints what
// it measured.
//
//   cairn bench [--workload put|get|meta] [--size 4KiB] [--clients 1] [--duration 10s]
//               [--ops N] [--files 1] [--dir /bench] [--chunk-size 64MiB] [--window 4]
//               [--inline 8KiB]
//               [--peer H:P[,...]] [--storage H:P[,...]] [--timeout 10s] [--json]
//
// Each client is a FileBlockingClient of its own (its own connections and loop thread)
// driven by a thread of its own, one operation at a time (closed loop). put: every put
// writes a new file of --size bytes whose contents no other put shares (so nothing is
// deduplicated) under DIR/run-<ms>/c<i>/. get: each client first puts --files files
// (not timed; a put refused as Unavailable is retried), then reads them in turn, whole, with the
// client's chunk cache off. meta: each client first puts --files files of --size bytes, then stats
// them in turn, every tenth operation listing its directory (at most 100 entries) instead. The run
// lasts --duration, or until --ops operations (all clients together) have been started and
// finished. Reported: operations and bytes per second over the run's wall time, latency percentiles
// (p50/p90/p99/max) of the successful operations, and failed ones counted by kind (status code)
// with one message of each kind.
//
// Exit status: 0 every operation succeeded; 1 some failed (they are counted in the
// output) or the cluster could not be reached during setup; 2 bad usage; others as the
// file commands (cli_files.h) when setup fails.
#pragma once

#include <cstdint>
#include <string>

#include "runtime-real/tools/cli_common.h"

namespace cairn::real::cli {

struct BenchArgs {
  std::string workload = "put";
  std::string size = "4KiB";
  uint32_t clients = 1;
  std::string duration = "10s";
  uint64_t ops = 0;  // 0: run for --duration
  uint32_t files = 1;
  std::string dir = "/bench";
  std::string chunk_size = "64MiB";
  std::string inline_size = "8KiB";
  uint32_t window = 4;
  std::string storage;
  ClusterArgs cluster;
};

// Adds the `bench` subcommand to `app`, bound to `args`.
CLI::App* add_bench_command(CLI::App& app, BenchArgs& args);
// Runs the parsed `bench` command; returns the exit status.
int run_bench_command(const BenchArgs& args);

}  // namespace cairn::real::cli
