// The `cairn` file commands: the file store from the command line.
//
//   cairn put LOCAL PATH     [--if-absent | --if-version N] [--chunk-size 64MiB] [--cdc]
//                            [--inline 8KiB]
//                            [--replicas R | --rs K+M] [--window N]   LOCAL "-": stdin
//   cairn get PATH LOCAL     [--version N]                          LOCAL "-": stdout
//   cairn cat PATH           [--version N] [--offset N] [--length N]
//   cairn ls [PATH]          [--limit N] [--after NAME]
//   cairn stat PATH
//   cairn rm PATH            [--if-version N]
//   cairn mv FROM TO
//   cairn mkdir PATH         [-p]
//   cairn rmdir PATH
//   cairn versions PATH
//   every command: [--peer H:P[,H:P...]] [--storage H:P[,...]] [--timeout 10s] [--json]
//
// --peer lists client ports of meta nodes (and of storage nodes, unless --storage lists
// those apart); `cairnd dev` serves both on 127.0.0.1:7201 and up. "--" ends the options.
// `get` writes LOCAL.part and renames it to LOCAL once every byte arrived and was checked,
// so a failed get leaves no partial file. Transfers draw a progress bar on stderr when it
// is a terminal (and --json is not given) once they take longer than half a second.
// --json prints one object on stdout per command; errors as {"error":..,"code":..}.
//
// Exit status (runtime-real/tools/cli_common.h): 0 done; 1 the cluster could not be
// reached, or no leader answered in time (a write may or may not have been applied); 2 bad
// usage or a bad path; 3 no such file, directory or version; 4 a conflict: the path exists
// (--if-absent, mkdir, mv), another version is current (--if-version), a directory is not
// empty, or a file is where a directory must be (or the reverse); 5 data could not be read
// back intact, or a local file could not be read or written.
#pragma once

#include <string>
#include <vector>

#include "runtime-real/tools/cli_common.h"

namespace cairn::real::cli {

struct FileArgs {
  std::string verb;                // set by the parser
  std::vector<std::string> paths;  // the positionals
  std::string storage;             // --storage
  bool if_absent = false, parents = false, cdc = false;
  uint64_t if_version = 0, version = 0, offset = 0, length = 0, limit = 0;
  bool has_length = false, has_if_version = false;
  std::string after, chunk_size = "64MiB", inline_size = "8KiB", rs;
  int replicas = 0;
  uint32_t window = 4;
  ClusterArgs cluster;
};

// Adds the file commands to `app`, bound to `args`; returns them.
std::vector<CLI::App*> add_file_commands(CLI::App& app, FileArgs& args);
// Runs the command that was parsed into `args`; returns the exit status.
int run_file_command(const FileArgs& args);

}  // namespace cairn::real::cli
