// `cairn node`: the namespace's registry of storage nodes from the command line, for an
// operator draining a node before taking it away.
//
//   cairn node list                 id, zone, state, weight and the shards the chunk table
//                                   places on each node (watch a drain empty its node)
//   cairn node drain ID             registers ID NODE_DRAINING: repair moves its shards away
//   cairn node undrain ID           registers ID NODE_UP again
//   every verb: [--peer H:P[,H:P...]] (meta nodes' client ports) [--timeout 5s] [--json]
//
// drain and undrain keep the node's registered address, zone, capacity and weight (a node not
// registered yet is registered with its state alone; placement then takes the rest from the
// configuration). The meta leader refuses an id that is no storage node: NotFound for an
// unknown id, InvalidArgument for a meta node without the storage role.
//
// Exit status (cli_common.h): 0 done; 1 no leader answered within the timeout; 2 bad usage,
// or a node that cannot be drained; 3 no such storage node.
#pragma once

#include <cstdint>
#include <string>

#include "runtime-real/tools/cli_common.h"

namespace cairn::real::cli {

struct NodeArgs {
  std::string verb;  // set by the parser: list, drain or undrain
  uint32_t node = 0;
  ClusterArgs cluster;
};

// Adds the `node` subcommand and its verbs to `app`, bound to `args`; returns it.
CLI::App* add_node_command(CLI::App& app, NodeArgs& args);
// Runs the verb that was parsed into `args`; returns the exit status.
int run_node_command(const NodeArgs& args);

}  // namespace cairn::real::cli
