// What every simulation property test does with one drawn scenario: run it in a child
// process (so a crash of the case is a failed case, not a dead test binary) and require a
// check to pass, failing the property with the check's own words.
#pragma once

#include <rapidcheck.h>

#include <string>

#include "core/storage/roles.h"
#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {

// The storage codes of the file-store properties: Reed-Solomon 3+2 for chunks of at least
// `replicate_below` bytes, 3 replicas below.
inline void use_rs_3_2(Scenario& s, uint64_t replicate_below) {
  storage::CoordinatorOptions& co = s.roles.get<storage::StorageOptions>("storage").coordinator;
  co.data_shards = 3;
  co.parity_shards = 2;
  co.replicas = 3;
  co.replicate_below_bytes = replicate_below;
}

// A file workload of `clients` clients at `rate` operations per second each, files of up
// to `size_max` bytes in chunks of `chunk`, from 1 s to `until`, read back at `verify`.
inline void use_files(Scenario& s, int clients, int rate, uint64_t size_max, uint64_t chunk,
                      Duration until, Duration verify) {
  client::FileWorkloadOptions& f = s.files();
  f.clients = clients;
  f.rate_per_s = rate;
  f.size_max = size_max;
  f.chunk_bytes = chunk;
  f.until = until;
  f.verify = verify;
}

inline RunResult run_case(const Scenario& scenario) {
  auto r = run_scenario_in_child(scenario, RunOptions{});
  RC_ASSERT(r.ok());
  return *r;
}

inline void assert_check(const RunResult& r, const std::string& name) {
  auto it = r.checks.find(name);
  RC_ASSERT(it != r.checks.end());
  if (!it->second.pass) RC_FAIL(name + ": " + it->second.detail);
}

}  // namespace cairn::sim
