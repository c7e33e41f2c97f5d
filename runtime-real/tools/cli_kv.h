// `cairn kv`: the meta group's key-value store from the command line.
//
//   cairn kv put KEY VALUE|-            [--file PATH]   prints "ok"
//   cairn kv get KEY                    [-o FILE]       the value's exact bytes on stdout
//   cairn kv cas KEY EXPECTED|- NEW|-   [--file PATH] [--expected-file PATH]   prints "ok"
//   cairn kv del KEY                                    prints "deleted"
//   every verb: [--peer H:P[,H:P...]] [--timeout 5s] [--json]
//
// VALUE "-" reads the value from stdin, --file PATH from a file (then VALUE is left out);
// "--" ends the options, so `cairn kv put -- k -x` stores "-x" (options go before "--").
// `get` writes exactly the value's bytes, adding a newline only when stdout is a terminal;
// a missing key prints nothing on stdout and says so on stderr. Keys are at most 4 KiB and
// values at most 1 MiB (core/kv/kv_limits.h); a larger one is refused before anything is
// sent. --json prints one object on stdout: {"key":..,"found":true,"value":..} and the like
// (bytes that are not UTF-8 as "value_base64"), errors as {"error":..,"code":..}.
//
// Exit status (runtime-real/tools/cli_common.h): 0 done; 1 no leader answered within the
// timeout (a write may or may not have been applied); 2 bad usage or input; 3 the key was
// not found, or a cas found another value.
#pragma once

#include <string>
#include <vector>

#include "runtime-real/tools/cli_common.h"

namespace cairn::real::cli {

struct KvArgs {
  std::string verb;  // set by the parser: put, get, cas or del
  std::string key;
  std::vector<std::string> values;  // the positionals after KEY: VALUE, or EXPECTED NEW
  std::string file, expected_file, output;
  ClusterArgs cluster;
};

// Adds the `kv` subcommand and its verbs to `app`, bound to `args`; returns it.
CLI::App* add_kv_command(CLI::App& app, KvArgs& args);
// Runs the verb that was parsed into `args`; returns the exit status.
int run_kv_command(const KvArgs& args);

}  // namespace cairn::real::cli
